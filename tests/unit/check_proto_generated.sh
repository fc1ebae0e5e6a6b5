#!/usr/bin/env bash
# Checks that the generated protocol codecs are up to date: regenerates them
# into a temporary directory and diffs against the committed src/proto/gen/
# and tests/unit/test_proto_roundtrip_generated.c. Exits 1, printing the diff, when any
# differ (fix: run scripts/gen-proto and commit the result).
#
#   check_proto_generated.sh [SCHEMA_DIR]
#
# SCHEMA_DIR defaults to tools/gen_proto.py's default (tools/kafka-protocol/messages).
set -euo pipefail
if [ $# -gt 1 ]; then
  echo "usage: $0 [SCHEMA_DIR]" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

args=(--out "$tmp/gen" --test-out "$tmp/test_proto_roundtrip_generated.c")
if [ $# -eq 1 ]; then
  args+=(--schemas "$1")
fi
/usr/bin/python3 "$root/tools/gen_proto.py" "${args[@]}"

status=0
if ! diff -ru "$root/src/proto/gen" "$tmp/gen"; then
  status=1
fi
if ! diff -u --label "committed tests/unit/test_proto_roundtrip_generated.c" \
     --label "regenerated tests/unit/test_proto_roundtrip_generated.c" \
     "$root/tests/unit/test_proto_roundtrip_generated.c" "$tmp/test_proto_roundtrip_generated.c"; then
  status=1
fi
if [ $status -ne 0 ]; then
  echo "check_proto_generated: generated protocol code is stale: run scripts/gen-proto and commit the result" >&2
else
  echo "check_proto_generated: src/proto/gen and tests/unit/test_proto_roundtrip_generated.c up to date"
fi
exit $status
