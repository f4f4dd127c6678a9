#!/usr/bin/env bash
# Builds every kustomization under deploy/kubernetes (the base and each overlay) and validates what it prints.
# No cluster is needed or contacted.
#   1. kustomize build, with kustomize pinned below (sigs.k8s.io/kustomize/kustomize/v5 from the Go module proxy,
#      `go install`ed into ~/.cache/churn-scorer/kustomize-<version> when missing);
#   2. every object against its kind's schema with kubernetes-models and @kubernetes-models/keda (npm dev
#      dependencies; KEDA's ScaledObject and TriggerAuthentication included), then the project's rules: the
#      manifests against the Dockerfile and src/config (test/support/deploy-manifests.ts);
#   3. the objects of Kubernetes' own API groups again, with kubernetes-validate --strict (PyPI, pinned below,
#      pip-installed into ~/.cache/churn-scorer/kubernetes-validate-<version>) against the OpenAPI schemas of the
#      oldest and the newest Kubernetes version we target: this pass rejects unknown fields (a misspelt key), which
#      kubernetes-models' validators let through.
# Needs go, python3 with pip, and `npm ci` done. Exits non-zero with a FAIL line on the first failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

KUSTOMIZE_VERSION="v5.8.2" # the newest kustomize whose module builds with Go 1.26 (v5.8.3 needs Go 1.27)
KUBERNETES_VALIDATE_VERSION="1.37.0"
# kubernetes-validate and its dependencies, exact versions (installed with --no-deps: nothing else is resolved).
KUBERNETES_VALIDATE_PACKAGES=(
  "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  "jsonschema==4.26.0"
  "jsonschema-specifications==2025.9.1"
  "referencing==0.37.0"
  "rpds-py==2026.9.1"
  "attrs==26.1.0"
  "PyYAML==6.0.4"
  "packaging==26.4"
  "importlib-resources==7.1.0"
  "typing-extensions==4.16.0"
)
# Oldest: the manifests use the preStop sleep action (beta, on by default, in 1.30) and the PodDisruptionBudget's
# unhealthyPodEvictionPolicy (GA in 1.31). Newest: the newest kubernetes-validate ships.
KUBERNETES_VERSIONS=("1.31.0" "1.37.0")

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/churn-scorer"
fail() { echo "[kubernetes-check] FAIL: $*" >&2; exit 1; }
ok() { echo "[kubernetes-check] ok: $*"; }

kustomize_bin="$CACHE/kustomize-$KUSTOMIZE_VERSION/kustomize"
install_kustomize() {
  if [[ -x "$kustomize_bin" ]] && [[ "$("$kustomize_bin" version 2>/dev/null)" == "$KUSTOMIZE_VERSION" ]]; then return; fi
  command -v go >/dev/null 2>&1 || fail "go is not installed: it installs kustomize $KUSTOMIZE_VERSION from the Go module proxy"
  local dir staging
  dir="$(dirname "$kustomize_bin")"
  staging="$dir.staging.$$"
  rm -rf "$staging" && mkdir -p "$staging"
  echo "[kubernetes-check] installing kustomize $KUSTOMIZE_VERSION (go install, Go module proxy) into $dir" >&2
  # Outside any module or workspace, with the machine's Go (no toolchain download).
  (cd "$staging" && GOWORK=off GOTOOLCHAIN=local GOBIN="$staging" go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2) ||
    { rm -rf "$staging"; fail "go install sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION failed (above)"; }
  rm -rf "$dir" && mv "$staging" "$dir"
  [[ "$("$kustomize_bin" version)" == "$KUSTOMIZE_VERSION" ]] || fail "$kustomize_bin does not report $KUSTOMIZE_VERSION"
}

validate_dir="$CACHE/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
kubernetes_validate() { PYTHONPATH="$validate_dir" python3 -m kubernetes_validate "$@"; }
install_kubernetes_validate() {
  if [[ "$(kubernetes_validate --version 2>/dev/null)" == "$KUBERNETES_VALIDATE_VERSION" ]]; then return; fi
  python3 -m pip --version >/dev/null 2>&1 || fail "python3 -m pip is not available: it installs kubernetes-validate (Debian: apt-get install python3-pip)"
  local staging="$validate_dir.staging.$$"
  rm -rf "$staging"
  echo "[kubernetes-check] installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION (pip, PyPI) into $validate_dir" >&2
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-deps \
    --target "$staging" "${KUBERNETES_VALIDATE_PACKAGES[@]}" >&2 ||
    { rm -rf "$staging"; fail "pip install of kubernetes-validate $KUBERNETES_VALIDATE_VERSION failed (above)"; }
  rm -rf "$validate_dir" && mv "$staging" "$validate_dir"
  [[ "$(kubernetes_validate --version)" == "$KUBERNETES_VALIDATE_VERSION" ]] || fail "kubernetes-validate does not report $KUBERNETES_VALIDATE_VERSION"
}

[[ -x node_modules/.bin/tsx ]] || fail "node_modules/.bin/tsx missing: run npm ci"
install_kustomize
install_kubernetes_validate

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# 1. Every directory holding a kustomization.yaml: the base and each overlay.
builds=()
while IFS= read -r kustomization; do
  dir="$(dirname "$kustomization")"
  name="${dir#deploy/kubernetes/}"
  name="${name//\//-}"
  if ! "$kustomize_bin" build "$dir" >"$out/$name.yaml" 2>"$out/$name.err"; then
    cat "$out/$name.err" >&2
    fail "kustomize build $dir (above)"
  fi
  ok "kustomize $KUSTOMIZE_VERSION build $dir: $(grep -c '^kind:' "$out/$name.yaml") objects"
  builds+=("$out/$name.yaml")
done < <(find deploy/kubernetes -name kustomization.yaml | sort)
((${#builds[@]} > 0)) || fail "no kustomization.yaml under deploy/kubernetes"

# 2. Schemas (kubernetes-models, @kubernetes-models/keda) and the project's rules.
node_modules/.bin/tsx test/support/validate-kubernetes.ts --core-out "$out" "${builds[@]}" ||
  fail "the manifests do not validate (lines above)"

# 3. Strict schemas of the Kubernetes versions we target: unknown fields are errors; so is any warning.
for version in "${KUBERNETES_VERSIONS[@]}"; do
  for build in "${builds[@]}"; do
    core="${build%.yaml}.core.yaml"
    if ! report="$(kubernetes_validate --strict --quiet --kubernetes-version "$version" "$core" 2>&1)" || [[ -n "$report" ]]; then
      echo "$report" >&2
      fail "$(basename "$build" .yaml): kubernetes-validate --strict against Kubernetes $version (above)"
    fi
  done
  ok "kubernetes-validate $KUBERNETES_VALIDATE_VERSION --strict: ${#builds[@]} builds valid against Kubernetes $version"
done
