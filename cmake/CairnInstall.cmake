# Installation and export: `cmake --install` puts the library, headers, a
# CMake package and a pkg-config file in the GNUInstallDirs locations.
#
# Components (the Debian packages of cmake/CairnPackaging.cmake follow them):
#   runtime  libcairn.so.1 (soname and real file)
#   dev      headers, the libcairn.so link, CMake package, cairn.pc
#   tool     the `cairn` command-line tool and the SQLite extension
#   python   the Python package (when CAIRN_BUILD_PYTHON)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CAIRN_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Cairn)

install(TARGETS cairn EXPORT CairnTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          COMPONENT runtime NAMELINK_COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/api/include/cairn
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)

install(EXPORT CairnTargets NAMESPACE Cairn::
  DESTINATION ${CAIRN_INSTALL_CMAKEDIR} COMPONENT dev)
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/CairnConfig.cmake.in
  ${PROJECT_BINARY_DIR}/CairnConfig.cmake
  INSTALL_DESTINATION ${CAIRN_INSTALL_CMAKEDIR})
# 0.x: a minor release may change the API, so 0.1 accepts only 0.1.*.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/CairnConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/CairnConfig.cmake
              ${PROJECT_BINARY_DIR}/CairnConfigVersion.cmake
  DESTINATION ${CAIRN_INSTALL_CMAKEDIR} COMPONENT dev)

# cairn.pc finds its prefix from its own location (${pcfiledir}), so the
# tree may be installed with `cmake --install --prefix` anywhere.
set(CAIRN_PC_PREFIX "\${pcfiledir}")
string(REPLACE "/" ";" libdir_parts "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
foreach(part IN LISTS libdir_parts)
  string(APPEND CAIRN_PC_PREFIX "/..")
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/cairn.pc.in
               ${PROJECT_BINARY_DIR}/cairn.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cairn.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# The SQLite extension sits beside libcairn.so.1, where it looks first.
if(CAIRN_BUILD_SQLITE)
  install(TARGETS cairn_sqlite
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT tool)
endif()
