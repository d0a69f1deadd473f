#!/usr/bin/env bash
# Side-by-side benchmark of pbcheck against buf v1.75.0 on a real-world
# corpus: two pinned commits of a large public proto repository.
#
#   bench/realworld.sh CHECKOUT [-n RUNS] [--current HASH] [--previous HASH]
#                      [--paths 'google grafeas'] [--cases LIST] [--no-write]
#
# CHECKOUT is a git checkout of googleapis (any clone holding the two
# commits; nothing in it is modified):
#
#   git clone https://github.com/googleapis/googleapis   # ~1 GiB, a few minutes
#   bench/realworld.sh ./googleapis -n 3 --no-write
#
# The defaults pin two commits four months apart:
#   current  fc645e542596b58c68b1663bed726eeb7aab7bff  2026-07-13
#   previous 6f8a554039638f4a9ca78d5f0c964281a16f4166  2026-03-12
# and take the .proto files under google/ and grafeas/ (7,055 and 6,775
# files, ~80 MB): the tree protoc and buf compile googleapis from. The
# repository root itself is not one module: preview/ redeclares google.api,
# google.rpc and google.type.
#
# The script exports those files of each commit (git archive) into
# $OUT/realworld/{current,previous}, commits them as two commits of a small
# repository $OUT/realworld/repo (previous, then current on top; so the git
# case reads the same trees and does not depend on the checkout's depth or
# layout), builds the two images with `buf build`, and times, in one run,
# RUNS runs of each tool per case, alternating which tool goes first:
#   dirs:    TOOL breaking current --against previous
#   git:     TOOL breaking current --against repo/.git#ref=<previous commit>
#   images:  TOOL breaking current.binpb --against previous.binpb
#   lint:    buf lint current (STANDARD) / pbcheck lint current (built-ins)
# Every breaking run prints --error-format json; the first run's findings of
# the two tools must be identical, compared as bench/parity.sh compares them
# (no extra run). Both tools use their defaults (no buf.yaml: buf's v1 FILE
# category). It reports median wall time and peak RSS and the ratios
# pbcheck/buf. The section goes to
# BENCHMARKS.md between <!-- bench:realworld:begin --> and
# <!-- bench:realworld:end --> unless --no-write.
#
# Memory: buf peaks at ~7 GiB on this corpus and pbcheck at a few GiB; the
# script runs one tool at a time. RUNS defaults to 3.
#
# Environment: RUNS, PBCHECK (a pbcheck binary to use instead of building
# one), BUF (a buf v1.75.0 binary), PBCHECK_FLAGS (extra flags given to
# pbcheck breaking in every case, e.g. "--cache-dir /tmp/c").
# Exit status: 0 when the findings are identical in every breaking case.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

RUNS="${RUNS:-3}" WRITE=1
CUR_COMMIT=fc645e542596b58c68b1663bed726eeb7aab7bff
PREV_COMMIT=6f8a554039638f4a9ca78d5f0c964281a16f4166
PATHS="google grafeas"
CASES="dirs git images lint"
CHECKOUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    -n|--runs) RUNS="${2:?-n needs a number}"; shift 2 ;;
    --current) CUR_COMMIT="${2:?--current needs a commit}"; shift 2 ;;
    --previous) PREV_COMMIT="${2:?--previous needs a commit}"; shift 2 ;;
    --paths) PATHS="${2:?--paths needs directories}"; shift 2 ;;
    --cases) CASES="${2:?--cases needs a list}"; shift 2 ;;
    --no-write) WRITE=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown argument $1 (see bench/realworld.sh --help)" ;;
    *) [ -z "$CHECKOUT" ] || die "one CHECKOUT only (got $CHECKOUT and $1)"; CHECKOUT="$1"; shift ;;
  esac
done
[ -n "$CHECKOUT" ] || die "give the path of a googleapis checkout: git clone https://github.com/googleapis/googleapis (see --help)"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, got '$RUNS'"
CHECKOUT="$(cd "$CHECKOUT" && pwd)" || die "$CHECKOUT is not a directory"
git -C "$CHECKOUT" rev-parse --git-dir >/dev/null 2>&1 || die "$CHECKOUT is not a git checkout"
for c in "$CUR_COMMIT" "$PREV_COMMIT"; do
  git -C "$CHECKOUT" cat-file -e "$c^{commit}" 2>/dev/null ||
    die "commit $c is not in $CHECKOUT: fetch it (git -C $CHECKOUT fetch origin) or pass --current/--previous"
