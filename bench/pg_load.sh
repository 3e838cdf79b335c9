#!/bin/sh
# bench/pg_load.sh — the gym demo SQLite → PostgreSQL (mappings/gym-pg.yaml) into
# the fixture schema (PK + FK + index), against the bulk tools loading the same
# rows already in target shape, all in one run on one private server:
#   - cutover migrate (and, for comparison, with cutover.defer_foreign_keys=off);
#   - psql \copy of the target-shaped rows (exported from the migrated tables with
#     COPY TO) into a fresh copy of the schema with PK + FK;
#   - pg_restore and pg_restore -j2 of a pg_dump -Fc of the migrated database,
#     into an empty database (it loads, then builds PK, FK and index);
#   - cutover verify.
# Not part of make check. Writes bench/results-pg.md.
#
#   bench/pg_load.sh BUILDDIR [SF...]     (default SF: 1 100; RUNS=3)
#
# Needs hyperfine, python3 (to read hyperfine's JSON), /usr/bin/time, and the
# PostgreSQL server and client tools.
set -eu
build=$(cd "${1:?usage: bench/pg_load.sh BUILDDIR [SF...]}" && pwd)
shift
scales=${*:-1 100}
src=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${CUT_SERVERS_DIR:-}" ]; then
    exec "$src/tests/integration/with-servers.sh" --pg -- sh "$0" "$build" $scales
