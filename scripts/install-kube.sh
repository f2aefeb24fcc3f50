#!/usr/bin/env bash
# Installs what the Kubernetes end-to-end tests need and prints the directory holding the binaries
# (`kube-apiserver`, `kube-controller-manager`, `kubectl`, plus `etcd` linked from Debian).
#
# No registry ships a kube-apiserver, so it is built from Debian bookworm's `kubernetes` source package
# (Kubernetes v1.20.2 with every Go dependency vendored; builds offline with Debian's Go 1.19) and cached by
# version outside the checkout: the ~5 minute build is paid once per machine. Idempotent.
#
# One patch is applied: the vendored reflect2 1.0.1 crashes under Go >= 1.18 (`fatal error: fault` on the
# first custom-resource write), so it is replaced by Debian's reflect2 1.0.2.
set -euo pipefail

version=1.20.2
cache=${DYNAGATE_KUBE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dynagate/kube}
bin="$cache/v$version/bin"
binaries=(kube-apiserver kube-controller-manager kubectl)
apt_packages=(golang-go dpkg-dev jq rsync etcd-server etcd-client golang-github-modern-go-reflect2-dev openssl)

log() { echo "install-kube: $*" >&2; }

sudo_if_needed() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

have_built() {
  for b in "${binaries[@]}"; do [ -x "$bin/$b" ] || return 1; done
  "$bin/kube-apiserver" --version 2>/dev/null | grep -q "v$version"
}

have_binaries() {
  have_built && [ -x "$bin/etcd" ]
}

ensure_apt_packages() {
  local missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing apt packages: ${missing[*]}"
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
    { sudo_if_needed apt-get update >&2 && sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
}

# A deb-src entry mirroring the machine's own `deb` sources (same URIs, suites and keys).
ensure_deb_src() {
  local src=/etc/apt/sources.list.d/dynagate-deb-src.sources
  if [ -f "$src" ]; then return 0; fi
  local system=/etc/apt/sources.list.d/debian.sources
  [ -f "$system" ] || { log "no $system to mirror for deb-src"; exit 1; }
  log "adding deb-src sources ($src)"
  sed -e 's/^Types: deb$/Types: deb-src/' "$system" | sudo_if_needed tee "$src" >/dev/null
  sudo_if_needed apt-get update >&2
}

build() {
  local work="$cache/src"
  mkdir -p "$work"
  local tree
  tree=$(find "$work" -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)
  if [ -z "$tree" ]; then
    ensure_deb_src
    log "fetching Debian's kubernetes source package into $work"
    (cd "$work" && apt-get source kubernetes >&2)
    tree=$(find "$work" -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)
  fi
  [ -n "$tree" ] || { log "the kubernetes source tree did not unpack"; exit 1; }

  local reflect2=/usr/share/gocode/src/github.com/modern-go/reflect2
  log "patching vendored reflect2 with Debian's 1.0.2 ($reflect2)"
  local vendored="$tree/vendor/github.com/modern-go/reflect2"
  rm -f "$vendored"/*.go "$vendored"/*.s
  cp "$reflect2"/*.go "$vendored/"
  if compgen -G "$reflect2/*.s" >/dev/null; then cp "$reflect2"/*.s "$vendored/"; fi

  log "building ${binaries[*]} v$version (about 5 minutes on 2 cores)"
  (cd "$tree" && GOPROXY=off CGO_ENABLED=0 GOFLAGS=-mod=vendor GOCACHE="$cache/go-build" \
    KUBE_GIT_VERSION="v$version" KUBE_GIT_TREE_STATE=clean KUBE_GIT_MAJOR=1 KUBE_GIT_MINOR=20 \
    make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kubectl" >&2)
  mkdir -p "$bin"
  for b in "${binaries[@]}"; do
    install -m 0755 "$tree/_output/bin/$b" "$bin/$b"
  done
  # The source tree and Go build cache are only needed to rebuild: drop them (about 2 GB).
  rm -rf "$work" "$cache/go-build"
}

if ! have_binaries; then
  ensure_apt_packages
  have_built || build
  mkdir -p "$bin"
  ln -sf "$(command -v etcd || echo /usr/bin/etcd)" "$bin/etcd"
  have_binaries || { log "binaries missing after install in $bin"; exit 1; }
fi
echo "$bin"
