#!/usr/bin/env bash
# Lab 05 on the NCCL backend (sourced by ci/gpu.sh with AISYS_BUILD, AISYS_OUT, AISYS_SOURCE and
# AISYS_QUICK, AISYS_TIME_LEFT), where the build has MPI (it builds lab 05 only then):
#   1. the reference algorithms' NCCL test suites (*OnNccl*) at one rank, and at one rank per GPU
#      when there are two or more GPUs (gpu.sh's test step runs label gpu; these are MPI tests);
#   2. with two or more GPUs, the benchmark: each algorithm on device buffers against
#      ncclAllReduce, results in $AISYS_OUT/results-05-nccl.json (NCCL refuses two ranks on one GPU).
# Without MPI or GPUs it says why and passes.
lib="$AISYS_BUILD/labs/05-allreduce/reference/bin"
if [[ ! -x "$lib/lab05_reference_tests" ]]; then
  echo "lab 05 NCCL: skipped: no $lib/lab05_reference_tests (a build without MPI does not build lab 05)"
  exit 0
fi
if ! command -v mpiexec >/dev/null 2>&1; then
  echo "lab 05 NCCL: skipped: lab 05 is built but mpiexec is not on PATH"
  exit 1
fi
if [[ -n "${CUDA_VISIBLE_DEVICES+set}" ]]; then  # the GPUs this process may use, not all of the machine's
  IFS=',' read -r -a visible <<<"$CUDA_VISIBLE_DEVICES"
  gpus=${#visible[@]}
else
  gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ')
fi
np=$((gpus < 8 ? gpus : 8))
mpi=(mpiexec --bind-to none)
[[ $(id -u) -eq 0 ]] && mpi+=(--allow-run-as-root)
# Each run may take what is left of gpu.sh's --deadline-s (AISYS_TIME_LEFT), at most 10 minutes.
limit() {
  local left=$((${AISYS_TIME_LEFT:-600} - (SECONDS - hook_start) - 10))
  echo $((left < 600 ? (left > 1 ? left : 1) : 600))
}
hook_start=$SECONDS
status=0
for n in 1 $([[ $np -ge 2 ]] && echo "$np"); do
  echo "lab 05 NCCL: tests at $n rank(s)"
  timeout --kill-after=20 "$(limit)" "${mpi[@]}" -n "$n" "$lib/lab05_reference_tests" --gtest_filter='*OnNccl*' \
    --gtest_output="xml:$AISYS_OUT/lab05-nccl-tests-np$n.xml" || status=1
done
if [[ $np -lt 2 ]]; then
  echo "lab 05 NCCL: benchmark skipped: $gpus GPU(s) here, it needs two or more (one rank per GPU)"
  exit $status
fi
flags=(--aisys_backend=nccl --aisys_out="$AISYS_OUT/results-05-nccl.json"
       --aisys_command="mpiexec -n $np lab05_reference_bench --aisys_backend=nccl")
[[ "${AISYS_QUICK:-0}" == 1 ]] && flags+=(--aisys_quick)
echo "lab 05 NCCL: ${mpi[*]} -n $np $lib/lab05_reference_bench ${flags[*]}"
timeout --kill-after=20 "$(limit)" "${mpi[@]}" -n "$np" "$lib/lab05_reference_bench" "${flags[@]}" || status=1
exit $status
