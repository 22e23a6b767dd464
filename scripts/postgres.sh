#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests (never for real data):
#   scripts/postgres.sh install   install PostgreSQL with pgvector: Debian's packages when the
#                                 distribution has pgvector, else the PostgreSQL 16 + pgvector
#                                 build that ships in the `pgserver` wheel on PyPI
#   scripts/postgres.sh start     start a server on 127.0.0.1 (trust auth), print the URL
#   scripts/postgres.sh stop      stop it and delete its folder
#   scripts/postgres.sh url       print the URL of the running server
# Then:  export VIDSENSE_TEST_DATABASE_URL=$(scripts/postgres.sh url)
# The data folder is a fresh temporary folder owned by the server's user (`postgres` when run
# as root, since PostgreSQL refuses to run as root). Its location is kept in $STATE (default
# /tmp/vidsense-pg.state). PORT picks the port (default 55432, or the next free one).
set -euo pipefail

STATE=${VIDSENSE_PG_STATE:-/tmp/vidsense-pg.state}
DB=vidsense_test
# Where the PyPI build of PostgreSQL + pgvector is unpacked when Debian has no pgvector.
BUNDLE=${VIDSENSE_PG_BUNDLE:-/opt/vidsense-postgres}
PGSERVER_WHEEL="pgserver==0.1.4"

say() { printf '==> %s\n' "$*" >&2; }

pg_bindir() {
  local dir
  if [ -x "$BUNDLE/pgserver/pginstall/bin/initdb" ]; then
    echo "$BUNDLE/pgserver/pginstall/bin"
    return 0
  fi
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

as_owner() {  # run a command as the server's user
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

install() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  if [ -z "$(pg_bindir)" ]; then
    say "installing PostgreSQL"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      postgresql >/dev/null
  fi
  [ -x "$BUNDLE/pgserver/pginstall/bin/initdb" ] && return 0
  local bindir major
  bindir=$(pg_bindir)
  major=$(basename "$(dirname "$bindir")")
  if [ ! -f "/usr/share/postgresql/$major/extension/vector.control" ]; then
    # Debian 13 and the PGDG repository package it; Debian 12 does not (the store then
    # searches vectors with its numpy cache).
    if apt-cache show "postgresql-$major-pgvector" >/dev/null 2>&1; then
      say "installing pgvector"
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "postgresql-$major-pgvector" >/dev/null
    else
      say "postgresql-$major-pgvector is not in the apt sources; using PostgreSQL + pgvector from PyPI ($PGSERVER_WHEEL)"
      bundle
    fi
  fi
}

bundle() {  # unpack the PostgreSQL 16 + pgvector build shipped in the pgserver wheel
  [ -x "$BUNDLE/pgserver/pginstall/bin/initdb" ] && return 0
  local pip tmp
  if [ -x .venv/bin/pip ]; then pip=".venv/bin/pip"; else pip="python3 -m pip"; fi
  tmp=$(mktemp -d)
  if ! $pip download -q --no-deps --only-binary=:all: --python-version 3.11 \
      --platform manylinux2014_x86_64 "$PGSERVER_WHEEL" -d "$tmp" >&2; then
    say "could not download $PGSERVER_WHEEL; continuing without pgvector"
    rm -rf "$tmp"
    return 0
  fi
  mkdir -p "$BUNDLE"
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
    "$(ls "$tmp"/*.whl)" "$BUNDLE"
  chmod -R a+rX "$BUNDLE"
  chmod a+x "$BUNDLE"/pgserver/pginstall/bin/*
  rm -rf "$tmp"
  say "PostgreSQL + pgvector unpacked in $BUNDLE"
}

free_port() {
  local port=${PORT:-55432}
  while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
}

start() {
  if [ -f "$STATE" ]; then
    say "a server is already running (see $STATE); stop it first"
    url
    return 0
  fi
  local bindir
  bindir=$(pg_bindir) || { say "PostgreSQL is not installed: run $0 install"; exit 1; }
  local dir port
  dir=$(mktemp -d /tmp/vidsense-pg.XXXXXX)
  chmod 700 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
  port=$(free_port)
  as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; rm -rf "$dir"; exit 1; }
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$dir/server.log" >&2; rm -rf "$dir"; exit 1; }
  printf '%s\n%s\n%s\n' "$dir" "$port" "$bindir" >"$STATE"
  "$bindir/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
    -c "CREATE DATABASE $DB" >/dev/null
  if "$bindir/psql" -qtA -h 127.0.0.1 -p "$port" -U postgres -d "$DB" \
    -c "CREATE EXTENSION IF NOT EXISTS vector" >/dev/null 2>&1; then
    say "pgvector enabled in $DB"
  else
    say "pgvector is not installed: vectors use the store's numpy search"
  fi
  say "PostgreSQL running in $dir; export VIDSENSE_TEST_DATABASE_URL=$(url)"
  url
}

url() {
  [ -f "$STATE" ] || { say "no server running"; exit 1; }
  local port
  port=$(sed -n 2p "$STATE")
  echo "postgresql://postgres@127.0.0.1:$port/$DB"
}

stop() {
  [ -f "$STATE" ] || { say "no server running"; return 0; }
  local dir bindir
  dir=$(sed -n 1p "$STATE")
  bindir=$(sed -n 3p "$STATE")
  case "$dir" in /tmp/vidsense-pg.*) ;; *) say "unexpected folder in $STATE: $dir"; exit 1 ;; esac
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir" "$STATE"
  say "stopped and removed $dir"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  url) url ;;
  *) echo "usage: $0 install|start|stop|url" >&2; exit 2 ;;
esac
