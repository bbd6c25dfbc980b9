# `cmake --install`: the programs, the library and its headers, a CMake package
# (find_package(dislo) gives dislo::dislo), the example studies, job scripts and tools.
include(CMakePackageConfigHelpers)
set(DISLO_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/dislo)

install(TARGETS dislo RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(DISLO_BUILD_BENCH)
  install(TARGETS dislo-bench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(EXPORT dislo-targets NAMESPACE dislo:: DESTINATION ${DISLO_CMAKE_DIR})
configure_package_config_file(cmake/dislo-config.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/dislo-config.cmake INSTALL_DESTINATION ${DISLO_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/dislo-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/dislo-config.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/dislo-config-version.cmake
              cmake/DisloDependencies.cmake
        DESTINATION ${DISLO_CMAKE_DIR})

set(DISLO_SHARE ${CMAKE_INSTALL_DATADIR}/dislo)
install(DIRECTORY examples/ DESTINATION ${DISLO_SHARE}/examples)
install(DIRECTORY jobscripts/ DESTINATION ${DISLO_SHARE}/jobscripts USE_SOURCE_PERMISSIONS)
install(DIRECTORY tools/ DESTINATION ${DISLO_SHARE}/tools USE_SOURCE_PERMISSIONS)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
