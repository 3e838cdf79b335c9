#!/bin/sh
# bench/mysql_pg.sh — the gym legacy database in MariaDB → PostgreSQL
# (mappings/gym-mysql-pg.yaml into fixtures/gym-target.pg.sql), against pgloader
# and against pg_restore -j2 of the same rows, all in one run on private servers:
#   - cutover migrate, then cutover verify;
#   - pgloader as a new user runs it (`pgloader mysql://… postgresql://…`: it
#     creates the legacy-shaped schema itself), and again told to turn zero dates
#     into NULL (--cast "type date to date drop not null using zero-dates-to-null");
#     pgloader's own summary and the rows that are really there afterwards;
#   - pg_restore -j2 of a pg_dump -Fc of the database cutover migrated: the same
#     rows, target-shaped, into an empty database (load, then PK/FK/index).
# Not part of make check. Writes bench/results-mysql.md.
#
#   bench/mysql_pg.sh BUILDDIR [SF]      (default SF 100; RUNS=3 hyperfine runs)
#
# Needs hyperfine, pgloader (apt-get install pgloader), python3, /usr/bin/time,
# the MariaDB and PostgreSQL servers and clients.
set -eu
build=$(cd "${1:?usage: bench/mysql_pg.sh BUILDDIR [SF]}" && pwd)
sf=${2:-100}
src=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${CUT_SERVERS_DIR:-}" ]; then
    exec "$src/tests/integration/with-servers.sh" --mysql --pg -- sh "$0" "$build" "$sf"
fi
for tool in hyperfine pgloader python3 pg_dump pg_restore; do
    command -v $tool >/dev/null || { echo "mysql_pg.sh: $tool not found" >&2; exit 2; }
