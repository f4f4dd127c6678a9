#!/usr/bin/env bash
# npm run stack:up [-- --brokers N] [-- --registry-url URL]
# Provisions (first time) and starts Kafka (KRaft) and an Apicurio schema registry on
# 127.0.0.1, then writes $STACK_DIR/env.
#   --brokers 1 (default): one node, replication factor 1.
#   --brokers 3 (3 to 5):  a replicated cluster of combined broker+controller nodes with
#                          replication factor 3 and min.insync.replicas 2; its ports are
#                          picked free unless KAFKA_PORT / KAFKA_CONTROLLER_PORT are set.
#   --registry-url URL:    use that Confluent-API registry instead of starting one
#                          (also: STACK_REGISTRY_URL).
# Idempotent: when the stack already runs it is re-verified and left as it is; nodes that
# died are started again with the ports they had.
# shellcheck source=scripts/stack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/stack/services.sh
source "$STACK_SCRIPTS/services.sh"

usage="usage: up.sh [--brokers 1|3|4|5] [--registry-url URL]"
brokers_arg=""
registry_url_arg="${STACK_REGISTRY_URL:-}"
while (($#)); do
  case "$1" in
    --brokers) brokers_arg="${2:?--brokers needs a number; $usage}"; shift 2 ;;
    --brokers=*) brokers_arg="${1#*=}"; shift ;;
    --registry-url) registry_url_arg="${2:?--registry-url needs a URL; $usage}"; shift 2 ;;
    --registry-url=*) registry_url_arg="${1#*=}"; shift ;;
    *) die "unknown argument '$1' ($usage)" ;;
  esac
done
if [[ -n "$brokers_arg" ]]; then
  [[ "$brokers_arg" =~ ^[1345]$ ]] ||
    die "--brokers must be 1, or 3 to 5 for a replicated cluster (two KRaft voters cannot lose one); got '$brokers_arg'"
