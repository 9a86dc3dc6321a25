#!/usr/bin/env bash
# ci/rehearse-gpu-machine.sh: runs ci/gpu.sh, here on a CPU machine, inside a bare system made to
# look like a lent GPU machine's image, so that what such a machine lacks is found before device
# time is spent on it. The bare system (a chroot made once with debootstrap, kept between runs) has
# a C++ compiler, git and python3, with CMake and ninja from their PyPI wheels in a venv (as the
# CUDA image has them), and none of the project's -dev packages: everything else must come from the
# prefix that ci/make-deps-prefix.sh makes (made afresh into the copied tree as .deps, as it would
# be carried). The host's CUDA Toolkit is mounted in read-only with its cuDNN and NCCL hidden, and
# those two are laid out as python3's nvidia-cudnn / nvidia-nccl wheels lay them out, which is
# where such an image keeps them. The working tree (tracked and untracked files that git does not
# ignore) is copied in, as a lent machine receives it, with a COMMIT file for the context.
#
# Without a GPU the configure, build and test steps are the ones that say something: every GPU test
# skips with its reason, and the context step fails (no nvidia-smi). The rehearsal passes when every
# step asked for passed except the context, and the configure step found cuDNN and NCCL in the wheels.
#
# Usage (as root; needs debootstrap, mount with overlayfs, and network for the first run):
#   ci/rehearse-gpu-machine.sh [--root DIR] [--out DIR] [--suite SUITE] [--steps LIST] [-- GPU.SH-ARGS...]
#   --root DIR    the bare system (default /var/tmp/aisys-gpu-rehearsal; made when missing, ~1.5 GB)
#   --out DIR     gpu.sh's output folder, copied out of the bare system (default build/rehearsal)
#   --suite NAME  the Debian release of the bare system when it is made (default trixie: a newer
#                 compiler and C library than the Debian 12 that built the prefix, like the image's)
#   --steps LIST  gpu.sh's steps (default configure,build,test)
#   -- ARGS...    further arguments for gpu.sh (e.g. --bench-filter REGEX)
# The build folder (/work/build in the bare system) is kept between runs, so a second run rebuilds
# only what changed.
# Exit status: 0 the rehearsal passed, 1 it failed (the summary says which step), 2 bad arguments.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: ci/rehearse-gpu-machine.sh [--root DIR] [--out DIR] [--suite SUITE] [--steps LIST] [-- GPU.SH-ARGS...]
  Runs ci/gpu.sh (default steps configure,build,test; CUDA architecture 90) in a bare chroot that
  looks like a lent GPU machine: compiler, git, python3, CMake and ninja from PyPI wheels, the host's
  CUDA Toolkit with cuDNN and NCCL only as python3 wheels, deps from ci/make-deps-prefix.sh.
  --root DIR    the chroot (default /var/tmp/aisys-gpu-rehearsal; made with debootstrap when missing)
  --out DIR     where gpu.sh's output is copied (default build/rehearsal)
  --suite NAME  Debian release used when the chroot is made (default trixie)
  --steps LIST  gpu.sh steps (default configure,build,test)
  -- ARGS...    further arguments for gpu.sh
EOF
}
die_usage() { echo "rehearse-gpu-machine: $*" >&2; usage >&2; exit 2; }
die() { echo "rehearse-gpu-machine: $*" >&2; exit 1; }

