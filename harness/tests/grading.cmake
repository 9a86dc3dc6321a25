# The grader tested end to end (DESIGN.md: "the grader is tested, not trusted"), for every lab:
#   labNN.grade.skeleton     the untouched skeleton grades to 0, every part "not implemented"
#   labNN.grade.reference    the reference earns every correctness point this machine can grade;
#                            performance parts run and record a ratio and spread (not asserted)
#   labNN.grade.wrong.NAME   each known-wrong variant gets exactly its expected.json score
#   labNN.grade.one-stage    a submission with only the first stage written passes that part
#   lab01.grade.batch        a folder of submissions grades into one CSV row each (once: the
#                            batch code is the same for every lab)
#   labNN.reference.ptx_checks  the reference's CUDA code checked at the PTX level (ptx_check.cmake)
# and once: aisys.check (the lab contract), aisys.grading_tree (where a grading tree lives and what
# it holds), aisys.handout (a student release that configures, builds and grades to 0 on its own),
# aisys.report (a report from a short benchmark run), and
# bad-input checks of the CLI.
set(_aisys "$<TARGET_FILE:aisys>")
set(_tests_dir "${CMAKE_CURRENT_SOURCE_DIR}")
file(GLOB _labs LIST_DIRECTORIES true "${PROJECT_SOURCE_DIR}/labs/[0-9][0-9]-*")
foreach(lab_dir IN LISTS _labs)
  if(NOT EXISTS "${lab_dir}/lab.json")
    continue()
  endif()
  get_filename_component(lab "${lab_dir}" NAME)
  string(SUBSTRING "${lab}" 0 2 id)
  # A lab that needs MPI is graded only where MPI was found (it is not built otherwise).
  file(READ "${lab_dir}/lab.json" _manifest)
  string(JSON _needs ERROR_VARIABLE _no_needs GET "${_manifest}" needs)
  if(NOT _no_needs AND _needs MATCHES "mpi" AND NOT AISYS_HAVE_MPI)
    continue()
  endif()
  set(ref "${PROJECT_SOURCE_DIR}/reference/${lab}")
  set(labels "cpu;grading;lab${id}")
  # A lab with GPU parts: its gradings also carry device_grading, which ci/gpu.sh's grade step runs
  # (with a GPU they are checked against the "gpu" expectation sets).
  # A lab that runs its tests on more than 4 MPI ranks (lab 05: up to 8) is graded with both cores
  # to itself: two such gradings side by side put 16 busy ranks on 2 cores and their per-part
  # timeouts fire. Up to 4 ranks (lab 06) shares the machine like any other grading.
  set(_procs 1)
  set(_gpu_parts FALSE)
  string(JSON _n_parts LENGTH "${_manifest}" parts)
  math(EXPR _last_part "${_n_parts} - 1")
  foreach(_i RANGE ${_last_part})
    string(JSON _device ERROR_VARIABLE _no_device GET "${_manifest}" parts ${_i} device)
    if(NOT _no_device AND _device STREQUAL "gpu")
      set(_gpu_parts TRUE)
    endif()
    string(JSON _n_ranks ERROR_VARIABLE _no_ranks LENGTH "${_manifest}" parts ${_i} ranks)
    if(_no_ranks OR _n_ranks EQUAL 0)
      continue()
    endif()
    math(EXPR _last_rank "${_n_ranks} - 1")
    foreach(_k RANGE ${_last_rank})
      string(JSON _np GET "${_manifest}" parts ${_i} ranks ${_k})
      if(_np GREATER 4)
        set(_procs 2)
      endif()
    endforeach()
  endforeach()
  if(_gpu_parts)
    list(APPEND labels device_grading)
  endif()
  if(EXISTS "${ref}/expected/skeleton.json")
    add_test(NAME lab${id}.grade.skeleton
             COMMAND ${_aisys} grade ${id} --timeout 60 --expect "${ref}/expected/skeleton.json")
  else()
    # A student release: no expectations folder; the skeleton must still grade to 0 and exit 0.
    add_test(NAME lab${id}.grade.skeleton COMMAND ${_aisys} grade ${id} --timeout 60)
    set_tests_properties(lab${id}.grade.skeleton PROPERTIES PASS_REGULAR_EXPRESSION "total 0 / ")
  endif()
  set_tests_properties(lab${id}.grade.skeleton PROPERTIES LABELS "${labels}" TIMEOUT 900 PROCESSORS ${_procs})
  if(EXISTS "${ref}/expected/reference.json")
    add_test(NAME lab${id}.grade.reference
             COMMAND ${_aisys} grade ${id} --submission "${ref}" --quick --timeout 120
                     --format junit --out "${CMAKE_CURRENT_BINARY_DIR}/grade-lab${id}-reference.xml"
                     --expect "${ref}/expected/reference.json")
    set_tests_properties(lab${id}.grade.reference PROPERTIES LABELS "${labels}" TIMEOUT 900 PROCESSORS ${_procs})
  endif()
  # Order within a lab (DEPENDS orders, it never skips): the skeleton first, whose grading tree
  # compiles the lab's tests and benchmarks into the compiler cache, then the reference, whose
  # files most variants reuse, then the rest. Other labs' gradings run beside them.
  set(_after_reference "lab${id}.grade.skeleton;lab${id}.grade.reference")
  if(TEST lab${id}.grade.reference)
    set_tests_properties(lab${id}.grade.reference PROPERTIES DEPENDS lab${id}.grade.skeleton)
  endif()
  if(EXISTS "${ref}/expected/one-stage.json")
    file(READ "${lab_dir}/lab.json" manifest)
    string(JSON first_file GET "${manifest}" student_files 0)
    add_test(NAME lab${id}.grade.one-stage
             COMMAND ${CMAKE_COMMAND} -DAISYS=${_aisys} -DLAB=${id} -DSOURCE_FILE=${ref}/${first_file}
                     -DREL=${first_file} -DEXPECT=${ref}/expected/one-stage.json
                     -DWORK=${CMAKE_CURRENT_BINARY_DIR}/one-stage-lab${id} -P "${_tests_dir}/grade_one_stage.cmake")
    set_tests_properties(lab${id}.grade.one-stage PROPERTIES LABELS "${labels}" TIMEOUT 900 PROCESSORS ${_procs} DEPENDS "${_after_reference}")
  endif()
  file(GLOB variants LIST_DIRECTORIES true "${ref}/wrong/*")
  foreach(variant IN LISTS variants)
    if(NOT EXISTS "${variant}/expected.json" OR NOT EXISTS "${variant}/change.patch")
      continue()
    endif()
    get_filename_component(name "${variant}" NAME)
    # A variant that calls a library (the allow-list's case) means nothing where it is not built:
    # "needs": "openblas" or "onednn" (its calls compile and link only with that library), "cuda"
    # (its file is compiled only where nvcc is).
    file(READ "${variant}/expected.json" _expected)
    string(JSON _variant_needs ERROR_VARIABLE _no_variant_needs GET "${_expected}" needs)
    if(NOT _no_variant_needs AND ((_variant_needs STREQUAL "openblas" AND NOT TARGET OpenBLAS::OpenBLAS) OR
                                  (_variant_needs STREQUAL "onednn" AND NOT AISYS_HAVE_ONEDNN) OR
                                  (_variant_needs STREQUAL "cuda" AND NOT AISYS_HAVE_CUDA)))
      continue()
    endif()
    add_test(NAME lab${id}.grade.wrong.${name}
             COMMAND ${CMAKE_COMMAND} -DAISYS=${_aisys} -DLAB=${id} -DREF=${ref} -DVARIANT=${variant}
                     -DWORK=${CMAKE_CURRENT_BINARY_DIR}/wrong-lab${id}-${name} -P "${_tests_dir}/grade_wrong.cmake")
    set_tests_properties(lab${id}.grade.wrong.${name} PROPERTIES LABELS "${labels}" TIMEOUT 900 PROCESSORS ${_procs} DEPENDS "${_after_reference}")
  endforeach()
  if(AISYS_HAVE_CUDA AND EXISTS "${ref}/expected/ptx_checks.json")
    get_filename_component(cuda_bin "${CMAKE_CUDA_COMPILER}" DIRECTORY)
    add_test(NAME lab${id}.reference.ptx_checks
             COMMAND ${CMAKE_COMMAND} -DNVCC=${CMAKE_CUDA_COMPILER} -DPTXAS=${cuda_bin}/ptxas -DREF=${ref}
                     -DLAB_INCLUDE=${lab_dir}/include -DPLATFORM_INCLUDE=${PROJECT_SOURCE_DIR}/kernels/include
                     -DWORK=${CMAKE_CURRENT_BINARY_DIR}/ptx-lab${id} -P "${_tests_dir}/ptx_check.cmake")
    set_tests_properties(lab${id}.reference.ptx_checks PROPERTIES LABELS "cpu;lab${id};ptx" TIMEOUT 600)
  endif()
  # Batch grading is lab-independent (the same code for every lab): tested once, on lab 01, which
  # every build has, so CI does not rebuild three submissions of every lab for it. It grades one
  # reference file, so a student release (no reference/) has no such test.
  if(id STREQUAL "01" AND EXISTS "${ref}/expected/one-stage.json")
    file(READ "${lab_dir}/lab.json" manifest)
    string(JSON first_file GET "${manifest}" student_files 0)
    file(READ "${ref}/expected/one-stage.json" one_stage)
    string(JSON first_points GET "${one_stage}" no_gpu cpu-naive points)
    add_test(NAME lab${id}.grade.batch
             COMMAND ${CMAKE_COMMAND} -DAISYS=${_aisys} -DLAB=${id} -DLAB_DIR=${lab_dir} -DREL=${first_file}
                     -DSOURCE_FILE=${ref}/${first_file} -DPOINTS=${first_points}
                     -DWORK=${CMAKE_CURRENT_BINARY_DIR}/batch-lab${id} -P "${_tests_dir}/grade_batch.cmake")
    set_tests_properties(lab${id}.grade.batch PROPERTIES LABELS "${labels}" TIMEOUT 900 DEPENDS "${_after_reference}")
  endif()
