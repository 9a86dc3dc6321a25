#!/usr/bin/env bash
# ci/make-deps-prefix.sh: run on a CPU machine (Debian/Ubuntu) where ci/install-deps.sh has
# installed the packages. Copies what a GPU build needs and a GPU machine lacks (it has no package
# manager) into OUT_DIR, a relocatable prefix for `ci/gpu.sh --deps OUT_DIR`:
#   GoogleTest + GoogleMock   headers, static libraries, CMake config (GTest)
#   Google Benchmark          headers, libraries (the shared one: Debian ships no static one), config
#   nlohmann_json, CLI11      headers, CMake config
#   zlib                      zlib.h, zconf.h and the static libz.a, in include/ and lib/ (a CUDA
#                             image has libz.so.1 for its own programs but seldom the headers)
#   OpenBLAS (--with-openblas only): libopenblas.so.0, cblas headers, its Fortran runtime and a
#                             relocatable OpenBLASConfig.cmake (Debian's holds absolute paths)
#   Fashion-MNIST (--with-fashion-mnist only): dataset-fashion-mnist's four files (30 MiB) in
#                             share/datasets/fashion-mnist, which ci/gpu.sh points
#                             AISYS_FASHION_MNIST_DIR at (lab 02's training tests and gradings)
# Files keep their place relative to /usr (include/, lib/<multiarch>/, share/cmake/), so the
# packages' own CMake files, which locate everything relative to themselves, work unchanged. Symbolic
# links are copied as files (a carried folder may drop links). Every copied CMake file is checked for
# absolute /usr paths, and a throwaway project then finds all of them from OUT_DIR alone,
# builds and runs (system package paths switched off), once more without the multiarch search path.
#
# Usage: ci/make-deps-prefix.sh [--with-openblas] [--with-fashion-mnist] [--no-verify] OUT_DIR
#   OUT_DIR must not exist or be empty. The total size is printed; carried files are capped at
#   64 MiB, and OpenBLAS alone takes about 40 MiB, so leave it out unless the CPU baselines are wanted.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: ci/make-deps-prefix.sh [--with-openblas] [--with-fashion-mnist] [--no-verify] OUT_DIR
  Copies GoogleTest, Google Benchmark, nlohmann_json, CLI11 (headers, libraries, CMake configs) and zlib
  from the installed Debian packages into OUT_DIR, a relocatable prefix for ci/gpu.sh --deps.
  --with-openblas  also copy OpenBLAS (library, cblas headers, Fortran runtime, CMake config): ~40 MiB
  --with-fashion-mnist  also copy the Fashion-MNIST files (lab 02's data set): 30 MiB
  --no-verify      skip the check that a throwaway CMake project finds everything in OUT_DIR
EOF
}

WITH_OPENBLAS=0
WITH_FASHION_MNIST=0
VERIFY=1
OUT=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --with-openblas) WITH_OPENBLAS=1; shift ;;
    --with-fashion-mnist) WITH_FASHION_MNIST=1; shift ;;
    --no-verify) VERIFY=0; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "make-deps-prefix: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    *) [[ -z "$OUT" ]] || { echo "make-deps-prefix: one OUT_DIR only" >&2; usage >&2; exit 2; }; OUT="$1"; shift ;;
  esac
done
[[ -n "$OUT" ]] || { usage >&2; exit 2; }
if [[ -e "$OUT" && ! -d "$OUT" ]] || [[ -d "$OUT" && -n "$(ls -A "$OUT")" ]]; then
  echo "make-deps-prefix: $OUT exists and is not an empty folder (remove it first)" >&2
  exit 2
fi
command -v dpkg-query >/dev/null 2>&1 || { echo "make-deps-prefix: needs dpkg (a Debian/Ubuntu machine)" >&2; exit 1; }
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

DEV_PACKAGES=(libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev libcli11-dev)
for p in "${DEV_PACKAGES[@]}" zlib1g-dev; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    echo "make-deps-prefix: package $p is not installed: run ci/install-deps.sh first" >&2
    exit 1
  fi
done

