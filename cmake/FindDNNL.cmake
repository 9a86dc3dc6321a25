# FindDNNL: oneDNN (libdnnl) as the imported target DNNL::dnnl.
# Hints: DNNL_ROOT (CMake variable or environment). Sets DNNL_FOUND, DNNL_VERSION, DNNL_INCLUDE_DIR,
# DNNL_LIBRARY.
#
# Why not find_package(dnnl CONFIG): the configuration file that Debian's libdnnl-dev ships (2.6.3,
# built with the OpenCL GPU runtime) runs find_package(OpenCL REQUIRED) and links OpenCL::OpenCL,
# so without the OpenCL headers (ocl-icd-opencl-dev, only recommended by the package) it stops
# configure with a fatal error even when asked QUIET. The project uses oneDNN's CPU engine only;
# libdnnl.so itself brings its OpenCL loader at run time.
set(_dnnl_hints ${DNNL_ROOT} $ENV{DNNL_ROOT})
find_path(DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp HINTS ${_dnnl_hints} PATH_SUFFIXES include)
find_library(DNNL_LIBRARY dnnl HINTS ${_dnnl_hints} PATH_SUFFIXES lib lib64 lib/x86_64-linux-gnu)
if(DNNL_INCLUDE_DIR AND EXISTS "${DNNL_INCLUDE_DIR}/oneapi/dnnl/dnnl_version.h")
  file(STRINGS "${DNNL_INCLUDE_DIR}/oneapi/dnnl/dnnl_version.h" _v
       REGEX "#define DNNL_VERSION_(MAJOR|MINOR|PATCH) +[0-9]+")
  if(_v)
    string(REGEX REPLACE ".*DNNL_VERSION_MAJOR +([0-9]+).*" "\\1" _maj "${_v}")
    string(REGEX REPLACE ".*DNNL_VERSION_MINOR +([0-9]+).*" "\\1" _min "${_v}")
    string(REGEX REPLACE ".*DNNL_VERSION_PATCH +([0-9]+).*" "\\1" _pat "${_v}")
    set(DNNL_VERSION "${_maj}.${_min}.${_pat}")
  endif()
endif()
include(FindPackageHandleStandardArgs)
# The version (read from the header) is required too: an include folder without dnnl_version.h is
# not a oneDNN installation this module can vouch for.
find_package_handle_standard_args(DNNL REQUIRED_VARS DNNL_LIBRARY DNNL_INCLUDE_DIR DNNL_VERSION
                                  VERSION_VAR DNNL_VERSION)
if(DNNL_FOUND AND NOT TARGET DNNL::dnnl)
  add_library(DNNL::dnnl UNKNOWN IMPORTED GLOBAL)
  set_target_properties(DNNL::dnnl PROPERTIES IMPORTED_LOCATION "${DNNL_LIBRARY}"
                        INTERFACE_INCLUDE_DIRECTORIES "${DNNL_INCLUDE_DIR}")
endif()
mark_as_advanced(DNNL_INCLUDE_DIR DNNL_LIBRARY)
