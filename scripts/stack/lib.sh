# shellcheck shell=bash
# shellcheck disable=SC2034  # the settings below are used by the scripts that source this file
# Shared settings and helpers for the local Kafka + schema-registry stack.
# Sourced by up.sh, down.sh, status.sh, broker.sh, restart-kafka.sh and provision.sh.

set -euo pipefail

STACK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STACK_SCRIPTS="$STACK_ROOT/scripts/stack"
STACK_DIR="${STACK_DIR:-$STACK_ROOT/.stack}"
STACK_LOGS="$STACK_DIR/logs"
STACK_CACHE="${CHURN_STACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/churn-scorer}"

# Pinned versions. Kafka 3.9.2 is the newest line that kafkajs 2.2.4 fully works
# with, transactions included (see docs/stack.md for the 4.x results).
# Apicurio 3.0.9 is the newest 3.x app distribution on Maven Central that runs on
# Java 17 (3.3.x needs Java 21).
KAFKA_VERSION="${STACK_KAFKA_VERSION:-3.9.2}"
APICURIO_VERSION="${STACK_APICURIO_VERSION:-3.0.9}"
MAVEN_DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.6.1"

KAFKA_HOME="$STACK_CACHE/kafka-$KAFKA_VERSION"
APICURIO_HOME="$STACK_CACHE/apicurio-registry-$APICURIO_VERSION"
KAFKA_DATA="$STACK_DIR/kafka-data"
REGISTRY_DATA="$STACK_DIR/registry-data"
STATE_FILE="$STACK_DIR/state"
ENV_FILE="$STACK_DIR/env"

# One broker gets 512 MiB; each node of a multi-broker cluster 384 MiB (three share 2 cores in CI).
KAFKA_HEAP_OPTS_SINGLE="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
KAFKA_HEAP_OPTS_CLUSTER="${KAFKA_HEAP_OPTS:--Xms128m -Xmx384m}"
REGISTRY_HEAP_OPTS="${REGISTRY_HEAP_OPTS:--Xms128m -Xmx384m}"
# Cold starts on a busy 2-core machine are slow; the registry alone can take 30s+.
STACK_START_TIMEOUT_S="${STACK_START_TIMEOUT_S:-180}"
STACK_STOP_TIMEOUT_S="${STACK_STOP_TIMEOUT_S:-30}"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

java_major_version() {
  java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}'
}

require_java() {
  if ! command -v java >/dev/null 2>&1; then
    die "java not found. Install a Java 17+ runtime, e.g. on Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless (or run: bash scripts/ci/stack-deps.sh)"
  fi
  local major
  major="$(java_major_version)"
  if [[ -z "$major" || "${major%%.*}" -lt 17 ]]; then
    die "java $major found, but Kafka $KAFKA_VERSION and Apicurio $APICURIO_VERSION need Java 17+. On Debian: apt-get install -y openjdk-17-jre-headless"
  fi
}

require_maven() {
  command -v mvn >/dev/null 2>&1 ||
    die "mvn not found; it fetches Kafka and Apicurio from Maven Central. On Debian/Ubuntu: apt-get install -y maven (or run: bash scripts/ci/stack-deps.sh)"
}

require_node_deps() {
  command -v node >/dev/null 2>&1 || die "node not found (Node 20+ is needed for the readiness probe)"
  [[ -d "$STACK_ROOT/node_modules/kafkajs" ]] ||
    die "node_modules/kafkajs missing: run 'npm ci' in $STACK_ROOT first (the readiness probe uses kafkajs)"
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Resolves a port setting: a number, or 0 / "auto" for a free port.
resolve_port() {
  local name="$1" value="$2"
  if [[ "$value" == "0" || "$value" == "auto" ]]; then
    value="$(free_port)"
    log "$name=auto: picked free port $value"
  fi
  [[ "$value" =~ ^[0-9]+$ && "$value" -gt 0 && "$value" -lt 65536 ]] || die "$name must be a TCP port (1-65535), 0 or auto; got '$value'"
  printf '%s' "$value"
}

pid_file() { printf '%s/%s.pid' "$STACK_DIR" "$1"; }

# Prints the pid of our process $1 (kafka | registry) when it is alive. A pid is
# ours only when its command line carries our marker, so a recycled pid is
# never mistaken for the stack (and never killed).
running_pid() {
  local name="$1" file pid
  file="$(pid_file "$name")"
  [[ -f "$file" ]] || return 1
  pid="$(cat "$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # The trailing space makes the match exact: kafka-1-<id> is not kafka-<id>, nor <id> a prefix of another id.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "-Dchurn.stack=$name-$(stack_id) " || return 1
  printf '%s' "$pid"
}

# Distinguishes stacks of different checkouts on one machine.
stack_id() {
  printf '%s' "$STACK_DIR" | cksum | cut -d' ' -f1
}

stop_process() {
  local name="$1" pid waited=0
  if ! pid="$(running_pid "$name")"; then
    rm -f "$(pid_file "$name")"
    return 0
  fi
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= STACK_STOP_TIMEOUT_S * 10)); then
      log "$name (pid $pid) still alive after ${STACK_STOP_TIMEOUT_S}s: sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  # Bounded: a child of this very shell may linger as a zombie until it is reaped.
  for _ in $(seq 50); do
    [[ -r "/proc/$pid/cmdline" && -s "/proc/$pid/cmdline" ]] || break
    sleep 0.1
  done
  rm -f "$(pid_file "$name")"
}

