#!/bin/sh
# pg_defer.sh — deferred constraints against a private PostgreSQL (make check):
#   1. migrate --defer-constraints (chunked, parallel) is Go, and every key, foreign key
#      and secondary index comes back exactly as it was (definitions compared);
#   2. a migrate that fails (interrupted) still puts the exact definitions back;
#   3. kill -9 while the constraints are dropped: their definitions stay in
#      <table>.constraints.sql, check warns, the next migrate recreates them;
#   4. kill -9 of a deferred `cutover run` with chunks of bookings committed, then
#      `run --resume`: Go, no row twice, the definitions as they were;
#   5. a duplicate key in the source fails the key's rebuild, naming the key, and the
#      definition stays stored until a migrate puts it back.
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
defs() { # every key, foreign key and index definition of the public schema, sorted
    psql -X -At "$G" -c "SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint WHERE contype IN ('f', 'p', 'u') UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
}
# The plans of the statements run inside others (the foreign key validations) go to the
# server's log (auto_explain), so that the join a validation used can be checked.
psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" -c "ALTER DATABASE gym SET session_preload_libraries = 'auto_explain'" \
    -c "ALTER DATABASE gym SET auto_explain.log_min_duration = 0" \
    -c "ALTER DATABASE gym SET auto_explain.log_nested_statements = on"
log_mark() { wc -l <"$PG_LOG"; }
anti_joins() { tail -n +"$(($1 + 1))" "$PG_LOG" | grep -o '\(Merge\|Hash\) Anti Join' | sort | uniq -c | tr -s ' ' | tr '\n' ';'; }
defs > before.txt
[ "$(grep -c . before.txt)" -ge 6 ] || fail "the fixture schema should have keys, foreign keys and indexes"

# 1. deferred, chunked, parallel: Go, definitions identical. Parents still load first
#    (every members chunk starts before any bookings chunk, though bookings is the larger
#    table); each table's constraints (members: its key) go back as soon as it is loaded,
#    after a VACUUM, and the foreign key is validated by a merge of two index scans.
mark=$(log_mark)
run 0 m1.out "$CUTOVER" -vv migrate -q --defer-constraints --chunk-rows 5000 --jobs 2 "$map"
joins1=$(anti_joins "$mark")
first_b=$(grep -n "PostgreSQL: bookings loads" m1.out | head -n 1 | cut -d: -f1)
last_m=$(grep -n "PostgreSQL: members loads" m1.out | tail -n 1 | cut -d: -f1)
[ -n "$first_b" ] && [ -n "$last_m" ] && [ "$last_m" -lt "$first_b" ] ||
    fail "a bookings chunk started before the last members chunk (lines $last_m, $first_b)"
expect m1.out "bookings: loaded; its deferred constraints go back while other tables load"
expect m1.out "members: loaded; its deferred constraints go back while other tables load"
[ "$(psql -X -At "$G" -c "SELECT vacuum_count > 0 FROM pg_stat_user_tables WHERE relname = 'bookings'")" = t ] ||
    fail "bookings was not vacuumed before its constraints went back"
# The sequences are set once, at the end, past the keys all the chunks committed.
[ "$(psql -X -At "$G" -c "SELECT nextval(pg_get_serial_sequence('bookings', 'id')) = (SELECT max(id) + 1 FROM bookings) AND nextval(pg_get_serial_sequence('members', 'id')) = (SELECT max(id) + 1 FROM members)")" = t ] ||
    fail "the sequences are not past the keys the chunks loaded"
# The validation merged the index scans.
[ "$joins1" = " 1 Merge Anti Join;" ] || fail "the foreign key was not validated by a merge join (plans: $joins1)"
defs > after.txt
cmp -s before.txt after.txt || { fail "constraints differ after a deferred migrate"; diff before.txt after.txt >&2 || true; }
run 0 v1.out "$CUTOVER" verify -q "$map"
expect v1.out "Go: 2 tables"
[ -z "$(ls gym-pg.rejects/*.constraints.sql 2>/dev/null)" ] || fail "constraint files left after a good run"

# 2. a migrate that fails (SIGINT while a pausing trigger holds the third chunk of
#    bookings at id 5000) still restores them.
pg_pause "$G" bookings
"$CUTOVER" migrate -q --truncate --defer-constraints --chunk-rows 2000 --jobs 1 "$map" >m2.out 2>&1 &
pid=$!
pg_paused "$G" || fail "the bookings load never paused"
kill -INT $pid 2>/dev/null || fail "the migrate ended before SIGINT"
wait_st $pid
pg_unpause "$G" bookings
[ $st -eq 2 ] || fail "an interrupted migrate exits 2 (got $st)"
expect m2.out "interrupted"
defs > after2.txt
cmp -s before.txt after2.txt || { fail "constraints differ after an interrupted migrate"; diff before.txt after2.txt >&2 || true; }

