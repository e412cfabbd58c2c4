# Debian packages with CPack (`cpack -G DEB` in a build tree configured with
# -DCMAKE_INSTALL_PREFIX=/usr, and -DCAIRN_BUILD_PYTHON=ON for the Python
# package), one per install component (CairnInstall.cmake):
#   libcairn1      runtime   libcairn.so.1
#   libcairn-dev   dev       headers, libcairn.so, CMake package, cairn.pc
#   cairn-tools    tool      bin/cairn and the SQLite extension
#   python3-cairn  python    the cairn module for Debian's python3
# Depends on Debian's libraries (LevelDB, Abseil, Snappy, libstdc++...) come
# from dpkg-shlibdeps; the packages depend on libcairn1 of the same version.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cairn)
set(CPACK_PACKAGE_VENDOR "Cairn")
set(CPACK_PACKAGE_CONTACT "Cairn developers <cairn-dev@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Cairn: an embeddable, versioned key-value store")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# dpkg-shlibdeps must find libcairn.so.1 (built here, in libcairn1) for the
# packages that link it.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR}/plugin)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)

set(CPACK_COMPONENTS_ALL runtime dev)
if(CAIRN_BUILD_TOOL OR CAIRN_BUILD_SQLITE)
  list(APPEND CPACK_COMPONENTS_ALL tool)
endif()
if(CAIRN_BUILD_PYTHON)
  list(APPEND CPACK_COMPONENTS_ALL python)
endif()

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libcairn1)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libcairn-dev)
set(CPACK_DEBIAN_TOOL_PACKAGE_NAME cairn-tools)
set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME python3-cairn)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_TOOL_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
    "Cairn shared library (C ABI ${CAIRN_ABI_MAJOR}.${CAIRN_ABI_MINOR})")
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "Cairn development files: C header, CMake package, pkg-config file")
set(CPACK_COMPONENT_TOOL_DESCRIPTION
    "Cairn command-line tool (cairn) and SQLite extension")
set(CPACK_COMPONENT_PYTHON_DESCRIPTION "Cairn Python bindings")

set(cairn_same_version "libcairn1 (= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${cairn_same_version}")
set(CPACK_DEBIAN_TOOL_PACKAGE_DEPENDS "${cairn_same_version}")
set(CPACK_DEBIAN_TOOL_PACKAGE_SUGGESTS "sqlite3")
if(CAIRN_BUILD_PYTHON)
  set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS
      "${cairn_same_version}, python3 (>= ${CAIRN_PYTHON_VERSION}), python3 (<< ${CAIRN_PYTHON_VERSION}.99)")
endif()
include(CPack)
