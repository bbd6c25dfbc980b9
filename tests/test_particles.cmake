dislo_add_test(test_particles SOURCES test_particles.cpp RANKS 1 LABELS model)
