# The SIMT emulator in CMake (aisys/kernels/simt/emulator.hpp): CUDA sources compiled as C++ that
# run their kernels on the CPU, so that a machine without a GPU tests a kernel's indexing, edge
# tiles and barriers. Where the build has the CUDA toolkit (AISYS_HAVE_CUDA: its headers),
# kernels/ defines the emulator (aisys::simt) and the rewriting tool (aisys_simt_rewrite), and
#   aisys_simt_add_library(<target> SOURCES <file.cu|file.cpp> ... [LIBS <target> ...])
# makes a STATIC library of the sources: each .cu is rewritten at build time into
# <build>/<target>_simt/<n>_<name>.simt.cpp (the launches and __shared__ arrays; kernels/tools/
# simt_rewrite.cpp) and compiled with simt/cuda_shim.hpp included first and its own folder on the
# include path; other sources compile as they are. Its functions have the names and signatures of
# the CUDA build's, on host pointers, so one program must not link both.
include_guard(GLOBAL)

function(aisys_simt_add_library target)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT TARGET aisys_simt)
    message(FATAL_ERROR "aisys_simt_add_library(${target}): the SIMT emulator needs the CUDA "
                        "toolkit's headers (AISYS_HAVE_CUDA)")
  endif()
  set(outs "")
  set(n 0)
  foreach(src IN LISTS ARG_SOURCES)
    get_filename_component(abs "${src}" ABSOLUTE)
    if(NOT abs MATCHES "\\.cu$")
      list(APPEND outs "${abs}")
      continue()
    endif()
    get_filename_component(src_dir "${abs}" DIRECTORY)
    get_filename_component(name "${src}" NAME_WE)
    math(EXPR n "${n} + 1")
    set(out "${CMAKE_CURRENT_BINARY_DIR}/${target}_simt/${n}_${name}.simt.cpp")
    add_custom_command(OUTPUT "${out}"
                       COMMAND "${CMAKE_COMMAND}" -E make_directory "${CMAKE_CURRENT_BINARY_DIR}/${target}_simt"
                       COMMAND aisys_simt_rewrite "${abs}" "${out}"
                       DEPENDS "${abs}" aisys_simt_rewrite
                       COMMENT "SIMT emulation: rewriting ${src}" VERBATIM)
    set_source_files_properties("${out}" PROPERTIES
                                COMPILE_OPTIONS "-include;aisys/kernels/simt/cuda_shim.hpp"
                                INCLUDE_DIRECTORIES "${src_dir}")
    list(APPEND outs "${out}")
  endforeach()
  add_library(${target} STATIC ${outs})
  target_link_libraries(${target} PUBLIC aisys::simt ${ARG_LIBS})
endfunction()
