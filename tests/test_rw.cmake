dislo_add_test(test_rw SOURCES test_rw.cpp RANKS 1 LABELS model)
