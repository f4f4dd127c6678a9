#!/usr/bin/env bash
# Installs the alternative Kafka clients that `npm run bench -- --only clients` measures behind the worker's
# data path (bench/clients/package.json, pinned by its package-lock.json). Not a dependency of the service.
#
# @confluentinc/kafka-javascript wraps librdkafka. Its install step downloads a prebuilt binary from a code
# host, which is unreachable here, then falls back to compiling the librdkafka it ships. Its default static
# build downloads zlib/OpenSSL/zstd/curl sources too, so we build against Debian's libraries instead
# (CKJS_LINKING=dynamic): ~2 minutes on 2 cores, once.
#
# @platformatic/kafka is plain JavaScript (no build), but its 2.x needs Node >= 22.22: the bench runs its worker
# with the node of `scripts/ci/node-versions.sh bin 22.23.5`, not the machine's (npm warns about its engines here).
# When only it is missing, it is added from the lock file without touching the librdkafka build.
#
#   bash scripts/bench/kafka-clients.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

log() { printf 'kafka-clients: %s\n' "$*" >&2; }
CLIENTS=bench/clients
ADDON="$CLIENTS/node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node"
wanted() { node -p "require('./$CLIENTS/package.json').dependencies['$1']"; }
installed() { node -p "try { require('./$CLIENTS/node_modules/$1/package.json').version } catch { '' }"; }
WANT=$(wanted @confluentinc/kafka-javascript)
HAVE=$(installed @confluentinc/kafka-javascript)
WANT_PLT=$(wanted @platformatic/kafka)
HAVE_PLT=$(installed @platformatic/kafka)

if [[ -f "$ADDON" && "$HAVE" == "$WANT" ]]; then
  if [[ "$HAVE_PLT" == "$WANT_PLT" ]]; then
    log "@confluentinc/kafka-javascript $HAVE already built, @platformatic/kafka $HAVE_PLT installed"
    exit 0
  fi
  # Only the pure-JavaScript client is missing: install from the lock file, leaving the native build alone.
  log "installing @platformatic/kafka $WANT_PLT (the librdkafka build stays)"
  npm install --prefix "$CLIENTS" --no-audit --no-fund --loglevel=error --ignore-scripts
  [[ "$(installed @platformatic/kafka)" == "$WANT_PLT" ]] || { log "@platformatic/kafka $WANT_PLT did not install"; exit 1; }
  log "done: @platformatic/kafka $WANT_PLT"
  exit 0
fi

# librdkafka's build needs a C/C++ toolchain and the headers of the libraries it links.
PACKAGES=(build-essential python3 pkg-config zlib1g-dev libssl-dev libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev)
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]} > 0)); then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

log "building @confluentinc/kafka-javascript $WANT against the system libraries (CKJS_LINKING=dynamic)"
CKJS_LINKING=dynamic npm ci --prefix "$CLIENTS" --no-audit --no-fund --loglevel=error
test -f "$ADDON" || { log "build finished but $ADDON is missing"; exit 1; }
[[ "$(installed @platformatic/kafka)" == "$WANT_PLT" ]] || { log "@platformatic/kafka $WANT_PLT did not install"; exit 1; }
log "done: librdkafka $(node -p "require('./$CLIENTS/node_modules/@confluentinc/kafka-javascript').librdkafkaVersion"), @platformatic/kafka $WANT_PLT"
