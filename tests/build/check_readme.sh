#!/usr/bin/env bash
# Compiles every C example in README.md that has a main() against the built
# library, so the README cannot drift from the API.
set -euo pipefail
readme=$1 incdir=$2 libdir=$3 cc=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$readme" "$tmp" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
blocks = [b for b in re.findall(r"```c\n(.*?)```", text, re.S) if "int main" in b]
for i, b in enumerate(blocks):
    open(f"{sys.argv[2]}/ex{i}.c", "w").write(b)
print(len(blocks), "examples")
PY
n=0
for f in "$tmp"/ex*.c; do
  "$cc" -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -I"$incdir" -o "${f%.c}" "$f" \
    -L"$libdir" -lkafc
  n=$((n + 1))
done
[ "$n" -ge 1 ] || { echo "no C example with main() in README.md"; exit 1; }
echo "ok: $n README examples compile"
