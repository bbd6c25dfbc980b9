dislo_add_test(test_forces SOURCES test_forces.cpp RANKS 1 LABELS model)
