#!/usr/bin/env bash
# Side-by-side benchmark of `pbcheck breaking` against `buf breaking` v1.75.0.
#
#   bench/breaking.sh [-n RUNS] [--files N] [--seed S] [--no-write]
#
# On a fresh machine it installs buf v1.75.0 (go install) if needed, builds
# pbcheck into bench/out/pbcheck, generates the corpus into bench/out/corpus
# (go run ./bench/gen) if missing or stale, and builds the two buf images
# previous.binpb and current.binpb. Then, for two cases on the same pair:
#   dirs:   TOOL breaking current --against previous
#   images: TOOL breaking current.binpb --against previous.binpb
# it checks that both tools report identical findings (bench/parity.sh),
# then times RUNS runs of each tool, alternating which goes first, and
# reports the median wall time and the peak RSS. Both run from inside the
# corpus directory so that paths print the same. The results replace the
# section between <!-- bench:breaking:begin --> and <!-- bench:breaking:end -->
# of BENCHMARKS.md (created if missing), unless --no-write.
#
# Environment: RUNS (default 5), PBCHECK (a pbcheck binary to use instead of
# building one; PBCHECK=$(go env GOPATH)/bin/buf benchmarks buf against
# itself), BUF (a buf v1.75.0 binary).
# Exit status: 0 when the findings are identical in both cases, 1 otherwise.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

RUNS="${RUNS:-5}" FILES=5200 SEED=1 WRITE=1
while [ $# -gt 0 ]; do
  case "$1" in
    -n|--runs) RUNS="${2:?-n needs a number}"; shift 2 ;;
    --files) FILES="${2:?--files needs a number}"; shift 2 ;;
    --seed) SEED="${2:?--seed needs a number}"; shift 2 ;;
    --no-write) WRITE=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see bench/breaking.sh --help)" ;;
  esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, got '$RUNS'"

PBCHECK_GIVEN="${PBCHECK:-}"
ensure_buf
ensure_pbcheck
ensure_benchtool
pbcheck_label="pbcheck"
if [ "$("$PBCHECK" --version 2>/dev/null || true)" = "$BUF_VERSION" ]; then
  pbcheck_label="pbcheck (here: buf itself, PBCHECK=$PBCHECK)"
  log "PBCHECK is buf $BUF_VERSION: expect identical findings and a ratio close to 1"
fi

# --- corpus and images --------------------------------------------------------
ensure_corpus "$FILES" "$SEED"
cat "$CORPUS/stats.txt" >&2
cd "$CORPUS"
for side in previous current; do
  if [ ! -s "$side.binpb" ]; then
    log "building the image $side.binpb (buf build $side)"
    "$BUF" build "$side" -o "$side.binpb" || die "buf build $side failed"
  fi
done

# --- parity ---------------------------------------------------------------------
declare -A identical nfind
status=0
for c in dirs images; do
  if [ "$c" = dirs ]; then cur=current ag=previous; else cur=current.binpb ag=previous.binpb; fi
  log "parity ($c): $cur against $ag"
  if PARITY_OUT="$OUT/parity-$c" BUF="$BUF" PBCHECK="$PBCHECK" "$ROOT/bench/parity.sh" "$cur" "$ag"; then
    identical[$c]=yes
  else
    identical[$c]=no
    status=1
  fi
  nfind[$c]="$(wc -l <"$OUT/parity-$c/buf.keys" 2>/dev/null || echo '?') / $(wc -l <"$OUT/parity-$c/pbcheck.keys" 2>/dev/null || echo '?')"
done

# --- timing ----------------------------------------------------------------------
res="$OUT/timings"
rm -rf "$res" && mkdir -p "$res"
load_start="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
for c in dirs images; do
  if [ "$c" = dirs ]; then cur=current ag=previous; else cur=current.binpb ag=previous.binpb; fi
  for i in $(seq 1 "$RUNS"); do
    if [ $((i % 2)) -eq 1 ]; then order="buf pbcheck"; else order="pbcheck buf"; fi
    for tool in $order; do
      if [ "$tool" = buf ]; then bin="$BUF"; else bin="$PBCHECK"; fi
      measure "$res/$c.$tool" /dev/null "$bin" breaking "$cur" --against "$ag" || die "timing run failed"
      log "$c run $i/$RUNS $tool: $(tail -n 1 "$res/$c.$tool" | awk '{printf "%s s, %.0f MiB", $1, $2/1024}')"
    done
  done
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

# --- report ------------------------------------------------------------------------
table="| case | buf median (s) | pbcheck median (s) | ratio pbcheck/buf | buf peak RSS (MiB) | pbcheck peak RSS (MiB) | identical findings |
|---|---:|---:|---:|---:|---:|:---:|"
for c in dirs images; do
  bm="$(cut -d' ' -f1 "$res/$c.buf" | median)"
  pm="$(cut -d' ' -f1 "$res/$c.pbcheck" | median)"
  ratio="$(awk -v p="$pm" -v b="$bm" 'BEGIN {if (b > 0) printf "%.3f", p/b; else print "n/a"}')"
  if [ "$c" = dirs ]; then label='directories: `breaking current --against previous`'; else label='images: `breaking current.binpb --against previous.binpb`'; fi
  table+="
| $label | $bm | $pm | $ratio | $(peak_mib <"$res/$c.buf") | $(peak_mib <"$res/$c.pbcheck") | ${identical[$c]} |"
done
rev="$(bench_rev)"
corpus_line="$(sed -n 's/^previous: //p' "$CORPUS/stats.txt" | head -1)"
changes_line="$(sed -n 's/^changes: *//p' "$CORPUS/stats.txt" | head -1)"

section="$OUT/breaking-section.md"
cat >"$section" <<MD
## \`pbcheck breaking\` vs \`buf breaking\`

Written by \`bench/breaking.sh\`; do not edit by hand. Lower is better; a ratio below 1 means pbcheck is faster.

$table

- Runs: $RUNS per tool and case, alternating which tool goes first; median wall time, peak RSS over the runs.
- Corpus: \`go run ./bench/gen -files $FILES -seed $SEED\` — $corpus_line; $changes_line deliberate changes (\`${CORPUS#"$ROOT"/}/changes.txt\`).
- Findings (buf / pbcheck): directories ${nfind[dirs]}, images ${nfind[images]}. Compared as sorted \`path:start_line:start_column:end_line:end_column:type\`.
- Tools: buf $BUF_VERSION; $pbcheck_label built at commit $rev.
- Machine: $(nproc) CPUs, $(mem_gib) GiB RAM, $(go version | cut -d' ' -f3-), $(uname -sr); load average $load_start at start, $load_end at end (shared machine: absolute times vary, the ratio is what counts).
- Date: $(date -u '+%Y-%m-%d %H:%M UTC').
MD

echo
cat "$section"
if [ "$WRITE" -eq 1 ]; then
  "$BENCHTOOL" section -file "$ROOT/BENCHMARKS.md" \
    -begin '<!-- bench:breaking:begin -->' -end '<!-- bench:breaking:end -->' -content "$section"
  log "updated $ROOT/BENCHMARKS.md"
fi
if [ "$status" -ne 0 ]; then
  echo "breaking.sh: findings differ between buf and pbcheck (diffs in $OUT/parity-*/keys.diff)" >&2
fi
exit "$status"
