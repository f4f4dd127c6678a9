#!/usr/bin/env bash
# npm run stack:up — provision (first time) and start a single-node Kafka broker
# (KRaft) and an Apicurio schema registry on 127.0.0.1, then write .stack/env.
# Idempotent: when the stack already runs it is re-verified and left as it is.
# shellcheck source=scripts/stack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/stack/services.sh
source "$STACK_SCRIPTS/services.sh"

started_at=$(date +%s)
mkdir -p "$STACK_DIR" "$STACK_LOGS"
require_java
require_node_deps

# Serialize concurrent `up` / `down` / `restart-kafka` runs of this checkout.
exec 8>"$STACK_DIR/.lock"
command -v flock >/dev/null 2>&1 && flock 8

kafka_pid="$(running_pid kafka || true)"
registry_pid="$(running_pid registry || true)"

# A running process keeps the ports it was started with.
if [[ -n "$kafka_pid" ]]; then
  KAFKA_VERSION="$(state_get kafka_version)"
  kafka_port="$(state_get kafka_port)"
  controller_port="$(state_get controller_port)"
else
  kafka_port="$(resolve_port KAFKA_PORT "${KAFKA_PORT:-9092}")"
  controller_port="$(resolve_port KAFKA_CONTROLLER_PORT "${KAFKA_CONTROLLER_PORT:-9093}")"
fi
if [[ -n "$registry_pid" ]]; then
  APICURIO_VERSION="$(state_get apicurio_version)"
  registry_port="$(state_get registry_port)"
else
  registry_port="$(resolve_port SCHEMA_REGISTRY_PORT "${SCHEMA_REGISTRY_PORT:-8081}")"
fi
for pair in "KAFKA_PORT:$kafka_port" "KAFKA_CONTROLLER_PORT:$controller_port" "SCHEMA_REGISTRY_PORT:$registry_port"; do
  name="${pair%%:*}" port="${pair#*:}"
  if [[ -n "${!name:-}" && "${!name}" != "$port" && "${!name}" != 0 && "${!name}" != auto ]]; then
    log "note: $name=${!name} is ignored: the running stack already uses port $port (npm run stack:down first to change it)"
  fi
done
[[ "$kafka_port" != "$controller_port" && "$kafka_port" != "$registry_port" && "$controller_port" != "$registry_port" ]] ||
  die "ports must differ: KAFKA_PORT=$kafka_port KAFKA_CONTROLLER_PORT=$controller_port SCHEMA_REGISTRY_PORT=$registry_port"

assert_port_free() {
  local name="$1" port="$2"
  if port_in_use "$port"; then
    die "port $port on 127.0.0.1 is already in use by another process (not this stack). Stop it, or choose another port: $name=<port> npm run stack:up (or $name=auto for a free one)"
  fi
}

# Recorded before starting, so that a half-started stack can be re-upped and stopped.
cat >"$STATE_FILE.tmp" <<EOT
kafka_version=$KAFKA_VERSION
apicurio_version=$APICURIO_VERSION
kafka_port=$kafka_port
controller_port=$controller_port
registry_port=$registry_port
EOT
mv "$STATE_FILE.tmp" "$STATE_FILE"

if [[ -z "$kafka_pid" ]]; then
  assert_port_free KAFKA_PORT "$kafka_port"
  assert_port_free KAFKA_CONTROLLER_PORT "$controller_port"
fi
[[ -n "$registry_pid" ]] || assert_port_free SCHEMA_REGISTRY_PORT "$registry_port"

if [[ -z "$kafka_pid" || -z "$registry_pid" ]]; then
  bash "$STACK_SCRIPTS/provision.sh"
fi

if [[ -n "$kafka_pid" ]]; then
  log "Kafka already running (pid $kafka_pid); verifying"
  probe kafka "127.0.0.1:$kafka_port" --timeout-ms 30000 --pid "$kafka_pid" >&2 ||
    die "Kafka (pid $kafka_pid) runs but does not answer on 127.0.0.1:$kafka_port; see $STACK_LOGS/kafka.log, or npm run stack:down and retry"
else
  start_kafka "$kafka_port" "$controller_port"
fi

registry_url="http://127.0.0.1:$registry_port/apis/ccompat/v7"
if [[ -n "$registry_pid" ]]; then
  log "Apicurio Registry already running (pid $registry_pid); verifying"
  probe registry "$registry_url" --timeout-ms 30000 --pid "$registry_pid" >&2 ||
    die "the registry (pid $registry_pid) runs but does not answer at $registry_url; see $STACK_LOGS/registry.log"
else
  start_registry "$registry_port"
fi

cat >"$ENV_FILE.tmp" <<EOT
# Written by scripts/stack/up.sh; source it: set -a; . .stack/env; set +a
KAFKA_BROKERS=127.0.0.1:$kafka_port
SCHEMA_REGISTRY_URL=$registry_url
EOT
mv "$ENV_FILE.tmp" "$ENV_FILE"

log "stack up in $(($(date +%s) - started_at))s: Kafka $KAFKA_VERSION at 127.0.0.1:$kafka_port, Apicurio $APICURIO_VERSION at $registry_url"
log "environment in $ENV_FILE"
grep -v '^#' "$ENV_FILE"
