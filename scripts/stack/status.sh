#!/usr/bin/env bash
# npm run stack:status — what runs, on which ports, which versions.
# Exits 0 only when every Kafka node and the registry run and answer.
# shellcheck source=scripts/stack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

healthy=1
load_kafka_layout
registry_port="$(state_get registry_port 2>/dev/null || true)"
registry_url="$(state_get registry_url 2>/dev/null || true)"
kafka_version="$(state_get kafka_version 2>/dev/null || echo "$KAFKA_VERSION")"
apicurio_version="$(state_get apicurio_version 2>/dev/null || echo "$APICURIO_VERSION")"

for id in $(kafka_nodes); do
  name="$(kafka_node_name "$id")"
  label="$name"
  ((STACK_BROKERS == 1)) || label="kafka $id"
  port="$(kafka_node_port "$id" 2>/dev/null || true)"
  if pid="$(running_pid "$name")"; then
    if summary="$(probe kafka "127.0.0.1:$port" --timeout-ms 5000 2>&1)"; then
      printf '%-9s running  pid %s  Kafka %s  127.0.0.1:%s (controller %s)  %s\n' "$label" "$pid" "$kafka_version" "$port" "$(kafka_node_controller_port "$id")" "$summary"
    else
      printf '%-9s NOT ANSWERING  pid %s  127.0.0.1:%s  (%s)\n' "$label" "$pid" "$port" "$summary"
      healthy=0
    fi
  else
    printf '%-9s stopped  (Kafka %s%s)\n' "$label" "$kafka_version" "${port:+, port $port}"
    healthy=0
  fi
done

if [[ -n "$registry_url" && -z "$registry_port" ]]; then
  if summary="$(probe registry "$registry_url" --timeout-ms 5000 2>&1)"; then
    echo "registry  external (not started by this stack)  $registry_url  $summary"
  else
    echo "registry  external, NOT ANSWERING  $registry_url  ($summary)"
    healthy=0
  fi
elif pid="$(running_pid registry)"; then
  url="http://127.0.0.1:$registry_port/apis/ccompat/v7"
  if summary="$(probe registry "$url" --timeout-ms 5000 2>&1)"; then
    echo "registry  running  pid $pid  Apicurio Registry $apicurio_version  $url  $summary"
  else
    echo "registry  NOT ANSWERING  pid $pid  $url  ($summary)"
    healthy=0
  fi
else
  echo "registry  stopped  (Apicurio Registry $apicurio_version)"
  healthy=0
fi

echo "data      $STACK_DIR (logs in $STACK_LOGS), downloads cached in $STACK_CACHE"
if ((healthy)); then
  [[ -f "$ENV_FILE" ]] && grep -v '^#' "$ENV_FILE"
  exit 0
fi
echo "stack is not up: npm run stack:up"
exit 1
