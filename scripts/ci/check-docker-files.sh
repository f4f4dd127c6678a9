#!/usr/bin/env bash
# Static checks of the Docker files (no Docker engine runs in CI, so nothing is
# built or started here):
#   - docker-compose.yml: `docker compose config -q` when Compose v2 is present,
#     else Debian's docker-compose 1.29 (installed with apt when missing), which
#     validates the file against the compose-spec JSON schema it ships;
#   - Dockerfile: dockerfile-utils lint (npm dev dependency);
#   - project rules: pinned image tags, non-root USER, HEALTHCHECK on /livez,
#     HOST=0.0.0.0 in the image and the scorer service, the init script parses.
# Exits non-zero on the first invalid file.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
fail() { echo "[check-docker-files] FAIL: $*" >&2; exit 1; }
ok() { echo "[check-docker-files] ok: $*"; }

compose_config() {
  if docker compose version >/dev/null 2>&1; then
    docker compose -f docker-compose.yml config -q && return 0 || return 1
  fi
  if ! command -v docker-compose >/dev/null 2>&1; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
      echo "[check-docker-files] installing docker-compose (Debian) for its compose-file validation" >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
    else
      fail "neither 'docker compose' nor 'docker-compose' is available (Debian: apt-get install docker-compose)"
    fi
  fi
  docker-compose -f docker-compose.yml config -q
}

compose_config || fail "docker-compose.yml is not a valid compose file"
ok "docker-compose.yml validates"

[[ -x node_modules/.bin/dockerfile-utils ]] || fail "node_modules/.bin/dockerfile-utils missing: run npm ci"
node_modules/.bin/dockerfile-utils lint Dockerfile || fail "Dockerfile has lint errors (above)"
ok "Dockerfile lints clean (dockerfile-utils)"

if grep -nE '^\s*image:\s*\S+:latest\s*$|^\s*image:\s*[^:]+$' docker-compose.yml | grep -v 'churn-scorer:local'; then
  fail "docker-compose.yml: every third-party image needs a pinned tag (lines above)"
fi
if grep -nE '^FROM\s+\S+(:latest)?(\s|$)' Dockerfile | grep -vE '^[0-9]+:FROM\s+\S+:[0-9][^ ]*'; then
  fail "Dockerfile: base images need a pinned version tag (lines above)"
fi
grep -qE '^USER\s+(node|[1-9][0-9]*)\b' Dockerfile || fail "Dockerfile: the runtime stage must switch to a non-root USER"
# Joins backslash-continued lines so that multi-line instructions are checked whole.
sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}' Dockerfile | grep -qE '^HEALTHCHECK .*CMD .*/livez' || fail "Dockerfile: HEALTHCHECK on /livez missing"
# The scorer's default listen address is 127.0.0.1: the image and the compose service must open it explicitly.
sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}' Dockerfile | grep -qE '^ENV .*\bHOST=0\.0\.0\.0\b' || fail "Dockerfile: ENV HOST=0.0.0.0 missing (the default listen address is 127.0.0.1)"
awk '/^  scorer:/{s=1;next} /^  [a-z]/{s=0} s' docker-compose.yml | grep -qE '^\s+HOST:\s*"?0\.0\.0\.0"?\s*$' || fail "docker-compose.yml: the scorer service needs HOST: \"0.0.0.0\""
node --check docker/init-stack.mjs || fail "docker/init-stack.mjs does not parse"
for file in schemas/customer-event.avsc schemas/churn-prediction.avsc; do
  node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$file" || fail "$file is not valid JSON"
done
ok "images pinned, non-root user, healthcheck, HOST=0.0.0.0, init script and schemas present"