fi
CUTOVER=${CUTOVER:-$build/tools/cutover}
CUTOVER_FIXTURE=${CUTOVER_FIXTURE:-$build/tools/cutover-fixture}
work=$(mktemp -d "${TMPDIR:-/tmp}/cutover-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
runs=${RUNS:-3}
map=$src/mappings/gym-pg.yaml
base=${PG_URL%/*}
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
mean() { # mean JSON NAME
    python3 -c "import json; d = json.load(open('$1')); print('%.2f' % [r['mean'] for r in d['results'] if r['command'] == '$2'][0])"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1e6 }'; }

rows_md=""
for sf in $scales; do
    echo "== SF=$sf: fixture, schemas" >&2
    for db in gym gym_copy; do
        q "$PG_URL" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
        q "$base/$db" -f "$src/fixtures/gym-target.pg.sql"
    done
    rm -f gym-legacy.db
    "$CUTOVER_FIXTURE" gym --scale "$sf" --sqlite gym-legacy.db >/dev/null 2>&1
    export GYM_SOURCE="sqlite:$work/gym-legacy.db" GYM_PG_TARGET="$base/gym"
    empty_gym="psql -X -q $base/gym -c 'TRUNCATE members, bookings'"

    echo "== SF=$sf: cutover migrate (FK checked per batch, then per row), cutover verify" >&2
    hyperfine -N --style basic --runs "$runs" --export-json mig.json \
        --prepare "$empty_gym" -n "cutover migrate" "$CUTOVER migrate -q $map" \
        --prepare "$empty_gym" -n "cutover migrate, per-row FK" \
        "env GYM_PG_TARGET=$base/gym?options=-ccutover.defer_foreign_keys%3Doff $CUTOVER migrate -q $map" \
        >&2
    "$CUTOVER" migrate -q --truncate "$map" >migrate.out
    /usr/bin/time -f "%M" -o rss.migrate "$CUTOVER" migrate -q --truncate "$map" >/dev/null
    hyperfine -N --style basic --runs "$runs" --export-json ver.json \
        -n "cutover verify" "$CUTOVER verify -q $map" >&2
    "$CUTOVER" verify -q "$map" >verify.out
    verdict=$(tail -n 1 verify.out | cut -d: -f1)
    rows=$(psql -X -A -t "$base/gym" -c "SELECT (SELECT count(*) FROM members) + (SELECT count(*) FROM bookings)")
    src_rows=$(awk '/source rows in/ { print $1 }' migrate.out)

    echo "== SF=$sf: the same rows in target shape: psql \\copy, pg_restore, pg_restore -j2" >&2
    q "$base/gym" -c "\\copy members TO 'members.tsv'" -c "\\copy bookings TO 'bookings.tsv'"
    tsv_bytes=$(($(stat -c %s members.tsv) + $(stat -c %s bookings.tsv)))
    q "$base/gym" -c "VACUUM ANALYZE" -c "CHECKPOINT"
    pg_dump -Fc -f gym.dump "$base/gym"
    empty_copy="psql -X -q $base/gym_copy -c 'TRUNCATE members, bookings'"
    fresh="psql -X -q $PG_URL -c 'DROP DATABASE IF EXISTS gym_restore' -c 'CREATE DATABASE gym_restore'"
    hyperfine -N --style basic --runs "$runs" --export-json bulk.json \
        --prepare "$empty_copy" -n "psql \\copy x2" \
        "psql -X -q -v ON_ERROR_STOP=1 $base/gym_copy -c '\\copy members FROM members.tsv' -c '\\copy bookings FROM bookings.tsv'" \
        --prepare "$fresh" -n "pg_restore" "pg_restore -d $base/gym_restore gym.dump" \
        --prepare "$fresh" -n "pg_restore -j2" "pg_restore -j2 -d $base/gym_restore gym.dump" \
        >&2

    t_mig=$(mean mig.json "cutover migrate")
    t_row=$(mean mig.json "cutover migrate, per-row FK")
    t_ver=$(mean ver.json "cutover verify")
    t_copy=$(mean bulk.json "psql \\copy x2")
    t_rest=$(mean bulk.json "pg_restore")
    t_rest2=$(mean bulk.json "pg_restore -j2")
    rss=$(awk '{ printf "%.0f", $1 / 1024 }' rss.migrate)
    rows_md="$rows_md
| $sf | $src_rows | $rows ($(mb $tsv_bytes) MB TSV) | $t_mig | $t_row | $t_ver | $t_copy | $t_rest | $t_rest2 | $(ratio "$t_mig" "$t_copy") | $(ratio "$t_mig" "$t_rest2") | $rss | $verdict |"
done

out=$src/bench/results-pg.md
{
    printf '%s\n' "# SQLite → PostgreSQL, gym demo (mappings/gym-pg.yaml) against the bulk tools"
    printf '\n'
    printf '%s\n' "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB;"
    printf '%s\n' "cutover $("$CUTOVER" --version | cut -d' ' -f2), PostgreSQL $(psql -X -A -t "$PG_URL" -c 'SHOW server_version' | cut -d' ' -f1)"
    printf '%s\n' "(private server from tests/integration/with-servers.sh: loopback, fsync off)."
    printf '%s\n' "\`bench/pg_load.sh\`; hyperfine, $runs runs, mean in seconds. Target: fixtures/gym-target.pg.sql"
    printf '%s\n' "(members: identity PK; bookings: bigserial PK, FK to members, index, 2 CHECKs)."
    printf '\n'
    printf '%s\n' "- **cutover migrate**: reads the legacy SQLite, maps (trim, regexp, lookups, time zones), canonicalizes,"
    printf '%s\n' "  hashes, and loads with COPY; a big table's foreign keys are checked once per batch and added back,"
    printf '%s\n' "  validated, before the commit (docs/drivers.md)."
    printf '%s\n' "- **per-row FK**: the same with \`cutover.defer_foreign_keys=off\` (the server's per-row trigger)."
    printf '%s\n' "- **psql \\copy x2**: the migrated rows, exported with COPY TO (target shape, no mapping), loaded"
    printf '%s\n' "  into an empty copy of the schema with its PK, FK and index."
    printf '%s\n' "- **pg_restore (-j2)**: a \`pg_dump -Fc\` of the migrated database into an empty database: load"
    printf '%s\n' "  first, then build PK, FK and index — the ingestion ceiling."
    printf '\n'
    printf '%s\n' "| SF | source rows | rows loaded | cutover migrate | per-row FK | cutover verify | psql \\copy x2 | pg_restore | pg_restore -j2 | migrate / \\copy | migrate / restore -j2 | migrate peak RSS (MB) | verify |"
    printf '%s\n' "|---|---|---|---|---|---|---|---|---|---|---|---|---|$rows_md"
} >"$out"
cat "$out"
