# CTest script: runs an MPI job that fails on purpose and passes when the job ends with a non-zero
# status, within MAX_SECONDS (no hang), with output (stdout and stderr together) matching every
# regular expression of EXPECT.
# Variables: COMMAND (the job: mpiexec and its arguments, a ;-list), EXPECT (a ;-list), MAX_SECONDS.
string(TIMESTAMP start "%s")
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out
                TIMEOUT ${MAX_SECONDS})
string(TIMESTAMP end "%s")
math(EXPR elapsed "${end} - ${start}")
if(rc MATCHES "timeout")
  message(FATAL_ERROR "the job did not end within ${MAX_SECONDS} s (a hang):\n${out}")
endif()
if(rc EQUAL 0)
  message(FATAL_ERROR "the job failed on purpose but exited 0:\n${out}")
endif()
foreach(re IN LISTS EXPECT)
  if(NOT out MATCHES "${re}")
    message(FATAL_ERROR "the job's output does not match '${re}':\n${out}")
  endif()
endforeach()
message(STATUS "the job ended with status ${rc} after ${elapsed} s, saying what was expected")
