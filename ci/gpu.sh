#!/usr/bin/env bash
# ci/gpu.sh: the GPU run, used by the self-hosted GitHub runner (.github/workflows/gpu.yml) and by
# hand on a lent GPU machine (no package manager, no network). The build dependencies (GoogleTest,
# Google Benchmark, nlohmann_json, CLI11) come from a prefix folder made on a CPU machine by
# ci/make-deps-prefix.sh. Steps, each with a header line and its elapsed time:
#   context    DIR/context.json: GPU (nvidia-smi query), nvcc, commit, host, date, CPU model
#   configure  cmake -G Ninja, Release, AISYS_CUDA=ON, AISYS_SIMT=OFF, architectures native, deps from PREFIX;
#              cuDNN and NCCL from the CUDA Toolkit, else from CUDNN_ROOT / NCCL_ROOT, else from
#              the nvidia-cudnn / nvidia-nccl wheels of python3's environment (found at every call:
#              their lib/ folders go on LD_LIBRARY_PATH for the tests and benchmarks too)
#   build      cmake --build
#   test       ctest -L '^gpu$' (JUnit in DIR/ctest-gpu.xml)
#   grade      ctest -L device_grading: the autograder on the reference, skeleton and wrong
#              submissions of every lab with GPU parts, against their expected scores, which with
#              a GPU are the "gpu" sets (GPU parts run and scored; JUnit in DIR/ctest-grading.xml;
#              --grade-filter REGEX keeps the matching CTest names, e.g. '^lab01\.')
#   sanitize   compute-sanitizer memcheck, racecheck, synccheck over the tests labelled gpu, one
#              run per binary with those tests' --gtest_filter (the CPU tests beside them in a lab's
#              binary are left out), AISYS_SMALL_SIZES=1 and AISYS_NO_DEVICE_CACHE=1 (so memcheck
#              sees every cudaFree); one log each: DIR/sanitizer-<tool>-<binary>.log. NCCL's test
#              binary runs with --report-api-errors no: NCCL probes the driver with calls that are
#              meant to fail. Where compute-sanitizer cannot run (not installed, or "Device not
#              supported", as under gVisor) the step is skipped, naming why.
#   hooks      every executable ci/gpu.d/*.sh (lab-specific checks such as cuobjdump -sass),
#              sourced in a subshell with AISYS_BUILD, AISYS_OUT and AISYS_TIME_LEFT set
#   bench      `aisys bench <lab> --impl reference` for every lab: DIR/results-<lab>.json (with
#              --bench-filter, only the matching cases; a lab with none is skipped, not failed, and
#              so is a lab this build leaves out, such as an MPI lab where there is no MPI); last,
#              so that under --deadline-s it takes the time the other steps leave
# A failed step does not stop the later ones; the exit status is 1 when any step failed.
# DIR/summary.txt is rewritten after every step, so a call killed at a time limit still says which
# steps ended and how. --deadline-s bounds the whole call: a step that would start after it is
# skipped, ctest stops its tests at it (--stop-time), and the sanitizer and benchmark runs are each
# cut to the time left.
# The script never changes clocks, power limits, MIG or compute mode and never resets the GPU.
#
# Usage: ci/gpu.sh --deps PREFIX --out DIR [--build DIR] [--cuda-architectures LIST] [--quick]
#                  [--steps LIST] [--bench-filter REGEX] [--grade-filter REGEX] [--deadline-s S]
#   --deps PREFIX  dependency prefix (from ci/make-deps-prefix.sh)
#   --out DIR      where logs, context.json, JUnit XML and results JSON go (created)
#   --build DIR    build folder (default: build/gpu)
#   --cuda-architectures LIST  CMAKE_CUDA_ARCHITECTURES (default: native, the GPU that is here;
#                  e.g. 90 to build on a machine without one)
#   --quick        short benchmark runs (a smoke test, not a measurement)
#   --bench-filter REGEX  benchmark only the cases matching REGEX, e.g. '^(cuda|conv-gpu)/' for the
#                  GPU cases alone where device time is short (the CPU cases belong to CPU runs)
#   --grade-filter REGEX  grade step: only the gradings whose CTest name matches (ctest -R)
#   --steps LIST   comma-separated subset of: configure,build,test,grade,sanitize,hooks,bench
#                  (default: all; the context is always recorded). Lets a machine with a per-command
#                  time limit run the build and the checks as separate calls on the same build folder.
#   --deadline-s S  seconds this call may take in all (e.g. 540 under a 600 s command limit)
# Environment: AISYS_SANITIZER_TIMEOUT (seconds per compute-sanitizer run, default 1800),
#              AISYS_TEST_TIMEOUT (seconds per test that sets no TIMEOUT of its own, default 300).
# Exit status: 0 every step passed, 1 a step failed, 2 bad arguments.
# shellcheck disable=SC2317  # the step functions are called indirectly, through run_step
set -uo pipefail