endforeach()

add_test(NAME aisys.check COMMAND ${_aisys} check)
set_tests_properties(aisys.check PROPERTIES LABELS "cpu;grading")

# doctor names every dependency on its own line; in a CUDA build cuBLAS must open (it is opened
# at run time, not linked: a loader that cannot find it would show only here and on a GPU), and
# the line after it says whether compute-sanitizer is there.
if(AISYS_HAVE_CUDA)
  set(_doctor_cublas ".*\n  cuBLAS +ok +opens from [^\n]*libcublas[^\n]*\n  compute-sanitizer +(ok|MISSING) ")
else()
  set(_doctor_cublas "")
endif()
add_test(NAME aisys.doctor COMMAND ${_aisys} doctor)
set_tests_properties(aisys.doctor PROPERTIES LABELS "cpu;grading" PASS_REGULAR_EXPRESSION
  "aisys doctor .*\n  C\\+\\+ compiler +ok.*\n  CMake +ok.*\n  CPU +ok.*\n  CUDA toolkit .*\n  GPU ${_doctor_cublas}.*\n  OpenBLAS .*\n  Fashion-MNIST ")

add_test(NAME aisys.unknown_lab COMMAND ${_aisys} grade 99)
set_tests_properties(aisys.unknown_lab PROPERTIES LABELS "cpu;grading"
                     PASS_REGULAR_EXPRESSION "unknown lab '99' \\(labs here: ")
