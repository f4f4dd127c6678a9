#!/usr/bin/env bash
# The browser the dashboard's tests drive (`npm run test:browser`): Debian's chromium, from apt when missing.
# playwright-core (a dev dependency) drives it; it downloads no browser of its own. Idempotent.
#
#   bash scripts/ci/browser-deps.sh          # prints the chromium path
# CHROMIUM_PATH set to an existing executable: used as it is, nothing installed.
set -euo pipefail

log() { echo "[browser-deps] $*" >&2; }

if [[ -n "${CHROMIUM_PATH:-}" && -x "$CHROMIUM_PATH" ]]; then
  echo "$CHROMIUM_PATH"
  exit 0
fi
if [[ ! -x /usr/bin/chromium ]]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    log "ERROR: chromium is missing and apt-get is not available; install chromium and set CHROMIUM_PATH"
    exit 1
  fi
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then sudo=(sudo -n); fi
  log "apt-get install chromium"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium >/dev/null
fi
log "$(/usr/bin/chromium --version 2>/dev/null)"
echo /usr/bin/chromium
