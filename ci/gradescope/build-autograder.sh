#!/usr/bin/env bash
# ci/gradescope/build-autograder.sh: builds the Gradescope autograder zip of one lab.
#   zip root:  setup.sh, run_autograder (from ci/gradescope/), and source/ = this project without
#              .git, build*/ folders, out/ and reference/, except the lab's hidden tests
#              (source/reference/NN-slug/hidden_tests/, only that folder of reference/), plus
#              source/GRADESCOPE_LAB naming the lab.
# Files are taken from `git ls-files` (tracked and untracked-but-not-ignored) when this is a git
# checkout, else from the folder itself. The zip is written with Python's zipfile (keeping the
# executable bits), or with `cmake -E tar --format=zip` when there is no python3.
#
# Usage: ci/gradescope/build-autograder.sh LAB OUT.zip
#   LAB is a lab id (01) or folder name (01-matmul) under labs/. Exit 2 for bad arguments or an
#   unknown lab.
set -euo pipefail

usage() {
  echo "usage: ci/gradescope/build-autograder.sh LAB OUT.zip   (LAB: 01 or 01-matmul, a folder of labs/)"
}
if [[ $# -ne 2 || -z "$1" || -z "$2" ]]; then
  usage >&2
  exit 2
fi
LAB_ARG="$1"
OUT_ARG="$2"

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
GS="$SRC/ci/gradescope"

# --- the lab --------------------------------------------------------------------------------------
known="$(cd "$SRC/labs" && for d in [0-9][0-9]-*/; do [[ -f "$d/lab.json" ]] && printf '%s ' "${d%/}"; done)"
LAB=""
if [[ "$LAB_ARG" =~ ^[0-9][0-9]$ ]]; then
  shopt -s nullglob
  matches=("$SRC/labs/$LAB_ARG"-*/lab.json)
  shopt -u nullglob
  [[ ${#matches[@]} -eq 1 ]] && LAB="$(basename "$(dirname "${matches[0]}")")"
elif [[ "$LAB_ARG" =~ ^[0-9][0-9]-[a-z0-9-]+$ && -f "$SRC/labs/$LAB_ARG/lab.json" ]]; then
  LAB="$LAB_ARG"
fi
if [[ -z "$LAB" ]]; then
  echo "build-autograder: unknown lab '$LAB_ARG': no labs/$LAB_ARG or labs/$LAB_ARG-*/ with a lab.json (labs here: ${known:-none})" >&2
  exit 2
fi

case "$OUT_ARG" in
  *.zip) ;;
  *) echo "build-autograder: the output must be a .zip file: $OUT_ARG" >&2; usage >&2; exit 2 ;;
esac
mkdir -p "$(dirname "$OUT_ARG")"
OUT="$(cd "$(dirname "$OUT_ARG")" && pwd)/$(basename "$OUT_ARG")"

for f in setup.sh run_autograder; do
  [[ -f "$GS/$f" ]] || { echo "build-autograder: $GS/$f is missing" >&2; exit 1; }
done

# --- stage ----------------------------------------------------------------------------------------
STAGE="$(mktemp -d "${TMPDIR:-/tmp}/aisys-autograder.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
install -m 0755 "$GS/setup.sh" "$STAGE/setup.sh"
install -m 0755 "$GS/run_autograder" "$STAGE/run_autograder"
mkdir -p "$STAGE/source"

# Project files, one path relative to SRC per line.
list_files() {
  if command -v git >/dev/null 2>&1 && git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
     [[ "$(git -C "$SRC" rev-parse --show-toplevel)" == "$SRC" ]]; then
    git -C "$SRC" ls-files --cached --others --exclude-standard
  else
    (cd "$SRC" && find . \( -name .git -o -name '__pycache__' -o -path './build*' -o -path './out' \) -prune \
       -o \( -type f -o -type l \) -print | sed 's|^\./||')
  fi
}

n=0
while IFS= read -r rel; do
  case "$rel" in
    .git|.git/*|*/.git/*|*/.git) continue ;;      # history holds the solutions
    build*|out/*|reference/*) continue ;;          # build trees, outputs, solutions
    GRADESCOPE_LAB|GRADESCOPE_PRESET) continue ;;
    */__pycache__/*|*.pyc) continue ;;
  esac
  [[ "$SRC/$rel" == "$OUT" ]] && continue
  [[ -f "$SRC/$rel" ]] || continue              # deleted but still tracked, or a link to nothing
  mkdir -p "$STAGE/source/$(dirname "$rel")"
  cp -pL "$SRC/$rel" "$STAGE/source/$rel"
  n=$((n + 1))
done < <(list_files)

hidden="$SRC/reference/$LAB/hidden_tests"
n_hidden=0
if [[ -d "$hidden" ]]; then
  mkdir -p "$STAGE/source/reference/$LAB"
  cp -RpL "$hidden" "$STAGE/source/reference/$LAB/hidden_tests"
  find "$STAGE/source/reference/$LAB/hidden_tests" \( -name '__pycache__' -o -name '*.pyc' \) -prune -exec rm -rf {} +
  n_hidden="$(find "$STAGE/source/reference/$LAB/hidden_tests" -type f | wc -l)"
fi
printf '%s\n' "$LAB" >"$STAGE/source/GRADESCOPE_LAB"

# Nothing of reference/ but the hidden tests, and no history.
leak="$(cd "$STAGE/source" && find . -path './reference/*' -type f -not -path "./reference/$LAB/hidden_tests/*" | head -n5)"
if [[ -n "$leak" || -e "$STAGE/source/.git" ]]; then
  echo "build-autograder: refusing: solution files or .git in the staged tree: $leak" >&2
  exit 1
fi

# --- zip ------------------------------------------------------------------------------------------
TMP_ZIP="$STAGE/autograder.zip"
PY=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import zipfile' >/dev/null 2>&1; then PY="$p"; break; fi
done
if [[ -n "$PY" ]]; then
  (cd "$STAGE" && "$PY" - "$TMP_ZIP" setup.sh run_autograder source <<'EOF'
import os
import sys
import zipfile

out, roots = sys.argv[1], sys.argv[2:]
paths = []
for root in roots:
    if os.path.isdir(root):
        for d, dirs, files in os.walk(root):
            dirs.sort()
            paths.append(d + "/")
            paths.extend(os.path.join(d, f) for f in sorted(files))
    else:
        paths.append(root)
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for p in paths:
        st = os.stat(p)
        info = zipfile.ZipInfo.from_file(p.rstrip("/"), arcname=p)
        if p.endswith("/"):
            info.external_attr = (0o40755 << 16) | 0x10
            z.writestr(info, b"")
        else:
            info.external_attr = (st.st_mode & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(p, "rb") as f:
                z.writestr(info, f.read())
EOF
  )
else
  (cd "$STAGE" && cmake -E tar cf "$TMP_ZIP" --format=zip setup.sh run_autograder source)
fi
mv -f "$TMP_ZIP" "$OUT"
size_kib="$(du -k "$OUT" | cut -f1)"
echo "build-autograder: $OUT: lab $LAB, $n project files, $n_hidden hidden test files, ${size_kib} KiB"
if [[ $n_hidden -eq 0 ]]; then
  echo "build-autograder: note: reference/$LAB/hidden_tests does not exist: only the public tests grade"
fi
echo "build-autograder: upload it on Gradescope (Configure Autograder, Ubuntu 24.04 base image)"
