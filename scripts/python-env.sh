#!/usr/bin/env bash
# Prepares the Python side: the pinned uv (scripts/uv.sh) and the locked environment of training/
# (scikit-learn etc., the FastAPI bench peer group and the confluent-kafka interop group) in training/.venv.
# Idempotent; needs Python 3.11 with pip and PyPI. Logs go to stderr; stdout is two shell assignments:
#   UV=/abs/path/to/uv
#   TRAINING_PYTHON=/abs/path/to/training/.venv/bin/python
# so callers can do:  eval "$(bash scripts/python-env.sh)"
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
uv_bin="$(bash "$repo_root/scripts/uv.sh" --path)"
export UV_PYTHON_DOWNLOADS=never

# --frozen: install exactly what uv.lock says, never re-resolve; all groups (see [tool.uv] default-groups).
(cd "$repo_root/training" && "$uv_bin" sync --frozen --all-groups >&2)

training_python="$repo_root/training/.venv/bin/python"
if ! "$training_python" -c 'import sklearn, pandas, numpy, fastapi, uvicorn, confluent_kafka.schema_registry.avro' >&2; then
  echo "python-env.sh: the environment in training/.venv is incomplete" >&2
  exit 1
fi
printf 'UV=%q\nTRAINING_PYTHON=%q\n' "$uv_bin" "$training_python"
