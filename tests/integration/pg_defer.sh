#!/bin/sh
# pg_defer.sh — deferred constraints against a private PostgreSQL (make check):
#   1. migrate --defer-constraints (chunked, parallel) is Go, and every foreign key and
#      secondary index comes back exactly as it was (definitions compared);
#   2. a migrate that fails (interrupted) still puts the exact definitions back;
#   3. kill -9 while the constraints are dropped: their definitions stay in
#      <table>.constraints.sql, check warns, the next migrate recreates them.
set -eu
: "${CUT_SRCDIR:?run through make check}"
if [ "${1:-}" != --inside ]; then
    exec "$CUT_SRCDIR/tests/integration/with-servers.sh" --pg -- \
        sh "$CUT_SRCDIR/tests/integration/pg_defer.sh" --inside
fi
. "$CUT_SRCDIR/tests/e2e/lib.sh"
set -e

G=${PG_URL%/*}/gym
psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" -c "CREATE DATABASE gym"
psql -X -q -v ON_ERROR_STOP=1 "$G" -f "$CUT_SRCDIR/fixtures/gym-target.pg.sql"
"$CUTOVER_FIXTURE" gym --scale 4 --sqlite legacy.db >/dev/null 2>&1
export GYM_SOURCE=sqlite:$work/legacy.db GYM_PG_TARGET=$G
map=$CUT_SRCDIR/mappings/gym-pg.yaml
defs() { # every foreign key and index definition of the public schema, sorted
    psql -X -At "$G" -c "SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint WHERE contype = 'f' UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
}
defs > before.txt
[ "$(grep -c . before.txt)" -ge 4 ] || fail "the fixture schema should have foreign keys and indexes"

# 1. deferred, chunked, parallel: Go, definitions identical. Parents still load first
#    (every members chunk starts before any bookings chunk, though bookings is the larger
#    table), and bookings' constraints go back as soon as it is loaded.
run 0 m1.out "$CUTOVER" -vv migrate -q --defer-constraints --chunk-rows 5000 --jobs 2 "$map"
first_b=$(grep -n "PostgreSQL: bookings loads" m1.out | head -n 1 | cut -d: -f1)
last_m=$(grep -n "PostgreSQL: members loads" m1.out | tail -n 1 | cut -d: -f1)
[ -n "$first_b" ] && [ -n "$last_m" ] && [ "$last_m" -lt "$first_b" ] ||
    fail "a bookings chunk started before the last members chunk (lines $last_m, $first_b)"
expect m1.out "bookings: loaded; its deferred constraints go back while other tables load"
expect_not m1.out "members: loaded; its deferred constraints go back"
defs > after.txt
cmp -s before.txt after.txt || { fail "constraints differ after a deferred migrate"; diff before.txt after.txt >&2 || true; }
run 0 v1.out "$CUTOVER" verify -q "$map"
expect v1.out "Go: 2 tables"
[ -z "$(ls gym-pg.rejects/*.constraints.sql 2>/dev/null)" ] || fail "constraint files left after a good run"

# 2. a migrate that fails (interrupted with SIGINT mid-load) still restores them.
"$CUTOVER" migrate -q --truncate --defer-constraints --chunk-rows 2000 --jobs 1 "$map" >m2.out 2>&1 &
pid=$!
sleep 0.6
kill -INT $pid 2>/dev/null || true
set +e
wait $pid
st=$?
set -e
if [ $st -eq 2 ]; then
    expect m2.out "interrupted"
    defs > after2.txt
    cmp -s before.txt after2.txt || { fail "constraints differ after an interrupted migrate"; diff before.txt after2.txt >&2 || true; }
else
    echo "note: the migrate finished before SIGINT (status $st)" >&2
fi

# 3. kill -9 while they are dropped; check warns; the next migrate puts them back.
killed=0
for delay in 0.4 0.8 1.2; do
    "$CUTOVER" migrate -q --truncate --defer-constraints --chunk-rows 2000 --jobs 1 "$map" >k.out 2>&1 &
    pid=$!
    sleep $delay
    if kill -9 $pid 2>/dev/null; then
        wait $pid 2>/dev/null || true
        if ls gym-pg.rejects/*.constraints.sql >/dev/null 2>&1; then
            killed=1
            break
        fi
    else
        wait $pid 2>/dev/null || true
    fi
done
[ $killed -eq 1 ] || fail "could not kill a migrate while its constraints were dropped"
if [ $killed -eq 1 ]; then
    [ "$(psql -X -At "$G" -c "SELECT count(*) FROM pg_constraint WHERE contype = 'f'")" = 0 ] ||
        fail "the foreign key should be dropped after the kill"
    run 0 c3.out "$CUTOVER" check "$map"
    expect c3.out "constraints an interrupted migrate dropped"
    run 0 m3.out "$CUTOVER" migrate -q --truncate "$map"
    defs > after3.txt
    cmp -s before.txt after3.txt || { fail "constraints not recreated after the kill"; diff before.txt after3.txt >&2 || true; }
    run 0 v3.out "$CUTOVER" verify -q "$map"
    expect v3.out "Go: 2 tables"
fi
finish
