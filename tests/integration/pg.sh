#!/bin/sh
# pg.sh — the PostgreSQL driver against a private server (make check).
#
# Starts a throwaway PostgreSQL with with-servers.sh (a server that cannot start
# fails the test), then inside it:
#   1. the cmocka program test_pg (driver, codec, types, loads, rejects...);
#   2. the gym demo SQLite → PostgreSQL: check, migrate, verify Go, counts add up,
#      sequences moved past the keys, the loads committed synchronously;
#   3. the tamper tests against PostgreSQL (changed, missing, extra, a '12,50'
#      price rejected, a row the server refuses), counts still adding up;
#   4. `check` names unsupported columns (arrays, interval) by table and column;
#   5. a password in the URL is never shown, whatever fails;
#   6. Chinook round trips SQLite → PG, PG → PG, PG → SQLite: Go, and the digest of
#      every table identical at every step;
#   7. a load the server cancels to break a deadlock runs again after a pause and
#      succeeds, verify Go; so does a restore's transaction, its digests then the
#      snapshot's;
#   8. a server killed in the middle of a COPY: exit 2, the table named, nothing
#      of that table committed.
set -eu
: "${CUT_SRCDIR:?run through make check}"
: "${CUT_BUILDDIR:?run through make check}"

if [ "${1:-}" != --inside ]; then
    exec "$CUT_SRCDIR/tests/integration/with-servers.sh" --pg -- \
        sh "$CUT_SRCDIR/tests/integration/pg.sh" --inside
fi

. "$CUT_SRCDIR/tests/e2e/lib.sh"
set -e

