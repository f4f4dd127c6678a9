#!/usr/bin/env bash
# `npm run fuzz:http`: property-based HTTP fuzzing with schemathesis against the OpenAPI document of a
# running `churn-scorer serve` (side-port only, no Kafka). Fails on any 5xx, any response that does not match
# its documented schema / status code / content type / headers, a schema-invalid body that is accepted, or a
# wrong answer to an undeclared method (405 expected). Bounded: per-operation example cap plus a hard timeout.
#
# Not checked: positive_data_acceptance. The contract deliberately rejects a few schema-valid bodies with a
# documented 400: numbers so large that the weighted sum overflows (e.g. tenure 1e308), and unknown category
# values when STRICT_CATEGORIES is on.
#
# Environment knobs:
#   FUZZ_MAX_EXAMPLES  test cases per operation and phase (default 100)
#   FUZZ_TIMEOUT_S     hard limit for the schemathesis run in seconds (default 150)
#   FUZZ_SEED          fixed hypothesis seed to reproduce a run (default: random, printed by schemathesis)
#   FUZZ_SKIP_BUILD=1  do not run `npm run build` first (the caller just built)
set -euo pipefail

SCHEMATHESIS_VERSION="4.32.5"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
venv=".stack/venv-fuzz"
max_examples="${FUZZ_MAX_EXAMPLES:-100}"
timeout_s="${FUZZ_TIMEOUT_S:-150}"
log_dir=".stack/fuzz"
mkdir -p "$log_dir"

installed_version() {
  "$venv/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}'
}

# schemathesis goes into its own venv under .stack/ (git-ignored), never into training/'s locked env.
if [ "$(installed_version)" != "$SCHEMATHESIS_VERSION" ]; then
  echo "fuzz-http: installing schemathesis $SCHEMATHESIS_VERSION into $venv" >&2
  rm -rf "$venv"
  if uv_bin="$(bash scripts/uv.sh --path 2>/dev/null)"; then
    "$uv_bin" venv --quiet --python python3 "$venv" >&2
    "$uv_bin" pip install --quiet --python "$venv/bin/python" "schemathesis==$SCHEMATHESIS_VERSION" >&2
  else
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
  fi
fi

if [ "${FUZZ_SKIP_BUILD:-0}" != "1" ]; then
  npm run --silent build
fi

server_log="$log_dir/serve.log"
# Port 0: the OS picks a free port and the server logs the address it got (no race on a guessed port).
LOG_LEVEL=info bin/churn-scorer serve --port 0 --host 127.0.0.1 >"$server_log" 2>&1 &
server_pid=$!
stop_server() {
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap stop_server EXIT

base_url=""
for _ in $(seq 1 100); do
  base_url="$(grep -o '"address":"http://[^"]*"' "$server_log" | head -n1 | sed 's/"address":"\(.*\)"/\1/' || true)"
  [ -n "$base_url" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "fuzz-http: the server exited during start-up:" >&2
    cat "$server_log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$base_url" ]; then
  echo "fuzz-http: the server did not report a listening address within 10 s" >&2
  cat "$server_log" >&2
  exit 1
fi
curl --silent --fail "$base_url/readyz" >/dev/null
echo "fuzz-http: fuzzing $base_url/openapi.json (max $max_examples examples per operation, timeout ${timeout_s}s)" >&2

seed_args=()
if [ -n "${FUZZ_SEED:-}" ]; then seed_args=(--seed "$FUZZ_SEED"); fi

status=0
# Run from .stack/fuzz: schemathesis keeps a .schemathesis/ cache in its working directory, which must not
# land in the repository root.
(cd "$log_dir" && timeout --signal=INT --kill-after=10 "$timeout_s" \
  "$repo_root/$venv/bin/schemathesis" run "$base_url/openapi.json" \
  --checks all --exclude-checks positive_data_acceptance \
  --max-examples "$max_examples" \
  --request-timeout 10 \
  --workers 1 \
  --report junit --report-dir . \
  "${seed_args[@]}") || status=$?

if [ "$status" -eq 124 ]; then
  echo "fuzz-http: schemathesis did not finish within ${timeout_s}s" >&2
fi
if grep -q '"level":50' "$server_log"; then
  echo "fuzz-http: the server logged errors during the run (see $server_log)" >&2
  status=1
fi
if [ "$status" -ne 0 ]; then
  echo "fuzz-http: FAILED (exit $status); server log: $server_log" >&2
  exit "$status"
fi
echo "fuzz-http: OK: no server errors, every response matched the OpenAPI document" >&2
