# CTest check of cmake/FindCUDNN.cmake and cmake/FindNCCL.cmake (cmake -P, no GPU, no toolkit
# needed): a root laid out as Python's nvidia wheels lay them out (include/cudnn_version.h and
# include/nccl.h with version defines, only the versioned lib/libcudnn.so.9 and lib/libnccl.so.2)
# must be found through CUDNN_ROOT / NCCL_ROOT ahead of any toolkit copy, with its version and an
# imported target; an empty root must not be taken for cuDNN or NCCL.
#
#   cmake -DAISYS_CMAKE_DIR=<src>/cmake -DWORK_DIR=<scratch> -P cmake/tests/test_find_modules.cmake
if(NOT AISYS_CMAKE_DIR OR NOT WORK_DIR)
  message(FATAL_ERROR "usage: cmake -DAISYS_CMAKE_DIR=... -DWORK_DIR=... -P test_find_modules.cmake")
endif()
set(_project "${CMAKE_CURRENT_LIST_DIR}/find_modules")
file(REMOVE_RECURSE "${WORK_DIR}")

# A wheel-like root for each library.
set(_cudnn "${WORK_DIR}/site-packages/nvidia/cudnn")
set(_nccl "${WORK_DIR}/site-packages/nvidia/nccl")
file(WRITE "${_cudnn}/include/cudnn.h" "#include \"cudnn_version.h\"\n")
file(WRITE "${_cudnn}/include/cudnn_version.h" "#define CUDNN_MAJOR 9\n#define CUDNN_MINOR 7\n#define CUDNN_PATCHLEVEL 3\n")
file(WRITE "${_cudnn}/lib/libcudnn.so.9" "")
file(WRITE "${_nccl}/include/nccl.h" "#define NCCL_MAJOR 2\n#define NCCL_MINOR 21\n#define NCCL_PATCH 5\n")
file(WRITE "${_nccl}/lib/libnccl.so.2" "")

function(configure_with root_cudnn root_nccl tag out_var)
  set(build "${WORK_DIR}/build-${tag}")
  set(result "${WORK_DIR}/result-${tag}.txt")
  # The toolkit's own folders stay among the hints: the given root must win over them.
  execute_process(COMMAND "${CMAKE_COMMAND}" -S "${_project}" -B "${build}" "-DAISYS_CMAKE_DIR=${AISYS_CMAKE_DIR}"
                          "-DRESULT_FILE=${result}" "-DCUDNN_ROOT=${root_cudnn}" "-DNCCL_ROOT=${root_nccl}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${tag}: configuring the check project failed (${rc}):\n${out}\n${err}")
  endif()
  file(STRINGS "${result}" lines)
  set(${out_var} "${lines}" PARENT_SCOPE)
endfunction()

function(expect lines name want tag)
  foreach(l IN LISTS lines)
    if(l MATCHES "^${name}=(.*)$")
      if(NOT CMAKE_MATCH_1 STREQUAL want)
        message(FATAL_ERROR "${tag}: ${name} is '${CMAKE_MATCH_1}', expected '${want}'")
      endif()
      message(STATUS "${tag}: ${name}=${want}")
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "${tag}: ${name} not reported (expected '${want}'); got: ${lines}")
endfunction()

configure_with("${_cudnn}" "${_nccl}" wheel found)
expect("${found}" CUDNN_FOUND TRUE wheel)
expect("${found}" CUDNN_VERSION 9.7.3 wheel)
expect("${found}" CUDNN_LIBRARY "${_cudnn}/lib/libcudnn.so.9" wheel)
expect("${found}" CUDNN_INCLUDE_DIR "${_cudnn}/include" wheel)
expect("${found}" CUDNN::cudnn target wheel)
expect("${found}" NCCL_FOUND TRUE wheel)
expect("${found}" NCCL_VERSION 2.21.5 wheel)
expect("${found}" NCCL_LIBRARY "${_nccl}/lib/libnccl.so.2" wheel)
expect("${found}" NCCL::nccl target wheel)

# An empty root: whatever is found must not come from it (the toolkit's copy, or nothing).
file(MAKE_DIRECTORY "${WORK_DIR}/empty")
configure_with("${WORK_DIR}/empty" "${WORK_DIR}/empty" empty found)
foreach(l IN LISTS found)
  if(l MATCHES "^(CUDNN|NCCL)_(LIBRARY|INCLUDE_DIR)=${WORK_DIR}")
    message(FATAL_ERROR "empty root: ${l} points into the test's scratch folder")
  endif()
endforeach()
message(STATUS "FindCUDNN and FindNCCL: wheel layouts found through their roots")
