#!/usr/bin/env bash
# Prerequisites of the local Kafka + schema-registry stack on a fresh Debian/Ubuntu
# machine, for .ci/run (or a developer): Java 17+ and Maven from apt when missing,
# then the Maven downloads (Kafka, Apicurio Registry) into the caches, so that
# `npm run stack:up` only starts processes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

apt_updated=0
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "[stack-deps] ERROR: $* missing and apt-get is not available; install them with your package manager" >&2
    exit 1
  fi
  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then sudo=(sudo -n); fi
  if ((apt_updated == 0)); then
    "${sudo[@]}" apt-get update -qq
    apt_updated=1
  fi
  echo "[stack-deps] apt-get install $*" >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

java_ok() {
  command -v java >/dev/null 2>&1 || return 1
  local major
  major="$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')"
  [[ -n "$major" && "${major%%.*}" -ge 17 ]]
}

missing=()
java_ok || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
if ((${#missing[@]})); then apt_install "${missing[@]}"; fi
java_ok || { echo "[stack-deps] ERROR: Java 17+ still not found after installing" >&2; exit 1; }

echo "[stack-deps] $(java -version 2>&1 | head -n1); $(mvn -v 2>/dev/null | head -n1 | sed 's/\x1b\[[0-9;]*m//g')" >&2
bash "$ROOT/scripts/stack/provision.sh"
echo "[stack-deps] ready: npm run stack:up" >&2
