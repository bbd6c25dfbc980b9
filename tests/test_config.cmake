dislo_add_test(test_config SOURCES test_config.cpp RANKS 1)