done

PBCHECK_GIVEN="${PBCHECK:-}"
ensure_buf
ensure_pbcheck
ensure_benchtool
read -r -a pbflags <<<"${PBCHECK_FLAGS:-}"

# --- corpus: the two trees, a two-commit repository, the images ----------------
RW="$OUT/realworld"
stamp="current=$CUR_COMMIT previous=$PREV_COMMIT paths=$PATHS"
if [ "$(cat "$RW/.stamp" 2>/dev/null)" != "$stamp" ]; then
  log "exporting the .proto files under [$PATHS] of $PREV_COMMIT and $CUR_COMMIT from $CHECKOUT into $RW"
  rm -rf "$RW" && mkdir -p "$RW"
  specs=()
  for p in $PATHS; do specs+=(":(glob)$p/**/*.proto"); done
  for side in previous current; do
    if [ "$side" = current ]; then c="$CUR_COMMIT"; else c="$PREV_COMMIT"; fi
    mkdir -p "$RW/$side"
    git -C "$CHECKOUT" archive --format=tar "$c" -- "${specs[@]}" | tar -x -C "$RW/$side" ||
      die "git archive $c failed"
  done
  git init -q -b main "$RW/repo"
  for side in previous current; do
    find "$RW/repo" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
    cp -a "$RW/$side/." "$RW/repo/"
    git -C "$RW/repo" add -A
    git -C "$RW/repo" -c gc.auto=0 -c user.name=bench -c user.email=bench@localhost commit -q -m "$side" ||
      die "committing $side failed"
    git -C "$RW/repo" rev-parse HEAD >"$RW/$side.commit"
  done
  git -C "$RW/repo" gc -q
  echo "$stamp" >"$RW/.stamp"
fi
cd "$RW"
for side in previous current; do
  if [ ! -s "$side.binpb" ]; then
    log "building the image $side.binpb (buf build $side)"
    "$BUF" build "$side" -o "$side.binpb" || die "buf build $side failed"
  fi
done
nprev="$(find previous -name '*.proto' | wc -l)" ncur="$(find current -name '*.proto' | wc -l)"
mbcur="$(find current -name '*.proto' -print0 | du -cb --files0-from=- | tail -1 | awk '{printf "%.0f", $1/1e6}')"
gitref="repo/.git#ref=$(cat previous.commit)"

args_of() { # CASE -> the arguments after `breaking`
  case "$1" in
    dirs) echo "current --against previous" ;;
    git) echo "current --against $gitref" ;;
    images) echo "current.binpb --against previous.binpb" ;;
  esac
}

# --- timing and parity ---------------------------------------------------------------
# Every timed breaking run writes --error-format json; the first run of each
# tool per case gives the findings compared (so parity costs no extra run).
res="$OUT/rw-timings"
rm -rf "$res" && mkdir -p "$res"
declare -A identical nfind
status=0
load_start="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
for c in $CASES; do
  case "$c" in dirs|git|images|lint) ;; *) die "unknown case $c (cases: dirs git images lint)" ;; esac
  for i in $(seq 1 "$RUNS"); do
    if [ $((i % 2)) -eq 1 ]; then order="buf pbcheck"; else order="pbcheck buf"; fi
    for tool in $order; do
      if [ "$c" = lint ]; then
        if [ "$tool" = buf ]; then cmd=("$BUF" lint current); else cmd=("$PBCHECK" lint current); fi
      else
        read -r -a a <<<"$(args_of "$c")"
        if [ "$tool" = buf ]; then cmd=("$BUF" breaking "${a[@]}" --error-format json); else cmd=("$PBCHECK" breaking "${a[@]}" --error-format json ${pbflags[@]+"${pbflags[@]}"}); fi
      fi
      out="$res/$c.$tool.out"
      [ "$i" -eq 1 ] || out=/dev/null
      measure "$res/$c.$tool" "$out" "${cmd[@]}" || die "$c: ${cmd[*]} failed"
      log "$c run $i/$RUNS $tool: $(tail -n 1 "$res/$c.$tool" | awk '{printf "%s s, %.0f MiB", $1, $2/1024}')"
    done
  done
  if [ "$c" != lint ]; then
    for tool in buf pbcheck; do
      "$BENCHTOOL" keys "$res/$c.$tool.out" >"$res/$c.$tool.keys" || die "$tool's $c output is not JSON lines (see $res/$c.$tool.out)"
    done
    nfind[$c]="$(wc -l <"$res/$c.buf.keys") / $(wc -l <"$res/$c.pbcheck.keys")"
    if diff -u --label buf --label pbcheck "$res/$c.buf.keys" "$res/$c.pbcheck.keys" >"$res/$c.keys.diff"; then
      identical[$c]=yes
    else
      identical[$c]=no status=1
      echo "parity ($c): findings DIFFER (- only buf, + only pbcheck), first lines:" >&2
      head -40 "$res/$c.keys.diff" >&2
    fi
  fi
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