add_test(NAME aisys.missing_submission COMMAND ${_aisys} grade 01 --submission /nonexistent/folder)
set_tests_properties(aisys.missing_submission PROPERTIES LABELS "cpu;grading"
                     PASS_REGULAR_EXPRESSION "submission folder /nonexistent/folder does not exist")
# `aisys test --part P --case Suite.Name` (the rerun line a failure prints) runs exactly that test;
# a case that names no test is an error, not a silent pass of zero tests.
add_test(NAME aisys.test_one_case
         COMMAND ${_aisys} test 01 --part cpu-naive --case CpuGemmNaive.AlphaBeta --impl reference)
set_tests_properties(aisys.test_one_case PROPERTIES LABELS "cpu;grading" PASS_REGULAR_EXPRESSION "cpu-naive: passed"
                     FAIL_REGULAR_EXPRESSION "Running ([02-9]|[1-9][0-9]+) tests?"
                     RESOURCE_LOCK aisys_main_build_tree)  # `aisys test` runs `cmake --build` on this tree
add_test(NAME aisys.test_case_names_nothing
         COMMAND ${_aisys} test 01 --part cpu-naive --case No.SuchTest --impl reference)
set_tests_properties(aisys.test_case_names_nothing PROPERTIES LABELS "cpu;grading"
                     PASS_REGULAR_EXPRESSION "--case No.SuchTest names no test" RESOURCE_LOCK aisys_main_build_tree)
