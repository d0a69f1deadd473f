#!/usr/bin/env bash
# Push latency of a big module (issue 13, item 5), next to pbcheck breaking
# of the same pair.
#
#   bench/bigpush.sh [--files 2000] [--pushes 5] [--no-write]
#
# bench/registry -big-files N seeds a module of N files (20 packages, each
# file importing up to two earlier ones; 3 subjects: a pbtable, an event, a
# log) as version 1, starts registryd on SQLite (and on PostgreSQL when
# $PBREGISTRY_TEST_DATABASE_URL or the local test cluster is reachable),
# and times PUSHES sequential pushes of new content of the same size, each
# compiled, checked against the latest version with every subject's rules
# and committed: p50 and p99, and registryd's peak RSS. Next to it, the
# median of 3 runs of `pbcheck breaking current --against previous` on the
# same pair. The section goes to BENCHMARKS.md between
# <!-- bench:bigpush:begin --> and <!-- bench:bigpush:end --> unless
# --no-write.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

FILES=2000 PUSHES=5 WRITE=1
while [ $# -gt 0 ]; do
  case "$1" in
    --files) FILES="${2:?--files needs a number}"; shift 2 ;;
    --pushes) PUSHES="${2:?--pushes needs a number}"; shift 2 ;;
    --no-write) WRITE=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see bench/bigpush.sh --help)" ;;
  esac
done
DB_URL="${PBREGISTRY_TEST_DATABASE_URL:-postgres://pbregistry:pbregistry@127.0.0.1:5432/pbregistry_test?sslmode=disable}"

PBCHECK_GIVEN="${PBCHECK:-}"
ensure_pbcheck
dir="$OUT/bigpush"
mkdir -p "$dir"
log "building registryd and bench/registry"
(cd "$ROOT" && go build -o "$dir/registryd" ./cmd/registryd && go build -o "$dir/bench" ./bench/registry)

rows="$dir/rows.txt"
: >"$rows"
load_start="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
rm -rf "$dir/sqlite"
log "sqlite: a $FILES-file module, $PUSHES pushes"
"$dir/bench" -registryd "$dir/registryd" -backend sqlite -data-dir "$dir/sqlite" \
  -big-files "$FILES" -pushes "$PUSHES" -pbcheck "$PBCHECK" >>"$rows"
schema="bench_bigpush_$$"
if psql "$DB_URL" -qc "CREATE SCHEMA $schema" 2>/dev/null; then
  trap 'psql "$DB_URL" -qc "DROP SCHEMA IF EXISTS '"$schema"' CASCADE" >/dev/null 2>&1 || true' EXIT
  sep='?'; case "$DB_URL" in *\?*) sep='&';; esac
  log "postgres: a $FILES-file module, $PUSHES pushes"
  "$dir/bench" -registryd "$dir/registryd" -backend postgres -database-url "${DB_URL}${sep}search_path=$schema" \
    -big-files "$FILES" -pushes "$PUSHES" -pbcheck "$PBCHECK" >>"$rows"
else
  log "PostgreSQL at $DB_URL is not reachable: measuring SQLite only"
fi
load_end="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

section="$dir/section.md"
{
  echo "## registryd: pushing a $FILES-file module"
  echo
  echo "Written by \`bench/bigpush.sh\`; do not edit by hand. A module of $FILES files (20 packages, each file importing up to two earlier ones, 3 subjects: a pbtable, an event, a log) pushed through registryd's Connect API against a latest version of the same size: each push is compiled, checked with every subject's rules and ledger, and committed. Next to it, \`pbcheck breaking current --against previous\` on the same pair (the module's \`pbregistry.yaml\` on both sides: the subjects are checked as at push)."
  echo
  echo "| store | files | push p50 (ms) | push p99 (ms) | registryd peak RSS (MiB) | pbcheck breaking median (ms) | pbcheck peak RSS (MiB) | push p50 / pbcheck |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  while read -r _ backend files p50 p99 hwm pb pbrss; do
    echo "| $backend | $files | $p50 | $p99 | $hwm | $pb | $pbrss | $(awk -v a="$p50" -v b="$pb" 'BEGIN {if (b > 0) printf "%.2f", a/b; else print "n/a"}') |"
  done < <(grep '^BIGPUSH' "$rows")
  echo
  echo "- Runs: $PUSHES measured pushes after one warm-up (p50, p99); pbcheck: median of 3 runs. Goal: push p50 ≤ 1.5 s."
  echo "- Tools: registryd and pbcheck built at commit $(bench_rev)."
  echo "- Machine: $(nproc) CPUs, $(mem_gib) GiB RAM, $(go version | cut -d' ' -f3-), $(uname -sr); load average $load_start at start, $load_end at end (shared machine)."
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')."
} >"$section"
echo
cat "$section"
if [ "$WRITE" -eq 1 ]; then
  ensure_benchtool
  "$BENCHTOOL" section -file "$ROOT/BENCHMARKS.md" \
    -begin '<!-- bench:bigpush:begin -->' -end '<!-- bench:bigpush:end -->' -content "$section"
  log "updated $ROOT/BENCHMARKS.md"
fi