readonly ALL_STEPS="configure,build,test,grade,sanitize,hooks,bench"

usage() {
  cat <<'EOF'
usage: ci/gpu.sh --deps PREFIX --out DIR [--build DIR] [--cuda-architectures LIST] [--quick]
                 [--steps LIST] [--bench-filter REGEX] [--grade-filter REGEX] [--deadline-s S]
  --deps PREFIX  dependency prefix made by ci/make-deps-prefix.sh (GTest, benchmark, nlohmann_json, CLI11, zlib)
  --out DIR      output folder: context.json, step logs, ctest-gpu.xml, sanitizer logs, results-<lab>.json
  --build DIR    build folder (default: build/gpu)
  --cuda-architectures LIST  CUDA architectures to compile for (default: native; e.g. 90 without a GPU)
  --quick        short benchmark runs (smoke test, not a measurement)
  --bench-filter REGEX  benchmark only matching cases (e.g. '^(cuda|conv-gpu)/': the GPU cases)
  --grade-filter REGEX  grade only the gradings whose CTest name matches (e.g. '^lab01\.')
  --steps LIST   comma-separated subset of configure,build,test,grade,sanitize,hooks,bench (default: all, in that order)
  --deadline-s S  the whole call's time budget in seconds: later steps are skipped, tests and runs cut at it
EOF
}

die_usage() {
  echo "gpu.sh: $*" >&2
  usage >&2
  exit 2
}