# --- report -----------------------------------------------------------------------
declare -A label=(
  [dirs]='directories: `breaking current --against previous`'
  [git]='git ref: `breaking current --against repo/.git#ref=PREVIOUS`'
  [images]='images: `breaking current.binpb --against previous.binpb`'
  [lint]='lint: `lint current` (buf: STANDARD; pbcheck: built-ins)'
)
declare -A goal=([dirs]='≤ 0.333 / ≤ 0.333' [git]='≤ 0.333 / ≤ 0.333' [images]='≤ 0.200 / ≤ 0.250' [lint]='≤ 0.5 time')
table="| case | buf median (s) | pbcheck median (s) | time ratio | buf peak RSS (MiB) | pbcheck peak RSS (MiB) | RSS ratio | goal (time / RSS) | identical findings (buf / pbcheck) |
|---|---:|---:|---:|---:|---:|---:|---|---|"
for c in $CASES; do
  bm="$(cut -d' ' -f1 "$res/$c.buf" | median)"
  pm="$(cut -d' ' -f1 "$res/$c.pbcheck" | median)"
  br="$(peak_mib <"$res/$c.buf")" pr="$(peak_mib <"$res/$c.pbcheck")"
  tr="$(awk -v p="$pm" -v b="$bm" 'BEGIN {if (b > 0) printf "%.3f", p/b; else print "n/a"}')"
  rr="$(awk -v p="$pr" -v b="$br" 'BEGIN {if (b > 0) printf "%.3f", p/b; else print "n/a"}')"
  if [ "$c" = lint ]; then
    same="— ($(wc -l <"$res/lint.buf.out") / $(wc -l <"$res/lint.pbcheck.out") lines; rule sets differ)"
  else
    same="${identical[$c]} (${nfind[$c]})"
  fi
  table+="
| ${label[$c]} | $bm | $pm | **$tr** | $br | $pr | **$rr** | ${goal[$c]} | $same |"
done
rev="$(bench_rev)"
flags_note=""
[ -z "${PBCHECK_FLAGS:-}" ] || flags_note=" pbcheck breaking ran with \`${PBCHECK_FLAGS}\`."

section="$OUT/realworld-section.md"
cat >"$section" <<MD
## Real-world corpus: googleapis

Written by \`bench/realworld.sh\`; do not edit by hand. Ratios are pbcheck/buf, lower is better.

$table

- Corpus: googleapis, the .proto files under \`${PATHS// /\/, }/\` at $CUR_COMMIT ($ncur files, $mbcur MB; current) and $PREV_COMMIT ($nprev files; previous), no \`buf.yaml\`: both tools use buf's default breaking rules (v1 \`FILE\`). The git case reads a two-commit repository holding the same trees.
- Runs: $RUNS per tool and case, alternating which tool goes first; median wall time, peak RSS over the runs; one process at a time.$flags_note
- Findings compared as sorted \`path:start_line:start_column:end_line:end_column:type\`.
- Tools: buf $BUF_VERSION; pbcheck built at commit $rev.
- Machine: $(nproc) CPUs, $(mem_gib) GiB RAM, $(go version | cut -d' ' -f3-), $(uname -sr); load average $load_start at start, $load_end at end (shared machine: absolute times vary, the ratio is what counts).
- Date: $(date -u '+%Y-%m-%d %H:%M UTC').
MD
echo
cat "$section"
if [ "$WRITE" -eq 1 ]; then
  "$BENCHTOOL" section -file "$ROOT/BENCHMARKS.md" \
    -begin '<!-- bench:realworld:begin -->' -end '<!-- bench:realworld:end -->' -content "$section"
  log "updated $ROOT/BENCHMARKS.md"
fi
[ "$status" -eq 0 ] || echo "realworld.sh: findings differ between buf and pbcheck (see $res/*.keys.diff)" >&2
exit "$status"