# 3. kill -9 while they are dropped (held as in 2); check warns; the next migrate puts
#    them back.
pg_pause "$G" bookings
"$CUTOVER" migrate -q --truncate --defer-constraints --chunk-rows 2000 --jobs 1 "$map" >k.out 2>&1 &
pid=$!
pg_paused "$G" || fail "the bookings load never paused"
killed=0
kill -9 $pid 2>/dev/null && killed=1
wait $pid 2>/dev/null || true
pg_unpause "$G" bookings
[ $killed -eq 1 ] || fail "could not kill a migrate while its constraints were dropped"
ls gym-pg.rejects/*.constraints.sql >/dev/null 2>&1 || fail "no stored definitions after the kill"
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

# 4. kill -9 of a deferred run while bookings loads: a pausing trigger holds its third
#    chunk (ids 4000..5999) at id 5000, two chunks committed and journaled. The resume
#    puts bookings' key back before its chunks load again (each first deletes its range).
sed 's/^  max_rejects: 0 .*/  max_rejects: 0\n  chunk_rows: 2000\n  defer_constraints: true/' "$map" >defer.yaml
grep -q "defer_constraints: true" defer.yaml || fail "could not write defer.yaml"
# kill_deferred_run OUT WHAT RUN_ARGS... — a deferred `cutover run` killed (-9) while a
# pausing trigger holds its bookings load, bookings' key dropped.
kill_deferred_run() {
    out=$1 what=$2
    shift 2
    pg_pause "$G" bookings
    "$CUTOVER" run -q --jobs 1 "$@" >"$out" 2>&1 &
    pid=$!
    pg_paused "$G" || fail "the bookings load never paused ($what)"
    kill -9 $pid 2>/dev/null || fail "the run ended before the kill ($what)"
    wait $pid 2>/dev/null || true
    pg_unpause "$G" bookings
    [ "$(psql -X -At "$G" -c "SELECT count(*) FROM pg_constraint WHERE conname = 'bookings_pkey'")" = 0 ] ||
        fail "bookings' key should be dropped while it loads ($what)"
}
kill_deferred_run r4.out 4 defer.yaml
committed=$(psql -X -At "$G" -c "SELECT count(*) FROM bookings")
[ "$committed" -ge 4000 ] || fail "two chunks of bookings should be committed (found $committed rows)"
run 0 r4b.out "$CUTOVER" -v run -q --resume defer.yaml
expect r4b.out "Go"
expect r4b.out "bookings: resumed; the constraints the interrupted migrate dropped go back before its chunks load again"
defs > after4.txt
cmp -s before.txt after4.txt || { fail "constraints differ after a resumed deferred run"; diff before.txt after4.txt >&2 || true; }
run 0 v4.out "$CUTOVER" verify -q defer.yaml
expect v4.out "Go: 2 tables"
[ "$(psql -X -At "$G" -c "SELECT count(*) - count(DISTINCT id) FROM bookings")" = 0 ] ||
    fail "a bookings row was loaded twice"

# 4b. the same kill -9, and the way back instead of the resume: restore --journal puts
#     the rows back and the constraints the killed migrate dropped (the target was left
#     without bookings' key, foreign key and index, while a new run was let start).
kill_deferred_run r4c.out 4b --snapshot s4b.cutsnap defer.yaml
# The stored statements are what psql -f can run, one per line.
[ -s defer.rejects/bookings.constraints.sql ] && ! grep -qv ';$' defer.rejects/bookings.constraints.sql ||
    fail "defer.rejects/bookings.constraints.sql: not one statement per line, each ending in ';'"
run 0 r4d.out "$CUTOVER" restore s4b.cutsnap --journal cutover.db
expect r4d.out "recreated the constraints of"
expect r4d.out "restored from its snapshot"
defs > after4b.txt
cmp -s before.txt after4b.txt || { fail "constraints differ after restore --journal"; diff before.txt after4b.txt >&2 || true; }
run 0 v4b.out "$CUTOVER" verify -q defer.yaml
expect v4b.out "Go: 2 tables"

# 6. a transaction left open in the target database holds back what VACUUM may mark
#    all-visible: the validation then keeps the planner's hash join (a merge would fetch
#    each row's page at random), and the migrate is Go.
psql -X -q "$G" -c "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SELECT 1" \
    -c "SELECT pg_sleep(120)" >/dev/null 2>&1 &
sleeper=$!
pg_wait "$G" "EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep')" ||
    fail "the open transaction never started"
mark=$(log_mark)
run 0 m6.out "$CUTOVER" migrate -q --truncate --defer-constraints --chunk-rows 5000 --jobs 2 "$map"
joins6=$(anti_joins "$mark")
kill $sleeper 2>/dev/null || true
psql -X -q "$G" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'" >/dev/null
[ "$joins6" = " 1 Hash Anti Join;" ] ||
    fail "beside an open transaction the validation should keep the hash join (plans: $joins6)"
