# Finds every third-party dependency as an imported target, the way HPC sites provide
# them (modules and Spack set PETSC_DIR, HDF5_ROOT, FFTW_ROOT, CMAKE_PREFIX_PATH or
# <Package>_ROOT) with Debian's packages as one case among them. A missing one stops
# configure naming the variable to set and the Debian package (tools/install-deps.sh).
# The targets are imported ones, so that the installed CMake package (dislo-config.cmake
# includes this file) recreates them in a downstream project, once per directory that
# calls find_package(dislo) (imported targets are visible in their directory only).
include_guard(DIRECTORY)
find_package(PkgConfig REQUIRED)

macro(dislo_require found what variable package)
  if(NOT ${found})
    message(FATAL_ERROR "dislo needs ${what}: set ${variable} to its installation, or on "
                        "Debian install '${package}' (tools/install-deps.sh)")
  endif()
endmacro()

find_package(MPI COMPONENTS C CXX QUIET)
dislo_require(MPI_CXX_FOUND "MPI" "MPI_HOME (or put mpicxx on PATH)" "libopenmpi-dev")

# PETSc: PETSC_DIR (and PETSC_ARCH for an in-place build), as PETSc's own docs and HPC
# modules set them, or pkg-config (PETSc.pc or petsc.pc) on the search path.
set(PETSC_DIR "$ENV{PETSC_DIR}" CACHE PATH "PETSc installation (or source tree with PETSC_ARCH)")
set(PETSC_ARCH "$ENV{PETSC_ARCH}" CACHE STRING "PETSc build inside PETSC_DIR, if any")
# The installed package (dislo-config.cmake) sets DISLO_PETSC_PREFIX: a downstream project
# must link the PETSc dislo was built with (index size, scalar type).
if(DISLO_PETSC_PREFIX)
  set(ENV{PKG_CONFIG_PATH} "${DISLO_PETSC_PREFIX}/lib/pkgconfig:$ENV{PKG_CONFIG_PATH}")
elseif(PETSC_DIR)
  set(_dislo_pc_path "${PETSC_DIR}/${PETSC_ARCH}/lib/pkgconfig:${PETSC_DIR}/lib/pkgconfig")
  set(ENV{PKG_CONFIG_PATH} "${_dislo_pc_path}:$ENV{PKG_CONFIG_PATH}")
endif()
pkg_check_modules(PETSC QUIET IMPORTED_TARGET PETSc)
if(NOT PETSC_FOUND)
  pkg_check_modules(PETSC QUIET IMPORTED_TARGET petsc)
endif()
if(NOT PETSC_FOUND)
  message(FATAL_ERROR "dislo needs PETSc: set PETSC_DIR (and PETSC_ARCH for an in-place "
                      "build) to a PETSc with lib/pkgconfig/PETSc.pc, or put its pkg-config "
                      "file on PKG_CONFIG_PATH; on Debian install 'petsc-dev' "
                      "(tools/install-deps.sh)")
endif()
message(STATUS "PETSc ${PETSC_VERSION}: ${PETSC_PREFIX}")

# FFTW and its MPI library: FFTW_ROOT, else pkg-config fftw3, else the system paths.
set(FFTW_ROOT "$ENV{FFTW_ROOT}" CACHE PATH "FFTW installation (with libfftw3_mpi)")
find_library(FFTW3_LIBRARY fftw3 HINTS ${FFTW_ROOT} PATH_SUFFIXES lib lib64)
find_library(FFTW3_MPI_LIBRARY fftw3_mpi HINTS ${FFTW_ROOT} PATH_SUFFIXES lib lib64)
find_path(FFTW3_INCLUDE_DIR fftw3.h HINTS ${FFTW_ROOT} PATH_SUFFIXES include)
find_path(FFTW3_MPI_INCLUDE_DIR fftw3-mpi.h HINTS ${FFTW_ROOT} PATH_SUFFIXES include)
if(NOT FFTW3_LIBRARY OR NOT FFTW3_INCLUDE_DIR)
  pkg_check_modules(FFTW3PC QUIET fftw3)
  find_library(FFTW3_LIBRARY fftw3 HINTS ${FFTW3PC_LIBRARY_DIRS})
  find_path(FFTW3_INCLUDE_DIR fftw3.h HINTS ${FFTW3PC_INCLUDE_DIRS})
endif()
if(NOT (FFTW3_LIBRARY AND FFTW3_MPI_LIBRARY AND FFTW3_INCLUDE_DIR AND FFTW3_MPI_INCLUDE_DIR))
  message(FATAL_ERROR "dislo needs FFTW3 with its MPI library (libfftw3, libfftw3_mpi, "
                      "fftw3.h, fftw3-mpi.h): set FFTW_ROOT to its installation; on Debian "
                      "install 'libfftw3-dev libfftw3-mpi-dev' (tools/install-deps.sh)")
