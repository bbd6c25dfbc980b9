dislo_add_test(test_chaos SOURCES test_chaos.cpp RANKS 1 LABELS model)
