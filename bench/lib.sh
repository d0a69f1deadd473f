# Shared helpers of the benchmark scripts (sourced, not run).
# Callers set: set -euo pipefail, and ROOT to the repository root.

BUF_VERSION="1.75.0"
OUT="${OUT:-$ROOT/bench/out}"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ensure_buf sets BUF to a buf $BUF_VERSION binary, installing it with
# `go install` when neither $BUF nor GOBIN/buf nor PATH's buf is that version.
ensure_buf() {
  local gobin cand
  gobin="$(go env GOBIN)"
  [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
  for cand in "${BUF:-}" "$gobin/buf" "$(command -v buf || true)"; do
    if [ -n "$cand" ] && [ -x "$cand" ] && [ "$("$cand" --version 2>/dev/null)" = "$BUF_VERSION" ]; then
      BUF="$cand"
      return
    fi
  done
  log "installing buf v$BUF_VERSION with go install (the reference implementation)"
  GOBIN="$gobin" go install "github.com/bufbuild/buf/cmd/buf@v$BUF_VERSION" ||
    die "could not install buf v$BUF_VERSION; install it and set BUF=/path/to/buf"
  BUF="$gobin/buf"
  [ "$("$BUF" --version)" = "$BUF_VERSION" ] || die "$BUF is not buf $BUF_VERSION"
}

# ensure_pbcheck sets PBCHECK: the given $PBCHECK, or a fresh build of
# ./cmd/pbcheck into $OUT/pbcheck.
ensure_pbcheck() {
  if [ -n "${PBCHECK:-}" ]; then
    [ -x "$PBCHECK" ] || die "PBCHECK=$PBCHECK is not an executable"
    return
  fi
  log "building pbcheck (go build -o $OUT/pbcheck ./cmd/pbcheck)"
  mkdir -p "$OUT"
  (cd "$ROOT" && go build -o "$OUT/pbcheck" ./cmd/pbcheck) || die "pbcheck does not build"
  PBCHECK="$OUT/pbcheck"
}

# ensure_benchtool sets BENCHTOOL to a build of ./bench/benchtool.
ensure_benchtool() {
  mkdir -p "$OUT"
  (cd "$ROOT" && go build -o "$OUT/benchtool" ./bench/benchtool) || die "bench/benchtool does not build"
  BENCHTOOL="$OUT/benchtool"
}

# run_check TOOL OUTFILE ERRFILE ARGS... runs `TOOL breaking ARGS...`, saving
# stdout and stderr. Exit codes 0 (no breaking change) and 100 (breaking
# changes found) are both success; it echoes the exit code.
run_check() {
  local tool="$1" out="$2" err="$3" rc=0
  shift 3
  "$tool" breaking "$@" >"$out" 2>"$err" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 100 ]; then
    printf 'error: `%s breaking %s` failed with exit code %d:\n' "$tool" "$*" "$rc" >&2
    sed 's/^/    /' "$err" | head -20 >&2
    return 1
  fi
  echo "$rc"
}

# ensure_corpus FILES SEED sets CORPUS to $OUT/corpus, generating it there
# (go run ./bench/gen) unless it is already the corpus of these FILES and
# SEED from the current generator sources; a stale corpus loses its images.
ensure_corpus() {
  local files="$1" seed="$2" stamp gen_start gen_end
  CORPUS="$OUT/corpus"
  stamp="files=$files seed=$seed gen=$(cat "$ROOT"/bench/gen/*.go | sha256sum | cut -c1-16)"
  if [ -f "$CORPUS/changes.txt" ] && [ "$(cat "$CORPUS/.stamp" 2>/dev/null)" = "$stamp" ]; then
    return
  fi
  log "generating the corpus into $CORPUS ($stamp)"
  rm -rf "$CORPUS" && mkdir -p "$CORPUS"
  gen_start=$(date +%s.%N)
  (cd "$ROOT" && go run ./bench/gen -out "$CORPUS" -files "$files" -seed "$seed") >"$CORPUS/stats.txt" ||
    die "corpus generation failed"
  gen_end=$(date +%s.%N)
  awk -v a="$gen_start" -v b="$gen_end" 'BEGIN {printf "generation took %.1f s (including go build)\n", b-a}' >>"$CORPUS/stats.txt"
  echo "$stamp" >"$CORPUS/.stamp"
}

# measure RESULTFILE OUTFILE CMD... runs CMD once, its stdout to OUTFILE,
# and appends "WALL_SECONDS MAX_RSS_KIB" to RESULTFILE. Exit codes 0 and
# 100 (findings) are success.
measure() {
  local res="$1" out="$2" tmp rc=0
  shift 2
  tmp="$(mktemp)"
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%e %M' -o "$tmp" "$@" >"$out" 2>"$tmp.err" || rc=$?
  else
    "$BENCHTOOL" measure -o "$tmp" -- "$@" >"$out" 2>"$tmp.err" || rc=$?
  fi
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 100 ]; then
    echo "error: '$*' exited with $rc:" >&2
    head -20 "$tmp.err" >&2
    rm -f "$tmp" "$tmp.err"
    return 1
  fi
  tail -n 1 "$tmp" >>"$res"
  rm -f "$tmp" "$tmp.err"
}

# median reads numbers, one a line, and prints their median.
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }

# peak_mib reads measure's "SECONDS KIB" lines and prints the largest RSS in MiB.
peak_mib() { awk 'BEGIN {m=0} {if ($2>m) m=$2} END {printf "%.0f\n", m/1024}'; }

# bench_rev prints the commit benchmarked: HEAD's short hash, marked
# "+ uncommitted changes" when code outside bench/ and BENCHMARKS.md (which
# the scripts write) differs from it, unless the binary was given
# ($PBCHECK_GIVEN set).
bench_rev() {
  local rev
  rev="$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  if [ -z "${PBCHECK_GIVEN:-}" ] && [ -n "$(cd "$ROOT" && git status --porcelain -- . ':!bench' ':!BENCHMARKS.md' 2>/dev/null)" ]; then
    rev+=" + uncommitted changes"
  fi
  echo "$rev"
}

# mem_gib prints the machine's RAM in GiB.
mem_gib() { awk '/MemTotal/ {printf "%.1f", $2/1048576}' /proc/meminfo; }
