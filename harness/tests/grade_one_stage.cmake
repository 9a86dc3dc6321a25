# CTest script: the student's first step. A submission holding only one finished stage (the
# reference's naive file) grades that part passing and every other part as before, and the
# grader warns about the missing files. Variables: AISYS, LAB, SOURCE_FILE (the finished stage),
# REL (its path in the submission), EXPECT, WORK.
file(REMOVE_RECURSE "${WORK}")
get_filename_component(dir "${WORK}/submission/${REL}" DIRECTORY)
file(MAKE_DIRECTORY "${dir}")
file(COPY_FILE "${SOURCE_FILE}" "${WORK}/submission/${REL}")
execute_process(COMMAND "${AISYS}" grade ${LAB} --submission "${WORK}/submission" --timeout 60
                        --expect "${EXPECT}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the grade did not meet ${EXPECT} (exit ${rc}):\n${err}")
endif()
if(NOT out MATCHES "warning: missing student file")
  message(FATAL_ERROR "no warning about the missing student files")
endif()
