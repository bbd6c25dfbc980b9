dislo_add_test(test_potential SOURCES test_potential.cpp RANKS 1)
