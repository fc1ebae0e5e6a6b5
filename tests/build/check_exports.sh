#!/usr/bin/env bash
# Fails unless every dynamic symbol libkafc.so defines is kafc_* and the
# SONAME is libkafc.so.<major>.
set -euo pipefail
lib=$1
syms=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^KAFC_0$' | sort -u)
bad=$(printf '%s\n' "$syms" | grep -v '^kafc_' || true)
if [ -n "$bad" ]; then
  echo "non-kafc_ symbols exported by $lib:"; printf '%s\n' "$bad"; exit 1
fi
count=$(printf '%s\n' "$syms" | grep -c '^kafc_' || true)
if [ "$count" -lt 10 ]; then
  echo "expected the public API to be exported, found only $count kafc_ symbols"; exit 1
fi
if printf '%s\n' "$syms" | grep -q '^kafc__'; then
  echo "internal kafc__ symbols exported"; exit 1
fi
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
[ "$soname" = "libkafc.so.0" ] || { echo "SONAME is '$soname', expected libkafc.so.0"; exit 1; }
echo "ok: $count kafc_ symbols exported, SONAME $soname"
