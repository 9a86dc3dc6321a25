# The lab contract in CMake: aisys_add_labs_in() builds every labs/NN-slug once per implementation
# folder (the student skeleton, and the reference where reference/ exists); the grader builds one
# more implementation (a submission) in a clean tree through aisys_add_lab_impl(). Inside a lab's
# CMakeLists.txt these variables are set:
#   AISYS_LAB_ID            "01"                 AISYS_LAB_SLUG     "matmul"
#   AISYS_LAB_IMPL          skeleton | reference | submission (a CMake variable; C++ sees it
#                           through aisys/harness/lab_identity.hpp in benchmarks)
#   AISYS_LAB_PREFIX        lab01_<impl>         (prefix of every target the lab creates)
#   AISYS_LAB_STUDENT_DIR   folder holding the student files named in lab.json
#   AISYS_LAB_HIDDEN_TESTS_DIR  reference/NN-slug/hidden_tests when it exists, else empty
# and the lab uses three functions:
#   aisys_lab_student_library(SOURCES extra...)  -> ${AISYS_LAB_PREFIX}_student (STATIC): one OBJECT
#       library per student file (${AISYS_LAB_PREFIX}_file_<n>, so the grader can compile each file
#       on its own and fall back to the skeleton's) plus the lab's own support sources
#   aisys_lab_tests(SOURCES ... LIBS ...)  -> bin/${AISYS_LAB_PREFIX}_tests (GoogleTest; hidden tests
#       added; registered with CTest for the reference only: the skeleton is checked by grading it)
#   aisys_lab_bench(SOURCES ... LIBS ...)  -> bin/${AISYS_LAB_PREFIX}_bench (harness benchmark main)
# Each build writes lab_build.json (targets, binaries, student objects) for the grader; a lab that
# also builds ${AISYS_LAB_PREFIX}_simt_tests (its GPU tests under the SIMT emulator, into bin/) has
# it named there too, for `aisys test` on a machine without a GPU.
include_guard(GLOBAL)
include(AisysMpi)

