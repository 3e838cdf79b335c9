#!/bin/sh
# bench/snapshot.sh — snapshot and verified restore of the gym target in
# PostgreSQL, against pg_dump -Fc, COPY TO | zstd -3 -T2, pg_restore and
# pg_restore -j2, all in one run on one private server; peak RSS of snapshot and
# restore. Then the same gym target in MariaDB: snapshot and restore against
# mydumper and myloader -t 2. Not part of make check. Writes
# bench/results-snapshot.md.
#
#   bench/snapshot.sh BUILDDIR [SF]        (SF: scale factor, default 100)
#
# Needs hyperfine, zstd, /usr/bin/time, the PostgreSQL and MariaDB servers and client
# tools, mydumper (Debian package mydumper: mydumper and myloader).
# The target is loaded with the CLI itself: fixture → migrate (mappings/gym-pg.yaml).
set -eu
build=$(cd "${1:?usage: bench/snapshot.sh BUILDDIR [SF]}" && pwd)
sf=${2:-100}
src=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${CUT_SERVERS_DIR:-}" ]; then
    exec "$src/tests/integration/with-servers.sh" --pg --mysql -- sh "$0" "$build" "$sf"
fi
CUTOVER=${CUTOVER:-$build/tools/cutover}
CUTOVER_FIXTURE=${CUTOVER_FIXTURE:-$build/tools/cutover-fixture}
work=$(mktemp -d "${TMPDIR:-/tmp}/cutover-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
runs=${RUNS:-3}

U=$(echo "$PG_URL" | sed 's|/postgres$|/gym|')
psql -X -q "$PG_URL" -c "CREATE DATABASE gym"
psql -X -q -v ON_ERROR_STOP=1 "$U" -f "$src/fixtures/gym-target.pg.sql"
echo "== fixture SF=$sf, migrate into PostgreSQL" >&2
"$CUTOVER_FIXTURE" gym --scale "$sf" --sqlite gym-legacy.db >/dev/null
export GYM_SOURCE="sqlite:$work/gym-legacy.db" GYM_PG_TARGET="$U"
"$CUTOVER" migrate -q "$src/mappings/gym-pg.yaml" >migrate.out
"$CUTOVER" verify -q "$src/mappings/gym-pg.yaml" >verify.out
rows=$(psql -X -A -t "$U" -c "SELECT (SELECT count(*) FROM members) + (SELECT count(*) FROM bookings)")
psql -X -q "$U" -c "VACUUM ANALYZE" -c "CHECKPOINT"

echo "== snapshot: cutover snapshot, pg_dump -Fc, COPY TO | zstd -3 -T2" >&2
hyperfine -N --style basic --runs "$runs" --warmup 1 --export-json snap.json \
    -n "cutover snapshot" "$CUTOVER snapshot -q --force $U -o snap.cutsnap" \
    -n "pg_dump -Fc" "pg_dump -Fc -f dump.fc $U" \
    -n "COPY TO | zstd -3 -T2" \
    "sh -c 'psql -X -q $U -c \"COPY members TO STDOUT\" -c \"COPY bookings TO STDOUT\" | zstd -q -3 -T2 -f -o copy.zst'" \
    >&2
size_snap=$(stat -c %s snap.cutsnap)
size_dump=$(stat -c %s dump.fc)
size_copy=$(stat -c %s copy.zst)
"$CUTOVER" inspect --verify snap.cutsnap >inspect.out

echo "== restore: cutover restore (into the tables, with its digest proof), pg_restore, pg_restore -j2 (into an emptied schema)" >&2
empty="psql -X -q $U -c 'DROP SCHEMA public CASCADE' -c 'CREATE SCHEMA public'"
hyperfine -N --style basic --runs "$runs" --warmup 1 --export-json restore1.json \
    -n "cutover restore" "$CUTOVER restore -q snap.cutsnap --target $U" >&2
hyperfine --style basic --runs "$runs" --export-json restore2.json \
    --prepare "$empty" -n "pg_restore" "pg_restore -d $U dump.fc" \
    --prepare "$empty" -n "pg_restore -j2" "pg_restore -j2 -d $U dump.fc" >&2

# The same comparison interleaved (ILV rounds, default 5): the machine's speed drifts
# between hyperfine's blocks. Each round restores the snapshot, then pg_restore -j2 into an
# emptied schema, and ends with the snapshot's tables back for the next round.
ILV=${ILV:-5}
: >ilv.tsv
i=1
while [ "$i" -le "$ILV" ]; do
    sh -c "$empty"
    pg_restore -d "$U" dump.fc
    t0=$(date +%s.%N)
    "$CUTOVER" restore -q snap.cutsnap --target "$U" >/dev/null
    t1=$(date +%s.%N)
    sh -c "$empty"
    t2=$(date +%s.%N)
    pg_restore -j2 -d "$U" dump.fc
    t3=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN { printf "%.3f %.3f\n", b - a, d - c }' >>ilv.tsv
    i=$((i + 1))
done

echo "== peak RSS" >&2
# pg_restore left the tables as pg_dump saw them: restore once more into them.
/usr/bin/time -f "%M %e" -o rss.snap "$CUTOVER" snapshot -q --force "$U" -o snap2.cutsnap >/dev/null
/usr/bin/time -f "%M %e" -o rss.restore "$CUTOVER" restore -q snap2.cutsnap --target "$U" >restore.out
"$CUTOVER" verify -q "$src/mappings/gym-pg.yaml" >verify2.out

echo "== MariaDB: the same target, copied from PostgreSQL; snapshot and restore against mydumper/myloader -t 2" >&2
my() { mariadb --no-defaults -uroot -h127.0.0.1 -P"$MYSQL_PORT" "$@"; }
my -e "CREATE DATABASE gym"
my gym <"$src/fixtures/gym-target.mysql.sql"
M="mysql://root@127.0.0.1:$MYSQL_PORT/gym"
GYM_PG_SOURCE="$U" GYM_MYSQL_TARGET="$M" "$CUTOVER" migrate -q "$src/mappings/gym-pg-mysql.yaml" >migrate-my.out
my_rows=$(my -N -e "SELECT (SELECT count(*) FROM gym.members) + (SELECT count(*) FROM gym.bookings)")
dumper="mydumper -h 127.0.0.1 -P $MYSQL_PORT -u root -B gym -t 2 -c -o mydump"
hyperfine -N --style basic --runs "$runs" --warmup 1 --export-json my-snap.json \
    -n "cutover snapshot" "$CUTOVER snapshot -q --force $M -o my.cutsnap" \
    -n "mydumper -t 2 -c" "sh -c 'rm -rf mydump && $dumper'" >&2
size_mysnap=$(stat -c %s my.cutsnap)
size_mydump=$(du -sb mydump | cut -f1)
hyperfine -N --style basic --runs "$runs" --export-json my-restore.json \
    -n "cutover restore" "$CUTOVER restore -q my.cutsnap" >&2
hyperfine --style basic --runs "$runs" --export-json my-restore2.json \
    --prepare "mariadb --no-defaults -uroot -h127.0.0.1 -P$MYSQL_PORT -e 'DROP DATABASE IF EXISTS gym_r'" \
    -n "myloader -t 2" "myloader -h 127.0.0.1 -P $MYSQL_PORT -u root -d mydump -B gym_r -t 2" >&2
/usr/bin/time -f "%M %e" -o rss.myrestore "$CUTOVER" restore -q my.cutsnap >my-restore.out
GYM_PG_SOURCE="$U" GYM_MYSQL_TARGET="$M" "$CUTOVER" verify -q "$src/mappings/gym-pg-mysql.yaml" >verify-my.out || true

mean() { # mean JSON NAME
    python3 -c "import json,sys; d=json.load(open('$1'));print('%.2f' % [r['mean'] for r in d['results'] if r['command']=='$2'][0])"
}
t_snap=$(mean snap.json "cutover snapshot")
t_dump=$(mean snap.json "pg_dump -Fc")
t_copy=$(mean snap.json "COPY TO | zstd -3 -T2")
t_rest=$(mean restore1.json "cutover restore")
t_pgr=$(mean restore2.json "pg_restore")
t_pgr2=$(mean restore2.json "pg_restore -j2")
t_mysnap=$(mean my-snap.json "cutover snapshot")
t_mydump=$(mean my-snap.json "mydumper -t 2 -c")
t_myrest=$(mean my-restore.json "cutover restore")
t_myload=$(mean my-restore2.json "myloader -t 2")
rss_myrest=$(awk '{ printf "%.1f", $1 / 1024 }' rss.myrestore)
go_my=$(tail -n 1 verify-my.out | cut -d: -f1)
rss_snap=$(awk '{ printf "%.1f", $1 / 1024 }' rss.snap)
rss_rest=$(awk '{ printf "%.1f", $1 / 1024 }' rss.restore)
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
go=$(tail -n 1 verify2.out | cut -d: -f1)

out=$src/bench/results-snapshot.md
{
    echo "# Snapshot and restore, gym target in PostgreSQL (SF=$sf)"
    echo
    echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB;"
    echo "cutover $("$CUTOVER" --version | cut -d' ' -f2), PostgreSQL $(psql -X -A -t "$U" -c 'SHOW server_version' | cut -d' ' -f1)"
    echo "(private server from tests/integration/with-servers.sh: loopback, fsync off), zstd $(zstd -V | sed 's/.*v\([0-9.]*\).*/\1/')."
    echo "$rows rows (members + bookings), loaded by \`cutover migrate mappings/gym-pg.yaml\`."
    echo "\`bench/snapshot.sh\`; hyperfine, $runs runs (after one warm-up where the state allows), mean shown."
    echo
    echo "| what | tool | time (s) | size (MB) | vs cutover |"
    echo "|---|---|---|---|---|"
    echo "| snapshot | \`cutover snapshot\` (level 3, $(nproc) zstd workers) | $t_snap | $(mb "$size_snap") | 1.00 |"
    echo "| | \`pg_dump -Fc\` | $t_dump | $(mb "$size_dump") | time $(ratio "$t_dump" "$t_snap")x, size $(ratio "$size_dump" "$size_snap")x |"
    echo "| | \`COPY TO \\| zstd -3 -T2\` (no schema, no index, no checksum per frame) | $t_copy | $(mb "$size_copy") | time $(ratio "$t_copy" "$t_snap")x, size $(ratio "$size_copy" "$size_snap")x |"
    echo "| restore | \`cutover restore\` (one transaction: truncate, drop FK, index and PK, load into the existing tables, add back PK, index and FK, read back, digest proof) | $t_rest | | 1.00 |"
    echo "| | \`pg_restore\` (into an emptied schema: create, load, then build PK/FK/index) | $t_pgr | | $(ratio "$t_pgr" "$t_rest")x |"
    echo "| | \`pg_restore -j2\` | $t_pgr2 | | $(ratio "$t_pgr2" "$t_rest")x |"
    if [ -s ilv.tsv ]; then
        awk '{ a += $1; b += $2; la = la sep $1; lb = lb sep $2; sep = ", "; n++ }
             END { printf "| restore, interleaved (%d rounds) | `cutover restore`, then `pg_restore -j2` | %.2f (%s) against %.2f (%s) | | cutover %.2fx pg_restore -j2 |\n", n, a / n, la, b / n, lb, a / b }' ilv.tsv
    fi
    echo
    echo "Peak RSS (\`/usr/bin/time\`, maximum resident set): snapshot $rss_snap MB, restore $rss_rest MB."
    echo "After the last restore, \`cutover verify mappings/gym-pg.yaml\`: $go."
    echo
    echo "\`cutover inspect --verify\` of the snapshot:"
    echo
    echo '```'
    cat inspect.out
    echo '```'
    echo
    echo "## The same target in MariaDB"
    echo
    echo "MariaDB $(my -N -e 'SELECT VERSION()'), private server (loopback); $my_rows rows copied from"
    echo "PostgreSQL by \`cutover migrate mappings/gym-pg-mysql.yaml\`. The issue sets no goal here;"
    echo "the reference tools are not atomic (myloader creates the tables afresh in a new"
    echo "database and commits as it goes) and read nothing back."
    echo
    echo "| what | tool | time (s) | size (MB) | vs cutover |"
    echo "|---|---|---|---|---|"
    echo "| snapshot | \`cutover snapshot\` | $t_mysnap | $(mb "$size_mysnap") | 1.00 |"
    echo "| | \`mydumper -t 2 -c\` | $t_mydump | $(mb "$size_mydump") | time $(ratio "$t_mydump" "$t_mysnap")x, size $(ratio "$size_mydump" "$size_mysnap")x |"
    echo "| restore | \`cutover restore\` (one transaction: DELETE, LOAD DATA into the existing tables, read back, digest proof) | $t_myrest | | 1.00 |"
    echo "| | \`myloader -t 2\` (into a new database) | $t_myload | | $(ratio "$t_myload" "$t_myrest")x |"
    echo
    echo "Peak RSS of the restore: $rss_myrest MB. After it, \`cutover verify mappings/gym-pg-mysql.yaml\`: $go_my."
} >"$out"
cat "$out"