defs > after6.txt
cmp -s before.txt after6.txt || { fail "constraints differ after a migrate beside an open transaction"; diff before.txt after6.txt >&2 || true; }

# 7. the foreign key's rebuild times out on a lock (an event trigger waits, 1 s at most,
#    for a table that another session holds): its statements are run again after a
#    pause, and succeed once the session lets go.
psql -X -q -v ON_ERROR_STOP=1 "$G" -c "CREATE TABLE lock_probe (x int)" -c "
CREATE FUNCTION cut_test_ddl_probe() RETURNS event_trigger LANGUAGE plpgsql AS \$\$
BEGIN
    IF current_query() LIKE '%ADD CONSTRAINT%FOREIGN KEY%' THEN
        PERFORM set_config('lock_timeout', '1s', true);
        LOCK TABLE lock_probe IN ACCESS SHARE MODE;
    END IF;
END \$\$" -c "CREATE EVENT TRIGGER cut_test_ddl_probe ON ddl_command_start
    WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION cut_test_ddl_probe()"
rm -f lock.fifo
mkfifo lock.fifo
psql -X -q -v ON_ERROR_STOP=1 "$G" <lock.fifo >lock-holder.out 2>&1 &
holder=$!
exec 3>lock.fifo
echo "BEGIN; LOCK TABLE lock_probe IN ACCESS EXCLUSIVE MODE;" >&3
pg_wait "$G" "EXISTS (SELECT 1 FROM pg_locks WHERE relation = 'lock_probe'::regclass
    AND mode = 'AccessExclusiveLock' AND granted)" || fail "lock_probe was never held"
"$CUTOVER" migrate -q --truncate --defer-constraints --chunk-rows 0 --jobs 1 "$map" >m7.out 2>&1 &
mig=$!
i=0
until grep -q "running them again (attempt 2 of 4)" m7.out; do
    i=$((i + 1))
    [ $i -lt 600 ] && kill -0 $mig 2>/dev/null || break
    sleep 0.05
done
echo "COMMIT;" >&3
exec 3>&-
wait $holder || fail "the session holding lock_probe failed: $(cat lock-holder.out)"
wait_st $mig
[ "$st" -eq 0 ] || { fail "migrate exit $st after a lock timeout in a rebuild (wanted 0)"; sed 's/^/    | /' m7.out >&2; }
expect m7.out "bookings: recreating its constraints: PostgreSQL:"
expect m7.out "lock timeout"
expect m7.out "running them again (attempt 2 of 4)"
psql -X -q -v ON_ERROR_STOP=1 "$G" -c "DROP EVENT TRIGGER cut_test_ddl_probe" \
    -c "DROP FUNCTION cut_test_ddl_probe()" -c "DROP TABLE lock_probe"
defs > after7.txt
cmp -s before.txt after7.txt || { fail "constraints differ after a rebuild run again"; diff before.txt after7.txt >&2 || true; }
run 0 v7.out "$CUTOVER" verify -q "$map"
expect v7.out "Go: 2 tables"

# 5. a duplicate source key: the deferred key's rebuild fails (exit 2), names the key and
#    keeps the definition; with the duplicate gone, the next migrate puts the key back.
legacy_sql() { "$CUTOVER_FIXTURE" sql --sqlite legacy.db - >/dev/null; }
printf '%s\n' "CREATE TABLE c2 AS SELECT * FROM clients; DROP TABLE clients;
  CREATE TABLE clients AS SELECT * FROM c2; DROP TABLE c2;
  INSERT INTO clients SELECT * FROM clients WHERE id = 7;" | legacy_sql
run 2 m5.out "$CUTOVER" migrate -q --truncate --defer-constraints --chunk-rows 0 "$map"
expect m5.out "members_pkey"
expect m5.out "(id)=(7) is duplicated"
expect m5.out "members.constraints.sql"
[ "$(psql -X -At "$G" -c "SELECT count(*) FROM pg_constraint WHERE conname = 'members_pkey'")" = 0 ] ||
    fail "members_pkey cannot be back while id 7 is there twice"
run 0 c5.out "$CUTOVER" check "$map"
expect c5.out "constraints an interrupted migrate dropped"
printf '%s\n' "DELETE FROM clients WHERE rowid = (SELECT max(rowid) FROM clients WHERE id = 7);" | legacy_sql
run 0 m5b.out "$CUTOVER" migrate -q --truncate "$map"
defs > after5.txt
cmp -s before.txt after5.txt || { fail "constraints differ after the duplicate was removed"; diff before.txt after5.txt >&2 || true; }
finish
