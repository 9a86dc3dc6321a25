# CTest script: `aisys grade LAB --batch DIR --format csv` on a folder of two submissions (the
# skeleton, and the skeleton with one file missing and one extra file) writes a CSV with a header
# and one row per submission. Variables: AISYS, LAB, LAB_DIR, WORK.
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/submissions/alice" "${WORK}/submissions/bob")
file(COPY "${LAB_DIR}/skeleton/" DESTINATION "${WORK}/submissions/alice")
file(COPY "${LAB_DIR}/skeleton/" DESTINATION "${WORK}/submissions/bob")
file(GLOB_RECURSE bob_files "${WORK}/submissions/bob/*")
list(GET bob_files 0 first)
file(REMOVE "${first}")
file(WRITE "${WORK}/submissions/bob/notes.txt" "an extra file the grader ignores\n")
execute_process(COMMAND "${AISYS}" grade ${LAB} --batch "${WORK}/submissions" --format csv
                        --out "${WORK}/grades.csv" --timeout 60
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "aisys grade --batch exited ${rc}:\n${out}\n${err}")
endif()
file(STRINGS "${WORK}/grades.csv" lines)
list(LENGTH lines n)
if(NOT n EQUAL 3)
  message(FATAL_ERROR "expected a header and 2 rows in grades.csv, got ${n} lines:\n${lines}")
endif()
list(GET lines 0 header)
list(GET lines 1 alice)
list(GET lines 2 bob)
if(NOT header MATCHES "^submission,lab,version,include_hash,score,max_score" OR
   NOT alice MATCHES "^alice,${LAB},.*,0,[0-9]+," OR NOT bob MATCHES "^bob,${LAB},")
  message(FATAL_ERROR "unexpected CSV:\n${header}\n${alice}\n${bob}")
endif()
if(NOT err MATCHES "warning: missing student file" OR NOT err MATCHES "warning: ignored extra file notes.txt")
  message(FATAL_ERROR "the batch did not warn about bob's missing and extra files:\n${err}")
endif()
message(STATUS "batch CSV ok: ${n} lines")
