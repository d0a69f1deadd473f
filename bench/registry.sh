#!/usr/bin/env bash
# Benchmarks registryd with long histories on SQLite and PostgreSQL and
# writes the "registry" section of BENCHMARKS.md (see bench/registry/).
#
#   bench/registry.sh              # 10, 1,000 and 10,000 prior versions, both backends
#   bench/registry.sh --no-write   # print the section only
#   LEVELS=10,100 PUSHES=20 bench/registry.sh --no-write   # a quick dry run
#
# PostgreSQL: $PBREGISTRY_TEST_DATABASE_URL, else the local cluster that
# scripts/test sets up; a fresh schema is created and dropped.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/bench/lib.sh"
WRITE=1
[ "${1:-}" = "--no-write" ] && WRITE=0
LEVELS="${LEVELS:-10,1000,10000}"
PUSHES="${PUSHES:-100}"
READ_SECONDS="${READ_SECONDS:-5}"
DB_URL="${PBREGISTRY_TEST_DATABASE_URL:-postgres://pbregistry:pbregistry@127.0.0.1:5432/pbregistry_test?sslmode=disable}"

mkdir -p "$OUT/registry"
log "building registryd and bench/registry"
(cd "$ROOT" && go build -o "$OUT/registry/registryd" ./cmd/registryd && go build -o "$OUT/registry/bench" ./bench/registry)

rows="$OUT/registry/rows.txt"
: >"$rows"
log "sqlite: levels $LEVELS, $PUSHES pushes each"
rm -rf "$OUT/registry/sqlite"
"$OUT/registry/bench" -registryd "$OUT/registry/registryd" -backend sqlite -data-dir "$OUT/registry/sqlite" \
  -levels "$LEVELS" -pushes "$PUSHES" -read-seconds "$READ_SECONDS" >>"$rows"

schema="bench_registry_$$"
if psql "$DB_URL" -qc "CREATE SCHEMA $schema" 2>/dev/null; then
  trap 'psql "$DB_URL" -qc "DROP SCHEMA IF EXISTS '"$schema"' CASCADE" >/dev/null 2>&1 || true' EXIT
  sep='?'; case "$DB_URL" in *\?*) sep='&';; esac
  log "postgres: levels $LEVELS, $PUSHES pushes each"
  "$OUT/registry/bench" -registryd "$OUT/registry/registryd" -backend postgres -database-url "${DB_URL}${sep}search_path=$schema" \
    -levels "$LEVELS" -pushes "$PUSHES" -read-seconds "$READ_SECONDS" >>"$rows"
else
  log "PostgreSQL at $DB_URL is not reachable: measuring SQLite only (run scripts/test once to set it up)"
fi

section="$OUT/registry/section.md"
{
  echo "## registryd: push latency and reads over long histories"
  echo
  echo "\`bench/registry.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores, $(go version | awk '{print $3}'), commit $(bench_rev)):"
  echo "a 200-message module (10 files, 3 subjects: pbtable, event, log) with N prior"
  echo "versions seeded through the store; then, through registryd's HTTP API (Connect,"
  echo "binary protobuf, one client), $PUSHES sequential pushes of new content — each"
  echo "compiled, checked against the latest version with every subject's rules and"
  echo "ledger, and committed — and ${READ_SECONDS}s of 8 concurrent clients asking"
  echo "for random versions' descriptor sets, with gzip (what Connect clients ask for"
  echo "by default) and without. RSS is registryd's resident memory after the reads,"
  echo "and its peak."
  echo
  echo "| store | prior versions | push p50 | push p99 | GetDescriptorSet req/s (gzip) | req/s (identity) | RSS MiB | peak MiB |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  grep '^|' "$rows"
  echo
  grep '^RATIO' "$rows" | while read -r _ backend from to p50 p99 size; do
    echo "- **$backend**: push latency at $to versions vs $from: p50 ×$p50, p99 ×$p99 (flat means ≤ 1.5×). Descriptor set: $((size / 1024)) KiB."
  done
} >"$section"
cat "$section"
if [ "$WRITE" = 1 ]; then
  ensure_benchtool
  "$BENCHTOOL" section -file "$ROOT/BENCHMARKS.md" \
    -begin '<!-- bench:registry:begin -->' -end '<!-- bench:registry:end -->' -content "$section"
  log "wrote the registry section of BENCHMARKS.md"
fi