# Without a GPU, `aisys test` runs a GPU part's tests under the SIMT emulator where the lab builds
# them for it (lab 01): the reference's stage passes, the skeleton's is not implemented yet.
if(TARGET aisys_simt)
  add_test(NAME aisys.test_gpu_part_under_the_simt_emulator
           COMMAND ${_aisys} test 01 --part cuda-smem-tiling --impl reference)
  add_test(NAME aisys.test_gpu_part_of_the_skeleton_under_the_simt_emulator
           COMMAND ${_aisys} test 01 --part cuda-naive)
  set_tests_properties(aisys.test_gpu_part_under_the_simt_emulator PROPERTIES
                       PASS_REGULAR_EXPRESSION "no GPU here: under the SIMT emulator.*cuda-smem-tiling: passed \\(SIMT emulator\\)")
  set_tests_properties(aisys.test_gpu_part_of_the_skeleton_under_the_simt_emulator PROPERTIES
                       PASS_REGULAR_EXPRESSION "cuda-naive: not implemented yet \\(SIMT emulator\\)")
  set_tests_properties(aisys.test_gpu_part_under_the_simt_emulator
                       aisys.test_gpu_part_of_the_skeleton_under_the_simt_emulator PROPERTIES
                       LABELS "cpu;grading;simt" ENVIRONMENT "CUDA_VISIBLE_DEVICES="
                       RESOURCE_LOCK aisys_main_build_tree)
endif()
add_test(NAME aisys.bad_results_file
         COMMAND ${_aisys} report --results "${PROJECT_SOURCE_DIR}/reports/tests/fixtures/broken-not-json.json"
                 --out "${CMAKE_CURRENT_BINARY_DIR}/broken-report")
set_tests_properties(aisys.bad_results_file PROPERTIES LABELS "cpu;grading;reports"
                     PASS_REGULAR_EXPRESSION "broken-not-json.json: not valid JSON")

if(IS_DIRECTORY "${PROJECT_SOURCE_DIR}/labs/08-cluster-sched")
  add_test(NAME aisys.grading_tree
           COMMAND ${CMAKE_COMMAND} -DAISYS=${_aisys} -DBUILD=${CMAKE_BINARY_DIR}
                   -DLAB_DIR=${PROJECT_SOURCE_DIR}/labs/08-cluster-sched -P "${_tests_dir}/grading_tree_test.cmake")
  set_tests_properties(aisys.grading_tree PROPERTIES LABELS "cpu;grading" TIMEOUT 600)
endif()

# The report of lab 01's CPU cases, whose baseline is OpenBLAS (a build without it has no case to
# measure: `aisys bench` says so).
if(TARGET OpenBLAS::OpenBLAS)
  add_test(NAME aisys.report
           COMMAND ${CMAKE_COMMAND} -DAISYS=${_aisys} -DWORK=${CMAKE_CURRENT_BINARY_DIR}/report-test
                   -P "${_tests_dir}/report_smoke.cmake")
  # Label mpi too: listing the MPI labs' cases starts their programs, and so Open MPI.
  set_tests_properties(aisys.report PROPERTIES LABELS "cpu;reports;mpi" TIMEOUT 900
                       RESOURCE_LOCK aisys_main_build_tree)  # runs `cmake --build` on this tree
endif()

# With ccache, the release is configured like this build (CUDA, -Werror, architectures) and shares
# its cache: the release's files are this tree's files at the same relative paths, so its build is
# cache hits and checks what it must (that the release configures and builds on its own) in seconds.
# Without ccache it builds without CUDA (the main build already compiles every .cu file).
if(AISYS_CCACHE_PROGRAM)
  set(_handout_options "-DAISYS_CUDA=${AISYS_CUDA}" "-DAISYS_WERROR=${AISYS_WERROR}"
      "-DAISYS_CUDA_ARCHITECTURES=${AISYS_CUDA_ARCHITECTURES}" "-DAISYS_CCACHE_DIR=${AISYS_CCACHE_DIR}")
else()
  set(_handout_options "-DAISYS_CUDA=OFF")
endif()
string(REPLACE ";" "|" _handout_options "${_handout_options}")
add_test(NAME aisys.handout
         COMMAND ${CMAKE_COMMAND} -DAISYS=${_aisys} -DWORK=${CMAKE_CURRENT_BINARY_DIR}/handout-test
                 -DGENERATOR=${CMAKE_GENERATOR} -DSOURCE=${PROJECT_SOURCE_DIR}
                 "-DOPTIONS=${_handout_options}" -P "${_tests_dir}/handout_test.cmake")
set_tests_properties(aisys.handout PROPERTIES LABELS "cpu;handout" TIMEOUT 1800)