state_get() {
  local key="$1"
  [[ -f "$STATE_FILE" ]] || return 1
  awk -F= -v k="$key" '$1 == k { sub(/^[^=]*=/, ""); print; found=1 } END { exit !found }' "$STATE_FILE"
}

# The Kafka layout of this stack directory: STACK_BROKERS nodes, node i (1-based) listening on
# KAFKA_PORTS[i-1] (clients) and CONTROLLER_PORTS[i-1] (KRaft). One node is the classic single
# broker (process "kafka", data in kafka-data/); more are a replicated cluster of combined
# broker+controller nodes (processes kafka-<id>, data in kafka-data/node-<id>/). State files
# written before multi-broker mode existed have kafka_port/controller_port only: one node.
load_kafka_layout() {
  STACK_BROKERS="$(state_get brokers 2>/dev/null || echo 1)"
  local ports controllers
  ports="$(state_get kafka_ports 2>/dev/null || state_get kafka_port 2>/dev/null || true)"
  controllers="$(state_get controller_ports 2>/dev/null || state_get controller_port 2>/dev/null || true)"
  IFS=, read -r -a KAFKA_PORTS <<<"$ports"
  IFS=, read -r -a CONTROLLER_PORTS <<<"$controllers"
}

# Node ids of the layout: 1..STACK_BROKERS.
kafka_nodes() { seq 1 "$STACK_BROKERS"; }

kafka_node_name() { if ((STACK_BROKERS == 1)); then printf 'kafka'; else printf 'kafka-%s' "$1"; fi; }
kafka_node_data() { if ((STACK_BROKERS == 1)); then printf '%s' "$KAFKA_DATA"; else printf '%s/node-%s' "$KAFKA_DATA" "$1"; fi; }
kafka_node_log() { printf '%s/%s.log' "$STACK_LOGS" "$(kafka_node_name "$1")"; }
kafka_node_port() { printf '%s' "${KAFKA_PORTS[$(($1 - 1))]:-}"; }
kafka_node_controller_port() { printf '%s' "${CONTROLLER_PORTS[$(($1 - 1))]:-}"; }

# The bootstrap list clients use: every node's listener.
kafka_bootstrap() {
  local id out=()
  for id in $(kafka_nodes); do out+=("127.0.0.1:$(kafka_node_port "$id")"); done
  (IFS=,; printf '%s' "${out[*]}")
}

require_node_id() {
  local id="$1"
  [[ "$id" =~ ^[0-9]+$ ]] && ((id >= 1 && id <= STACK_BROKERS)) ||
    die "no broker '$id' in $STACK_DIR: node ids are 1..$STACK_BROKERS"
}

kafka_classpath() {
  printf '%s/libs/*:%s/config' "$KAFKA_HOME" "$KAFKA_HOME"
}

kafka_log_config_opt() {
  if [[ "${KAFKA_VERSION%%.*}" -ge 4 ]]; then
    printf '%s' "-Dlog4j2.configurationFile=$KAFKA_HOME/config/log4j2.properties"
  else
    printf '%s' "-Dlog4j.configuration=file:$KAFKA_HOME/config/log4j.properties"
  fi
}

probe() {
  node "$STACK_SCRIPTS/probe.mjs" "$@"
}
