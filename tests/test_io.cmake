dislo_add_test(test_io SOURCES test_io.cpp RANKS 1 2 3)
