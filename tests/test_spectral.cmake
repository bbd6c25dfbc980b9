dislo_add_test(test_spectral SOURCES test_spectral.cpp RANKS 1 2 3 LABELS model)
