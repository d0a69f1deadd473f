#!/usr/bin/env bash
# Benchmarks registryd's cached read path against a bare Go net/http
# handler writing the same bytes, and writes the "reads" section of
# BENCHMARKS.md (see bench/reads/).
#
#   bench/reads.sh              # 1 KB, 200 KB and 5 MB descriptor sets, 64 connections
#   bench/reads.sh --no-write   # print the section only
#   SECONDS_EACH=1 ROUNDS=1 bench/reads.sh --no-write   # a quick dry run
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/bench/lib.sh"
WRITE=1
[ "${1:-}" = "--no-write" ] && WRITE=0
SIZES="${SIZES:-1000,200000,5000000}"
CONNECTIONS="${CONNECTIONS:-64}"
SECONDS_EACH="${SECONDS_EACH:-5}"
ROUNDS="${ROUNDS:-2}"
CACHE_BYTES="${CACHE_BYTES:-67108864}"

mkdir -p "$OUT/reads"
log "building registryd and bench/reads"
(cd "$ROOT" && go build -o "$OUT/reads/registryd" ./cmd/registryd && go build -o "$OUT/reads/bench" ./bench/reads)

rows="$OUT/reads/rows.txt"
log "loading: sizes $SIZES, $CONNECTIONS connections, ${SECONDS_EACH}s x $ROUNDS rounds per target"
"$OUT/reads/bench" -registryd "$OUT/reads/registryd" -data-dir "$OUT/reads/data" -sizes "$SIZES" \
  -connections "$CONNECTIONS" -seconds "$SECONDS_EACH" -rounds "$ROUNDS" -cache-bytes "$CACHE_BYTES" >"$rows"
read -r _ peak rss hwm cache total < <(grep '^MEMORY' "$rows")

section="$OUT/reads/section.md"
{
  echo "## registryd: cached reads against a bare handler"
  echo
  echo "\`bench/reads.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores, $(go version | awk '{print $3}'), commit $(bench_rev), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end):"
  echo "one module per size, seeded into SQLite; registryd (read cache of $((cache / 1048576)) MiB) and, as another"
  echo "process, a bare Go \`net/http\` handler writing the same bytes (and the same gzip bytes when"
  echo "the client accepts gzip) with one \`w.Write\`. One Go load generator, $CONNECTIONS keep-alive connections over"
  echo "loopback, each sending \`GET /modules/{m}/versions/1/image.binpb\` back to back; the two"
  echo "servers alternate, ${SECONDS_EACH}s each, $ROUNDS rounds, after a warm-up. Ratios are registryd / bare, measured"
  echo "in the same run: goal ≥ 0.5 for requests/s and ≤ 2 for p99. CPU is each server's"
  echo "user+system time per request."
  echo
  echo "| descriptor set | encoding | bytes sent | bare req/s | registryd req/s | req/s ratio | bare p50 / p99 | registryd p50 / p99 | p99 ratio | CPU µs/req bare / registryd |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  grep '^|' "$rows"
  echo
  echo "The same descriptor sets through Connect \`GetDescriptorSet\` (binary protobuf, unary POST), from the"
  echo "read cache; ratios against the bare handler's row above. Connect compresses each response"
  echo "itself (the handler options live in server.go; see below), so gzip costs a compression per request:"
  echo
  echo "| descriptor set | encoding | registryd Connect req/s | req/s ratio | p50 / p99 | p99 ratio | CPU µs/req |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  grep '^CONNECT' "$rows" | sed 's/^CONNECT //'
  echo
  echo "registryd's resident memory: $peak MiB at most under the load (sampled every 100 ms), $rss MiB after, peak (VmHWM) $hwm MiB;"
  echo "cache bound $((cache / 1048576)) MiB, holding $((total / 1024)) KiB (the three sets and their gzip forms)."
} >"$section"
cat "$section"
if [ "$WRITE" = 1 ]; then
  ensure_benchtool
  "$BENCHTOOL" section -file "$ROOT/BENCHMARKS.md" \
    -begin '<!-- bench:reads:begin -->' -end '<!-- bench:reads:end -->' -content "$section"
  log "wrote the reads section of BENCHMARKS.md"
fi
