dislo_add_test(test_meanfield SOURCES test_meanfield.cpp RANKS 1 2 3 LABELS model)