# copy_usr_file /usr/X: copy to OUT/X, following links (the copy is a plain file).
copied=0
copy_usr_file() {
  local src="$1" rel="${1#/usr/}"
  mkdir -p "$OUT/$(dirname "$rel")"
  cp -L --preserve=mode,timestamps "$src" "$OUT/$rel"
  copied=$((copied + 1))
}

# Headers, libraries and CMake package files of each package, as dpkg lists them. Not copied:
# pkg-config files (absolute prefix=/usr), documentation, sources.
for p in "${DEV_PACKAGES[@]}"; do
  while IFS= read -r f; do
    [[ -f "$f" || -L "$f" ]] || continue
    case "$f" in
      /usr/include/*) copy_usr_file "$f" ;;
      /usr/lib/*/cmake/*|/usr/lib/cmake/*|/usr/share/cmake/*) copy_usr_file "$f" ;;
      /usr/lib/*.a|/usr/lib/*.so|/usr/lib/*.so.*) copy_usr_file "$f" ;;
      *) ;;
    esac
  done < <(dpkg -L "$p")
done

# The runtime names of shared libraries (libbenchmark.so.1debian -> libbenchmark.so.1.7.1 lives in
# the runtime package, not in -dev): copy every name in the link chain as a file.
shopt -s nullglob
for so in "$OUT"/lib/*/libbenchmark.so "$OUT"/lib/libbenchmark.so; do
  link="/usr/${so#"$OUT"/}"
  while [[ -L "$link" ]]; do
    target="$(readlink "$link")"
    [[ "$target" == /* ]] || target="$(dirname "$link")/$target"
    copy_usr_file "$target"
    link="$target"
  done
done
shopt -u nullglob

# zlib: headers and the static archive only (position-independent in Debian's build), straight in
# include/ and lib/, where FindZLIB looks whether or not the compiler reports a multiarch folder.
# Linked statically, the programs need no libz.so.1 of the GPU machine's.
zlib_a="$(dpkg -L zlib1g-dev | grep -m1 '/libz\.a$' || true)"
[[ -f "$zlib_a" ]] || { echo "make-deps-prefix: zlib1g-dev lists no libz.a" >&2; exit 1; }
mkdir -p "$OUT/include" "$OUT/lib"
cp -L --preserve=mode,timestamps /usr/include/zlib.h /usr/include/zconf.h "$OUT/include/"
cp -L --preserve=mode,timestamps "$zlib_a" "$OUT/lib/libz.a"
copied=$((copied + 3))

MULTIARCH=""
gtest_cfg="$(find "$OUT/lib" -name GTestConfig.cmake -path '*/cmake/GTest/*' | head -n1)"
if [[ "$gtest_cfg" == "$OUT"/lib/*/cmake/GTest/GTestConfig.cmake ]]; then
  MULTIARCH="$(basename "$(dirname "$(dirname "$(dirname "$gtest_cfg")")")")"
fi

