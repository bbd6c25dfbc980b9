dislo_add_test(test_metrics SOURCES test_metrics.cpp RANKS 1 LABELS model)
