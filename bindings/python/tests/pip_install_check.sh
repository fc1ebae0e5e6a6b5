#!/usr/bin/env bash
# python.pip_install: `pip install ./bindings/python` works offline into a
# fresh virtual environment, and the installed module loads libkafc and
# names the C library's error for an unknown property.
#   pip_install_check.sh <python3> <source root> <cmake build dir>
set -euo pipefail
py=$1 src=$2 build=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A copy of the tree's parts the build reads, so that the source tree gets
# no build/ or egg-info of pip's.
mkdir -p "$tmp/repo/bindings"
cp -r "$src/include" "$tmp/repo/include"
cp -r "$src/bindings/python" "$tmp/repo/bindings/python"
rm -rf "$tmp/repo/bindings/python/build" "$tmp/repo/bindings/python/"*.egg-info
"$py" -m venv "$tmp/venv"
KAFC_BUILD_DIR="$build" "$tmp/venv/bin/pip" install --no-index --quiet \
  "$tmp/repo/bindings/python"
cd "$tmp"
"$tmp/venv/bin/python" - <<'PY'
import kafc
assert kafc.__file__.startswith(__import__("sys").prefix), kafc.__file__
assert kafc.libversion()[0] == kafc.version()[0], (kafc.libversion(), kafc.version())
try:
    kafc.Producer({"bootstrap.servers": "127.0.0.1:9", "no.such.property": 1})
except kafc.KafkaException as e:
    err = e.args[0]
    assert err.code() == kafc.KafkaError._UNKNOWN_CONFIG, err
    assert "no.such.property" in err.str(), err.str()
else:
    raise AssertionError("an unknown property was accepted")
print("pip install ./bindings/python: ok,", kafc.__file__)
PY
