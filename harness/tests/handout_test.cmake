# CTest script: `aisys handout` cuts a student release that has no reference/, no hidden tests and
# no .git but every other tracked file (and no file git ignores), and that configures, builds and
# grades (to 0) on its own.
# Variables: AISYS, WORK, GENERATOR, SOURCE (the project's source folder), OPTIONS.
file(REMOVE_RECURSE "${WORK}")
execute_process(COMMAND "${AISYS}" handout --out "${WORK}/release" RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "aisys handout exited ${rc}:\n${out}\n${err}")
endif()
foreach(forbidden reference .git)
  if(EXISTS "${WORK}/release/${forbidden}")
    message(FATAL_ERROR "the handout contains ${forbidden}")
  endif()
endforeach()
# Everything else is there: every file git tracks outside reference/.
execute_process(COMMAND git -C "${SOURCE}" ls-files RESULT_VARIABLE rc OUTPUT_VARIABLE tracked)
if(rc EQUAL 0)
  string(REPLACE "\n" ";" tracked "${tracked}")
  foreach(f IN LISTS tracked)
    if(f AND NOT f MATCHES "^reference/" AND NOT f MATCHES "/hidden_tests/" AND NOT EXISTS "${WORK}/release/${f}")
      message(FATAL_ERROR "the handout lacks ${f}")
    endif()
  endforeach()
endif()
# And nothing else: no file git ignores or does not know (a .deps/ prefix, COMMIT, scratch files).
execute_process(COMMAND git -C "${SOURCE}" ls-files --cached --others --exclude-standard
                RESULT_VARIABLE rc OUTPUT_VARIABLE known)
if(rc EQUAL 0)
  string(REPLACE "\n" ";" known "${known}")
  file(GLOB_RECURSE shipped RELATIVE "${WORK}/release" "${WORK}/release/*")
  foreach(f IN LISTS shipped)
    if(NOT f STREQUAL "HANDOUT")
      list(FIND known "${f}" at)
      if(at EQUAL -1)
        message(FATAL_ERROR "the handout ships ${f}, which git ignores or does not know")
      endif()
    endif()
  endforeach()
endif()
file(GLOB_RECURSE everything LIST_DIRECTORIES true "${WORK}/release/*")
set(hidden ${everything})
list(FILTER hidden INCLUDE REGEX "/hidden_tests(/|$)")
if(hidden)
  message(FATAL_ERROR "the handout contains hidden tests: ${hidden}")
endif()
# OPTIONS: configure options separated by | (grading.cmake: the main build's, sharing its ccache,
# or CUDA off without ccache).
string(REPLACE "|" ";" options "${OPTIONS}")
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${WORK}/release" -B "${WORK}/release/build/default"
                        -G "${GENERATOR}" -DCMAKE_BUILD_TYPE=Release ${options}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the handout does not configure:\n${out}\n${err}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${WORK}/release/build/default"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the handout does not build:\n${out}\n${err}")
endif()
execute_process(COMMAND "${WORK}/release/build/default/aisys" check RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the handout breaks the lab contract:\n${out}")
endif()
execute_process(COMMAND "${WORK}/release/build/default/aisys" grade 01 --timeout 60
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "total 0 / [0-9]+")
  message(FATAL_ERROR "the handout's skeleton does not grade to 0 (exit ${rc}):\n${out}\n${err}")
endif()
message(STATUS "handout ok: configures, builds, grades to 0")
file(REMOVE_RECURSE "${WORK}")
