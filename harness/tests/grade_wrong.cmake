# CTest script: grade one known-wrong variant. A variant is reference/NN-slug/wrong/NAME/
# change.patch (a diff against the reference's student files, so it follows the reference as the
# reference changes and fails loudly when it no longer applies) and expected.json. The patched
# files alone form the submission; the files it lacks come from the reference (--base).
# Variables: AISYS, LAB, REF (reference/NN-slug), VARIANT (its wrong/NAME folder), WORK.
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/submission")
# git must treat the patch as a plain patch, not as a change to the repository the build lives in.
set(ENV{GIT_CEILING_DIRECTORIES} "${WORK}")
execute_process(COMMAND git apply --numstat "${VARIANT}/change.patch"
                WORKING_DIRECTORY "${WORK}/submission" RESULT_VARIABLE rc
                OUTPUT_VARIABLE numstat ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${VARIANT}/change.patch is not a readable patch: ${err}")
endif()
string(REPLACE "\n" ";" numstat_lines "${numstat}")
foreach(line IN LISTS numstat_lines)
  if(line STREQUAL "")
    continue()
  endif()
  string(REGEX REPLACE "^[0-9-]+\t[0-9-]+\t" "" path "${line}")
  get_filename_component(dir "${WORK}/submission/${path}" DIRECTORY)
  file(MAKE_DIRECTORY "${dir}")
  file(COPY_FILE "${REF}/${path}" "${WORK}/submission/${path}")
endforeach()
execute_process(COMMAND git apply "${VARIANT}/change.patch" WORKING_DIRECTORY "${WORK}/submission"
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${VARIANT}/change.patch no longer applies to the reference: ${err}")
endif()
# A short per-part timeout (a hanging variant costs little), unless the variant's expected.json
# names its own "timeout_s" (a lab whose passing parts train a model for several seconds).
file(READ "${VARIANT}/expected.json" expected)
string(JSON timeout ERROR_VARIABLE no_timeout GET "${expected}" timeout_s)
if(no_timeout)
  set(timeout 20)
endif()
execute_process(COMMAND "${AISYS}" grade ${LAB} --submission "${WORK}/submission" --base "${REF}"
                        --quick --timeout ${timeout} --expect "${VARIANT}/expected.json"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the grade of ${VARIANT} is not as expected (exit ${rc}):\n${err}")
endif()
