#!/usr/bin/env bash
# Installs the alternative Kafka clients that `npm run bench -- --only clients` measures behind the worker's
# data path (bench/clients/package.json, pinned by its package-lock.json). Not a dependency of the service.
#
# @confluentinc/kafka-javascript wraps librdkafka. Its install step downloads a prebuilt binary from a code
# host, which is unreachable here, then falls back to compiling the librdkafka it ships. Its default static
# build downloads zlib/OpenSSL/zstd/curl sources too, so we build against Debian's libraries instead
# (CKJS_LINKING=dynamic): ~2 minutes on 2 cores, once.
#
#   bash scripts/bench/kafka-clients.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

log() { printf 'kafka-clients: %s\n' "$*" >&2; }
CLIENTS=bench/clients
ADDON="$CLIENTS/node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node"
WANT=$(node -p "require('./$CLIENTS/package.json').dependencies['@confluentinc/kafka-javascript']")
HAVE=$(node -p "try { require('./$CLIENTS/node_modules/@confluentinc/kafka-javascript/package.json').version } catch { '' }")

if [[ -f "$ADDON" && "$HAVE" == "$WANT" ]]; then
  log "@confluentinc/kafka-javascript $HAVE already built"
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
log "done: $(node -p "require('./$CLIENTS/node_modules/@confluentinc/kafka-javascript').librdkafkaVersion")"
