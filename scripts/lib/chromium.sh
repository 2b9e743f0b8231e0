# Sourced by scripts/test: starts a throwaway chromedriver for the end-to-end
# browser tests, from the machine's binaries (Debian's chromium and
# chromium-driver packages, installed if missing and we are root), sets
# HOMEWARD_TEST_WEBDRIVER_URL to it and HOMEWARD_TEST_CHROMIUM to the browser,
# and stops it on exit (call stop_chromedriver from the EXIT trap). The tests
# ask it for a headless Chromium with their own flags; see the browser tests.

chromium_bin=/usr/bin/chromium
chromedriver_bin=/usr/bin/chromedriver
chromedriver_pid=""
chromedriver_port=""
chromedriver_dir=""

# Ends the chromedriver, and with it any browser a failed test left open.
# Safe to call when none was started, and more than once.
stop_chromedriver() {
  if [ -n "$chromedriver_pid" ] && kill -0 "$chromedriver_pid" 2>/dev/null; then
    # /shutdown quits the sessions still open, so their browsers exit too; a
    # plain SIGTERM would leave them running, orphaned.
    if [ -n "$chromedriver_port" ]; then
      _chromedriver_get "$chromedriver_port" /shutdown >/dev/null 2>&1 || true
    fi
    local i browsers
    for ((i = 0; i < 20; i++)); do
      kill -0 "$chromedriver_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$chromedriver_pid" 2>/dev/null; then
      # Still there: end it and the browsers it started (its children).
      browsers=$(cat /proc/"$chromedriver_pid"/task/*/children 2>/dev/null || true)
      kill "$chromedriver_pid" $browsers 2>/dev/null || true
    fi
    wait "$chromedriver_pid" 2>/dev/null || true
  fi
  chromedriver_pid=""
  chromedriver_port=""
  if [ -n "$chromedriver_dir" ] && [ -d "$chromedriver_dir" ]; then
    rm -rf "$chromedriver_dir"
  fi
  chromedriver_dir=""
}

start_chromedriver() {
  stop_chromedriver
  if { [ ! -x "$chromium_bin" ] || [ ! -x "$chromedriver_bin" ]; } && [ "$(id -u)" = 0 ]; then
    echo "installing Chromium and chromedriver" >&2
    # The package lists may be stale or missing: update only if needed.
    _chromium_install || { apt-get update -qq >/dev/null && _chromium_install; } || true
  fi
  if [ ! -x "$chromium_bin" ] || [ ! -x "$chromedriver_bin" ]; then
    echo "Chromium or chromedriver is not installed (Debian packages chromium, chromium-driver)" >&2
    return 1
  fi

  chromedriver_dir=$(mktemp -d "${TMPDIR:-/tmp}/homeward-chromium.XXXXXX")
  # --port=0: chromedriver picks a free port and prints it, so no race with
  # another process grabbing a port we probed. It listens on loopback only and
  # accepts local clients only. TMPDIR: the browser profiles it makes itself
  # go in our directory, which stop_chromedriver removes.
  : >"$chromedriver_dir/log"
  TMPDIR="$chromedriver_dir" "$chromedriver_bin" --port=0 >"$chromedriver_dir/log" 2>&1 &
  chromedriver_pid=$!

  local port="" i
  for ((i = 0; i < 100; i++)); do
    port=$(sed -n 's/.*started successfully on port \([0-9][0-9]*\).*/\1/p' "$chromedriver_dir/log" || true)
    [ -n "$port" ] && break
    kill -0 "$chromedriver_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "chromedriver did not start:" >&2
    cat "$chromedriver_dir/log" >&2
    stop_chromedriver
    return 1
  fi
  chromedriver_port=$port
  for ((i = 0; i < 100; i++)); do
    if _chromedriver_get "$port" /status 2>/dev/null | grep -q '"ready": *true'; then
      export HOMEWARD_TEST_WEBDRIVER_URL="http://127.0.0.1:$port"
      export HOMEWARD_TEST_CHROMIUM="$chromium_bin"
      echo "throwaway chromedriver on port $port" >&2
      return 0
    fi
    sleep 0.1
  done
  echo "chromedriver on port $port never reported ready:" >&2
  cat "$chromedriver_dir/log" >&2
  stop_chromedriver
  return 1
}

_chromium_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1
}

# Prints the body of the answer to GET PATH from the chromedriver on
# 127.0.0.1:PORT, with bash's /dev/tcp so that no HTTP client need be
# installed. chromedriver keeps the connection open after answering, so the
# body is read by its Content-Length rather than to the end. A subshell, so
# that a refused connection cannot end the caller.
_chromedriver_get() (
  port=$1 path=$2 len=0
  exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$path" "$port" >&3
  while IFS= read -r -t 5 line <&3; do
    line=${line%$'\r'}
    [ -z "$line" ] && break
    case ${line,,} in content-length:*) len=$(( ${line#*:} )) ;; esac
  done
  [ "$len" -gt 0 ] && IFS= read -r -t 5 -N "$len" body <&3 && printf '%s\n' "$body"
)
