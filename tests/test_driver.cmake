# End-to-end: the dislo executable, its exit statuses, the output contract, the plot tool.
find_program(DISLO_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
add_test(NAME driver
         COMMAND ${DISLO_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/driver_test.py
                 --dislo $<TARGET_FILE:dislo> --mpiexec ${DISLO_MPIEXEC}
                 --source ${PROJECT_SOURCE_DIR})
set_tests_properties(driver PROPERTIES LABELS "integration" TIMEOUT 600 PROCESSORS 2
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")

# Particle ensembles end to end: rank-count independence, contract, propagation of chaos.
add_test(NAME ensemble
         COMMAND ${DISLO_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/ensemble_test.py
                 --dislo $<TARGET_FILE:dislo> --mpiexec ${DISLO_MPIEXEC}
                 --checker ${CMAKE_CURRENT_SOURCE_DIR}/contract/check-output.py)
set_tests_properties(ensemble PROPERTIES LABELS "integration" TIMEOUT 900 PROCESSORS 2
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")