done
CUTOVER=${CUTOVER:-$build/tools/cutover}
CUTOVER_FIXTURE=${CUTOVER_FIXTURE:-$build/tools/cutover-fixture}
work=$(mktemp -d "${TMPDIR:-/tmp}/cutover-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
runs=${RUNS:-3}
map=$src/mappings/gym-mysql-pg.yaml
base=${PG_URL%/*}
my() { mariadb --no-defaults -uroot -h127.0.0.1 -P"$MYSQL_PORT" --local-infile=1 "$@"; }
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
val() { psql -X -A -t "$base/$1" -c "$2"; }
mean() { # mean JSON NAME
    python3 -c "import json; d = json.load(open('$1')); print('%.2f' % [r['mean'] for r in d['results'] if r['command'] == '$2'][0])"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "== SF=$sf: the legacy database in MariaDB" >&2
"$CUTOVER_FIXTURE" gym --scale "$sf" --tsv legacy-tsv >/dev/null 2>&1
tsv_mb=$(du -cm legacy-tsv/*.tsv | awk 'END { print $1 }')
my -e "CREATE DATABASE legacy"
my legacy <"$src/fixtures/gym-legacy.mysql.sql"
my legacy -e "SET SESSION sql_mode = '';
  LOAD DATA LOCAL INFILE 'legacy-tsv/clients.tsv' INTO TABLE clients CHARACTER SET utf8mb4;
  LOAD DATA LOCAL INFILE 'legacy-tsv/bookings.tsv' INTO TABLE bookings CHARACTER SET utf8mb4;
  ANALYZE TABLE clients, bookings;" >/dev/null
zero=$(my -N -B legacy -e "SELECT COUNT(*) FROM clients WHERE birth_date = '0000-00-00'")
# pgloader speaks mysql_native_password; give it a user with a password.
my -e "CREATE USER 'pgl'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('pgl');
       GRANT SELECT, SHOW VIEW ON legacy.* TO 'pgl'@'127.0.0.1'"
rm -rf legacy-tsv

q "$PG_URL" -c "CREATE DATABASE gym"
q "$base/gym" -f "$src/fixtures/gym-target.pg.sql"
export GYM_MYSQL_SOURCE="mysql://root@127.0.0.1:$MYSQL_PORT/legacy" GYM_PG_TARGET="$base/gym"
empty_gym="psql -X -q $base/gym -c 'TRUNCATE members, bookings'"
fresh() { echo "psql -X -q $PG_URL -c 'DROP DATABASE IF EXISTS $1' -c 'CREATE DATABASE $1'"; }
myurl="mysql://pgl:pgl@127.0.0.1:$MYSQL_PORT/legacy"
cast="type date to date drop not null using zero-dates-to-null"

echo "== SF=$sf: cutover migrate, pgloader, pgloader --cast zero-dates-to-null" >&2
hyperfine -N --style basic --runs "$runs" --export-json mig.json \
    --prepare "$empty_gym" -n "cutover migrate" "$CUTOVER migrate -q $map" \
    --prepare "$(fresh pgl)" -n "pgloader" "pgloader $myurl $base/pgl" \
    --prepare "$(fresh pglcast)" -n "pgloader --cast" \
    "pgloader --cast '$cast' $myurl $base/pglcast" >&2 || true

echo "== SF=$sf: accounting runs (cutover, pgloader x2), verify, peak RSS" >&2
"$CUTOVER" migrate -q --truncate "$map" >migrate.out
/usr/bin/time -f "%M" -o rss.migrate "$CUTOVER" migrate -q --truncate "$map" >/dev/null
hyperfine -N --style basic --runs "$runs" --export-json ver.json \
    -n "cutover verify" "$CUTOVER verify -q $map" >&2 || true
"$CUTOVER" verify -q "$map" >verify.out || true
verdict=$(tail -n 1 verify.out | cut -d: -f1)
sh -c "$(fresh pgl)"
set +e
/usr/bin/time -f "%M" -o rss.pgl pgloader $myurl "$base/pgl" >pgl.out 2>pgl.err
pgl_status=$?
sh -c "$(fresh pglcast)"
/usr/bin/time -f "%M" -o rss.pglcast pgloader --cast "$cast" $myurl "$base/pglcast" >pglcast.out 2>pglcast.err
pglcast_status=$?
set -e
count() { # count DB TABLE — rows in the table pgloader made (schema legacy), or "no table"
    val "$1" "SELECT count(*) FROM legacy.$2" 2>/dev/null || echo "no table"
}
pgl_clients=$(count pgl clients) pgl_bookings=$(count pgl bookings)
pglc_clients=$(count pglcast clients) pglc_bookings=$(count pglcast bookings)

echo "== SF=$sf: pg_restore -j2 of the same rows" >&2
q "$base/gym" -c "VACUUM ANALYZE" -c "CHECKPOINT"
pg_dump -Fc -f gym.dump "$base/gym"
hyperfine -N --style basic --runs "$runs" --export-json bulk.json \
    --prepare "$(fresh gym_restore)" -n "pg_restore -j2" "pg_restore -j2 -d $base/gym_restore gym.dump" >&2

t_mig=$(mean mig.json "cutover migrate")
t_pgl=$(mean mig.json "pgloader")
t_pglc=$(mean mig.json "pgloader --cast")
t_ver=$(mean ver.json "cutover verify")
t_rest=$(mean bulk.json "pg_restore -j2")
rss_mig=$(awk '{ printf "%.0f", $1 / 1024 }' rss.migrate)
rss_pgl=$(awk '{ printf "%.0f", $1 / 1024 }' rss.pgl)
rss_pglc=$(awk '{ printf "%.0f", $1 / 1024 }' rss.pglcast)
row() { awk -v t="$1" '$1 == t { $1 = ""; print; exit }' verify.out; }
set -- $(row members)
m_src=$1 m_filt=$2 m_rej=$3 m_load=$4 m_tgt=$5 m_dig=$6
set -- $(row bookings)
b_src=$1 b_filt=$2 b_rej=$3 b_load=$4 b_tgt=$5 b_dig=$6
zd=$(awk '/zero dates/ { print $2; exit }' verify.out)

out=$src/bench/results-mysql.md
{
    echo "# MariaDB → PostgreSQL, gym legacy data (mappings/gym-mysql-pg.yaml), against pgloader and pg_restore -j2"
    echo
    echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB;"
    echo "cutover $("$CUTOVER" --version | cut -d' ' -f2), $(pgloader --version | head -n 1 | tr -d '"'),"
    echo "MariaDB $(my -N -B -e 'SELECT VERSION()'), PostgreSQL $(val postgres 'SHOW server_version' | cut -d' ' -f1)"
    echo "(private servers from tests/integration/with-servers.sh: loopback, fsync off)."
    echo "\`bench/mysql_pg.sh\`, SF=$sf: $m_src clients + $b_src bookings ($((m_src + b_src)) rows, $tsv_mb MB of legacy TSV),"
    echo "$zero clients with a '0000-00-00' birth date. hyperfine, $runs runs, mean wall time in seconds."
    echo
    echo "| what | time (s) | ratio to cutover migrate | peak RSS (MB) | rows in PostgreSQL afterwards |"
    echo "|---|---|---|---|---|"
    echo "| cutover migrate (mapping, canonical values, digests) | $t_mig | 1.00 | $rss_mig | members $m_tgt, bookings $b_tgt |"
    echo "| cutover verify (both sides re-read, digests compared) | $t_ver | $(ratio "$t_ver" "$t_mig") | | verdict: $verdict |"
    echo "| pgloader, as a new user runs it (exit status $pgl_status) | $t_pgl | $(ratio "$t_pgl" "$t_mig") | $rss_pgl | clients $pgl_clients, bookings $pgl_bookings |"
    echo "| pgloader --cast '$cast' (exit status $pglcast_status) | $t_pglc | $(ratio "$t_pglc" "$t_mig") | $rss_pglc | clients $pglc_clients, bookings $pglc_bookings |"
    echo "| pg_restore -j2 of the rows cutover loaded (pg_dump -Fc) | $t_rest | $(ratio "$t_rest" "$t_mig") | | the same rows |"
    echo
    echo "pgloader copies the legacy shape (no mapping: no trimming, no lower-cased e-mails, no"
    echo "phone normalisation, no time zone conversion, the test accounts included) and verifies"
    echo "nothing; pg_restore only loads rows already in target shape. cutover does the mapping,"
    echo "canonicalizes and hashes every value, and proves the result with verify."
    echo
    echo "## Row accounting"
    echo
    echo "cutover (\`cutover verify\`: source = filtered + rejected + loaded, loaded = target, digests):"
    echo
    echo "| table | source | filtered | rejected | loaded | target | digest |"
    echo "|---|---|---|---|---|---|---|"
    echo "| members | $m_src | $m_filt | $m_rej | $m_load | $m_tgt | $m_dig |"
    echo "| bookings | $b_src | $b_filt | $b_rej | $b_load | $b_tgt | $b_dig |"
    echo
    echo "$zd zero dates became NULL (zero_dates: null), counted in the report."
    echo
    echo "pgloader's own summary, as a new user runs it (\`pgloader $(echo "$myurl" | sed 's/:pgl@/:***@/') postgresql://…/pgl\`),"
    echo "exit status $pgl_status; afterwards PostgreSQL holds clients: $pgl_clients, bookings: $pgl_bookings"
    echo "(its log and summary, as printed on standard output):"
    echo
    echo '```'
    cat pgl.out
    echo '```'
    echo
    echo "pgloader told \`--cast \"$cast\"\`, exit status $pglcast_status; afterwards clients: $pglc_clients, bookings: $pglc_bookings:"
    echo
    echo '```'
    cat pglcast.out
    echo '```'
} >"$out"
cat "$out"
