# End-to-end: the dislo executable, its exit statuses, the output contract, the plot tool.
find_program(DISLO_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
# Under the sanitizers the run-heavy scripts take their reduced case (n = 20, the same events).
set(DISLO_SMALL_CASE "")
if(DISLO_SANITIZE)
  set(DISLO_SMALL_CASE --small)
endif()
add_test(NAME driver
         COMMAND ${DISLO_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/driver_test.py
                 --dislo $<TARGET_FILE:dislo> --mpiexec ${DISLO_MPIEXEC}
                 --source ${PROJECT_SOURCE_DIR})
set_tests_properties(driver PROPERTIES LABELS "integration" TIMEOUT 600 PROCESSORS 2
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")

# Particle ensembles end to end: rank-count independence, replica groups, contract, automatic replica
# counts, certified brackets against the grid's (integration); propagation of chaos, the
# coupling's and w1's slopes in n (validation: statistical). Every test of ensemble_test.py
# is named here once.
foreach(case IN ITEMS ensemble:integration:test_same_results_on_1_to_4_ranks:test_replica_groups_give_the_same_results:test_automatic_replica_count
                      ensemble_brackets:integration:test_certified_brackets_agree_with_the_grid
                      ensemble_chaos:validation:test_propagation_of_chaos_laws
                      ensemble_coupling:validation:test_coupling_falls_like_one_over_sqrt_n
                      ensemble_w1_slope:validation:test_w1_of_iid_samples_falls_like_sqrt_log_n_over_n)
  string(REPLACE ":" ";" parts ${case})
  list(POP_FRONT parts name label)
  list(APPEND registered ${parts})
  list(TRANSFORM parts PREPEND "Ensemble.")
  add_test(NAME ${name}
           COMMAND ${DISLO_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/ensemble_test.py
                   --dislo $<TARGET_FILE:dislo> --mpiexec ${DISLO_MPIEXEC}
                   --checker ${CMAKE_CURRENT_SOURCE_DIR}/contract/check-output.py ${parts})
  set_tests_properties(${name} PROPERTIES LABELS "${label}" TIMEOUT 900 PROCESSORS 2
    ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")
endforeach()
# A test method that no ctest names would never run: refuse to configure.
file(STRINGS ${CMAKE_CURRENT_SOURCE_DIR}/ensemble_test.py defined REGEX "^    def test_")
foreach(line IN LISTS defined)
  string(REGEX REPLACE "^    def (test_[A-Za-z0-9_]+).*" "\\1" method "${line}")
  if(NOT method IN_LIST registered)
    message(FATAL_ERROR "tests/ensemble_test.py: ${method} is not registered in tests/integration.cmake")
  endif()
endforeach()

# Every relative link and image of README.md and docs/ resolves to a repository file.
add_test(NAME links
         COMMAND ${DISLO_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/links_test.py
                 --source ${PROJECT_SOURCE_DIR} --work ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(links PROPERTIES LABELS "integration" TIMEOUT 60)

# Checkpoint and restart: signals, wall-time budget, refusals (docs/hpc.md).
add_test(NAME checkpoint
         COMMAND ${DISLO_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/checkpoint_test.py
                 --dislo $<TARGET_FILE:dislo> --mpiexec ${DISLO_MPIEXEC} ${DISLO_SMALL_CASE})
set_tests_properties(checkpoint PROPERTIES LABELS "integration" TIMEOUT 600 PROCESSORS 2
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")

# The job scripts on a real single-node Slurm (docs/hpc.md); the scaling series needs the
# bench program (skipped where it is not built).
set(DISLO_BENCH_ARG "")
if(TARGET dislo-bench)
  set(DISLO_BENCH_ARG --bench $<TARGET_FILE:dislo-bench>)
endif()
add_test(NAME slurm
         COMMAND ${DISLO_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/slurm_test.py
                 --dislo $<TARGET_FILE:dislo> ${DISLO_BENCH_ARG}
                 --mpiexec ${DISLO_MPIEXEC} --jobscripts ${PROJECT_SOURCE_DIR}/jobscripts
                 --cluster-script ${PROJECT_SOURCE_DIR}/tools/slurm-cluster.sh ${DISLO_SMALL_CASE})
# Slurm's slurmd uses both cores: nothing else runs beside it.
set_tests_properties(slurm PROPERTIES LABELS "slurm" TIMEOUT 1200 RUN_SERIAL TRUE
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")

# The reader for analysis scripts (tools/dislo_h5.py) on a real run and a collected table.
add_test(NAME dislo_h5
         COMMAND ${DISLO_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/dislo_h5_test.py
                 --dislo $<TARGET_FILE:dislo> --mpiexec ${DISLO_MPIEXEC}
                 --tools ${PROJECT_SOURCE_DIR}/tools)
set_tests_properties(dislo_h5 PROPERTIES LABELS "integration" TIMEOUT 600 PROCESSORS 2
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")

# The gallery's studies, smaller, each drawing its figures (tools/gallery.py, docs/gallery.md).
add_test(NAME gallery
         COMMAND ${DISLO_SYSTEM_PYTHON} ${PROJECT_SOURCE_DIR}/tools/gallery.py
                 --dislo $<TARGET_FILE:dislo> --mpiexec ${DISLO_MPIEXEC} --ranks 2
                 --work ${CMAKE_CURRENT_BINARY_DIR}/gallery --check)
set_tests_properties(gallery PROPERTIES LABELS "integration" TIMEOUT 900 PROCESSORS 2
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")

# The convergence-rate fit tool on synthetic collected tables (docs/sweeps.md).
add_test(NAME fit_rates
         COMMAND ${DISLO_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/fit_rates_test.py
                 ${PROJECT_SOURCE_DIR}/tools ${CMAKE_CURRENT_BINARY_DIR}/fit_rates_tmp)
set_tests_properties(fit_rates PROPERTIES LABELS "integration" TIMEOUT 300)

# The validation report's studies, reduced (tools/validation_report.py, docs/validation.md):
# orders in eps, slopes in n, coupling below its bound, the Gibbs dipole.
add_test(NAME validation_report
         COMMAND ${DISLO_SYSTEM_PYTHON} ${PROJECT_SOURCE_DIR}/tools/validation_report.py
                 --dislo $<TARGET_FILE:dislo> --mpiexec ${DISLO_MPIEXEC} --ranks 2
                 --work ${CMAKE_CURRENT_BINARY_DIR}/validation_report --reduced)
set_tests_properties(validation_report PROPERTIES LABELS "validation" TIMEOUT 900 PROCESSORS 2
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")

# Byte identity of the output with a recorded reference (identity_test.py says how to
# re-record); exit 77, skipped, on another machine or build, where floating-point bits may
# legitimately differ.
add_test(NAME identity
         COMMAND ${DISLO_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/identity_test.py
                 --dislo $<TARGET_FILE:dislo> --mpiexec ${DISLO_MPIEXEC}
                 --check ${CMAKE_CURRENT_SOURCE_DIR}/reference/identity-digests.json
                 --work ${CMAKE_CURRENT_BINARY_DIR}/identity)
set_tests_properties(identity PROPERTIES LABELS "integration" TIMEOUT 600 PROCESSORS 2
  SKIP_RETURN_CODE 77
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")

# dislo distance: certified distances of points a user brings (contract.md).
add_test(NAME distance
         COMMAND ${DISLO_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/distance_test.py
                 --dislo $<TARGET_FILE:dislo>)
set_tests_properties(distance PROPERTIES LABELS "integration" TIMEOUT 600)

# Configure with the dependencies found as HPC sites provide them (PETSC_DIR, FindHDF5).
add_test(NAME configure
         COMMAND ${DISLO_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/configure_test.py
                 --cmake ${CMAKE_COMMAND} --source ${PROJECT_SOURCE_DIR})
set_tests_properties(configure PROPERTIES LABELS "integration" TIMEOUT 300)

# `cmake --install` to a scratch prefix and a downstream project on find_package(dislo).
add_test(NAME install
         COMMAND ${DISLO_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/install_test.py
                 --cmake ${CMAKE_COMMAND} --build ${PROJECT_BINARY_DIR} --source ${PROJECT_SOURCE_DIR}
                 --mpiexec ${DISLO_MPIEXEC} --cxx ${CMAKE_CXX_COMPILER})
set_tests_properties(install PROPERTIES LABELS "install" TIMEOUT 600 PROCESSORS 2
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")

# Faults a cluster shows: a full disk, a vanished output directory, a newer checkpoint.
add_test(NAME fault
         COMMAND ${DISLO_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/fault_test.py
                 --dislo $<TARGET_FILE:dislo> --mpiexec ${DISLO_MPIEXEC} ${DISLO_SMALL_CASE})
set_tests_properties(fault PROPERTIES LABELS "integration" TIMEOUT 600 PROCESSORS 2
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")