# --- OpenBLAS (optional) ------------------------------------------------------------------------
if [[ $WITH_OPENBLAS -eq 1 ]]; then
  arch="${MULTIARCH:-$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)}"
  sys_cfg="$(readlink -f "/usr/lib/$arch/cmake/openblas/OpenBLASConfig.cmake" 2>/dev/null || true)"
  sys_lib="$(readlink -f "/usr/lib/$arch/libopenblas.so.0" 2>/dev/null || true)"
  if [[ ! -f "$sys_cfg" || ! -f "$sys_lib" ]]; then
    echo "make-deps-prefix: OpenBLAS not installed (libopenblas-dev): run ci/install-deps.sh" >&2
    exit 1
  fi
  version="$(sed -n 's/^ *SET *( *OpenBLAS_VERSION *"\([^"]*\)".*/\1/Ip' "$sys_cfg" | head -n1)"
  inc_dir="$(sed -n 's/^ *SET *( *OpenBLAS_INCLUDE_DIRS *\([^ )]*\).*/\1/Ip' "$sys_cfg" | head -n1)"
  inc_dir="${inc_dir%/}"
  [[ -d "$inc_dir" ]] || inc_dir="/usr/include/$arch/openblas-pthread"
  flavour="$(basename "$(dirname "$sys_lib")")"   # openblas-pthread (or openblas-openmp, ...)
  lib_rel="lib/$arch/$flavour"
  inc_rel="include/$arch/$flavour"
  mkdir -p "$OUT/$lib_rel" "$OUT/$inc_rel" "$OUT/lib/$arch/cmake/openblas"
  cp -L "$sys_lib" "$OUT/$lib_rel/libopenblas.so.0"
  cp -L "$inc_dir"/*.h "$OUT/$inc_rel/"
  # The Fortran runtime libopenblas needs, which a GPU machine may lack.
  while read -r name _ path _; do
    case "$name" in
      libgfortran.so.*|libquadmath.so.*) [[ -f "$path" ]] && cp -L "$path" "$OUT/$lib_rel/$name" ;;
    esac
  done < <(ldd "$sys_lib" 2>/dev/null)
  # Debian's config names /usr/... absolutely: write one that locates itself.
  cat >"$OUT/lib/$arch/cmake/openblas/OpenBLASConfig.cmake" <<EOF
# OpenBLAS ${version} (${flavour}) copied by ci/make-deps-prefix.sh; paths relative to this file.
get_filename_component(_openblas_prefix "\${CMAKE_CURRENT_LIST_DIR}/../../../.." ABSOLUTE)
set(OpenBLAS_VERSION "${version}")
set(OpenBLAS_INCLUDE_DIRS "\${_openblas_prefix}/${inc_rel}")
set(OpenBLAS_LIBRARIES "\${_openblas_prefix}/${lib_rel}/libopenblas.so.0")
unset(_openblas_prefix)
EOF
  cp -L "$(dirname "$sys_cfg")/OpenBLASConfigVersion.cmake" "$OUT/lib/$arch/cmake/openblas/"
  echo "make-deps-prefix: OpenBLAS $version ($flavour) copied"
fi

# --- Fashion-MNIST (optional) -------------------------------------------------------------------
if [[ $WITH_FASHION_MNIST -eq 1 ]]; then
  data=/usr/share/datasets/fashion-mnist
  for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
    [[ -f "$data/$f" ]] || { echo "make-deps-prefix: no $data/$f: install dataset-fashion-mnist (ci/install-deps.sh does it)" >&2; exit 1; }
    mkdir -p "$OUT/share/datasets/fashion-mnist"
    cp -L --preserve=mode,timestamps "$data/$f" "$OUT/share/datasets/fashion-mnist/$f"
  done
  echo "make-deps-prefix: Fashion-MNIST copied (share/datasets/fashion-mnist)"
fi

# --- forwarders: a CMake whose compiler reports no multiarch never searches lib/<multiarch>/cmake,
# so lib/cmake/<Package>/ holds two-line files that load the real ones.
if [[ -n "$MULTIARCH" ]]; then
  for dir in "$OUT/lib/$MULTIARCH/cmake"/*/; do
    pkg="$(basename "$dir")"
    for cfg in "$dir"*Config.cmake "$dir"*-config.cmake "$dir"*ConfigVersion.cmake "$dir"*-config-version.cmake; do
      [[ -f "$cfg" ]] || continue
      mkdir -p "$OUT/lib/cmake/$pkg"
      # shellcheck disable=SC2016  # \${CMAKE_CURRENT_LIST_DIR} is for CMake, not the shell
      printf '# Forwards to the copy under lib/%s (written by ci/make-deps-prefix.sh).\ninclude("${CMAKE_CURRENT_LIST_DIR}/../../%s/cmake/%s/%s")\n' \
        "$MULTIARCH" "$MULTIARCH" "$pkg" "$(basename "$cfg")" >"$OUT/lib/cmake/$pkg/$(basename "$cfg")"
    done
  done
fi

# --- absolute paths in the CMake files ----------------------------------------------------------
# Debian's GTest and benchmark configs name their original folder only in the "/usr move" check
# (taken only when the file is loaded from that very folder); anything else pointing into /usr
# would make the prefix use the building machine's files.
bad="$(grep -rnE '(^|[^A-Za-z0-9_])/usr/' --include='*.cmake' "$OUT" |
  grep -vE '_realOrig|set\(_IMPORT_PREFIX "/usr/|set\(PACKAGE_PREFIX_DIR "/usr"|^[^:]*:[0-9]+:[[:space:]]*#' || true)"
if [[ -n "$bad" ]]; then
  echo "make-deps-prefix: absolute /usr paths remain in the copied CMake files:" >&2
  echo "$bad" >&2
  exit 1
fi

# --- proof: a throwaway project finds everything in OUT alone -----------------------------------
if [[ $VERIFY -eq 1 ]]; then
  probe="$(mktemp -d "${TMPDIR:-/tmp}/aisys-deps-probe.XXXXXX")"
  trap 'rm -rf "$probe"' EXIT
  mkdir -p "$probe/src"
  cat >"$probe/src/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(aisys_deps_probe CXX)
# Packages only from CMAKE_PREFIX_PATH: no registries, no system folders, no prefixes derived from
# PATH (switched off here, after the compiler and build tool were found through PATH).
set(CMAKE_FIND_USE_SYSTEM_ENVIRONMENT_PATH OFF)
if(PROBE_NO_MULTIARCH)
  set(CMAKE_LIBRARY_ARCHITECTURE "")  # as a compiler without multiarch would leave it
endif()
find_package(GTest REQUIRED)
find_package(benchmark REQUIRED)
find_package(nlohmann_json 3.9 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(ZLIB REQUIRED)
foreach(p IN LISTS ZLIB_INCLUDE_DIRS ZLIB_LIBRARIES)
  if(NOT p MATCHES "^${PROBE_PREFIX}/" OR NOT EXISTS "${p}")
    message(FATAL_ERROR "ZLIB: ${p} is not an existing path in the prefix")
  endif()
endforeach()
message(STATUS "probe: ZLIB ${ZLIB_VERSION_STRING} from ${ZLIB_LIBRARIES}")
set(pkgs GTest benchmark nlohmann_json CLI11)
if(PROBE_OPENBLAS)
  find_package(OpenBLAS CONFIG REQUIRED)
  list(APPEND pkgs OpenBLAS)
  foreach(p IN LISTS OpenBLAS_INCLUDE_DIRS OpenBLAS_LIBRARIES)
    if(NOT p MATCHES "^${PROBE_PREFIX}/" OR NOT EXISTS "${p}")
      message(FATAL_ERROR "OpenBLAS: ${p} is not an existing path in the prefix")
    endif()
  endforeach()
endif()
foreach(p IN LISTS pkgs)
  get_filename_component(d "${${p}_DIR}" REALPATH)
  if(NOT d MATCHES "^${PROBE_PREFIX}/")
    message(FATAL_ERROR "${p} found outside the prefix: ${${p}_DIR}")
  endif()
  message(STATUS "probe: ${p} ${${p}_VERSION} from ${${p}_DIR}")
endforeach()
foreach(t GTest::gtest GTest::gtest_main GTest::gmock benchmark::benchmark benchmark::benchmark_main
          nlohmann_json::nlohmann_json CLI11::CLI11)
  if(NOT TARGET ${t})
    message(FATAL_ERROR "target ${t} missing")
  endif()
  get_target_property(incs ${t} INTERFACE_INCLUDE_DIRECTORIES)
  get_target_property(type ${t} TYPE)
  set(paths "")
  if(incs)
    list(APPEND paths ${incs})
  endif()
  if(NOT type STREQUAL "INTERFACE_LIBRARY")
    get_target_property(imported_configs ${t} IMPORTED_CONFIGURATIONS)
    foreach(c IN LISTS imported_configs)
      get_target_property(loc ${t} IMPORTED_LOCATION_${c})
      list(APPEND paths "${loc}")
    endforeach()
  endif()
  foreach(p IN LISTS paths)
    if(NOT p MATCHES "^${PROBE_PREFIX}/" OR NOT EXISTS "${p}")
      message(FATAL_ERROR "${t}: ${p} is not an existing path in the prefix")
    endif()
  endforeach()
endforeach()
add_executable(probe main.cpp)
target_compile_features(probe PRIVATE cxx_std_17)
target_link_libraries(probe PRIVATE GTest::gtest GTest::gmock benchmark::benchmark
                      nlohmann_json::nlohmann_json CLI11::CLI11 ZLIB::ZLIB)
if(PROBE_OPENBLAS)
  target_include_directories(probe PRIVATE ${OpenBLAS_INCLUDE_DIRS})
  target_link_libraries(probe PRIVATE ${OpenBLAS_LIBRARIES})
  target_compile_definitions(probe PRIVATE PROBE_OPENBLAS=1)
endif()
EOF
  cat >"$probe/src/main.cpp" <<'EOF'
#include <CLI/CLI.hpp>
#include <benchmark/benchmark.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zlib.h>
#ifdef PROBE_OPENBLAS
#include <cblas.h>
#endif
#include <cstdio>

TEST(Probe, Works) { EXPECT_THAT(2 + 2, ::testing::Eq(4)); }

int main(int argc, char** argv) {
  CLI::App app{"probe"};
  CLI11_PARSE(app, argc, argv);
  nlohmann::json j = {{"ok", true}};
  benchmark::DoNotOptimize(j);
  if (zlibVersion()[0] != ZLIB_VERSION[0]) return 1;  // the header and the archive agree
#ifdef PROBE_OPENBLAS
  double a[1] = {2.0}, b[1] = {3.0}, c[1] = {0.0};
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, 1, 1, 1.0, a, 1, b, 1, 0.0, c, 1);
  if (c[0] != 6.0) return 1;
#endif
  ::testing::InitGoogleTest(&argc, argv);
  const int rc = RUN_ALL_TESTS();
  std::printf("probe: %s\n", j.dump().c_str());
  return rc;
}
EOF
  common=(-DCMAKE_PREFIX_PATH="$OUT" -DPROBE_PREFIX="$OUT"
          -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
          -DCMAKE_FIND_USE_CMAKE_SYSTEM_PATH=OFF
          -DPROBE_OPENBLAS="$WITH_OPENBLAS")
  gen=()
  command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
  echo "make-deps-prefix: verifying with a throwaway project (system package paths off)"
  if ! cmake -S "$probe/src" -B "$probe/build" "${gen[@]}" "${common[@]}" >"$probe/configure.log" 2>&1 ||
     ! cmake --build "$probe/build" >"$probe/build.log" 2>&1 ||
     ! (unset LD_LIBRARY_PATH; "$probe/build/probe" >"$probe/run.log" 2>&1); then
    cat "$probe"/*.log >&2
    echo "make-deps-prefix: verification FAILED" >&2
    exit 1
  fi
  grep 'probe:' "$probe/configure.log" | sed 's/^-- /  /'
  echo "  built and ran: $(tail -n1 "$probe/run.log")"
  if command -v ldd >/dev/null 2>&1; then
    echo "  run-time libraries from the prefix: $(ldd "$probe/build/probe" | grep -F "$OUT" | awk '{print $1}' | tr '\n' ' ')"
  fi
  if [[ -n "$MULTIARCH" ]]; then
    if ! cmake -S "$probe/src" -B "$probe/build-nomultiarch" "${gen[@]}" "${common[@]}" -DPROBE_NO_MULTIARCH=ON \
         >"$probe/configure-nomultiarch.log" 2>&1; then
      cat "$probe/configure-nomultiarch.log" >&2
      echo "make-deps-prefix: verification without the multiarch search path FAILED" >&2
      exit 1
    fi
    echo "  found again without the lib/$MULTIARCH search path (GTest and benchmark through lib/cmake/ forwarders):"
    grep 'probe:' "$probe/configure-nomultiarch.log" | sed 's/^-- /    /'
  fi
fi

size_kib="$(du -sk "$OUT" | cut -f1)"
echo "make-deps-prefix: $OUT: $copied package files, $((size_kib / 1024)).$(((size_kib % 1024) * 10 / 1024)) MiB in all"
if [[ $size_kib -gt $((48 * 1024)) ]]; then
  echo "make-deps-prefix: WARNING: more than 48 MiB; carried files are capped at 64 MiB in all" >&2
fi
echo "make-deps-prefix: use it with: ci/gpu.sh --deps $OUT --out <dir>"