endif()
add_library(FFTW3::mpi INTERFACE IMPORTED)
target_link_libraries(FFTW3::mpi INTERFACE ${FFTW3_MPI_LIBRARY} ${FFTW3_LIBRARY})
target_include_directories(FFTW3::mpi INTERFACE ${FFTW3_MPI_INCLUDE_DIR} ${FFTW3_INCLUDE_DIR})

# Parallel HDF5: CMake's FindHDF5 (HDF5_ROOT, or the h5pcc wrapper on PATH), preferring the
# parallel build; else Debian's pkg-config name. A serial HDF5 is refused: the output is
# written collectively.
set(HDF5_PREFER_PARALLEL TRUE)
find_package(HDF5 QUIET COMPONENTS C)
add_library(HDF5::parallel INTERFACE IMPORTED)
if(HDF5_FOUND AND HDF5_IS_PARALLEL)
  target_link_libraries(HDF5::parallel INTERFACE ${HDF5_C_LIBRARIES})
  target_include_directories(HDF5::parallel INTERFACE ${HDF5_C_INCLUDE_DIRS})
  target_compile_definitions(HDF5::parallel INTERFACE ${HDF5_C_DEFINITIONS})
  message(STATUS "parallel HDF5 ${HDF5_VERSION}: ${HDF5_C_INCLUDE_DIRS}")
  set(DISLO_HDF5_WHERE "${HDF5_C_INCLUDE_DIRS} (FindHDF5)")
else()
  pkg_check_modules(HDF5MPI QUIET IMPORTED_TARGET hdf5-openmpi)
  if(NOT HDF5MPI_FOUND)
    if(HDF5_FOUND)
      message(FATAL_ERROR "dislo needs a parallel HDF5 (built with MPI); the one found is "
                          "serial (${HDF5_C_INCLUDE_DIRS}): set HDF5_ROOT to a parallel "
                          "build; on Debian install 'libhdf5-openmpi-dev'")
    endif()
    message(FATAL_ERROR "dislo needs a parallel HDF5: set HDF5_ROOT to its installation (or "
                        "put its h5pcc on PATH); on Debian install 'libhdf5-openmpi-dev' "
                        "(tools/install-deps.sh)")
  endif()
  target_link_libraries(HDF5::parallel INTERFACE PkgConfig::HDF5MPI)
  set(DISLO_HDF5_WHERE "${HDF5MPI_PREFIX} (pkg-config hdf5-openmpi)")
endif()

find_package(tomlplusplus QUIET)
dislo_require(tomlplusplus_FOUND "toml++" "tomlplusplus_ROOT" "libtomlplusplus-dev")
if(NOT DISLO_PETSC_PREFIX)  # the driver's command line, not the library's
  find_package(CLI11 QUIET)
  dislo_require(CLI11_FOUND "CLI11" "CLI11_ROOT" "libcli11-dev")
endif()
find_package(fmt QUIET)
dislo_require(fmt_FOUND "fmt" "fmt_ROOT" "libfmt-dev")
find_path(RANDOM123_INCLUDE_DIR Random123/philox.h)
dislo_require(RANDOM123_INCLUDE_DIR "Random123 (Philox)" "RANDOM123_INCLUDE_DIR (the directory holding Random123/)" "librandom123-dev")
add_library(Random123::Random123 INTERFACE IMPORTED)
target_include_directories(Random123::Random123 INTERFACE ${RANDOM123_INCLUDE_DIR})
# Boost.Math (header-only): Student's t, normal and chi-square distributions of the law test.
find_package(Boost 1.71 QUIET)
dislo_require(Boost_FOUND "Boost (headers: Boost.Math)" "BOOST_ROOT" "libboost-dev")
# LEMON's pkg-config file names /usr/lib, not the multiarch directory: find it directly.
find_path(LEMON_INCLUDE_DIR lemon/network_simplex.h)
find_library(LEMON_LIBRARY lemon)
if(LEMON_INCLUDE_DIR AND LEMON_LIBRARY)
  set(LEMON_FOUND TRUE)
endif()
dislo_require(LEMON_FOUND "LEMON (network simplex)" "CMAKE_PREFIX_PATH (or LEMON_INCLUDE_DIR and LEMON_LIBRARY)" "liblemon-dev")
add_library(LEMON::lemon INTERFACE IMPORTED)
target_include_directories(LEMON::lemon INTERFACE ${LEMON_INCLUDE_DIR})
target_link_libraries(LEMON::lemon INTERFACE ${LEMON_LIBRARY})

if(DISLO_BUILD_TESTS)
  find_package(GTest QUIET)
  dislo_require(GTest_FOUND "GoogleTest" "GTest_ROOT (or -DDISLO_BUILD_TESTS=OFF)" "libgtest-dev")
endif()
if(DISLO_BUILD_BENCH)
  find_package(benchmark QUIET)
  dislo_require(benchmark_FOUND "Google Benchmark" "benchmark_ROOT (or -DDISLO_BUILD_BENCH=OFF)" "libbenchmark-dev")
endif()