fi
[[ -z "$registry_url_arg" || "$registry_url_arg" =~ ^https?://[^[:space:]]+$ ]] ||
  die "--registry-url must be an http(s) URL; got '$registry_url_arg'"

started_at=$(date +%s)
mkdir -p "$STACK_DIR" "$STACK_LOGS"
require_java
require_node_deps

# Serialize concurrent `up` / `down` / `broker` runs of this stack directory.
exec 8>"$STACK_DIR/.lock"
command -v flock >/dev/null 2>&1 && flock 8

load_kafka_layout
running_nodes=()
for id in $(kafka_nodes); do
  if running_pid "$(kafka_node_name "$id")" >/dev/null; then running_nodes+=("$id"); fi
done
registry_pid="$(running_pid registry || true)"

if [[ -n "$brokers_arg" && "$brokers_arg" != "$STACK_BROKERS" ]]; then
  ((${#running_nodes[@]} == 0)) ||
    die "the stack in $STACK_DIR runs $STACK_BROKERS broker(s), not $brokers_arg: npm run stack:down first (STACK_DIR selects another stack)"
  if [[ -d "$KAFKA_DATA" ]] && [[ -n "$(ls -A "$KAFKA_DATA" 2>/dev/null)" ]]; then
    die "$KAFKA_DATA holds the data of a $STACK_BROKERS-broker stack: npm run stack:down -- --wipe first, or choose another STACK_DIR"
  fi
  STACK_BROKERS="$brokers_arg"
fi

# Hands out a port per setting: a number (node i gets number + i - 1), or 0 / auto for free
# ports, all picked at once so that they differ.
free_ports() {
  node -e '
    const net = require("net");
    const servers = Array.from({ length: Number(process.argv[1]) }, () => net.createServer());
    Promise.all(servers.map((s) => new Promise((ok) => s.listen(0, "127.0.0.1", () => ok(s.address().port)))))
      .then((ports) => { console.log(ports.join(" ")); servers.forEach((s) => s.close()); });
  ' "$1"
}
port_setting() {
  local name="$1" value="$2" count="$3" i
  if [[ "$value" == 0 || "$value" == auto ]]; then
    read -r -a picked <<<"$(free_ports "$count")"
    log "$name=auto: picked free port(s) ${picked[*]}"
    printf '%s\n' "${picked[@]}"
    return 0
  fi
  [[ "$value" =~ ^[0-9]+$ && "$value" -gt 0 && "$((value + count - 1))" -lt 65536 ]] ||
    die "$name must be a TCP port (1-65535), 0 or auto; got '$value'"
  for ((i = 0; i < count; i++)); do printf '%s\n' "$((value + i))"; done
}

# A running node keeps the ports it was started with; so do the other nodes while any process
# of the stack runs (a node that died comes back where its clients expect it).
if ((${#running_nodes[@]} > 0)) || [[ -n "$registry_pid" && ${#KAFKA_PORTS[@]} == "$STACK_BROKERS" ]]; then
  KAFKA_VERSION="$(state_get kafka_version)"
  KAFKA_HOME="$STACK_CACHE/kafka-$KAFKA_VERSION"
  for pair in "KAFKA_PORT:${KAFKA_PORTS[0]}" "KAFKA_CONTROLLER_PORT:${CONTROLLER_PORTS[0]}"; do
    name="${pair%%:*}" port="${pair#*:}"
    if [[ -n "${!name:-}" && "${!name}" != "$port" && "${!name}" != 0 && "${!name}" != auto ]]; then
      log "note: $name=${!name} is ignored: the running stack already uses port $port (npm run stack:down first to change it)"
    fi
  done
else
  # One node keeps the classic defaults; a cluster is meant to run beside it, so it picks free ports.
  if ((STACK_BROKERS == 1)); then default_port=9092 default_controller=9093; else default_port=auto default_controller=auto; fi
  mapfile -t KAFKA_PORTS < <(port_setting KAFKA_PORT "${KAFKA_PORT:-$default_port}" "$STACK_BROKERS")
  mapfile -t CONTROLLER_PORTS < <(port_setting KAFKA_CONTROLLER_PORT "${KAFKA_CONTROLLER_PORT:-$default_controller}" "$STACK_BROKERS")
  ((${#KAFKA_PORTS[@]} == STACK_BROKERS && ${#CONTROLLER_PORTS[@]} == STACK_BROKERS)) || die "could not choose Kafka ports"
fi

# The registry: ours, or an external one (--registry-url). A running stack keeps its choice.
registry_url_state="$(state_get registry_url 2>/dev/null || true)"
if ((${#running_nodes[@]} > 0)) && [[ -z "$registry_pid" && -n "$registry_url_state" ]]; then
  [[ -z "$registry_url_arg" || "$registry_url_arg" == "$registry_url_state" ]] ||
    log "note: --registry-url $registry_url_arg is ignored: the running stack uses $registry_url_state (npm run stack:down first)"
  registry_url_arg="$registry_url_state"
fi
if [[ -n "$registry_url_arg" ]]; then
  [[ -z "$registry_pid" ]] ||
    die "a registry started by this stack runs (pid $registry_pid): npm run stack:down first to use --registry-url"
  registry_port=""
elif [[ -n "$registry_pid" ]]; then
  APICURIO_VERSION="$(state_get apicurio_version)"
  APICURIO_HOME="$STACK_CACHE/apicurio-registry-$APICURIO_VERSION"
  registry_port="$(state_get registry_port)"
  if [[ -n "${SCHEMA_REGISTRY_PORT:-}" && "$SCHEMA_REGISTRY_PORT" != "$registry_port" && "$SCHEMA_REGISTRY_PORT" != 0 && "$SCHEMA_REGISTRY_PORT" != auto ]]; then
    log "note: SCHEMA_REGISTRY_PORT=$SCHEMA_REGISTRY_PORT is ignored: the running registry uses port $registry_port (npm run stack:down first to change it)"
  fi
else
  if ((STACK_BROKERS == 1)); then default_registry=8081; else default_registry=auto; fi
  registry_port="$(port_setting SCHEMA_REGISTRY_PORT "${SCHEMA_REGISTRY_PORT:-$default_registry}" 1)"
fi

all_ports=("${KAFKA_PORTS[@]}" "${CONTROLLER_PORTS[@]}")
[[ -z "$registry_port" ]] || all_ports+=("$registry_port")
[[ "$(printf '%s\n' "${all_ports[@]}" | sort -u | wc -l)" == "${#all_ports[@]}" ]] ||
  die "ports must differ: Kafka ${KAFKA_PORTS[*]}, controller ${CONTROLLER_PORTS[*]}, registry ${registry_port:-external}"

assert_port_free() {
  local name="$1" port="$2"
  if port_in_use "$port"; then
    die "port $port on 127.0.0.1 is already in use by another process (not this stack). Stop it, or choose another port: $name=<port> npm run stack:up (or $name=auto for free ones)"
  fi
}

# Recorded before starting, so that a half-started stack can be re-upped and stopped.
cluster_id="$(state_get cluster_id 2>/dev/null || true)"
{
  printf 'kafka_version=%s\napicurio_version=%s\nbrokers=%s\n' "$KAFKA_VERSION" "$APICURIO_VERSION" "$STACK_BROKERS"
  printf 'kafka_port=%s\ncontroller_port=%s\n' "${KAFKA_PORTS[0]}" "${CONTROLLER_PORTS[0]}"
  (IFS=,; printf 'kafka_ports=%s\ncontroller_ports=%s\n' "${KAFKA_PORTS[*]}" "${CONTROLLER_PORTS[*]}")
  if [[ -n "$registry_port" ]]; then printf 'registry_port=%s\n' "$registry_port"; else printf 'registry_url=%s\n' "$registry_url_arg"; fi
  [[ -z "$cluster_id" ]] || printf 'cluster_id=%s\n' "$cluster_id"
} >"$STATE_FILE.tmp"
mv "$STATE_FILE.tmp" "$STATE_FILE"

to_start=()
for id in $(kafka_nodes); do
  [[ " ${running_nodes[*]} " == *" $id "* ]] && continue
  to_start+=("$id")
  assert_port_free KAFKA_PORT "$(kafka_node_port "$id")"
  assert_port_free KAFKA_CONTROLLER_PORT "$(kafka_node_controller_port "$id")"
done
[[ -n "$registry_pid" || -z "$registry_port" ]] || assert_port_free SCHEMA_REGISTRY_PORT "$registry_port"

if ((${#to_start[@]} > 0)) || [[ -z "$registry_pid" && -n "$registry_port" ]]; then
  bash "$STACK_SCRIPTS/provision.sh"
fi

# A cluster's nodes wait for each other (controller quorum, replication factor 3): all are
# launched first, then awaited.
for id in "${running_nodes[@]}"; do
  log "Kafka node $id already running (pid $(running_pid "$(kafka_node_name "$id")")); verifying"
done
for id in "${to_start[@]}"; do launch_kafka_node "$id"; done
for id in $(kafka_nodes); do
  if [[ " ${to_start[*]} " == *" $id "* ]]; then
    await_kafka_node "$id"
  else
    probe kafka "127.0.0.1:$(kafka_node_port "$id")" --brokers "$STACK_BROKERS" --timeout-ms 60000 \
      --pid "$(running_pid "$(kafka_node_name "$id")")" >&2 ||
      die "Kafka node $id runs but does not answer on 127.0.0.1:$(kafka_node_port "$id"); see $(kafka_node_log "$id"), or npm run stack:down and retry"
  fi
done

if [[ -n "$registry_port" ]]; then
  registry_url="http://127.0.0.1:$registry_port/apis/ccompat/v7"
  if [[ -n "$registry_pid" ]]; then
    log "Apicurio Registry already running (pid $registry_pid); verifying"
    probe registry "$registry_url" --timeout-ms 30000 --pid "$registry_pid" >&2 ||
      die "the registry (pid $registry_pid) runs but does not answer at $registry_url; see $STACK_LOGS/registry.log"
  else
    start_registry "$registry_port"
  fi
  registry_note="Apicurio $APICURIO_VERSION at $registry_url"
else
  registry_url="$registry_url_arg"
  probe registry "$registry_url" --timeout-ms 30000 >&2 ||
    die "the registry given with --registry-url does not answer at $registry_url"
  registry_note="external registry $registry_url"
fi

cat >"$ENV_FILE.tmp" <<EOT
# Written by scripts/stack/up.sh; source it: set -a; . $STACK_DIR/env; set +a
KAFKA_BROKERS=$(kafka_bootstrap)
SCHEMA_REGISTRY_URL=$registry_url
EOT
mv "$ENV_FILE.tmp" "$ENV_FILE"

log "stack up in $(($(date +%s) - started_at))s: Kafka $KAFKA_VERSION ($STACK_BROKERS node(s)) at $(kafka_bootstrap), $registry_note"
log "environment in $ENV_FILE"
grep -v '^#' "$ENV_FILE"
