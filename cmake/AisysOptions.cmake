# Options of the AISys Labs build, all prefixed AISYS_, and the INTERFACE target that carries the
# project's compile flags (aisys::options). Optional libraries take AUTO|ON|OFF: AUTO uses the
# library when found, ON fails configure when it is missing, OFF never looks for it.
include_guard(GLOBAL)

set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()

function(aisys_tristate_option name doc)
  set(${name} AUTO CACHE STRING "${doc} (AUTO|ON|OFF)")
  set_property(CACHE ${name} PROPERTY STRINGS AUTO ON OFF)
  string(TOUPPER "${${name}}" value)
  if(NOT value MATCHES "^(AUTO|ON|OFF|TRUE|FALSE|YES|NO|1|0)$")
    message(FATAL_ERROR "${name}=${${name}}: expected AUTO, ON or OFF")
  endif()
endfunction()

aisys_tristate_option(AISYS_CUDA "Compile CUDA code with nvcc")
aisys_tristate_option(AISYS_OPENBLAS "Use OpenBLAS (CPU GEMM baseline)")
aisys_tristate_option(AISYS_MPI "Use Open MPI (the distributed labs' CPU backend and baselines)")
aisys_tristate_option(AISYS_ONEDNN "Use oneDNN (lab 02's CPU convolution baselines)")
aisys_tristate_option(AISYS_CCACHE "Compile through ccache (grading trees and skeleton/reference twins reuse objects)")
option(AISYS_WERROR "Treat warnings as errors" OFF)
option(AISYS_SIMT "Build the SIMT emulator and the GPU tests it runs on the CPU (needs the CUDA toolkit's headers)" ON)
option(AISYS_SIMT_ASAN "Build the code the SIMT emulator runs, and its tests, with AddressSanitizer (a kernel's out-of-bounds access is reported as compute-sanitizer memcheck reports it)" ON)
set(AISYS_CUDA_ARCHITECTURES "80;90" CACHE STRING
    "CUDA architectures to compile for (a short fixed list; 'native' on a developer's GPU machine)")

# ccache: a lab's tests and benchmarks are compiled identically for its skeleton and its reference,
# and again in every grading tree (each a fresh folder); ccache turns those repeats into cache hits.
# CCACHE_BASEDIR makes paths under this source tree relative, so that another clone or another
# grading tree hits the same entries (and __FILE__ reads relative to the build folder).
# A launcher set by the user (CMAKE_CXX_COMPILER_LAUNCHER) is kept.
set(AISYS_CCACHE_STATUS "off (AISYS_CCACHE=OFF)")
string(TOUPPER "${AISYS_CCACHE}" _aisys_ccache_mode)
if(NOT _aisys_ccache_mode MATCHES "^(OFF|FALSE|NO|0)$")
  find_program(AISYS_CCACHE_PROGRAM ccache)
  if(AISYS_CCACHE_PROGRAM)
    # The cache lives in the build folder (a grading tree uses its platform's), capped at 2 GiB.
    if(NOT AISYS_CCACHE_DIR)
      set(AISYS_CCACHE_DIR "${CMAKE_BINARY_DIR}/ccache" CACHE PATH "ccache's cache folder" FORCE)
    endif()
    # Paths are made relative to the project's source tree; a grading tree keeps its platform's
    # (AisysPlatformConfig.cmake sets it), since it compiles the lab's files where they are.
    if(NOT AISYS_CCACHE_BASEDIR)
      set(AISYS_CCACHE_BASEDIR "${CMAKE_SOURCE_DIR}" CACHE PATH "ccache's base folder (paths under it are made relative)" FORCE)
    endif()
    set(_aisys_launcher "${CMAKE_COMMAND}" -E env "CCACHE_BASEDIR=${AISYS_CCACHE_BASEDIR}" CCACHE_NOHASHDIR=1
        "CCACHE_DIR=${AISYS_CCACHE_DIR}" CCACHE_MAXSIZE=2G "${AISYS_CCACHE_PROGRAM}")
    if(NOT CMAKE_CXX_COMPILER_LAUNCHER)
      set(CMAKE_CXX_COMPILER_LAUNCHER "${_aisys_launcher}")
    endif()
    if(NOT CMAKE_CUDA_COMPILER_LAUNCHER)
      set(CMAKE_CUDA_COMPILER_LAUNCHER "${_aisys_launcher}")
    endif()
    set(AISYS_CCACHE_STATUS "found (${AISYS_CCACHE_PROGRAM}), cache ${AISYS_CCACHE_DIR}")
  elseif(_aisys_ccache_mode MATCHES "^(ON|TRUE|YES|1)$")
    message(FATAL_ERROR "AISYS_CCACHE=ON but no ccache program was found (apt install ccache, or AISYS_CCACHE=OFF)")
  else()
    set(AISYS_CCACHE_STATUS "not found: every build compiles from scratch (apt install ccache)")
  endif()
endif()

# Compile flags shared by every target of the project. In a grading tree the target comes from the
# exported platform (aisys::options) and is not created again. With AISYS_WERROR, warnings are errors
# except in targets marked AISYS_STUDENT_CODE (a submission's files: a warning must not cost points).
if(NOT TARGET aisys::options)
  add_library(aisys_options INTERFACE)
  add_library(aisys::options ALIAS aisys_options)
  set_target_properties(aisys_options PROPERTIES EXPORT_NAME options)
  target_compile_features(aisys_options INTERFACE cxx_std_20)
  target_compile_options(aisys_options INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wno-unknown-pragmas>
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${AISYS_WERROR}>,$<NOT:$<BOOL:$<TARGET_PROPERTY:AISYS_STUDENT_CODE>>>>:-Werror>
    $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra --expt-relaxed-constexpr>
    $<$<AND:$<COMPILE_LANGUAGE:CUDA>,$<BOOL:${AISYS_WERROR}>,$<NOT:$<BOOL:$<TARGET_PROPERTY:AISYS_STUDENT_CODE>>>>:-Werror=all-warnings>)
endif()

# Per-instruction-set flags for files named *_avx2.cpp / *_avx512.cpp: each such file is compiled
# with its own flags and chosen at run time from the CPU's flags, so that a machine without AVX-512
# never meets an illegal instruction. Never -march=native: binaries travel.
set(AISYS_FLAGS_AVX2 -mavx2 -mfma -mf16c)
set(AISYS_FLAGS_AVX512 -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512dq)
function(aisys_apply_isa_flags)
  foreach(src IN LISTS ARGN)
    if(src MATCHES "_avx512[^/]*\\.(cpp|cc)$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "${AISYS_FLAGS_AVX512}")
    elseif(src MATCHES "_avx2[^/]*\\.(cpp|cc)$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "${AISYS_FLAGS_AVX2}")
    endif()
  endforeach()
endfunction()

# Programs that only check and drive: test binaries, the grader and the `aisys` CLI. In an
# optimized build their own C++ files compile at -O1 (the flag comes after the build type's -O3, so
# it wins): about 30% less compile time for the largest share of the build's C++ (GoogleTest's
# macros, JSON, CLI11), which is most of CI's build. What they call and what is measured keeps the
# build type's flags: the platform libraries, the oracles in aisys_harness, the lab's own code and
# every benchmark. A test file should therefore not hold heavy loops of its own: those belong in
# the harness's oracles.
function(aisys_checking_program target)
  target_compile_options(${target} PRIVATE
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<OR:$<CONFIG:Release>,$<CONFIG:RelWithDebInfo>>>:-O1>)
endfunction()
