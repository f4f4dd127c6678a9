#!/usr/bin/env bash
# Installs what the http section of the bench needs besides autocannon (a dev dependency): wrk, a C HTTP load
# generator that costs the machine far less CPU per request than autocannon, and taskset (util-linux) to pin it
# to a core of its own. Debian packages; not a dependency of the service.
#
#   bash scripts/bench/http-tools.sh
set -euo pipefail

log() { printf 'http-tools: %s\n' "$*" >&2; }
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
if ((${#missing[@]} == 0)); then
  log "wrk and taskset already installed"
  exit 0
fi
log "installing Debian packages: ${missing[*]}"
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
log "done: $(wrk --version 2>&1 | head -n1)"
