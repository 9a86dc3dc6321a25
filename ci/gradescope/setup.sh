#!/usr/bin/env bash
# ci/gradescope/setup.sh: Gradescope runs this once, as root, when it builds the autograder image
# (its Ubuntu base image; pick Ubuntu 24.04: the project needs CMake >= 3.25). It installs the
# distribution packages through the project's own ci/install-deps.sh, then configures and builds the
# project with the `cpu` preset, or the `default` preset when nvcc exists, and records the preset in
# GRADESCOPE_PRESET for run_autograder.
#
# The autograder zip (made by ci/gradescope/build-autograder.sh) holds this file, run_autograder and
# the project under source/; Gradescope unpacks the zip into /autograder/source, so the project is
# /autograder/source/source. The project is looked for, in order, at: $AISYS_ROOT, <this folder>/source,
# <this folder>, <this folder>/../.. (a checkout: ci/gradescope/setup.sh), /autograder/source/source,
# /autograder/source.
#
# Usage: bash setup.sh        (no arguments; AISYS_PRESET=NAME forces a preset)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT=""
for c in "${AISYS_ROOT:-}" "$here/source" "$here" "$here/../.." /autograder/source/source /autograder/source; do
  if [[ -n "$c" && -f "$c/CMakePresets.json" && -d "$c/labs" ]]; then
    ROOT="$(cd "$c" && pwd)"
    break
  fi
done
if [[ -z "$ROOT" ]]; then
  echo "setup.sh: cannot find the project (a folder with CMakePresets.json and labs/) near $here" >&2
  exit 1
fi
echo "setup.sh: project in $ROOT"

bash "$ROOT/ci/install-deps.sh"

# CUDA (if the image has it) sits in /usr/local/cuda without being on PATH.
if [[ -x /usr/local/cuda/bin/nvcc ]] && ! command -v nvcc >/dev/null 2>&1; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi
preset="${AISYS_PRESET:-}"
if [[ -z "$preset" ]]; then
  if command -v nvcc >/dev/null 2>&1; then preset=default; else preset=cpu; fi
fi

need="3.25"
have="$(cmake --version | sed -n 's/^cmake version \([0-9.]*\).*/\1/p')"
if [[ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n1)" != "$need" ]]; then
  echo "setup.sh: CMake $have is older than $need: choose the Ubuntu 24.04 base image on Gradescope" >&2
  exit 1
fi

cd "$ROOT"
# AISYS_SIMT=OFF: the autograder grades; the SIMT emulator's CPU tests of GPU code are not part of
# grading and would only lengthen the image's build.
echo "setup.sh: cmake --preset $preset -DAISYS_SIMT=OFF"
cmake --preset "$preset" -DAISYS_SIMT=OFF
cmake --build --preset "$preset"
printf '%s\n' "$preset" >"$ROOT/GRADESCOPE_PRESET"
test -x "$ROOT/build/$preset/aisys"
"$ROOT/build/$preset/aisys" list
echo "setup.sh: built $ROOT/build/$preset (lab $(cat "$ROOT/GRADESCOPE_LAB" 2>/dev/null || echo '?'))"
