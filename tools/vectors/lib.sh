# Shared by tools/vectors/generate.sh and each generator's gen.sh (`source "$HERE/../lib.sh"`):
# install a generator's pinned toolchain once, and again only when its pins change, so a
# second run is fast and every run uses exactly the pinned versions.

# ensure_venv VENV REQUIREMENTS: VENV holds exactly REQUIREMENTS (installed --no-deps: the file
# lists the whole closure, which `pip check` then confirms).
ensure_venv() {
  local venv=$1 reqs=$2
  if [[ -x "$venv/bin/python" ]] && cmp -s "$reqs" "$venv/.vectors-requirements.txt"; then
    return
  fi
  echo "vectors: creating venv $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$reqs"
  "$venv/bin/python" -m pip check --disable-pip-version-check >/dev/null
  cp "$reqs" "$venv/.vectors-requirements.txt"
}

# ensure_node_modules DIR: DIR/node_modules is exactly DIR/package-lock.json's tree (npm ci,
# no install scripts).
ensure_node_modules() {
  local dir=$1
  if cmp -s "$dir/package-lock.json" "$dir/node_modules/.vectors-package-lock.json"; then
    return
  fi
  echo "vectors: installing $dir/node_modules (npm ci)" >&2
  (cd "$dir" && npm ci --silent --no-audit --no-fund --ignore-scripts)
  cp "$dir/package-lock.json" "$dir/node_modules/.vectors-package-lock.json"
}

# The environment every generator runs in: no clock zone, locale or hash seed leaks into
# the output.
export TZ=UTC LC_ALL=C.UTF-8 PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1
