#!/usr/bin/env bash
# Checks that pbcheck and buf report the same breaking changes.
#
#   bench/parity.sh CURRENT AGAINST [extra flags...]
#
# CURRENT and AGAINST are what `buf breaking CURRENT --against AGAINST`
# takes: module directories or images (.binpb). Both tools run from the
# caller's directory with the same arguments plus `--error-format json`, and
# their findings are compared as sorted lists of
# path:start_line:start_column:end_line:end_column:type (messages are worded
# differently on purpose and are not compared). Exit codes must match too.
#
# Extra flags are passed to both tools, except these conveniences:
#   --use RULES     (comma-separated rule IDs or categories, e.g. WIRE_JSON)
#   --except RULES
# which select the rules: for images they become buf's --config JSON; for
# directories the two modules are copied to a temporary workspace whose
# buf.yaml (v2) lists those rules (buf rejects --config for a module dir).
#
# Environment: PBCHECK (default: build ./cmd/pbcheck), BUF (default: buf
# v1.75.0, installed if missing), PARITY_OUT (keep outputs there).
# Exit status: 0 identical, 1 different or a tool failed, 2 usage.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

if [ $# -lt 2 ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
fi
current="$1" against="$2"
shift 2
[ -e "$current" ] || die "CURRENT $current does not exist"
[ -e "$against" ] || die "AGAINST $against does not exist"

use="" except="" extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --use) [ $# -ge 2 ] || die "--use needs a value"; use="$2"; shift 2 ;;
    --use=*) use="${1#--use=}"; shift ;;
    --except) [ $# -ge 2 ] || die "--except needs a value"; except="$2"; shift 2 ;;
    --except=*) except="${1#--except=}"; shift ;;
    *) extra+=("$1"); shift ;;
  esac
done

ensure_buf
ensure_pbcheck
ensure_benchtool

out="${PARITY_OUT:-$(mktemp -d)}"
mkdir -p "$out"
workdir="$PWD"

# json_list "A,B" -> "A","B"
json_list() { local IFS=','; local parts=($1) s="" p; for p in "${parts[@]}"; do s+="${s:+,}\"$p\""; done; printf '%s' "$s"; }

if [ -n "$use$except" ]; then
  if [ -d "$current" ] && [ -d "$against" ]; then
    ws="$out/workspace"
    rm -rf "$ws" && mkdir -p "$ws"
    for side in current against; do
      if [ "$side" = current ]; then src="$current"; else src="$against"; fi
      cp -a "$src" "$ws/$side"
      {
        echo "version: v2"
        echo "breaking:"
        if [ -n "$use" ]; then echo "  use: [$(json_list "$use")]"; fi
        if [ -n "$except" ]; then echo "  except: [$(json_list "$except")]"; fi
      } >"$ws/$side/buf.yaml"
    done
    current="current" against="against" workdir="$ws"
    log "rules use=[${use}] except=[${except}]: running on copies of the modules in $ws"
  elif [ -d "$current" ] || [ -d "$against" ]; then
    die "--use/--except need both inputs to be directories or both to be images"
  else
    cfg="{\"version\":\"v2\",\"breaking\":{"
    if [ -n "$use" ]; then cfg+="\"use\":[$(json_list "$use")]"; fi
    if [ -n "$use" ] && [ -n "$except" ]; then cfg+=","; fi
    if [ -n "$except" ]; then cfg+="\"except\":[$(json_list "$except")]"; fi
    cfg+="}}"
    extra+=(--config "$cfg")
  fi
fi

args=("$current" --against "$against" --error-format json ${extra[@]+"${extra[@]}"})
log "buf:     (cd $workdir && $BUF breaking ${args[*]})"
buf_rc="$(cd "$workdir" && run_check "$BUF" "$out/buf.json" "$out/buf.stderr" "${args[@]}")" || exit 1
log "pbcheck: (cd $workdir && $PBCHECK breaking ${args[*]})"
pb_rc="$(cd "$workdir" && run_check "$PBCHECK" "$out/pbcheck.json" "$out/pbcheck.stderr" "${args[@]}")" || exit 1

"$BENCHTOOL" keys "$out/buf.json" >"$out/buf.keys" || die "buf output is not JSON lines (see $out/buf.json)"
"$BENCHTOOL" keys "$out/pbcheck.json" >"$out/pbcheck.keys" || die "pbcheck output is not JSON lines (see $out/pbcheck.json)"

status=0
if ! diff -u --label buf --label pbcheck "$out/buf.keys" "$out/pbcheck.keys" >"$out/keys.diff"; then
  echo "parity: findings DIFFER (- only buf, + only pbcheck):"
  head -200 "$out/keys.diff"
  n=$(grep -c '^[-+][^-+]' "$out/keys.diff" || true)
  [ "$(wc -l <"$out/keys.diff")" -gt 200 ] && echo "... ($n differing lines; full diff in $out/keys.diff)"
  status=1
fi
if [ "$buf_rc" != "$pb_rc" ]; then
  echo "parity: exit codes DIFFER: buf $buf_rc, pbcheck $pb_rc"
  status=1
fi
if [ "$status" -eq 0 ]; then
  echo "parity: identical findings ($(wc -l <"$out/buf.keys") findings, exit code $buf_rc)"
else
  echo "parity: outputs kept in $out"
fi
[ -n "${PARITY_OUT:-}" ] || [ "$status" -ne 0 ] || rm -rf "$out"
exit "$status"
