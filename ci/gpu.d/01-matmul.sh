#!/usr/bin/env bash
# Lab 01 on a GPU (sourced by ci/gpu.sh with AISYS_BUILD, AISYS_OUT, AISYS_SOURCE):
#   1. SASS of the reference CUDA stages (cuobjdump, which the CPU machines lack): tensor-core HMMA
#      in the WMMA stage, 128-bit global loads (LDG.E.128) in the vectorized stage, no local-memory
#      spills (STL) in the tuned stages;
#   2. the tile-configuration sweep of the warp-tiling stage, its JSON kept in $AISYS_OUT (commit
#      the winner into the table in reference/01-matmul/cuda/7_warp_tiling.cu).
# The GPU tests, compute-sanitizer and the benchmarks of lab 01 run in gpu.sh's own steps.
lib="$AISYS_BUILD/labs/01-matmul/reference"
objects=$(find "$lib" -path '*cuda*' -name '*.cu.o' 2>/dev/null | sort)
if [[ -z "$objects" ]]; then
  echo "lab 01: no compiled reference CUDA objects under $lib"
  exit 1
fi
status=0
if ! command -v cuobjdump >/dev/null 2>&1; then
  echo "lab 01: cuobjdump is not on PATH (the CUDA Toolkit of a GPU machine has it): SASS not checked"
  status=1
fi
for stage in 5_2d_register_tiling 6_vectorized 7_warp_tiling 8_wmma; do
  obj=$(echo "$objects" | grep "/${stage}.cu.o$" | head -1)
  if [[ -z "$obj" ]]; then
    echo "lab 01: no object for $stage"
    status=1
    continue
  fi
  command -v cuobjdump >/dev/null 2>&1 || break
  sass="$AISYS_OUT/sass-lab01-$stage.txt"
  cuobjdump -sass "$obj" >"$sass" || { echo "cuobjdump failed on $obj"; status=1; continue; }
  if grep -q 'STL' "$sass"; then echo "lab 01 $stage: local-memory stores (spills) in SASS"; status=1; fi
  case "$stage" in
    6_vectorized) grep -q 'LDG.E.128' "$sass" || { echo "lab 01 $stage: no LDG.E.128 in SASS"; status=1; } ;;
    8_wmma) grep -q 'HMMA' "$sass" || { echo "lab 01 $stage: no HMMA in SASS"; status=1; } ;;
  esac
  echo "lab 01 $stage: SASS checked ($sass)"
done
sweep="$lib/tools/lab01_reference_tile_sweep"
if [[ -x "$sweep" ]]; then
  "$sweep" --out "$AISYS_OUT/tile-sweep-lab01.json" || { echo "lab 01: the tile sweep failed"; status=1; }
else
  echo "lab 01: no tile sweep binary at $sweep"
  status=1
fi
exit $status
