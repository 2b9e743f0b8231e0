# Sourced by scripts/test: installs axe-core (the accessibility rules the
# browser tests inject into every page they visit) from the npm registry,
# exactly as the lock file pins it, and sets HOMEWARD_TEST_AXE to its script.
# Node.js and npm come from the machine (Debian's nodejs and npm packages,
# installed if missing and we are root). Nothing is committed: node_modules
# is made here, at test time.

axe_dir="crates/homeward-server/tests/axe"

install_axe() {
  if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing Node.js and npm" >&2
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null 2>&1; } \
      || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; } || true
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is not installed (Debian packages nodejs, npm): it fetches axe-core for the accessibility checks" >&2
    return 1
  fi
  local script="$axe_dir/node_modules/axe-core/axe.min.js"
  if [ ! -f "$script" ]; then
    npm ci --prefix "$axe_dir" --no-audit --no-fund --loglevel=error >&2 || return 1
  fi
  HOMEWARD_TEST_AXE="$(pwd)/$script"
  export HOMEWARD_TEST_AXE
}
