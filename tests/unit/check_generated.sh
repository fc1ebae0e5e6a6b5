#!/usr/bin/env bash
# Checks that the generated files in the tree are up to date: regenerates
# them into a temporary directory and diffs against the committed copies.
# Exits 1, printing the diff, when any differ (fix: run scripts/gen).
#
#   check_generated.sh KAFC_CONF_DOC [SHARED_DIR]
#
# KAFC_CONF_DOC is the built kafc-conf-doc; SHARED_DIR holds
# error-codes.tsv (default: tools/kafka-protocol in the repository).
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 KAFC_CONF_DOC [SHARED_DIR]" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
tool=$1
shared=${2:-$root/tools/kafka-protocol}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 "$root/tools/gen_errors.py" --shared "$shared" --out "$tmp"
"$tool" >"$tmp/CONFIGURATION.md"

status=0
for f in include/kafc/error_codes.h src/error.c CONFIGURATION.md; do
  if ! diff -u --label "committed $f" --label "regenerated $f" "$root/$f" "$tmp/$f"; then
    echo "check_generated: $f is stale: run scripts/gen and commit the result" >&2
    status=1
  fi
done
[ $status -eq 0 ] && echo "check_generated: all generated files up to date"
exit $status
