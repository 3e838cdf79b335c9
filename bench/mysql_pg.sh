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
#   bench/mysql_pg.sh BUILDDIR [SF...]      (default SF: 1 100; RUNS=3 hyperfine runs)
#
# Needs hyperfine, pgloader (apt-get install pgloader), python3, /usr/bin/time,
# the MariaDB and PostgreSQL servers and clients.
set -eu
build=$(cd "${1:?usage: bench/mysql_pg.sh BUILDDIR [SF...]}" && pwd)
shift
scales=${*:-1 100}
src=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${CUT_SERVERS_DIR:-}" ]; then
    exec "$src/tests/integration/with-servers.sh" --mysql --pg -- sh "$0" "$build" $scales
fi
for tool in hyperfine pgloader python3 pg_dump pg_restore; do
    command -v $tool >/dev/null || { echo "mysql_pg.sh: $tool not found" >&2; exit 2; }
done
CUTOVER=${CUTOVER:-$build/tools/cutover}
CUTOVER_FIXTURE=${CUTOVER_FIXTURE:-$build/tools/cutover-fixture}
work=$(mktemp -d "${TMPDIR:-/tmp}/cutover-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
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
spread() { # spread JSON NAME — "min–max s, user CPU u s" of one command
    python3 -c "import json; r = [r for r in json.load(open('$1'))['results'] if r['command'] == '$2'][0]; print('%.2f–%.2f s, %.2f s of user CPU' % (r['min'], r['max'], r['user']))"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
loadavg() { cut -d' ' -f1 /proc/loadavg; }
fresh() { echo "psql -X -q $PG_URL -c 'DROP DATABASE IF EXISTS $1' -c 'CREATE DATABASE $1'"; }
count() { # count DB TABLE — rows in the table pgloader made (schema legacy), or "no table"
    val "$1" "SELECT count(*) FROM legacy.$2" 2>/dev/null || echo "no table"
}
myurl="mysql://pgl:pgl@127.0.0.1:$MYSQL_PORT/legacy"
cast="type date to date drop not null using zero-dates-to-null"
export GYM_MYSQL_SOURCE="mysql://root@127.0.0.1:$MYSQL_PORT/legacy" GYM_PG_TARGET="$base/gym"
# pgloader speaks mysql_native_password; give it a user with a password.
my -e "CREATE USER 'pgl'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('pgl')"

summary=""
details=""
notes=""
for sf in $scales; do
    load0=$(loadavg)
    echo "== SF=$sf: the legacy database in MariaDB" >&2
    rm -rf legacy-tsv
    "$CUTOVER_FIXTURE" gym --scale "$sf" --tsv legacy-tsv >/dev/null 2>&1
    tsv_mb=$(du -cm legacy-tsv/*.tsv | awk 'END { print $1 }')
    my -e "DROP DATABASE IF EXISTS legacy; CREATE DATABASE legacy;
           GRANT SELECT, SHOW VIEW ON legacy.* TO 'pgl'@'127.0.0.1'"
    my legacy <"$src/fixtures/gym-legacy.mysql.sql"
    my legacy -e "SET SESSION sql_mode = '';
      LOAD DATA LOCAL INFILE 'legacy-tsv/clients.tsv' INTO TABLE clients CHARACTER SET utf8mb4;
      LOAD DATA LOCAL INFILE 'legacy-tsv/bookings.tsv' INTO TABLE bookings CHARACTER SET utf8mb4;
      ANALYZE TABLE clients, bookings;" >/dev/null
    zero=$(my -N -B legacy -e "SELECT COUNT(*) FROM clients WHERE birth_date = '0000-00-00'")
    rm -rf legacy-tsv
    sh -c "$(fresh gym)"
    q "$base/gym" -f "$src/fixtures/gym-target.pg.sql"
    empty_gym="psql -X -q $base/gym -c 'TRUNCATE members, bookings'"

    echo "== SF=$sf: cutover migrate, pgloader, pgloader --cast zero-dates-to-null" >&2
    hyperfine -N --style basic --runs "$runs" --export-json mig.json \
        --prepare "$empty_gym" -n "cutover migrate" "$CUTOVER migrate -q $map" \
        --prepare "$(fresh pgl)" -n "pgloader" "pgloader $myurl $base/pgl" \
        --prepare "$(fresh pglcast)" -n "pgloader --cast" \
        "pgloader --cast '$cast' $myurl $base/pglcast" >&2

    echo "== SF=$sf: accounting runs (cutover, pgloader x2), verify, peak RSS" >&2
    "$CUTOVER" migrate -q --truncate "$map" >migrate.out
    /usr/bin/time -f "%M" -o rss.migrate "$CUTOVER" migrate -q --truncate "$map" >/dev/null
    hyperfine -N --style basic --runs "$runs" --export-json ver.json -i \
        -n "cutover verify" "$CUTOVER verify -q $map" >&2
    /usr/bin/time -f "%M" -o rss.verify "$CUTOVER" verify -q "$map" >verify.out || true
    verdict=$(tail -n 1 verify.out | cut -d: -f1)
    sh -c "$(fresh pgl)"
    set +e
    /usr/bin/time -f "%M" -o rss.pgl pgloader $myurl "$base/pgl" >pgl.out 2>&1
    pgl_status=$?
    sh -c "$(fresh pglcast)"
    /usr/bin/time -f "%M" -o rss.pglcast pgloader --cast "$cast" $myurl "$base/pglcast" >pglcast.out 2>&1
    pglcast_status=$?
    set -e
    pgl_clients=$(count pgl clients) pgl_bookings=$(count pgl bookings)
    pglc_clients=$(count pglcast clients) pglc_bookings=$(count pglcast bookings)

    echo "== SF=$sf: pg_restore -j2 of the same rows" >&2
    q "$base/gym" -c "VACUUM ANALYZE" -c "CHECKPOINT"
    pg_dump -Fc -f gym.dump "$base/gym"
    hyperfine -N --style basic --runs "$runs" --export-json bulk.json \
        --prepare "$(fresh gym_restore)" -n "pg_restore -j2" "pg_restore -j2 -d $base/gym_restore gym.dump" >&2
    load1=$(loadavg)

    t_mig=$(mean mig.json "cutover migrate")
    t_pgl=$(mean mig.json "pgloader")
    t_pglc=$(mean mig.json "pgloader --cast")
    t_ver=$(mean ver.json "cutover verify")
    t_rest=$(mean bulk.json "pg_restore -j2")
    mb() { awk '{ printf "%.0f", $1 / 1024 }' "$1"; }
    row() { awk -v t="$1" '$1 == t { $1 = ""; print; exit }' verify.out; }
    set -- $(row members)
    m_src=$1 m_filt=$2 m_rej=$3 m_load=$4 m_tgt=$5 m_dig=$6
    set -- $(row bookings)
    b_src=$1 b_filt=$2 b_rej=$3 b_load=$4 b_tgt=$5 b_dig=$6
    zd=$(awk '/zero dates/ { print $2; exit }' verify.out)

    notes="$notes
- SF=$sf: cutover migrate $(spread mig.json "cutover migrate") (the rest of its wall time is
  the PostgreSQL server loading and checking keys); pgloader $(spread mig.json "pgloader");
  pg_restore -j2 $(spread bulk.json "pg_restore -j2")."
    summary="$summary
| $sf | $((m_src + b_src)) ($tsv_mb MB) | $t_mig | $t_ver | $t_pgl | $t_pglc | $t_rest | $(ratio "$t_pgl" "$t_mig") | $(ratio "$t_pglc" "$t_mig") | $(ratio "$t_mig" "$t_rest") | $(mb rss.migrate) / $(mb rss.verify) | $(mb rss.pgl) / $(mb rss.pglcast) | $load0 → $load1 |"
    details="$details

## SF=$sf: row accounting

$m_src clients + $b_src bookings; $zero clients have a '0000-00-00' birth date.

| tool | clients / members in PostgreSQL | bookings in PostgreSQL | exit status | what the tool says |
|---|---|---|---|---|
| cutover migrate + verify | $m_tgt of $m_src ($m_filt filtered test accounts, $m_rej rejected) | $b_tgt of $b_src ($b_rej rejected) | 0 | $verdict; digests $m_dig / $b_dig; $zd zero dates became NULL |
| pgloader | $pgl_clients of $m_src | $pgl_bookings of $b_src | $pgl_status | see its summary below |
| pgloader --cast … zero-dates-to-null | $pglc_clients of $m_src | $pglc_bookings of $b_src | $pglcast_status | see its summary below |

cutover verify (source = filtered + rejected + loaded, loaded = target):

| table | source | filtered | rejected | loaded | target | digest |
|---|---|---|---|---|---|---|
| members | $m_src | $m_filt | $m_rej | $m_load | $m_tgt | $m_dig |
| bookings | $b_src | $b_filt | $b_rej | $b_load | $b_tgt | $b_dig |

pgloader, as a new user runs it (\`pgloader mysql://pgl:***@127.0.0.1:PORT/legacy postgresql://…/pgl\`), its log and summary:

\`\`\`
$(grep -v '^$' pgl.out | cut -c1-160)
\`\`\`

pgloader \`--cast \"$cast\"\`:

\`\`\`
$(grep -v '^$' pglcast.out | cut -c1-160)
\`\`\`"
done

out=$src/bench/results-mysql.md
{
    echo "# MariaDB → PostgreSQL, gym legacy data (mappings/gym-mysql-pg.yaml), against pgloader and pg_restore -j2"
    echo
    echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB;"
    echo "cutover $("$CUTOVER" --version | cut -d' ' -f2), $(pgloader --version | head -n 1 | tr -d '"'),"
    echo "MariaDB $(my -N -B -e 'SELECT VERSION()'), PostgreSQL $(val postgres 'SHOW server_version' | cut -d' ' -f1)"
    echo "(private servers from tests/integration/with-servers.sh: loopback, fsync off)."
    echo "\`bench/mysql_pg.sh\`; hyperfine, $runs runs, mean wall time in seconds; the load average"
    echo "before and after each scale shows what else the machine was doing."
    echo
    echo "- **cutover migrate**: reads MariaDB (unbuffered, consistent snapshot), maps (trim, regexp,"
    echo "  lookups, Europe/Brussels → UTC, zero dates → NULL, test accounts filtered), canonicalizes,"
    echo "  hashes, loads with COPY into fixtures/gym-target.pg.sql (PK, FK, index, CHECKs)."
    echo "- **pgloader**: copies the legacy shape (no mapping, the test accounts included), creates the"
    echo "  schema itself, verifies nothing. As a new user runs it, and told to null the zero dates."
    echo "- **pg_restore -j2**: a \`pg_dump -Fc\` of the database cutover produced, into an empty"
    echo "  database: the same rows, already in target shape — the ingestion ceiling."
    echo
    echo "| SF | source rows (legacy TSV) | cutover migrate | cutover verify | pgloader | pgloader --cast | pg_restore -j2 | pgloader / cutover | pgloader --cast / cutover | cutover / pg_restore -j2 | cutover RSS MB (migrate / verify) | pgloader RSS MB (plain / --cast) | load avg |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|$summary"
    echo
    echo "Spread of the runs (min–max) and the client's own CPU time:"
    echo "$notes"
    echo "$details"
} >"$out"
cat "$out"