DEPS=""
OUT=""
BUILD=""
CUDA_ARCHITECTURES="native"
QUICK=0
BENCH_FILTER=""
GRADE_FILTER=""
STEPS="$ALL_STEPS"
DEADLINE_S=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --deps) [[ $# -ge 2 && -n "$2" ]] || die_usage "--deps needs a folder"; DEPS="$2"; shift 2 ;;
    --out) [[ $# -ge 2 && -n "$2" ]] || die_usage "--out needs a folder"; OUT="$2"; shift 2 ;;
    --build) [[ $# -ge 2 && -n "$2" ]] || die_usage "--build needs a folder"; BUILD="$2"; shift 2 ;;
    --cuda-architectures) [[ $# -ge 2 && -n "$2" ]] || die_usage "--cuda-architectures needs a list (e.g. 90 or native)"
      CUDA_ARCHITECTURES="$2"; shift 2 ;;
    --steps) [[ $# -ge 2 && -n "$2" ]] || die_usage "--steps needs a list"; STEPS="$2"; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --bench-filter) [[ $# -ge 2 && -n "$2" ]] || die_usage "--bench-filter needs a regular expression"; BENCH_FILTER="$2"; shift 2 ;;
    --grade-filter) [[ $# -ge 2 && -n "$2" ]] || die_usage "--grade-filter needs a regular expression"; GRADE_FILTER="$2"; shift 2 ;;
    --deadline-s) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]{0,5}$ ]] || die_usage "--deadline-s needs a whole number of seconds (1..999999)"
      DEADLINE_S="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die_usage "unknown argument '$1'" ;;
  esac
done
[[ -n "$DEPS" ]] || die_usage "--deps PREFIX is required"
[[ -n "$OUT" ]] || die_usage "--out DIR is required"
[[ -d "$DEPS" ]] || die_usage "--deps $DEPS: no such folder (make it with ci/make-deps-prefix.sh on a CPU machine)"
IFS=',' read -r -a _wanted <<<"$STEPS"
for s in "${_wanted[@]}"; do
  [[ ",$ALL_STEPS," == *",$s,"* ]] || die_usage "--steps: unknown step '$s' (known: $ALL_STEPS)"
done
wanted() { [[ ",$STEPS," == *",$1,"* ]]; }

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
SRC="$(pwd)"
DEPS="$(cd "$DEPS" && pwd)"
mkdir -p "$OUT" || die_usage "--out $OUT: cannot create it"
OUT="$(cd "$OUT" && pwd)"
BUILD="${BUILD:-build/gpu}"
mkdir -p "$BUILD" || die_usage "--build $BUILD: cannot create it"
BUILD="$(cd "$BUILD" && pwd)"
SANITIZER_TIMEOUT="${AISYS_SANITIZER_TIMEOUT:-1800}"
TEST_TIMEOUT="${AISYS_TEST_TIMEOUT:-300}"
[[ "$SANITIZER_TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die_usage "AISYS_SANITIZER_TIMEOUT=$SANITIZER_TIMEOUT: not a whole number of seconds"
[[ "$TEST_TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die_usage "AISYS_TEST_TIMEOUT=$TEST_TIMEOUT: not a whole number of seconds"

# Shared libraries of the prefix (libbenchmark, optional OpenBLAS and its Fortran runtime) must be
# found at run time by every test and benchmark binary and by what those load.
for d in "$DEPS"/lib/*-linux-gnu/openblas-pthread "$DEPS"/lib/*-linux-gnu "$DEPS/lib64" "$DEPS/lib"; do
  [[ -d "$d" ]] && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
done

# --- cuDNN and NCCL -----------------------------------------------------------------------------
# A CUDA image may hold them only as Python wheels (site-packages/nvidia/cudnn, .../nvidia/nccl,
# each with include/ and lib/), not in the toolkit. vendor_root NAME HEADER sets NAME_ROOT (for the
# project's FindCUDNN / FindNCCL) and VENDOR_FROM[NAME]: a root given in the environment wins; then
# the toolkit's own copy (nothing to set); then python3's nvidia.<name> package. A root outside the
# toolkit has its lib/ put on LD_LIBRARY_PATH: cuDNN loads its engine libraries by name at run time.
declare -A VENDOR_FROM=()
TOOLKIT=""
if command -v nvcc >/dev/null 2>&1; then
  TOOLKIT="$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")"
fi
python_nvidia_package() {  # python_nvidia_package NAME: the folder of python3's nvidia.NAME, or nothing
  command -v python3 >/dev/null 2>&1 || return 0
  python3 -c 'import importlib, sys; print(next(iter(importlib.import_module("nvidia." + sys.argv[1]).__path__)))' \
    "$1" 2>/dev/null || true
}
toolkit_has_header() {
  [[ -n "$TOOLKIT" ]] || return 1
  compgen -G "$TOOLKIT/include/$1" >/dev/null || compgen -G "$TOOLKIT/targets/*/include/$1" >/dev/null
}
vendor_root() {
  local name="$1" header="$2" var root
  var="$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')_ROOT"
  root="${!var:-}"
  if [[ -n "$root" ]]; then
    VENDOR_FROM[$name]="$var=$root (environment)"
  elif toolkit_has_header "$header"; then
    VENDOR_FROM[$name]="the CUDA Toolkit ($TOOLKIT)"
    return 0
  else
    root="$(python_nvidia_package "$name")"
    if [[ -n "$root" && -f "$root/include/$header" ]]; then
      VENDOR_FROM[$name]="python3's nvidia.$name package ($root)"
      export "$var=$root"
    else
      VENDOR_FROM[$name]="not found (not in the toolkit, no $var, no nvidia.$name with include/$header in python3's environment)"
      return 0
    fi
  fi
  [[ -d "$root/lib" ]] && export LD_LIBRARY_PATH="$root/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  return 0
}
vendor_root cudnn cudnn.h
vendor_root nccl nccl.h

# The toolkit's own tools (compute-sanitizer, cuobjdump) where PATH has only nvcc's link to them:
# after what PATH already holds, so a tool the machine puts first still wins.
if [[ -n "$TOOLKIT" ]]; then
  for d in "$TOOLKIT/bin" "$TOOLKIT/compute-sanitizer"; do
    [[ -d "$d" && ":$PATH:" != *":$d:"* ]] && PATH="$PATH:$d"
  done
  export PATH
fi

# Lab 02's data set, when the prefix carries it (make-deps-prefix.sh --with-fashion-mnist) and the
# environment names none.
if [[ -z "${AISYS_FASHION_MNIST_DIR:-}" && -d "$DEPS/share/datasets/fashion-mnist" ]]; then
  export AISYS_FASHION_MNIST_DIR="$DEPS/share/datasets/fashion-mnist"
fi

# --- step bookkeeping ---------------------------------------------------------------------------
declare -a RESULTS=()
FAILED=0
T0=$SECONDS
DEADLINE_EPOCH=""
[[ -n "$DEADLINE_S" ]] && DEADLINE_EPOCH=$(($(date +%s) + DEADLINE_S))
readonly SKIPPED_HERE=77  # a step's status for "cannot run on this machine": reported as skipped

# Seconds left before --deadline-s (a large number without one).
time_left() {
  if [[ -z "$DEADLINE_S" ]]; then echo 999999; else echo $((T0 + DEADLINE_S - SECONDS)); fi
}

# ctest's limits: a per-test timeout for tests that set none, and the deadline as --stop-time (a
# local time of day; ctest takes one already past as tomorrow's, so a deadline after midnight works).
ctest_limits() {
  printf '%s\n' --timeout "$TEST_TIMEOUT"
  [[ -n "$DEADLINE_EPOCH" ]] && printf '%s\n' --stop-time "$(date -d "@$DEADLINE_EPOCH" '+%H:%M:%S')"
  return 0
}

# write_summary "so far"|"in all": DIR/summary.txt, replaced whole (never half-written).
write_summary() {
  {
    printf '==== [gpu.sh] summary (%ds %s)\n' $((SECONDS - T0)) "$1"
    printf '  %s\n' "${RESULTS[@]}"
  } >"$OUT/summary.txt.tmp" && mv "$OUT/summary.txt.tmp" "$OUT/summary.txt"
}

# run_step NAME COMMAND...: header, command (output to the terminal and DIR/step-NAME.log), footer.
run_step() {
  local name="$1"
  shift
  if [[ $(time_left) -le 0 ]]; then
    skip_step "$name" "the --deadline-s budget of ${DEADLINE_S}s is spent"
    return 0
  fi
  local start=$SECONDS rc
  printf '\n==== [gpu.sh] %s  (%s)\n' "$name" "$(date '+%Y-%m-%d %H:%M:%S')"
  "$@" 2>&1 | tee "$OUT/step-$name.log"
  rc=${PIPESTATUS[0]}
  local took=$((SECONDS - start))
  if [[ $rc -eq 0 ]]; then
    printf '==== [gpu.sh] %s: ok (%ds)\n' "$name" "$took"
    RESULTS+=("ok      ${took}s  $name")
  elif [[ $rc -eq $SKIPPED_HERE ]]; then
    printf '==== [gpu.sh] %s: skipped, it cannot run here (%ds; the log says why)\n' "$name" "$took"
    RESULTS+=("skipped ${took}s  $name (cannot run here, log step-$name.log)")
  else
    printf '==== [gpu.sh] %s: FAILED with status %d (%ds)\n' "$name" "$rc" "$took"
    RESULTS+=("FAILED  ${took}s  $name (status $rc, log step-$name.log)")
    FAILED=1
  fi
  write_summary "so far"
  return 0
}

skip_step() {
  printf '\n==== [gpu.sh] %s: skipped (%s)\n' "$1" "$2"
  RESULTS+=("skipped     $1 ($2)")
  write_summary "so far"
}

# --- context ------------------------------------------------------------------------------------
json_str() {  # a JSON string literal (or null for an empty argument)
  local s="$1"
  if [[ -z "$s" ]]; then printf 'null'; return; fi
  s="${s//\\/\\\\}"
  s="${s//\"/\\\"}"
  s="${s//$'\n'/\\n}"
  s="${s//$'\r'/\\r}"
  s="${s//$'\t'/\\t}"
  s="$(printf '%s' "$s" | tr -d '\000-\010\013\014\016-\037')"
  printf '"%s"' "$s"
}

trim() { local s="$1"; s="${s#"${s%%[![:space:]]*}"}"; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

record_context() {
  local rc=0 gpus="" line nvcc_text nvcc_release commit="" commit_source="none" dirty="null"
  local -a f
  # Read-only queries only: nothing here changes the GPU's settings.
  if command -v nvidia-smi >/dev/null 2>&1; then
    local smi
    if smi="$(nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,memory.total,compute_cap --format=csv,noheader 2>&1)"; then
      while IFS= read -r line; do
        [[ -z "$line" ]] && continue
        IFS=',' read -r -a f <<<"$line"
        gpus+="${gpus:+,}
    {\"name\": $(json_str "$(trim "${f[0]:-}")"), \"driver_version\": $(json_str "$(trim "${f[1]:-}")"), \"clocks_sm\": $(json_str "$(trim "${f[2]:-}")"), \"clocks_max_sm\": $(json_str "$(trim "${f[3]:-}")"), \"clocks_mem\": $(json_str "$(trim "${f[4]:-}")"), \"memory_total\": $(json_str "$(trim "${f[5]:-}")"), \"compute_cap\": $(json_str "$(trim "${f[6]:-}")"), \"raw\": $(json_str "$line")}"
      done <<<"$smi"
      echo "nvidia-smi: $smi"
    else
      echo "nvidia-smi failed: $smi" >&2
      rc=1
    fi
  else
    echo "nvidia-smi: not found" >&2
    rc=1
  fi
  if command -v nvcc >/dev/null 2>&1; then
    nvcc_text="$(nvcc --version 2>&1)"
    nvcc_release="$(printf '%s\n' "$nvcc_text" | grep -m1 'release' || true)"
    echo "nvcc: $nvcc_release"
  else
    nvcc_text=""
    nvcc_release=""
    echo "nvcc: not found on PATH" >&2
    rc=1
  fi
  if command -v git >/dev/null 2>&1 && commit="$(git -C "$SRC" rev-parse HEAD 2>/dev/null)"; then
    commit_source="git"
    if [[ -n "$(git -C "$SRC" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then dirty=true; else dirty=false; fi
  elif [[ -f "$SRC/COMMIT" ]]; then
    commit="$(trim "$(head -c 200 "$SRC/COMMIT")")"
    commit_source="COMMIT file"
  else
    commit=""
  fi
  echo "commit: ${commit:-unknown} (${commit_source})"
  echo "cuDNN: ${VENDOR_FROM[cudnn]}"
  echo "NCCL: ${VENDOR_FROM[nccl]}"
  local cpu
  cpu="$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | sed 's/^[^:]*:[[:space:]]*//')"
  [[ -n "$cpu" ]] || cpu="$(lscpu 2>/dev/null | grep -m1 'Model name' | sed 's/^[^:]*:[[:space:]]*//')"
  local cmake_version
  cmake_version="$(cmake --version 2>/dev/null | head -n1)"
  {
    printf '{\n  "schema": "aisys.gpu-context/1",\n'
    printf '  "date": %s,\n' "$(json_str "$(date -u '+%Y-%m-%dT%H:%M:%SZ')")"
    printf '  "hostname": %s,\n' "$(json_str "$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname 2>/dev/null)")"
    printf '  "cpu_model": %s,\n' "$(json_str "$cpu")"
    printf '  "gpus": [%s\n  ],\n' "$gpus"
    printf '  "nvcc_release": %s,\n' "$(json_str "$nvcc_release")"
    printf '  "nvcc_version": %s,\n' "$(json_str "$nvcc_text")"
    printf '  "cmake": %s,\n' "$(json_str "$cmake_version")"
    printf '  "commit": %s,\n' "$(json_str "$commit")"
    printf '  "commit_source": %s,\n' "$(json_str "$commit_source")"
    printf '  "worktree_dirty": %s,\n' "$dirty"
    printf '  "deps_prefix": %s,\n' "$(json_str "$DEPS")"
    printf '  "cudnn_from": %s,\n' "$(json_str "${VENDOR_FROM[cudnn]}")"
    printf '  "nccl_from": %s,\n' "$(json_str "${VENDOR_FROM[nccl]}")"
    printf '  "cuda_architectures": %s,\n' "$(json_str "$CUDA_ARCHITECTURES")"
    printf '  "ld_library_path": %s,\n' "$(json_str "${LD_LIBRARY_PATH:-}")"
    printf '  "fashion_mnist_dir": %s,\n' "$(json_str "${AISYS_FASHION_MNIST_DIR:-}")"
    printf '  "build_dir": %s,\n' "$(json_str "$BUILD")"
    printf '  "quick": %s\n}\n' "$([[ $QUICK -eq 1 ]] && echo true || echo false)"
  } >"$OUT/context.json.tmp" && mv "$OUT/context.json.tmp" "$OUT/context.json"
  echo "wrote $OUT/context.json"
  return "$rc"
}

# --- steps --------------------------------------------------------------------------------------
do_configure() {
  local -a roots=()
  [[ -n "${CUDNN_ROOT:-}" ]] && roots+=(-DCUDNN_ROOT="$CUDNN_ROOT")
  [[ -n "${NCCL_ROOT:-}" ]] && roots+=(-DNCCL_ROOT="$NCCL_ROOT")
  # AISYS_SIMT=OFF: the SIMT emulator runs GPU tests on a CPU; here the GPU runs them.
  cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAISYS_CUDA=ON -DAISYS_SIMT=OFF \
    -DAISYS_CUDA_ARCHITECTURES="$CUDA_ARCHITECTURES" -DCMAKE_PREFIX_PATH="$DEPS" -DAISYS_OPENBLAS=AUTO "${roots[@]}"
}

do_build() {
  cmake --build "$BUILD"
}

do_test() {
  local n
  n="$(ctest --test-dir "$BUILD" -L '^gpu$' -N 2>/dev/null | sed -n 's/^Total Tests: *//p')"
  echo "GPU tests registered: ${n:-?}"
  local -a limits
  mapfile -t limits < <(ctest_limits)
  # No test labelled gpu in a CUDA build means CUDA was not compiled in: an error, not a pass.
  ctest --test-dir "$BUILD" -L '^gpu$' --no-tests=error --output-on-failure --output-junit "$OUT/ctest-gpu.xml" \
    "${limits[@]}"
}

# The grading tests run one after another: each grades under the machine-wide benchmark lock, and
# a performance part's time should not share the GPU with another grading.
do_grade() {
  local -a only=() limits
  [[ -n "$GRADE_FILTER" ]] && only=(-R "$GRADE_FILTER")
  mapfile -t limits < <(ctest_limits)
  ctest --test-dir "$BUILD" -L device_grading "${only[@]}" --no-tests=error --output-on-failure \
    --output-junit "$OUT/ctest-grading.xml" "${limits[@]}"
}

# The sanitizer's runs, one line each: "EXECUTABLE<TAB>FILTER". The executables are those behind the
# CTest tests labelled gpu (first word of the test command, under the build folder); FILTER joins
# those tests' --gtest_filter patterns with ':' ("*" where a test runs its whole binary), so a
# lab's test binary runs its GPU tests only. Any other *_cuda_tests binary runs whole.
gpu_test_runs() {
  local -A filters=()
  local cmd exe pattern
  while IFS= read -r cmd; do
    exe="${cmd%% *}"
    exe="${exe#\"}"
    exe="${exe%\"}"
    [[ "$exe" == "$BUILD"/* && -f "$exe" && -x "$exe" ]] || continue
    if [[ "$cmd" =~ --gtest_filter=([^\"[:space:]]+) ]]; then pattern="${BASH_REMATCH[1]}"; else pattern="*"; fi
    if [[ "${filters[$exe]:-}" == "*" || "$pattern" == "*" ]]; then
      filters[$exe]="*"
    else
      filters[$exe]="${filters[$exe]:+${filters[$exe]}:}$pattern"
    fi
  done < <(ctest --test-dir "$BUILD" -L '^gpu$' -N -V 2>/dev/null | sed -n 's/^[0-9]*: Test command: *//p')
  while IFS= read -r exe; do
    [[ -n "${filters[$exe]:-}" ]] || filters[$exe]="*"
  done < <(find "$BUILD" -type f -perm -u+x -name '*_cuda_tests' -not -path '*/CMakeFiles/*' \
             -not -path '*.grading-*' 2>/dev/null)
  for exe in "${!filters[@]}"; do printf '%s\t%s\n' "$exe" "${filters[$exe]}"; done | sort
}

do_sanitize() {
  if ! command -v compute-sanitizer >/dev/null 2>&1; then
    echo "compute-sanitizer: not found on PATH${TOOLKIT:+ nor in $TOOLKIT/bin or $TOOLKIT/compute-sanitizer}: nothing to run"
    return "$SKIPPED_HERE"
  fi
  local -a runs
  mapfile -t runs < <(gpu_test_runs)
  if [[ ${#runs[@]} -eq 0 ]]; then
    echo "no GPU test binaries under $BUILD (is CUDA compiled? see step-configure.log)" >&2
    return 1
  fi
  local failures=0 not_run=0 tool run bin filter name log rc summary left limit
  local -a api
  for tool in memcheck racecheck synccheck; do
    for run in "${runs[@]}"; do
      bin="${run%%$'\t'*}"
      filter="${run#*$'\t'}"
      name="$(basename "$bin")"
      left=$(time_left)
      if [[ $left -le 15 ]]; then
        printf '  not run %-10s %-40s  (the --deadline-s budget is spent)\n' "$tool" "$name"
        not_run=$((not_run + 1))
        continue
      fi
      limit=$((left - 10 < SANITIZER_TIMEOUT ? left - 10 : SANITIZER_TIMEOUT))
      log="$OUT/sanitizer-$tool-$name.log"
      api=()
      [[ "$name" == *nccl* ]] && api=(--report-api-errors no)  # NCCL's own probing calls fail by design
      local start=$SECONDS
      (cd "$(dirname "$bin")" &&
        AISYS_SMALL_SIZES=1 AISYS_NO_DEVICE_CACHE=1 timeout --kill-after=20 "$limit" compute-sanitizer --tool "$tool" \
          --error-exitcode 1 --print-limit 100 "${api[@]}" "$bin" --gtest_filter="$filter") >"$log" 2>&1
      rc=$?
      if grep -q -E 'Device not supported|Unable to find injection library|not supported on this platform' "$log"; then
        echo "compute-sanitizer cannot run on this machine: $(grep -m1 -E 'Device not supported|Unable to find injection library|not supported on this platform' "$log") (log $(basename "$log"))"
        return "$SKIPPED_HERE"
      fi
      summary="$(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$log" | tail -n1)"
      if [[ $rc -eq 0 ]]; then
        printf '  ok      %-10s %-40s %4ds  %s\n' "$tool" "$name" $((SECONDS - start)) "$summary"
      else
        [[ $rc -eq 124 || $rc -eq 137 ]] && summary="timed out after ${limit}s; $summary"
        printf '  FAILED  %-10s %-40s %4ds  status %d  %s  (%s)\n' "$tool" "$name" $((SECONDS - start)) \
          "$rc" "$summary" "$(basename "$log")"
        failures=$((failures + 1))
      fi
    done
  done
  echo "sanitizer runs failed: $failures of $((3 * ${#runs[@]}))$([[ $not_run -gt 0 ]] && echo ", not run for lack of time: $not_run")"
  [[ $failures -eq 0 && $not_run -eq 0 ]]
}

do_bench() {
  local aisys="$BUILD/aisys" list rc=0 lab
  [[ -x "$aisys" ]] || { echo "$aisys: not built" >&2; return 1; }
  list="$("$aisys" list)" || { echo "aisys list failed" >&2; return 1; }
  local -a labs
  mapfile -t labs < <(printf '%s\n' "$list" | grep -oE '^[0-9][0-9]-[a-z0-9-]+')
  if [[ ${#labs[@]} -eq 0 ]]; then
    echo "aisys list shows no labs" >&2
    return 1
  fi
  local -a extra=()
  [[ $QUICK -eq 1 ]] && extra=(--quick)
  [[ -n "$BENCH_FILTER" ]] && extra+=(--filter "$BENCH_FILTER")
  local log="$OUT/.bench-output"
  local left status
  for lab in "${labs[@]}"; do
    left=$(time_left)
    if [[ $left -le 15 ]]; then
      echo "--- aisys bench $lab: not run, the --deadline-s budget is spent" >&2
      rc=1
      continue
    fi
    echo "--- aisys bench $lab --impl reference ${extra[*]}"
    timeout --kill-after=20 $((left - 10)) "$aisys" bench "$lab" --impl reference --out "$OUT/results-$lab.json" \
      "${extra[@]}" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    if [[ $status -ne 0 ]]; then
      if [[ -n "$BENCH_FILTER" ]] && grep -q 'no case matches' "$log"; then
        echo "--- aisys bench $lab: no case matches --bench-filter (skipped)"
      elif grep -q 'which this build lacks, so it is not built' "$log"; then
        echo "--- aisys bench $lab: not in this build (skipped; the configure summary says why)"
      elif [[ $status -eq 124 || $status -eq 137 ]]; then
        echo "--- aisys bench $lab: stopped at the --deadline-s budget (the cases it finished are in results-$lab.json, marked incomplete)" >&2
        rc=1
      else
        echo "--- aisys bench $lab: FAILED" >&2
        rc=1
      fi
    fi
  done
  rm -f "$log"
  return "$rc"
}

# A hook runs in a subshell so that its `exit`, `cd` or `set` cannot end or change this script.
run_hook() {
  (
    AISYS_TIME_LEFT="$(time_left)"
    export AISYS_BUILD="$BUILD" AISYS_OUT="$OUT" AISYS_SOURCE="$SRC" AISYS_QUICK="$QUICK" AISYS_TIME_LEFT
    cd "$SRC" || exit 1
    # shellcheck source=/dev/null
    source "$1"
  )
}

# --- main ---------------------------------------------------------------------------------------
echo "gpu.sh: source $SRC, build $BUILD, deps $DEPS, out $OUT, steps $STEPS$([[ $QUICK -eq 1 ]] && echo ', quick')"
run_step context record_context

if wanted configure; then run_step configure do_configure; else skip_step configure "not in --steps"; fi
if wanted build; then run_step build do_build; else skip_step build "not in --steps"; fi
run_hooks() {
  shopt -s nullglob
  local -a hooks=("$SRC"/ci/gpu.d/*.sh)
  shopt -u nullglob
  local h
  for h in "${hooks[@]}"; do
    if [[ -x "$h" ]]; then
      run_step "hook-$(basename "$h" .sh)" run_hook "$h"
    else
      skip_step "hook-$(basename "$h" .sh)" "not executable"
    fi
  done
  [[ ${#hooks[@]} -eq 0 ]] && echo "no hooks in ci/gpu.d/"
  return 0
}

# The benchmarks come last: the longest and most open-ended step, it gets what time is left.
if [[ ! -f "$BUILD/build.ninja" ]]; then
  for s in test grade sanitize bench; do wanted "$s" && skip_step "$s" "no configured build in $BUILD"; done
  if wanted hooks; then run_hooks; fi
else
  if wanted test; then run_step test do_test; fi
  if wanted grade; then run_step grade do_grade; fi
  if wanted sanitize; then run_step sanitize do_sanitize; fi
  if wanted hooks; then run_hooks; fi
  if wanted bench; then run_step bench do_bench; fi
fi

write_summary "in all"
echo
cat "$OUT/summary.txt"
if [[ $FAILED -ne 0 ]]; then
  echo "gpu.sh: some steps FAILED (logs in $OUT)"
  exit 1
fi
echo "gpu.sh: every step passed (results in $OUT)"
exit 0
