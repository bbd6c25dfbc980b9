dislo_add_test(test_checkpoint SOURCES test_checkpoint.cpp RANKS 1 LABELS model)
