#!/bin/sh
# sqlite_scale.sh — SQLite → SQLite gym migrate + verify at several scale factors:
# wall time and peak RSS (/usr/bin/time -v), to show memory does not grow with
# the data. Not part of make check.
#   bench/sqlite_scale.sh [BUILD_DIR] [SF...]      (default: ./build, SF 10 100)
# Writes bench/results-sqlite.md.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
shift || true
scales=${*:-10 100}
cutover=$build/tools/cutover
fixture=$build/tools/cutover-fixture
[ -x "$cutover" ] || { echo "build first: $cutover not found" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/cutover-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
out=$here/bench/results-sqlite.md
{
    echo "# SQLite → SQLite, gym demo (mappings/gym-sqlite.yaml)"
    echo
    echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); cutover $("$cutover" --version | cut -d' ' -f2)."
    echo
    echo "| SF | source rows | migrate (s) | migrate rows/s | migrate peak RSS (MB) | verify (s) | verify peak RSS (MB) | verdict |"
    echo "|---|---|---|---|---|---|---|---|"
} > "$out"
for sf in $scales; do
    cd "$work"
    rm -f gym-legacy.db gym.db
    "$fixture" gym --scale "$sf" --sqlite gym-legacy.db >/dev/null 2>&1
    "$fixture" sql --sqlite gym.db "$here/fixtures/gym-target.sqlite.sql" >/dev/null
    /usr/bin/time -v "$cutover" migrate -q "$here/mappings/gym-sqlite.yaml" >m.out 2>m.time
    /usr/bin/time -v "$cutover" verify -q "$here/mappings/gym-sqlite.yaml" >v.out 2>v.time || true
    rows=$(awk '/source rows in/ {print $1}' m.out)
    el() { awk -F': ' '/Elapsed/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$1"; }
    rss() { awk '/Maximum resident/ {printf "%.1f", $NF/1024}' "$1"; }
    mt=$(el m.time) vt=$(el v.time)
    verdict=$(grep -q '^Go:' v.out && echo Go || echo No-Go)
    rate=$(awk -v r="$rows" -v t="$mt" 'BEGIN {printf "%.0f", r/t}')
    echo "| $sf | $rows | $mt | $rate | $(rss m.time) | $vt | $(rss v.time) | $verdict |" >> "$out"
done
cat "$out"
