#!/usr/bin/env bash
# Lab 05 on the NCCL backend (sourced by ci/gpu.sh with AISYS_BUILD, AISYS_OUT, AISYS_SOURCE and
# AISYS_QUICK): the reference all-reduces on device buffers against ncclAllReduce, one rank per GPU,
# results in $AISYS_OUT/results-05-nccl.json. Needs at least two GPUs (NCCL refuses two ranks on one
# GPU) and a build with MPI; otherwise it says why and passes (the backend's one-rank correctness
# tests run in gpu.sh's test step).
bench="$AISYS_BUILD/labs/05-allreduce/reference/bin/lab05_reference_bench"
if [[ ! -x "$bench" ]]; then
  echo "lab 05 NCCL: skipped: no $bench (a build without MPI does not build lab 05)"
  exit 0
fi
gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ')
if [[ "$gpus" -lt 2 ]]; then
  echo "lab 05 NCCL: skipped: $gpus GPU(s) here, the NCCL runs need two or more (one rank per GPU)"
  exit 0
fi
np=$((gpus < 8 ? gpus : 8))
mpi=(mpiexec -n "$np" --bind-to none)
[[ $(id -u) -eq 0 ]] && mpi+=(--allow-run-as-root)
flags=(--aisys_backend=nccl --aisys_out="$AISYS_OUT/results-05-nccl.json"
       --aisys_command="mpiexec -n $np lab05_reference_bench --aisys_backend=nccl")
[[ "${AISYS_QUICK:-0}" == 1 ]] && flags+=(--aisys_quick)
echo "lab 05 NCCL: ${mpi[*]} $bench ${flags[*]}"
timeout 1500 "${mpi[@]}" "$bench" "${flags[@]}"
