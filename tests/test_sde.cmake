dislo_add_test(test_sde SOURCES test_sde.cpp RANKS 1 LABELS model)
# Long statistical runs: numerics rather than memory safety, so the sanitizer build skips them.
dislo_add_test(test_sde_laws SOURCES test_sde_laws.cpp RANKS 1 LABELS validation)
dislo_add_test(test_replica_groups SOURCES test_replica_groups.cpp RANKS 1 2 3 LABELS model)
