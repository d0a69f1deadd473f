#!/usr/bin/env bash
# Soaks two registryd on one PostgreSQL database: pushers and readers
# against both while one instance at a time is killed (SIGKILL, then
# restarted) or stopped (SIGSTOP, then SIGCONT); then checks that no
# acknowledged push was lost, and writes the "soak" section of
# BENCHMARKS.md (see bench/soak/).
#
#   bench/soak.sh                                   # 4 pushers, 4 readers, 60 s
#   bench/soak.sh --pushers 8 --readers 2 --duration 5m
#   bench/soak.sh --duration 20s --no-write         # a quick run; print the section only
#   bench/soak.sh --private-pg                      # on a PostgreSQL cluster of its own
#
# Other flags are passed to the driver (go run ./bench/soak -h lists them:
# -attempt-timeout, -chaos-every, -stop-max, -grace, -seed, -log-level).
#
# PostgreSQL: $PBREGISTRY_TEST_DATABASE_URL, else the local cluster that
# scripts/test sets up, in a fresh schema that is dropped at the end; when
# neither answers (or with --private-pg), a private cluster started with
# the local PostgreSQL's initdb on a free loopback port, removed at the end.
# Everything listens on 127.0.0.1 only. Exits 1 when a push was lost or
# the history is inconsistent.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/bench/lib.sh"
WRITE=1
PRIVATE=0
PUSHERS=4
READERS=4
DURATION=60s
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-write) WRITE=0 ;;
    --private-pg) PRIVATE=1 ;;
    --pushers) PUSHERS="$2"; shift ;;
    --readers) READERS="$2"; shift ;;
    --duration) DURATION="$2"; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) EXTRA+=("$1") ;;
  esac
  shift
done
DB_URL="${PBREGISTRY_TEST_DATABASE_URL:-postgres://pbregistry:pbregistry@127.0.0.1:5432/pbregistry_test?sslmode=disable}"
DIR="$OUT/soak"
mkdir -p "$DIR"

# Everything this script starts is stopped on exit: the driver (which
# stops its registryd), the schema or the private cluster.
cleanups=()
cleanup() {
  local i
  for ((i = ${#cleanups[@]} - 1; i >= 0; i--)); do eval "${cleanups[i]}" || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_private_pg starts a PostgreSQL cluster in a temporary directory on a
# free loopback port and sets DB_URL to it.
start_private_pg() {
  local bindir port pgdir run_as=()
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$bindir" ] && [ -x "$bindir/initdb" ] || bindir="$(dirname "$(command -v initdb || echo /nonexistent/initdb)")"
  [ -x "$bindir/initdb" ] || die "no PostgreSQL to start (initdb not found): install postgresql-15, or set PBREGISTRY_TEST_DATABASE_URL"
  pgdir="$(mktemp -d /tmp/pbregistry-soak-pg.XXXXXX)"
  chmod 755 "$pgdir"
  if [ "$(id -u)" -eq 0 ]; then
    # PostgreSQL refuses to run as root.
    chown postgres "$pgdir"
    run_as=(runuser -u postgres --)
  fi
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)))"
  log "starting a private PostgreSQL ($bindir) on 127.0.0.1:$port in $pgdir"
  "${run_as[@]}" "$bindir/initdb" -D "$pgdir/data" -U soak --auth=trust >"$DIR/initdb.log" 2>&1 ||
    die "initdb failed; see $DIR/initdb.log"
  cleanups+=("rm -rf '$pgdir'")
  "${run_as[@]}" "$bindir/pg_ctl" -D "$pgdir/data" -l "$pgdir/postgres.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $pgdir -c max_connections=200" start >/dev/null ||
    die "PostgreSQL did not start; see $pgdir/postgres.log"
  cleanups+=("${run_as[*]} '$bindir/pg_ctl' -D '$pgdir/data' -m immediate stop >/dev/null")
  DB_URL="postgres://soak@127.0.0.1:$port/postgres?sslmode=disable"
}

if [ "$PRIVATE" = 0 ] && psql "$DB_URL" -qtAc "SELECT 1" >/dev/null 2>&1; then
  schema="bench_soak_$$"
  psql "$DB_URL" -qc "CREATE SCHEMA $schema" >/dev/null
  cleanups+=("psql '$DB_URL' -qc 'DROP SCHEMA IF EXISTS $schema CASCADE' >/dev/null 2>&1")
  sep='?'; case "$DB_URL" in *\?*) sep='&';; esac
  SOAK_URL="${DB_URL}${sep}search_path=$schema"
  where="PostgreSQL at $(printf '%s' "${DB_URL%%\?*}" | sed -E 's#//[^@/]*@#//#'), a fresh schema"
