#!/usr/bin/env bash
# Runs the project's pinned uv, installing it from PyPI with pip on first use.
#
#   bash scripts/uv.sh <uv arguments>     e.g. bash scripts/uv.sh run --frozen --project training python training/train.py
#   bash scripts/uv.sh --path             installs if needed, prints the absolute path of the uv binary
#
# uv lives in training/.venv-tools (git-ignored; override with CHURN_UV_TOOLS_DIR). It is installed with
# `pip install --target`, which needs neither python3-venv nor a user site and is not blocked by PEP 668.
# Python interpreters are never downloaded: uv uses the machine's Python 3.11 (training/pyproject.toml).
set -euo pipefail

UV_VERSION="0.13.9"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_dir="${CHURN_UV_TOOLS_DIR:-$repo_root/training/.venv-tools}"
uv_bin="$tools_dir/bin/uv"
python_bin="${PYTHON:-python3}"

installed_version() {
  "$uv_bin" --version 2>/dev/null | awk '{print $2}'
}

install_uv() {
  if ! "$python_bin" -m pip --version >/dev/null 2>&1; then
    echo "uv.sh: '$python_bin -m pip' is not available; install pip (Debian: apt-get install python3-pip)" >&2
    exit 1
  fi
  local staging="$tools_dir.staging.$$"
  rm -rf "$staging"
  echo "uv.sh: installing uv $UV_VERSION from PyPI into $tools_dir" >&2
  PIP_ROOT_USER_ACTION=ignore "$python_bin" -m pip install --quiet --disable-pip-version-check --no-deps --target "$staging" "uv==$UV_VERSION" >&2
  rm -rf "$tools_dir"
  mv "$staging" "$tools_dir"
}

if [ "$(installed_version)" != "$UV_VERSION" ]; then
  install_uv
fi
if [ "$(installed_version)" != "$UV_VERSION" ]; then
  echo "uv.sh: $uv_bin does not report version $UV_VERSION after install" >&2
  exit 1
fi

export UV_PYTHON_DOWNLOADS=never

if [ "${1-}" = "--path" ]; then
  echo "$uv_bin"
  exit 0
fi
exec "$uv_bin" "$@"
