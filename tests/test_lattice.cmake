dislo_add_test(test_lattice SOURCES test_lattice.cpp RANKS 1 2 3 LABELS model)
dislo_add_test(test_convergence SOURCES test_convergence.cpp RANKS 1 2 LABELS validation)
