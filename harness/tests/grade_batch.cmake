# CTest script: `aisys grade LAB --batch DIR --format csv` on a folder of three submissions writes a
# CSV with a header and one row per submission, each with its own score:
#   alice: the skeleton (scores 0);
#   bob:   the skeleton with the reference's first student file (scores that part's points, so rows
#          swapped or reused would show), one other file missing and one extra file (warned about);
#   carol: the skeleton with that same file replaced by a symbolic link to the reference's file
#          (the link is not followed: graded as missing, scores 0, warned about).
# Variables: AISYS, LAB, LAB_DIR, REL (the first student file), SOURCE_FILE (the reference's
# version of it), POINTS (the points it earns alone), WORK.
file(REMOVE_RECURSE "${WORK}")
foreach(who alice bob carol)
  file(MAKE_DIRECTORY "${WORK}/submissions/${who}")
  file(COPY "${LAB_DIR}/skeleton/" DESTINATION "${WORK}/submissions/${who}")
endforeach()
configure_file("${SOURCE_FILE}" "${WORK}/submissions/bob/${REL}" COPYONLY)
file(GLOB_RECURSE bob_files LIST_DIRECTORIES false "${WORK}/submissions/bob/*")
list(SORT bob_files)
list(REVERSE bob_files)
foreach(f IN LISTS bob_files)
  if(NOT f STREQUAL "${WORK}/submissions/bob/${REL}")
    file(REMOVE "${f}")
    break()
  endif()
endforeach()
file(WRITE "${WORK}/submissions/bob/notes.txt" "an extra file the grader ignores\n")
file(REMOVE "${WORK}/submissions/carol/${REL}")
file(CREATE_LINK "${SOURCE_FILE}" "${WORK}/submissions/carol/${REL}" SYMBOLIC)

execute_process(COMMAND "${AISYS}" grade ${LAB} --batch "${WORK}/submissions" --format csv
                        --out "${WORK}/grades.csv" --timeout 60
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "aisys grade --batch exited ${rc}:\n${out}\n${err}")
endif()
file(STRINGS "${WORK}/grades.csv" lines)
list(LENGTH lines n)
if(NOT n EQUAL 4)
  message(FATAL_ERROR "expected a header and 3 rows in grades.csv, got ${n} lines:\n${lines}")
endif()
list(GET lines 0 header)
list(GET lines 1 alice)
list(GET lines 2 bob)
list(GET lines 3 carol)
# submission,lab,version,include_hash,score,...
if(NOT header MATCHES "^submission,lab,version,include_hash,score,max_score" OR
   NOT alice MATCHES "^alice,${LAB},[^,]*,[^,]*,0," OR
   NOT bob MATCHES "^bob,${LAB},[^,]*,[^,]*,${POINTS}," OR
   NOT carol MATCHES "^carol,${LAB},[^,]*,[^,]*,0,")
  message(FATAL_ERROR "unexpected CSV (alice and carol should score 0, bob ${POINTS}):\n${header}\n${alice}\n${bob}\n${carol}")
endif()
if(NOT err MATCHES "warning: missing student file" OR NOT err MATCHES "warning: ignored extra file notes.txt")
  message(FATAL_ERROR "the batch did not warn about bob's missing and extra files:\n${err}")
endif()
if(NOT err MATCHES "warning: ignored symbolic link ${REL}")
  message(FATAL_ERROR "the batch did not warn about carol's symbolic link:\n${err}")
endif()
message(STATUS "batch CSV ok: ${n} lines")
