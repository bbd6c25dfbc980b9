dislo_add_test(test_exact2 SOURCES test_exact2.cpp RANKS 1 LABELS model)
