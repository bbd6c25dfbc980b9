# Finds every third-party dependency as an imported target. A missing one stops
# configure with the Debian package that provides it (tools/install-deps.sh installs all).
include_guard(GLOBAL)
find_package(PkgConfig REQUIRED)

macro(dislo_require found what package)
  if(NOT ${found})
    message(FATAL_ERROR "dislo needs ${what}: install the Debian package '${package}' "
                        "(or run tools/install-deps.sh)")
  endif()
endmacro()

find_package(MPI COMPONENTS C CXX QUIET)
dislo_require(MPI_CXX_FOUND "MPI (OpenMPI)" "libopenmpi-dev")

pkg_check_modules(PETSC QUIET IMPORTED_TARGET petsc)
dislo_require(PETSC_FOUND "PETSc (pkg-config petsc)" "petsc-dev")

pkg_check_modules(FFTW3 QUIET IMPORTED_TARGET fftw3)
dislo_require(FFTW3_FOUND "FFTW3 (pkg-config fftw3)" "libfftw3-dev")
find_library(FFTW3_MPI_LIBRARY fftw3_mpi)
find_path(FFTW3_MPI_INCLUDE_DIR fftw3-mpi.h)
if(FFTW3_MPI_LIBRARY AND FFTW3_MPI_INCLUDE_DIR)
  set(FFTW3_MPI_FOUND TRUE)
endif()
dislo_require(FFTW3_MPI_FOUND "FFTW3 MPI (libfftw3_mpi)" "libfftw3-mpi-dev")
add_library(dislo_fftw3_mpi INTERFACE)
target_link_libraries(dislo_fftw3_mpi INTERFACE ${FFTW3_MPI_LIBRARY} PkgConfig::FFTW3)
target_include_directories(dislo_fftw3_mpi INTERFACE ${FFTW3_MPI_INCLUDE_DIR})
add_library(FFTW3::mpi ALIAS dislo_fftw3_mpi)

pkg_check_modules(HDF5MPI QUIET IMPORTED_TARGET hdf5-openmpi)
dislo_require(HDF5MPI_FOUND "parallel HDF5 (pkg-config hdf5-openmpi)" "libhdf5-openmpi-dev")

find_package(tomlplusplus QUIET)
dislo_require(tomlplusplus_FOUND "toml++" "libtomlplusplus-dev")
find_package(CLI11 QUIET)
dislo_require(CLI11_FOUND "CLI11" "libcli11-dev")
find_package(fmt QUIET)
dislo_require(fmt_FOUND "fmt" "libfmt-dev")
find_path(RANDOM123_INCLUDE_DIR Random123/philox.h)
dislo_require(RANDOM123_INCLUDE_DIR "Random123 (Philox)" "librandom123-dev")
add_library(dislo_random123 INTERFACE)
target_include_directories(dislo_random123 SYSTEM INTERFACE ${RANDOM123_INCLUDE_DIR})
add_library(Random123::Random123 ALIAS dislo_random123)

if(DISLO_BUILD_TESTS)
  find_package(GTest QUIET)
  dislo_require(GTest_FOUND "GoogleTest" "libgtest-dev")
endif()
if(DISLO_BUILD_BENCH)
  find_package(benchmark QUIET)
  dislo_require(benchmark_FOUND "Google Benchmark" "libbenchmark-dev")
endif()
