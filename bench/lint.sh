#!/usr/bin/env bash
# Side-by-side benchmark of `pbcheck lint` against `buf lint` v1.75.0.
#
#   bench/lint.sh [-n RUNS] [--no-write]
#
# On the current side of bench/breaking.sh's corpus (bench/out/corpus,
# generated here too if missing or stale), it times in ONE run:
#   buf lint           with buf's default rules (STANDARD);
#   pbcheck lint       with the built-in policies plus the 20 custom policies
#                      of bench/lint-policies.yaml, and 60 subjects (20 of
#                      each kind) so that every kind's built-ins run.
# Both lint the same files; pbcheck reads a copy of the corpus with a
# pbregistry.yaml added. The results replace the section between
# <!-- bench:lint:begin --> and <!-- bench:lint:end --> of BENCHMARKS.md,
# unless --no-write. RUNS defaults to 5.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

RUNS="${RUNS:-5}" WRITE=1
while [ $# -gt 0 ]; do
  case "$1" in
    -n|--runs) RUNS="${2:?-n needs a number}"; shift 2 ;;
    --no-write) WRITE=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see bench/lint.sh --help)" ;;
  esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, got '$RUNS'"

PBCHECK_GIVEN="${PBCHECK:-}"
ensure_buf
ensure_pbcheck
ensure_benchtool

ensure_corpus 5200 1

# The pbcheck side: the same files, plus a pbregistry.yaml declaring subjects
# and the custom policies.
LINTDIR="$OUT/lint-corpus"
rm -rf "$LINTDIR" && cp -r "$CORPUS/current" "$LINTDIR"
{
  echo "version: v1"
  echo "module: acme/corpus"
  echo "subjects:"
  kinds=(pbtable event log)
  i=0
  # The first top-level message of the first 60 files, a kind each in turn.
  while IFS= read -r f && [ "$i" -lt 60 ]; do
    pkg="$(sed -n 's/^package \(.*\);/\1/p' "$f" | head -1)"
    msg="$(sed -n 's/^message \([A-Za-z0-9_]*\) .*/\1/p' "$f" | head -1)"
    [ -n "$pkg" ] && [ -n "$msg" ] || continue
    kind="${kinds[$((i % 3))]}"
    echo "  - message: $pkg.$msg"
    echo "    kind: $kind"
    [ "$kind" = pbtable ] && echo "    primary_key: [id]"
    i=$((i + 1))
  done < <(cd "$LINTDIR" && find acme -name '*.proto' | sort | sed "s|^|$LINTDIR/|")
  echo "policies:"
  sed 's/^/  /' "$ROOT/bench/lint-policies.yaml"
} >"$LINTDIR/pbregistry.yaml"
npolicies="$(grep -c '^- name:' "$ROOT/bench/lint-policies.yaml")"

res="$OUT/lint-timings"
rm -rf "$res" && mkdir -p "$res"
load_start="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
for i in $(seq 1 "$RUNS"); do
  if [ $((i % 2)) -eq 1 ]; then order="buf pbcheck"; else order="pbcheck buf"; fi
  for tool in $order; do
    if [ "$tool" = buf ]; then
      (cd "$CORPUS/current" && measure "$res/buf" "$res/buf.out" "$BUF" lint .) || die "buf lint failed"
    else
      (cd "$LINTDIR" && measure "$res/pbcheck" "$res/pbcheck.out" "$PBCHECK" lint .) || die "pbcheck lint failed"
    fi
    log "run $i/$RUNS $tool: $(tail -n 1 "$res/$tool" | awk '{printf "%s s, %.0f MiB", $1, $2/1024}')"
  done
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

bm="$(cut -d' ' -f1 "$res/buf" | median)"
pm="$(cut -d' ' -f1 "$res/pbcheck" | median)"
ratio="$(awk -v p="$pm" -v b="$bm" 'BEGIN {if (b > 0) printf "%.3f", p/b; else print "n/a"}')"
bf="$(wc -l <"$res/buf.out")" pf="$(wc -l <"$res/pbcheck.out")"
rev="$(bench_rev)"
corpus_line="$(sed -n 's/^previous: //p' "$CORPUS/stats.txt" | head -1)"
nfiles="$(find "$CORPUS/current" -name '*.proto' | wc -l)"

section="$OUT/lint-section.md"
cat >"$section" <<MD
## \`pbcheck lint\` vs \`buf lint\`

Written by \`bench/lint.sh\`; do not edit by hand. Lower is better.

| tool | what runs | median (s) | peak RSS (MiB) | findings |
|---|---|---:|---:|---:|
| buf lint | buf's default rules (STANDARD) | $bm | $(peak_mib <"$res/buf") | $bf |
| pbcheck lint | built-in policies + $npolicies custom CEL policies, 60 subjects | $pm | $(peak_mib <"$res/pbcheck") | $pf |

Ratio pbcheck/buf: **$ratio** (target ≤ 0.5).

- Runs: $RUNS per tool, alternating which goes first; median wall time, peak RSS over the runs.
- Corpus: the current side of \`bench/breaking.sh\`'s corpus, $nfiles files (its previous side: $corpus_line). The policies are \`bench/lint-policies.yaml\`.
- The rule sets differ by nature (buf's style rules against governance policies); both tools compile the same $nfiles files and walk every element.
- Tools: buf $BUF_VERSION; pbcheck built at commit $rev.
- Machine: $(nproc) CPUs, $(mem_gib) GiB RAM, $(go version | cut -d' ' -f3-), $(uname -sr); load average $load_start at start, $load_end at end.
- Date: $(date -u '+%Y-%m-%d %H:%M UTC').
MD
echo
cat "$section"
if [ "$WRITE" -eq 1 ]; then
  "$BENCHTOOL" section -file "$ROOT/BENCHMARKS.md" \
    -begin '<!-- bench:lint:begin -->' -end '<!-- bench:lint:end -->' -content "$section"
  log "updated $ROOT/BENCHMARKS.md"
fi