ROOT=/var/tmp/aisys-gpu-rehearsal
OUT=""
SUITE=trixie
STEPS=configure,build,test
GPU_ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --root) [[ $# -ge 2 && -n "$2" ]] || die_usage "--root needs a folder"; ROOT="$2"; shift 2 ;;
    --out) [[ $# -ge 2 && -n "$2" ]] || die_usage "--out needs a folder"; OUT="$2"; shift 2 ;;
    --suite) [[ $# -ge 2 && -n "$2" ]] || die_usage "--suite needs a Debian release"; SUITE="$2"; shift 2 ;;
    --steps) [[ $# -ge 2 && -n "$2" ]] || die_usage "--steps needs a list"; STEPS="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; GPU_ARGS=("$@"); break ;;
    *) die_usage "unknown argument '$1'" ;;
  esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
SRC="$(pwd)"
OUT="${OUT:-$SRC/build/rehearsal}"
[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, mount, chroot)"
for c in debootstrap chroot mount umount git python3 nvcc; do
  command -v "$c" >/dev/null 2>&1 || die "needs $c on PATH"
done
grep -qw overlay /proc/filesystems || die "the kernel has no overlayfs (needed to hide the toolkit's cuDNN and NCCL)"
TOOLKIT="$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")"

# --- the bare system, made once (in two stages, so that a failed second one is retried alone) -------
if [[ ! -f "$ROOT/.aisys-rehearsal-base" ]]; then
  [[ ! -e "$ROOT" || -z "$(ls -A "$ROOT" 2>/dev/null)" ]] || die "$ROOT exists, is not empty and was not made by this script"
  echo "rehearse-gpu-machine: making the bare system in $ROOT (debootstrap $SUITE, minutes)"
  debootstrap --variant=minbase --include=g++,make,git,python3,python3-venv,procps,ca-certificates \
    "$SUITE" "$ROOT" http://deb.debian.org/debian >"$ROOT.debootstrap.log" 2>&1 ||
    die "debootstrap failed (log: $ROOT.debootstrap.log)"
  touch "$ROOT/.aisys-rehearsal-base"
fi
if [[ ! -f "$ROOT/.aisys-rehearsal-ready" ]]; then
  rm -rf "$ROOT/opt/wheels" "$ROOT/opt/venv"
  mkdir -p "$ROOT/opt/wheels"
  py="$(chroot "$ROOT" python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version "$py" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d "$ROOT/opt/wheels" cmake ninja || die "pip download of the cmake and ninja wheels failed"
  chroot "$ROOT" python3 -m venv /opt/venv
  chroot "$ROOT" /bin/sh -c '/opt/venv/bin/python3 -m pip install -q --no-index --no-deps /opt/wheels/*.whl'
  touch "$ROOT/.aisys-rehearsal-ready"
fi
SITE="$(chroot "$ROOT" /opt/venv/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"

# --- mounts, undone on any exit -------------------------------------------------------------------
MOUNTS=()
cleanup() {
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" || true; done
}
trap cleanup EXIT
mount_at() {  # mount_at TARGET MOUNT-ARGS...
  local target="$1"; shift
  mkdir -p "$target"
  mount "$@" "$target"
  MOUNTS+=("$target")
}
mount_at "$ROOT/proc" -t proc proc
mount_at "$ROOT/dev" --bind /dev
mount_at "$ROOT/tmp" -t tmpfs tmpfs

# The toolkit, with every cuDNN and NCCL file hidden by an overlay whiteout.
ov="$ROOT/.overlay"
rm -rf "$ov"
mkdir -p "$ov/upper" "$ov/work"
hidden=0
while IFS= read -r -d '' f; do
  rel="${f#"$TOOLKIT"/}"
  mkdir -p "$ov/upper/$(dirname "$rel")"
  mknod "$ov/upper/$rel" c 0 0
  hidden=$((hidden + 1))
done < <(find "$TOOLKIT" \( -name 'cudnn*.h' -o -name 'nccl*.h' -o -name 'libcudnn*' -o -name 'libnccl*' \) -print0)
tk_in_root="$ROOT$TOOLKIT"
mount_at "$tk_in_root" -t overlay overlay -o "lowerdir=$TOOLKIT,upperdir=$ov/upper,workdir=$ov/work"
[[ "$TOOLKIT" == /usr/local/cuda ]] || ln -sfn "$TOOLKIT" "$ROOT/usr/local/cuda"
echo "rehearse-gpu-machine: toolkit $TOOLKIT mounted, $hidden cuDNN/NCCL files hidden"

# cuDNN and NCCL as their wheels lay them out: nvidia/<name>/{include,lib}, versioned libraries only.
wheel_layout() {  # wheel_layout NAME HEADER-GLOB LIBRARY-GLOB
  local dest="$ROOT$SITE/nvidia/$1" f n=0
  rm -rf "$dest"
  mkdir -p "$dest/include" "$dest/lib"
  while IFS= read -r -d '' f; do cp -a "$f" "$dest/include/"; n=$((n + 1)); done < <(find "$TOOLKIT" -name "$2" -print0)
  while IFS= read -r -d '' f; do
    cp -l "$(readlink -f "$f")" "$dest/lib/$(basename "$f")" 2>/dev/null || cp -L "$f" "$dest/lib/"
    n=$((n + 1))
  done < <(find "$TOOLKIT" -name "$3" -print0)
  [[ $n -gt 0 ]] || die "the host toolkit has no $1 to lay out as a wheel"
  echo "rehearse-gpu-machine: $1 laid out as a wheel at $SITE/nvidia/$1 ($n files)"
}
wheel_layout cudnn 'cudnn*.h' 'libcudnn*.so.9'
wheel_layout nccl 'nccl*.h' 'libnccl.so.2'

# --- the working tree, as a lent machine receives it ------------------------------------------------
work="$ROOT/work"
rm -rf "$work/src" "$work/out"
mkdir -p "$work/src"
git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -C "$work/src" -xf -
echo "$(git rev-parse HEAD)$([[ -n "$(git status --porcelain --untracked-files=no)" ]] && echo ' (with uncommitted changes)')" \
  >"$work/src/COMMIT"
ci/make-deps-prefix.sh "$work/src/.deps" | tail -n 2

# --- gpu.sh inside -------------------------------------------------------------------------------
gpu_cmd=(ci/gpu.sh --deps .deps --out /work/out --build /work/build --cuda-architectures 90 --steps "$STEPS" "${GPU_ARGS[@]}")
echo "rehearse-gpu-machine: ${gpu_cmd[*]} in the bare system"
set +e
chroot "$ROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 PATH=/opt/venv/bin:/usr/local/cuda/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  bash -c 'cd /work/src && exec "$@"' gpu "${gpu_cmd[@]}"
set -e
rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
cp -a "$work/out" "$OUT"

# --- verdict -------------------------------------------------------------------------------------
failed="$(grep -E '^ *FAILED' "$OUT/summary.txt" | grep -v ' context ' || true)"
problems=()
[[ -z "$failed" ]] || problems+=("steps failed: $failed")
if [[ ",$STEPS," == *",configure,"* ]]; then
  for lib in cuDNN NCCL; do
    grep -qE "^-- +$lib +found .*/nvidia/" "$OUT/step-configure.log" || problems+=("configure did not find $lib in its wheel")
  done
fi
echo
if [[ ${#problems[@]} -eq 0 ]]; then
  echo "rehearse-gpu-machine: passed (output in $OUT)"
  exit 0
fi
printf 'rehearse-gpu-machine: FAILED: %s\n' "${problems[@]}"
exit 1
