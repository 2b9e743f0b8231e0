# Sourced by scripts/test and scripts/bench: starts a throwaway PostgreSQL
# server from the machine's binaries (Debian's postgresql package, installed
# if missing and we are root), sets PG_URL to its admin database, and removes
# it on exit. Extra server settings may be passed as arguments ("-c fsync=off").

pg_dir=""
pg_bin=""
stop_postgres() {
  if [ -n "$pg_dir" ] && [ -d "$pg_dir" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
}

start_postgres() {
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$pg_bin" ] && [ "$(id -u)" = 0 ]; then
    echo "installing PostgreSQL" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  if [ -z "$pg_bin" ]; then
    echo "PostgreSQL is not installed" >&2
    return 1
  fi
  pg_dir=$(mktemp -d /tmp/homeward-pg.XXXXXX)
  chown postgres "$pg_dir"
  local port=$((55000 + RANDOM % 1000))
  runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres >/dev/null
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=200 $*" start >/dev/null
  PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "throwaway PostgreSQL on port $port" >&2
}

# Creates a fresh database on the throwaway server and prints its URL.
new_database() {
  local name="hw_$1_$$_$RANDOM"
  "$pg_bin/psql" -q "$PG_URL" -c "CREATE DATABASE $name" >/dev/null
  echo "${PG_URL%/*}/$name"
}