# aisys_lab_apply_wrong_variant(<variant_dir> <work_dir> <out_var>): a known-wrong variant's files,
# for a test that must see it fail: copies the files its change.patch changes from
# AISYS_LAB_STUDENT_DIR (the reference) into <work_dir> (emptied first) and applies the patch there,
# at configure time (CMake reconfigures when the patch or those files change). <out_var> gets the
# changed paths, relative to <work_dir>. Needs git (AISYS_GIT, found by the caller); git treats the
# patch as a plain patch, never as a change to a repository above <work_dir>.
function(aisys_lab_apply_wrong_variant variant_dir work out_var)
  get_filename_component(ceiling "${work}" DIRECTORY)
  file(REMOVE_RECURSE "${work}")
  file(MAKE_DIRECTORY "${work}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${variant_dir}/change.patch")
  execute_process(COMMAND "${CMAKE_COMMAND}" -E env "GIT_CEILING_DIRECTORIES=${ceiling}"
                          "${AISYS_GIT}" apply --numstat "${variant_dir}/change.patch"
                  WORKING_DIRECTORY "${work}" RESULT_VARIABLE rc OUTPUT_VARIABLE numstat ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${variant_dir}/change.patch is not a readable patch: ${err}")
  endif()
  string(REGEX MATCHALL "[^\n\t]+\n" lines "${numstat}")
  set(paths "")
  foreach(line IN LISTS lines)
    string(STRIP "${line}" path)
    list(APPEND paths "${path}")
    get_filename_component(dir "${work}/${path}" DIRECTORY)
    file(MAKE_DIRECTORY "${dir}")
    file(COPY_FILE "${AISYS_LAB_STUDENT_DIR}/${path}" "${work}/${path}")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${AISYS_LAB_STUDENT_DIR}/${path}")
  endforeach()
  execute_process(COMMAND "${CMAKE_COMMAND}" -E env "GIT_CEILING_DIRECTORIES=${ceiling}"
                          "${AISYS_GIT}" apply "${variant_dir}/change.patch"
                  WORKING_DIRECTORY "${work}" RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${variant_dir}/change.patch no longer applies to the reference: ${err}")
  endif()
  set(${out_var} "${paths}" PARENT_SCOPE)
endfunction()

function(aisys_add_lab_impl lab_dir impl student_dir hidden_dir)
  get_filename_component(lab_name "${lab_dir}" NAME)
  if(NOT lab_name MATCHES "^([0-9][0-9])-([a-z0-9-]+)$")
    message(FATAL_ERROR "${lab_dir}: a lab folder is named NN-slug")
  endif()
  set(AISYS_LAB_ID "${CMAKE_MATCH_1}")
  set(AISYS_LAB_SLUG "${CMAKE_MATCH_2}")
  set(AISYS_LAB_NAME "${lab_name}")
  set(AISYS_LAB_IMPL "${impl}")
  set(AISYS_LAB_PREFIX "lab${AISYS_LAB_ID}_${impl}")
  set(AISYS_LAB_DIR "${lab_dir}")
  set(AISYS_LAB_STUDENT_DIR "${student_dir}")
  if(hidden_dir AND IS_DIRECTORY "${hidden_dir}")
    set(AISYS_LAB_HIDDEN_TESTS_DIR "${hidden_dir}")
  else()
    set(AISYS_LAB_HIDDEN_TESTS_DIR "")
  endif()
  file(READ "${lab_dir}/lab.json" manifest)
  string(JSON n_files ERROR_VARIABLE err LENGTH "${manifest}" student_files)
  if(err)
    message(FATAL_ERROR "${lab_dir}/lab.json: cannot read 'student_files': ${err}")
  endif()
  set(AISYS_LAB_STUDENT_FILES "")
  math(EXPR last "${n_files} - 1")
  foreach(i RANGE ${last})
    string(JSON f GET "${manifest}" student_files ${i})
    list(APPEND AISYS_LAB_STUDENT_FILES "${f}")
  endforeach()
  set(AISYS_LAB_BUILD_INFO "")
  string(JSON needs ERROR_VARIABLE no_needs GET "${manifest}" needs)
  if(NOT no_needs AND needs MATCHES "mpi" AND NOT AISYS_HAVE_MPI)
    message(STATUS "lab ${lab_name} (${impl}): not built: it needs MPI, which this build lacks")
    return()
  endif()
  add_subdirectory("${lab_dir}" "${CMAKE_BINARY_DIR}/labs/${lab_name}/${impl}")
endfunction()

function(aisys_add_labs_in labs_root)
  file(GLOB lab_dirs LIST_DIRECTORIES true "${labs_root}/[0-9][0-9]-*")
  list(SORT lab_dirs)
  set(AISYS_LABS_FOUND "" PARENT_SCOPE)
  foreach(dir IN LISTS lab_dirs)
    if(NOT EXISTS "${dir}/lab.json" OR NOT EXISTS "${dir}/CMakeLists.txt")
      continue()
    endif()
    get_filename_component(lab_name "${dir}" NAME)
    aisys_add_lab_impl("${dir}" skeleton "${dir}/skeleton" "")
    # The reference is built where it is complete (an autograder tree carries only its hidden
    # tests, a student release none of it).
    set(ref "${CMAKE_SOURCE_DIR}/reference/${lab_name}")
    file(READ "${dir}/lab.json" manifest)
    string(JSON n_files LENGTH "${manifest}" student_files)
    set(complete TRUE)
    math(EXPR last "${n_files} - 1")
    foreach(i RANGE ${last})
      string(JSON f GET "${manifest}" student_files ${i})
      if(NOT EXISTS "${ref}/${f}")
        set(complete FALSE)
      endif()
    endforeach()
    if(IS_DIRECTORY "${ref}" AND complete)
      aisys_add_lab_impl("${dir}" reference "${ref}" "${ref}/hidden_tests")
      # The skeleton's and the reference's tests and benchmarks compile the same lab sources the
      # same way: through ccache, building the skeleton's first makes the reference's cache hits
      # (compiled side by side, both would miss).
      string(SUBSTRING "${lab_name}" 0 2 id)
      if(AISYS_CCACHE_PROGRAM AND CMAKE_CXX_COMPILER_LAUNCHER)
        foreach(kind tests bench)
          if(TARGET lab${id}_reference_${kind} AND TARGET lab${id}_skeleton_${kind})
            add_dependencies(lab${id}_reference_${kind} lab${id}_skeleton_${kind})
          endif()
        endforeach()
      endif()
    endif()
  endforeach()
endfunction()

# One OBJECT library per student file, so each compiles (or fails) on its own.
function(aisys_lab_student_library)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  set(target ${AISYS_LAB_PREFIX}_student)
  add_library(${target} STATIC)
  set(objects_json "")
  set(index 0)
  foreach(f IN LISTS AISYS_LAB_STUDENT_FILES)
    set(path "${AISYS_LAB_STUDENT_DIR}/${f}")
    if(f MATCHES "\\.(cu|cuh)$" AND NOT AISYS_HAVE_CUDA)
      continue()  # CUDA stages are compiled only where nvcc exists
    endif()
    if(f MATCHES "\\.(h|hpp|cuh)$")
      continue()
    endif()
    set(obj ${AISYS_LAB_PREFIX}_file_${index})
    math(EXPR index "${index} + 1")
    add_library(${obj} OBJECT "${path}")
    aisys_apply_isa_flags("${path}")
    # A submission's warnings are shown, never fatal: only errors make the grader fall back to the
    # skeleton's file (aisys::options leaves -Werror out for targets marked AISYS_STUDENT_CODE).
    # The skeleton and the reference keep the project's warning policy.
    if(AISYS_LAB_IMPL STREQUAL "submission")
      set_target_properties(${obj} PROPERTIES AISYS_STUDENT_CODE ON)
    endif()
    target_include_directories(${obj} PRIVATE "${AISYS_LAB_DIR}/include")
    target_link_libraries(${obj} PRIVATE aisys::options aisys::kernels ${ARG_LIBS})
    target_sources(${target} PRIVATE $<TARGET_OBJECTS:${obj}>)
    string(APPEND objects_json "    {\"file\": \"${f}\", \"target\": \"${obj}\", \"objects\": \"$<JOIN:$<TARGET_OBJECTS:${obj}>,;>\"},\n")
  endforeach()
  if(ARG_SOURCES)
    list(TRANSFORM ARG_SOURCES PREPEND "${AISYS_LAB_DIR}/")
    target_sources(${target} PRIVATE ${ARG_SOURCES})
    aisys_apply_isa_flags(${ARG_SOURCES})
  endif()
  target_include_directories(${target} PUBLIC "${AISYS_LAB_DIR}/include")
  target_link_libraries(${target} PUBLIC aisys::options aisys::kernels ${ARG_LIBS})
  set_property(DIRECTORY PROPERTY AISYS_LAB_OBJECTS_JSON "${objects_json}")
endfunction()

function(_aisys_lab_write_build_info)
  get_property(objects_json DIRECTORY PROPERTY AISYS_LAB_OBJECTS_JSON)
  string(REGEX REPLACE ",\n$" "\n" objects_json "${objects_json}")
  file(GENERATE OUTPUT "${CMAKE_CURRENT_BINARY_DIR}/lab_build.json" CONTENT
"{
  \"lab\": \"${AISYS_LAB_ID}\",
  \"impl\": \"${AISYS_LAB_IMPL}\",
  \"student_dir\": \"${AISYS_LAB_STUDENT_DIR}\",
  \"tests_target\": \"${AISYS_LAB_PREFIX}_tests\",
  \"tests_binary\": \"$<TARGET_FILE:${AISYS_LAB_PREFIX}_tests>\",
  \"bench_target\": \"${AISYS_LAB_PREFIX}_bench\",
  \"bench_binary\": \"$<TARGET_FILE:${AISYS_LAB_PREFIX}_bench>\",
  \"simt_tests_target\": \"$<$<TARGET_EXISTS:${AISYS_LAB_PREFIX}_simt_tests>:${AISYS_LAB_PREFIX}_simt_tests>\",
  \"simt_tests_binary\": \"$<$<TARGET_EXISTS:${AISYS_LAB_PREFIX}_simt_tests>:${CMAKE_CURRENT_BINARY_DIR}/bin/${AISYS_LAB_PREFIX}_simt_tests>\",
  \"student_objects\": [
${objects_json}  ]
}
")
endfunction()

function(aisys_lab_tests)
  cmake_parse_arguments(ARG "" "MAIN" "SOURCES;LIBS;MPI_RANKS" ${ARGN})
  if(NOT ARG_MAIN)
    set(ARG_MAIN aisys::test_main)
  endif()
  set(target ${AISYS_LAB_PREFIX}_tests)
  list(TRANSFORM ARG_SOURCES PREPEND "${AISYS_LAB_DIR}/")
  if(AISYS_LAB_HIDDEN_TESTS_DIR)
    file(GLOB hidden CONFIGURE_DEPENDS "${AISYS_LAB_HIDDEN_TESTS_DIR}/*.cpp")
    list(APPEND ARG_SOURCES ${hidden})
  endif()
  add_executable(${target} ${ARG_SOURCES})
  aisys_checking_program(${target})
  target_link_libraries(${target} PRIVATE aisys::options ${ARG_MAIN} ${ARG_LIBS})
  target_include_directories(${target} PRIVATE "${AISYS_LAB_DIR}/tests")
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}/bin")
  if(AISYS_LAB_IMPL STREQUAL "reference" AND ARG_MPI_RANKS)
    # An MPI lab: the whole test binary under mpiexec at each process count (label mpi).
    foreach(np IN LISTS ARG_MPI_RANKS)
      aisys_add_mpi_test(NAME lab${AISYS_LAB_ID}.reference.np${np} NP ${np} COMMAND $<TARGET_FILE:${target}>
                         LABELS "cpu;lab${AISYS_LAB_ID}" TIMEOUT 300)
    endforeach()
  elseif(AISYS_LAB_IMPL STREQUAL "reference")
    # The tests of lab.json's GPU parts are labelled gpu (ci/gpu.sh runs them), the others cpu.
    file(READ "${AISYS_LAB_DIR}/lab.json" manifest)
    string(JSON n_parts LENGTH "${manifest}" parts)
    math(EXPR last_part "${n_parts} - 1")
    set(gpu_filter "")
    foreach(i RANGE ${last_part})
      string(JSON device ERROR_VARIABLE no_device GET "${manifest}" parts ${i} device)
      string(JSON filter ERROR_VARIABLE no_tests GET "${manifest}" parts ${i} tests)
      if(NOT no_device AND device STREQUAL "gpu" AND NOT no_tests)
        string(APPEND gpu_filter "${filter}:")
      endif()
    endforeach()
    if(gpu_filter)
      string(REGEX REPLACE ":$" "" gpu_filter "${gpu_filter}")
      gtest_discover_tests(${target} DISCOVERY_MODE PRE_TEST TEST_PREFIX "lab${AISYS_LAB_ID}.reference."
                           TEST_FILTER "-${gpu_filter}" PROPERTIES LABELS cpu TIMEOUT 300)
      if(AISYS_HAVE_CUDA)
        gtest_discover_tests(${target} DISCOVERY_MODE PRE_TEST TEST_PREFIX "lab${AISYS_LAB_ID}.reference."
                             TEST_FILTER "${gpu_filter}" PROPERTIES LABELS gpu TIMEOUT 900)
      endif()
    else()
      gtest_discover_tests(${target} DISCOVERY_MODE PRE_TEST TEST_PREFIX "lab${AISYS_LAB_ID}.reference."
                           PROPERTIES LABELS cpu TIMEOUT 300)
    endif()
    # gtest_discover_tests takes one value per property: the lab label comes from the directory.
    set_property(DIRECTORY APPEND PROPERTY LABELS lab${AISYS_LAB_ID})
  endif()
  if(TARGET ${AISYS_LAB_PREFIX}_bench)
    _aisys_lab_write_build_info()
  endif()
