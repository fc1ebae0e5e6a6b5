#!/usr/bin/env bash
# Installs the built tree into a temporary prefix, then builds and runs a
# program outside the tree against it three ways: pkg-config (shared),
# pkg-config --static, and CMake find_package(kafc).
set -euo pipefail
build=$1 src=$2 cc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
libdir=$(ls -d "$tmp"/prefix/lib*/ | head -1)
export PKG_CONFIG_PATH="$libdir/pkgconfig"

echo "== pkg-config (shared)"
# shellcheck disable=SC2046
"$cc" -o "$tmp/pc_shared" "$src/main.c" $(pkg-config --cflags --libs kafc)
LD_LIBRARY_PATH="$libdir" "$tmp/pc_shared"
# (ldd's output is captured first: grep -q exiting early would make ldd die
# of SIGPIPE and fail the pipeline under pipefail.)
deps=$(LD_LIBRARY_PATH="$libdir" ldd "$tmp/pc_shared")
printf '%s\n' "$deps" | grep -q "$libdir.*libkafc.so.0" ||
  { echo "pc_shared did not load the installed libkafc.so.0"; exit 1; }

echo "== pkg-config --static"
# shellcheck disable=SC2046
static_libs=$(pkg-config --static --libs kafc | sed 's/-lkafc\b//')
# shellcheck disable=SC2046,SC2086
"$cc" -o "$tmp/pc_static" "$src/main.c" $(pkg-config --cflags kafc) "$libdir/libkafc.a" $static_libs
"$tmp/pc_static"

echo "== find_package(kafc)"
cmake -S "$src" -B "$tmp/cm" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_C_COMPILER="$cc" >/dev/null
cmake --build "$tmp/cm" >/dev/null
LD_LIBRARY_PATH="$libdir" "$tmp/cm/uses_kafc"
"$tmp/cm/uses_kafc_static"
echo "ok: installed kafc usable via pkg-config and find_package"
