#!/usr/bin/env bash
# `npm run train`: regenerates models/churn/<version>/ (default 1.0.0) from data/ with the locked environment.
# Extra arguments go to training/train.py (e.g. --version 1.1.0 --recipe cv-c, --check).
#
# Creation time (SOURCE_DATE_EPOCH), first that applies:
#   1. SOURCE_DATE_EPOCH from the caller's environment;
#   2. the created_at of an existing models/churn/<version>/model.json (or --out DIR): regenerating keeps its
#      creation time, so the committed artifact is reproduced byte for byte;
#   3. the last commit touching training/ or data/ (git log -1 --format=%ct -- training data);
#   4. 1795219200 (2026-11-21T00:00:00Z) when git has no such history.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FALLBACK_EPOCH=1795219200

# A plain assignment so a failing python-env.sh stops this script (set -e); eval of a failed $(...) would not.
python_env="$(bash "$repo_root/scripts/python-env.sh")"
eval "$python_env"

version="1.0.0"
out_dir=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --version) version="${args[$((i + 1))]:-$version}" ;;
    --version=*) version="${args[$i]#--version=}" ;;
    --out) out_dir="${args[$((i + 1))]:-}" ;;
    --out=*) out_dir="${args[$i]#--out=}" ;;
  esac
done
out_dir="${out_dir:-$repo_root/models/churn/$version}"

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  existing="$out_dir/model.json"
  if [ -f "$existing" ]; then
    SOURCE_DATE_EPOCH="$("$TRAINING_PYTHON" -c '
import json, sys
from datetime import datetime, timezone
created = json.load(open(sys.argv[1], encoding="utf-8"))["created_at"]
print(int(datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()))
' "$existing")"
  else
    SOURCE_DATE_EPOCH="$(git -C "$repo_root" log -1 --format=%ct -- training data 2>/dev/null || true)"
    SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$FALLBACK_EPOCH}"
  fi
fi
export SOURCE_DATE_EPOCH
echo "train.sh: SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH" >&2

cd "$repo_root"
exec "$UV" run --frozen --project training python training/train.py "$@"