base=${PG_URL%/*} # postgresql://cutover@127.0.0.1:PORT
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
createdb_() { q "$PG_URL" -c "CREATE DATABASE \"$1\""; }
val() { # val DB SQL — one value
    psql -X -At -v ON_ERROR_STOP=1 "$base/$1" -c "$2"
}

# ------------------------------------------------------------ 1. cmocka
if ! "$CUT_BUILDDIR/tests/integration/test_pg" >test_pg.out 2>&1; then
    fail "test_pg"
    sed 's/^/    | /' test_pg.out >&2
fi

# ------------------------------------------------------ 2. the gym demo
make_gym 1
createdb_ gym
q "$base/gym" -f "$CUT_SRCDIR/fixtures/gym-target.pg.sql"
export GYM_PG_TARGET="$base/gym"
map=$CUT_SRCDIR/mappings/gym-pg.yaml
# The server commits asynchronously (with-servers.sh); cutover's loads commit durably
# all the same: a statement trigger records the setting each load ran with.
q "$base/gym" -c "CREATE TABLE sc_seen (v text)" -c "CREATE FUNCTION sc_note() RETURNS trigger
    LANGUAGE plpgsql AS \$\$ BEGIN INSERT INTO sc_seen VALUES (current_setting('synchronous_commit'));
    RETURN NULL; END \$\$" -c "CREATE TRIGGER sc_note AFTER INSERT ON members FOR EACH STATEMENT
    EXECUTE FUNCTION sc_note()"

run 0 check.out "$CUTOVER" check "$map"
expect check.out "OK: 2 tables ready to migrate"
run 0 migrate.out "$CUTOVER" migrate -q "$map"
[ "$(val gym "SELECT string_agg(DISTINCT v, ',') FROM sc_seen")" = on ] ||
    fail "the loads ran with synchronous_commit $(val gym "SELECT string_agg(DISTINCT v, ',') FROM sc_seen")"
q "$base/gym" -c "DROP TRIGGER sc_note ON members" -c "DROP FUNCTION sc_note()" -c "DROP TABLE sc_seen"
run 0 verify.out "$CUTOVER" verify -q "$map" --json verify.json
expect verify.out "Go: 2 tables"
expect verify.json '"verdict": "go"'
set -- $(row_of verify.out members)
[ "$1" -eq 5000 ] && [ $(($2 + $3 + $4)) -eq "$1" ] && [ "$4" -eq "$5" ] && [ "$2" -gt 0 ] &&
    [ "$6" = equal ] || fail "members: $*"
set -- $(row_of verify.out bookings)
[ "$1" -eq 12000 ] && [ "$4" -eq 12000 ] && [ "$5" -eq 12000 ] && [ "$6" = equal ] ||
    fail "bookings: $*"
[ "$(val gym 'SELECT count(*) FROM members')" -eq 4974 ] || fail "members rows in PostgreSQL"
# identity and bigserial continue after the migrated keys
[ "$(val gym "INSERT INTO members (full_name, created_at, active) VALUES ('New', now(), true) RETURNING id" | head -n 1)" -eq 5001 ] ||
    fail "members identity not moved past max(id)"
[ "$(val gym "SELECT nextval(pg_get_serial_sequence('bookings', 'id'))")" -eq 12001 ] ||
    fail "bookings sequence not moved past max(id)"
q "$base/gym" -c "DELETE FROM members WHERE id = 5001"
# again without --truncate: refused, nothing changes; with it, Go again
run 2 again.out "$CUTOVER" migrate -q "$map"
expect again.out "is not empty"
expect again.out "--truncate"
run 0 again2.out "$CUTOVER" migrate -q --truncate --batch-rows 7 "$map"
run 0 verify2.out "$CUTOVER" verify -q "$map"

# --------------------------------------------------- 3. tamper tests on PG
q "$base/gym" -c "UPDATE members SET email = 'x' WHERE id = 42"
run 1 changed.out "$CUTOVER" verify -q "$map" --json changed.json
expect changed.out "No-Go"
expect changed.out "changed  id=42"
expect changed.out "email: expected '"
expect changed.out "target has 'x'"
expect changed.json '"kind": "changed", "key": "id=42"'
expect changed.json '"column": "email"'

run 0 m2.out "$CUTOVER" migrate -q --truncate "$map"
q "$base/gym" -c "DELETE FROM bookings WHERE id = 7"
run 1 missing.out "$CUTOVER" verify -q "$map"
expect missing.out "missing  id=7"
expect missing.out "1 difference (1 missing, 0 extra, 0 changed)"
q "$base/gym" -c "INSERT INTO bookings VALUES (999999, 42, 'BRU1', 'Yoga', '2024-01-01 10:00:00+00', 'booked', 12.5, 'phone')"
run 1 extra.out "$CUTOVER" verify -q "$map"
expect extra.out "extra    id=999999"
expect extra.out "missing  id=7"

# a value that cannot convert ('12,50') and one the server refuses (CHECK on status)
sql gym-legacy.db "UPDATE bookings SET price = '12,50' WHERE id = 5; UPDATE bookings SET status = 'lost' WHERE id = 9;"
run 0 m3.out "$CUTOVER" migrate -q --truncate "$map"
expect m3.out "bookings: 2 rejected rows written to gym-pg.rejects/bookings.rejects.jsonl"
rej=gym-pg.rejects/bookings.rejects.jsonl
expect $rej '"key":"id=5"'
expect $rej '"column":"price","value":"12,50"'
expect $rej '"stage":"load","key":"id=9"'
expect $rej 'PostgreSQL refused the row: new row for relation \"bookings\" violates check constraint \"bookings_status_check\"'
run 1 v4.out "$CUTOVER" verify -q "$map"
set -- $(row_of v4.out bookings)
[ "$1" -eq 12000 ] && [ "$3" -eq 2 ] && [ "$4" -eq 11998 ] && [ "$5" -eq 11998 ] &&
    [ "$6" = equal ] || fail "bookings with two rejects: $*"
expect v4.out "rejected rows exceed max_rejects"
sed 's/max_rejects: 0 /max_rejects: 2 /' "$map" >allow2.yaml
run 0 v5.out "$CUTOVER" verify -q allow2.yaml --rejects gym-pg.rejects

# ------------------------------------------- 4. unsupported types, by name
createdb_ odd
q "$base/odd" -c "CREATE TABLE events (id int PRIMARY KEY, tags text[], span interval, note text);
                  CREATE TABLE sink (id int PRIMARY KEY, tags int[], note text)"
sql odd.db "CREATE TABLE events (id INTEGER PRIMARY KEY, tags TEXT, span TEXT, note TEXT);
            CREATE TABLE sink (id INTEGER PRIMARY KEY, tags TEXT, note TEXT);"
cat >odd-read.yaml <<EOF
source: $base/odd
target: sqlite:odd.db
tables:
  events: {}
EOF
run 2 odd1.out "$CUTOVER" check odd-read.yaml
expect odd1.out "source column events.tags has type text[], which cutover cannot read"
expect odd1.out "source column events.span has type interval, which cutover cannot read"
cat >odd-ok.yaml <<EOF
source: $base/odd
target: sqlite:odd.db
tables:
  events: {columns: {id: id, note: note}}
EOF
run 0 odd2.out "$CUTOVER" check odd-ok.yaml
cat >odd-write.yaml <<EOF
source: sqlite:odd.db
target: $base/odd
tables:
  sink: {}
EOF
run 2 odd3.out "$CUTOVER" check odd-write.yaml
expect odd3.out "target column tags has type integer[], which cutover cannot load"

# ------------------------------------------------- 5. passwords stay hidden
secret=Sup3rS3cretPw
port=${base##*:}
export GYM_PG_TARGET="postgresql://cutover:$secret@127.0.0.1:$port/gym"
run 0 pw1.out "$CUTOVER" check "$map"
run 0 pw2.out "$CUTOVER" migrate --truncate "$map"
run 1 pw3.out "$CUTOVER" verify "$map" --json pw3.json
expect pw1.out "postgresql://cutover:***@127.0.0.1:$port/gym"
export GYM_PG_TARGET="postgresql://cutover:$secret@127.0.0.1:$port/nosuchdb"
run 2 pw4.out "$CUTOVER" migrate "$map"
expect pw4.out 'database "nosuchdb" does not exist'
export GYM_PG_TARGET="postgresql://cutover:$secret@127.0.0.1:1/gym"
run 2 pw5.out "$CUTOVER" check "$map"
expect pw5.out "cannot connect to postgresql://cutover:***@127.0.0.1:1/gym"
if grep -rl "$secret" . >leaks.txt 2>/dev/null; then
    fail "the password appears in: $(tr '\n' ' ' <leaks.txt)"
fi
export GYM_PG_TARGET="$base/gym"

# ----------------------------------------------- 6. Chinook round trips
ch=$CUT_SRCDIR/fixtures/chinook
q "$PG_URL" -f "$ch/Chinook_PostgreSql.sql" >/dev/null 2>&1 || fail "loading Chinook_PostgreSql.sql"
for db in chinook_from_sqlite chinook_copy; do
    createdb_ $db
    pg_dump --schema-only --no-owner "$base/chinook" | q "$base/$db" >/dev/null
done
cp "$ch/Chinook_Sqlite.sqlite" chinook-back.sqlite
chmod u+w chinook-back.sqlite
sql chinook-back.sqlite "PRAGMA foreign_keys = OFF; DELETE FROM PlaylistTrack; DELETE FROM Playlist;
  DELETE FROM InvoiceLine; DELETE FROM Track; DELETE FROM MediaType; DELETE FROM Invoice;
  DELETE FROM Genre; DELETE FROM Customer; DELETE FROM Employee; DELETE FROM Album;
  DELETE FROM Artist;"
export CHINOOK_SQLITE="sqlite:$ch/Chinook_Sqlite.sqlite" CHINOOK_PG="$base/chinook_from_sqlite"
export CHINOOK_PG_SOURCE="$base/chinook" CHINOOK_PG_TARGET="$base/chinook_copy"
export CHINOOK_SQLITE_TARGET="sqlite:$work/chinook-back.sqlite"
for m in sqlite-pg pg-pg pg-sqlite; do
    run 0 ch-$m-migrate.out "$CUTOVER" migrate -q "$CUT_SRCDIR/mappings/chinook-$m.yaml"
    run 0 ch-$m-verify.out "$CUTOVER" verify -q "$CUT_SRCDIR/mappings/chinook-$m.yaml" --json ch-$m.json
    expect ch-$m-verify.out "Go: 11 tables, 15607 rows verified, digests equal"
    # "table digest" lines, named by the PostgreSQL table, sorted
    awk -F'"' '/"table":/ { t = $4 }
               /"actual_digest":/ { for (i = 1; i < NF; i++) if ($i == "actual_digest") print t, $(i + 2) }' \
        ch-$m.json | sed -e 's/^PlaylistTrack /playlist_track /; s/^InvoiceLine /invoice_line /;
                s/^MediaType /media_type /' | tr 'A-Z' 'a-z' | sort >ch-$m.digests
    [ "$(wc -l <ch-$m.digests)" -eq 11 ] || fail "chinook $m: 11 table digests expected"
done
# The round trip SQLite → PG → SQLite keeps every table's digest.
cmp -s ch-sqlite-pg.digests ch-pg-sqlite.digests || fail "Chinook digests differ: SQLite → PG vs PG → SQLite"
# The two published editions are not identical: the SQLite one has 'Edinburgh ' with a
# trailing blank (customer 54 and its 7 invoices). PG → PG keeps the PostgreSQL edition's
# digests, equal to the SQLite edition's for the 9 other tables...
grep -v -e '^customer ' -e '^invoice ' ch-sqlite-pg.digests >ch-9a
grep -v -e '^customer ' -e '^invoice ' ch-pg-pg.digests >ch-9b
cmp -s ch-9a ch-9b || fail "Chinook digests differ for tables both editions hold the same"
[ "$(diff ch-sqlite-pg.digests ch-pg-pg.digests | grep -c '^<')" -eq 2 ] ||
    fail "customer and invoice should differ between the editions"
# ...and verify names exactly those rows, with both values.
run 1 ch-editions.out env CHINOOK_PG="$base/chinook" "$CUTOVER" verify -q \
    "$CUT_SRCDIR/mappings/chinook-sqlite-pg.yaml"
expect ch-editions.out "customer: 1 difference (0 missing, 0 extra, 1 changed)"
expect ch-editions.out "changed  customer_id=54"
expect ch-editions.out "city: expected 'Edinburgh ', target has 'Edinburgh'"
expect ch-editions.out "invoice: 7 differences (0 missing, 0 extra, 7 changed)"
expect ch-editions.out "No-Go: 2 of 11 tables failed verification"

# ----------------------------------------- 7. a deadlock undoes a load
# A session holds lock_probe; the load of members, 100 rows into its COPY, waits for it
# (a trigger); the session then asks for members. The load, waiting first, finds the
# deadlock and the server cancels it (40P01): its task runs again after a pause, once
# the session has committed, and succeeds.
createdb_ gymlock
q "$base/gymlock" -f "$CUT_SRCDIR/fixtures/gym-target.pg.sql"
q "$base/gymlock" -c "CREATE TABLE lock_probe (x int)" -c "
CREATE FUNCTION cut_test_probe() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
    IF NEW.id >= 100 AND current_setting('cut_test.probed', true) IS DISTINCT FROM 'y' THEN
        PERFORM set_config('cut_test.probed', 'y', true);
        LOCK TABLE lock_probe IN ACCESS SHARE MODE;
    END IF;
    RETURN NEW;
END \$\$" -c "CREATE TRIGGER cut_test_probe BEFORE INSERT ON members
    FOR EACH ROW EXECUTE FUNCTION cut_test_probe()"
# deadlock OUT WHAT CMD... — a session holds lock_probe; CMD (output to OUT) waits for it
# in members' trigger; the session then asks for members, and commits once the server
# has broken the deadlock. Sets $st, CMD's exit status.
deadlock() {
    out=$1 what=$2
    shift 2
    rm -f lock.fifo
    mkfifo lock.fifo
    psql -X -q -v ON_ERROR_STOP=1 "$base/gymlock" <lock.fifo >lock-holder.out 2>&1 &
    holder=$!
    exec 3>lock.fifo
    echo "BEGIN; LOCK TABLE lock_probe IN ACCESS EXCLUSIVE MODE;" >&3
    pg_wait "$base/gymlock" "EXISTS (SELECT 1 FROM pg_locks WHERE relation = 'lock_probe'::regclass
        AND mode = 'AccessExclusiveLock' AND granted)" || fail "lock_probe was never held"
    "$@" >"$out" 2>&1 &
    victim=$!
    pg_wait "$base/gymlock" "EXISTS (SELECT 1 FROM pg_locks WHERE relation = 'lock_probe'::regclass
        AND NOT granted)" || fail "the $what never waited for lock_probe"
    echo "LOCK TABLE members IN SHARE MODE; COMMIT;" >&3
    exec 3>&-
    wait $holder || fail "the session holding lock_probe failed: $(cat lock-holder.out)"
    wait_st $victim
}
deadlock lock.out "load of members" env GYM_PG_TARGET="$base/gymlock" "$CUTOVER" migrate -j1 "$map"
[ "$st" -eq 0 ] || { fail "migrate exit $st after a deadlock (wanted 0)"; sed 's/^/    | /' lock.out >&2; }
expect lock.out "members: PostgreSQL: loading table members: deadlock detected"
expect lock.out "loading it again (attempt 2 of 4)"
q "$base/gymlock" -c "ALTER TABLE members DISABLE TRIGGER cut_test_probe"
GYM_PG_TARGET="$base/gymlock" run 1 lock-verify.out "$CUTOVER" verify -q "$map"
expect lock-verify.out "members        5000        26         0       4974       4974  equal"
expect lock-verify.out "bookings: 2 rejected rows exceed max_rejects"

# The same deadlock in a restore: its one transaction is rolled back (the rows it had
# deleted come back) and run again after a pause, and the restore is proven as ever.
run 0 lock-snap.out "$CUTOVER" snapshot -q "$base/gymlock" --tables members,bookings \
    -o lock.cutsnap
q "$base/gymlock" -c "DELETE FROM bookings WHERE id % 3 = 0" \
    -c "UPDATE members SET full_name = 'changed' WHERE id % 7 = 0" \
    -c "ALTER TABLE members ENABLE TRIGGER cut_test_probe"
deadlock lock-restore.out "restore of members" "$CUTOVER" restore lock.cutsnap
[ "$st" -eq 0 ] || { fail "restore exit $st after a deadlock (wanted 0)"; sed 's/^/    | /' lock-restore.out >&2; }
expect lock-restore.out "deadlock detected"
expect lock-restore.out "the transaction was rolled back, restoring again (attempt 2 of 4)"
expect lock-restore.out "restored 2 tables into postgresql://"
q "$base/gymlock" -c "DROP TRIGGER cut_test_probe ON members"
run 0 lock-after.out "$CUTOVER" snapshot -q "$base/gymlock" --tables members,bookings \
    -o lock-after.cutsnap
for f in lock lock-after; do # table, rows, digest
    "$CUTOVER" inspect $f.cutsnap | awk '$1 == "members" || $1 == "bookings" { print $1, $2, $NF }' >$f.txt
done
[ "$(wc -l <lock.txt)" -eq 2 ] && cmp -s lock.txt lock-after.txt ||
    fail "after the restore, the tables' digests are not the snapshot's: $(cat lock.txt lock-after.txt)"

# -------------------------------------------- 8. a server killed mid-COPY
createdb_ gymkill
# Committed rows must survive the crash below: the private server commits asynchronously
# (synchronous_commit=off), which can lose the last commits of members to -m immediate.
q "$base/gymkill" -c "ALTER DATABASE gymkill SET synchronous_commit = on"
q "$base/gymkill" -f "$CUT_SRCDIR/fixtures/gym-target.pg.sql"
"$CUTOVER_FIXTURE" gym --scale 2 --sqlite kill-legacy.db >/dev/null 2>&1
# The load of bookings is held at its row 5000 (a trigger sleeps): the stop lands in it.
pg_pause "$base/gymkill" bookings
GYM_SOURCE=sqlite:$work/kill-legacy.db GYM_PG_TARGET="$base/gymkill" \
    "$CUTOVER" migrate --batch-rows 2000 "$map" >kill.out 2>&1 &
mig=$!
pg_paused "$base/gymkill" || fail "never saw the COPY into bookings running"
pg_ctl_() { # as the server's user, from a directory it may enter
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u "$PG_RUN_AS" -- $PG_CTL "$@")
    else
        $PG_CTL "$@"
    fi
}
pg_ctl_ -m immediate stop >/dev/null 2>&1
wait_st $mig
[ "$st" -eq 2 ] || { fail "migrate exit $st when the server died (wanted 2)"; sed 's/^/    | /' kill.out >&2; }
expect kill.out "table bookings: PostgreSQL: connection lost while"
restart="-c listen_addresses=127.0.0.1 -p $port -k $PG_SOCKDIR -c fsync=off"
pg_ctl_ -l "$PG_LOG" -w -t 60 -o "$restart" start >/dev/null
[ "$(val gymkill 'SELECT count(*) FROM bookings')" -eq 0 ] || fail "bookings kept rows of the killed load"
# the foreign key bookings dropped for its load is there (its transaction never committed)
[ "$(val gymkill "SELECT count(*) FROM pg_constraint WHERE conname = 'bookings_member_id_fkey'")" -eq 1 ] ||
    fail "the foreign key of bookings is missing after the crash"
# members (loaded and committed before bookings started) are all there
[ "$(val gymkill 'SELECT count(*) FROM members')" -gt 9000 ] || fail "members should be committed"

finish
