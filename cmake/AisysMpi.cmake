# MPI launching for CTest (and the settings the grader uses too, see harness/grader/process.cpp):
#   aisys_add_mpi_test(NAME n NP ranks COMMAND binary args... [LABELS ...] [TIMEOUT s])
# runs `mpiexec -n ranks binary args` with what Open MPI needs on these machines: oversubscription
# (more ranks than cores), running as root where CI does, and no cross-memory-attach single copy
# (not permitted in most containers), no wait before the ranks of a failed job are killed (by
# default a rank that exits non-zero costs the job 1-2 s of waiting), one BLAS/OpenMP thread per
# rank. PROCESSORS tells CTest how many cores the test occupies.
include_guard(GLOBAL)

set(AISYS_MPI_ENVIRONMENT
    "OMPI_MCA_rmaps_base_oversubscribe=1"
    "OMPI_ALLOW_RUN_AS_ROOT=1"
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
    "OMPI_MCA_btl_vader_single_copy_mechanism=none"
    "OMPI_MCA_btl=self,vader,tcp"
    "OMPI_MCA_odls_base_sigkill_timeout=0"
    "OPENBLAS_NUM_THREADS=1"
    "OMP_NUM_THREADS=1")

function(aisys_add_mpi_test)
  cmake_parse_arguments(ARG "" "NAME;NP;TIMEOUT" "COMMAND;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  list(POP_FRONT ARG_COMMAND binary)
  add_test(NAME ${ARG_NAME}
           COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${ARG_NP} ${MPIEXEC_PREFLAGS}
                   ${binary} ${MPIEXEC_POSTFLAGS} ${ARG_COMMAND})
  set(procs ${ARG_NP})
  if(procs GREATER 2)
    set(procs 2)  # oversubscribed: the ranks share the machine's cores
  endif()
  set_tests_properties(${ARG_NAME} PROPERTIES ENVIRONMENT "${AISYS_MPI_ENVIRONMENT}"
                       PROCESSORS ${procs} TIMEOUT ${ARG_TIMEOUT} LABELS "mpi;${ARG_LABELS}")
endfunction()
