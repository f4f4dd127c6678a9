#!/usr/bin/env bash
# npm run stack:status — what runs, on which ports, which versions.
# Exits 0 only when both Kafka and the registry run and answer.
# shellcheck source=scripts/stack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

healthy=1
kafka_port="$(state_get kafka_port 2>/dev/null || true)"
registry_port="$(state_get registry_port 2>/dev/null || true)"
kafka_version="$(state_get kafka_version 2>/dev/null || echo "$KAFKA_VERSION")"
apicurio_version="$(state_get apicurio_version 2>/dev/null || echo "$APICURIO_VERSION")"

if pid="$(running_pid kafka)"; then
  if summary="$(probe kafka "127.0.0.1:$kafka_port" --timeout-ms 5000 2>&1)"; then
    echo "kafka     running  pid $pid  Kafka $kafka_version  127.0.0.1:$kafka_port (controller $(state_get controller_port))  $summary"
  else
    echo "kafka     NOT ANSWERING  pid $pid  127.0.0.1:$kafka_port  ($summary)"
    healthy=0
  fi
else
  echo "kafka     stopped  (Kafka $kafka_version)"
  healthy=0
fi

if pid="$(running_pid registry)"; then
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