else
  [ "$PRIVATE" = 1 ] || log "PostgreSQL at $DB_URL does not answer: starting a private cluster"
  start_private_pg
  SOAK_URL="$DB_URL"
  where="a private PostgreSQL cluster"
fi
pg_version="$(psql "$DB_URL" -qtAc 'SHOW server_version' 2>/dev/null | awk '{print $1}' || true)"

log "building registryd and bench/soak"
(cd "$ROOT" && go build -o "$DIR/registryd" ./cmd/registryd && go build -o "$DIR/soak" ./bench/soak)

rows="$DIR/rows.txt"
rm -rf "$DIR/logs"
log "soaking: $PUSHERS pushers, $READERS readers, $DURATION; instance logs in $DIR/logs"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
"$DIR/soak" -registryd "$DIR/registryd" -database-url "$SOAK_URL" -log-dir "$DIR/logs" \
  -pushers "$PUSHERS" -readers "$READERS" -duration "$DURATION" ${EXTRA[@]+"${EXTRA[@]}"} >"$rows" &
driver=$!
cleanups+=("kill $driver 2>/dev/null; wait $driver 2>/dev/null")
wait "$driver" || rc=$?
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"
[ -s "$rows" ] || die "the soak driver printed no results (exit $rc)"

section="$DIR/section.md"
{
  echo "## Soak: two registryd on one PostgreSQL, under kill -9 and SIGSTOP"
  echo
  echo "Written by \`bench/soak.sh\`; do not edit by hand. Command: \`bench/soak.sh --pushers $PUSHERS --readers $READERS --duration $DURATION${EXTRA[*]+ ${EXTRA[*]}}\` (seed $(awk '/^SEED/ {print $2}' "$rows"))."
  echo
  echo "Two registryd processes share one PostgreSQL ${pg_version:-?} database. Each pusher alternates"
  echo "between a module of its own (each push adds a field to an event subject) and a"
  echo "module all pushers share (each push declares messages M1…Mk for the next k of"
  echo "a shared counter, under WIRE rules, so that every push is compatible with"
  echo "every version and the pushes race). Readers call GetModule (with and without"
  echo "files), ListVersions and download images, and check each digest they see"
  echo "against the acknowledged pushes. Now and then (fault pacing below) one"
  echo "instance, at random, is killed (SIGKILL, restarted on its port) or stopped"
  echo "(SIGSTOP, then SIGCONT). Clients send each request to a random instance and"
  echo "retry on the other when it fails in transport (refused, reset, or unanswered"
  echo "in time) or answers Unavailable; every other answer is final (no retry on"
  echo "\`aborted\`). Push latency counts from the first attempt to the answer, so"
  echo "its p99 includes waiting out a stopped instance (and the other instance"
  echo "waiting for a lock the stopped one holds)."
  echo "At the end every acknowledged push must be the version it was acknowledged"
  echo "as, with its digest; each module's versions 1…N without gaps or duplicate"
  echo "digests; each own module's versions in its pusher's order."
  echo
  echo "| measure | value |"
  echo "|---|---|"
  grep '^|' "$rows"
  echo
  grep '^- ' "$rows" || true
  echo "- Machine: $(nproc) CPUs, $(mem_gib) GiB RAM, $(go version | awk '{print $3, $4}'), Linux $(uname -r); load average $load_start at start, $load_end at end (shared machine)."
  echo "- Commit $(bench_rev); $where; date $(date -u '+%Y-%m-%d %H:%M') UTC."
} >"$section"
cat "$section"
if [ "$WRITE" = 1 ]; then
  ensure_benchtool
  "$BENCHTOOL" section -file "$ROOT/BENCHMARKS.md" \
    -begin '<!-- bench:soak:begin -->' -end '<!-- bench:soak:end -->' -content "$section"
  log "wrote the soak section of BENCHMARKS.md"
fi
exit "$rc"