endfunction()

function(aisys_lab_bench)
  cmake_parse_arguments(ARG "" "MAIN" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_MAIN)
    set(ARG_MAIN aisys::bench_main)
  endif()
  set(target ${AISYS_LAB_PREFIX}_bench)
  list(TRANSFORM ARG_SOURCES PREPEND "${AISYS_LAB_DIR}/")
  # Which build this is lives in one generated source (aisys/harness/lab_identity.hpp), not in
  # compile definitions, so the lab's benchmark sources compile the same way in every build.
  set(identity "${CMAKE_CURRENT_BINARY_DIR}/aisys_lab_identity.cpp")
  file(CONFIGURE OUTPUT "${identity}" CONTENT [==[
// Generated by aisys_lab_bench() (cmake/AisysLab.cmake): which build of the lab this binary is.
#include "aisys/harness/lab_identity.hpp"

namespace aisys::bench {
const char* const kLabImpl = R"aisys(@AISYS_LAB_IMPL@)aisys";
const char* const kLabSourceDir = R"aisys(@AISYS_LAB_DIR@)aisys";
}  // namespace aisys::bench
]==] @ONLY)
  add_executable(${target} ${ARG_SOURCES} "${identity}")
  target_link_libraries(${target} PRIVATE aisys::options ${ARG_MAIN} ${ARG_LIBS})
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}/bin")
  if(TARGET ${AISYS_LAB_PREFIX}_tests)
    _aisys_lab_write_build_info()
  endif()
endfunction()

# The platform as seen by a grading tree: exported targets plus a config that re-finds the
# dependencies with the same options and brings these CMake functions.
function(aisys_export_platform)
  set(dir "${CMAKE_BINARY_DIR}/platform")
  set(targets aisys_options aisys_kernels aisys_comm aisys_cluster aisys_pipeline aisys_harness aisys_test_main aisys_bench_main)
  if(TARGET aisys_mpi_test_main)
    list(APPEND targets aisys_mpi_test_main)
  endif()
  export(TARGETS ${targets} NAMESPACE aisys:: FILE "${dir}/AisysPlatformTargets.cmake")
  configure_file("${PROJECT_SOURCE_DIR}/cmake/AisysPlatformConfig.cmake.in"
                 "${dir}/AisysPlatformConfig.cmake" @ONLY)
endfunction()
