#!/usr/bin/env bash
# ci/install-deps.sh: the install step both README commands start with. Installs, from the
# distribution's packages (apt; sudo when not root), whatever the build needs and is missing;
# does nothing when everything is present (idempotent). Nothing is downloaded from anywhere else.
#   ci/install-deps.sh            install what is missing
#   ci/install-deps.sh --check    only list what is missing (exit 1 if anything is)
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ git binutils pkg-config ccache
  libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev libcli11-dev
  libopenblas-dev libopenblas0-pthread libdnnl-dev
  libopenmpi-dev openmpi-bin
  python3 python3-matplotlib
  zlib1g-dev dataset-fashion-mnist
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: every package is present (${#PACKAGES[@]} checked)"
  exit 0
fi
echo "install-deps: missing: ${missing[*]}"
if [[ "${1:-}" == "--check" ]]; then
  exit 1
fi

if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "install-deps: not root and no sudo: install these packages yourself: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"
