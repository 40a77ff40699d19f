#!/usr/bin/env bash
# A throwaway PostgreSQL server for the journal tests (test/journal.test.ts runs its
# PostgreSQL suite only when DATABASE_URL is set).
#
#   scripts/ci-postgres.sh install           # apt-get installs the server when none is found
#   eval "$(scripts/ci-postgres.sh start)"   # prints `export DATABASE_URL=...` and `export ORDEROPS_PG_DIR=...`
#   ...run the tests...
#   scripts/ci-postgres.sh stop              # stops the server and deletes $ORDEROPS_PG_DIR
#
# `start` makes a fresh cluster in a temporary directory (initdb, trust auth, listening
# on 127.0.0.1 only, on a free port from 54329 up), creates the database `orderops_test`
# and prints the exports on stdout; progress goes to stderr. PostgreSQL refuses to run
# as root, so as root the cluster runs as the `postgres` user (via runuser).
# When no PostgreSQL server is installed, or it cannot start, it prints why on stderr,
# prints nothing on stdout and exits 0: the tests then skip PostgreSQL and say so.
# With DATABASE_URL already set, `start` does nothing.
set -u

say() { printf 'ci-postgres: %s\n' "$*" >&2; }

find_bindir() {
  local d
  if command -v pg_config >/dev/null 2>&1; then
    d="$(pg_config --bindir 2>/dev/null)"
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then printf '%s\n' "$d"; return 0; fi
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin /usr/local/pgsql/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then printf '%s\n' "$d"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"; return 0
  fi
  return 1
}

# The command prefix that runs a program as the `postgres` user (PostgreSQL refuses root).
as_postgres() {
  local r
  for r in "$(command -v runuser 2>/dev/null)" /usr/sbin/runuser /sbin/runuser; do
    if [ -n "$r" ] && [ -x "$r" ]; then printf '%s\n' "$r" -u postgres --; return 0; fi
  done
  for r in "$(command -v setpriv 2>/dev/null)" /usr/bin/setpriv; do
    if [ -n "$r" ] && [ -x "$r" ]; then printf '%s\n' "$r" --reuid=postgres --regid=postgres --init-groups --; return 0; fi
  done
  return 1
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  if [ -n "${DATABASE_URL:-}" ]; then
    say "DATABASE_URL is already set; not starting a server"
    return 0
  fi
  local bindir
  if ! bindir="$(find_bindir)"; then
    say "no PostgreSQL server binaries (initdb, pg_ctl) found; the PostgreSQL journal tests will be skipped"
    say "(install one with: apt-get install postgresql)"
    return 0
  fi
  local as=()
  if [ "$(id -u)" = "0" ]; then
    if ! id postgres >/dev/null 2>&1; then
      say "running as root and there is no 'postgres' user to run the server as; skipping"
      return 0
    fi
    if ! mapfile -t as < <(as_postgres) || [ "${#as[@]}" -eq 0 ]; then
      say "running as root and neither runuser nor setpriv is available to drop to 'postgres'; skipping"
      return 0
    fi
  fi
  local dir
  dir="$(mktemp -d "${TMPDIR:-/tmp}/orderops-pg.XXXXXX")" || { say "mktemp failed; skipping"; return 0; }
  [ "${#as[@]}" -gt 0 ] && chown postgres "$dir"
  local port=54329
  while ! port_free "$port"; do
    port=$((port + 1))
    if [ "$port" -gt 54429 ]; then say "no free port in 54329-54429; skipping"; rm -rf "$dir"; return 0; fi
  done
  if ! "${as[@]}" "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1; then
    say "initdb failed; skipping. Its output:"; cat "$dir/initdb.log" >&2; rm -rf "$dir"; return 0
  fi
  if ! "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >&2; then
    say "the server did not start; skipping. Its log:"; cat "$dir/server.log" >&2 2>/dev/null
    rm -rf "$dir"; return 0
  fi
  if ! "${as[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres orderops_test >&2; then
    say "createdb failed; stopping the server and skipping"
    "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >&2
    rm -rf "$dir"; return 0
  fi
  say "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $dir"
  printf 'export ORDEROPS_PG_DIR=%s\n' "$dir"
  printf 'export DATABASE_URL=%s\n' "postgres://postgres@127.0.0.1:$port/orderops_test"
}

# Installs the server from the machine's package manager (Debian's apt) when none is
# found and we may (root, apt-get present); says why not otherwise.
install() {
  if find_bindir >/dev/null; then return 0; fi
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    say "no PostgreSQL server and no way to install one here (needs root and apt-get)"
    return 0
  fi
  say "installing PostgreSQL with apt-get"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >&2 ||
    say "apt-get could not install postgresql; the PostgreSQL journal tests will be skipped"
}

stop() {
  local dir="${1:-${ORDEROPS_PG_DIR:-}}"
  if [ -z "$dir" ] || [ ! -d "$dir/data" ]; then say "nothing to stop"; return 0; fi
  local bindir as=()
  bindir="$(find_bindir)" || { say "pg_ctl not found"; return 0; }
  [ "$(id -u)" = "0" ] && mapfile -t as < <(as_postgres)
  "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
  rm -rf "$dir"
}

case "${1:-start}" in
  install) install ;;
  start) start ;;
  stop) stop "${2:-}" ;;
  *) say "usage: $0 [install|start|stop [dir]]"; exit 2 ;;
esac
exit 0
