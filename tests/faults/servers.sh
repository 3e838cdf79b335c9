#!/bin/sh
# servers.sh — database servers that fail while cutover works (make check;
# docs/faults.md lists every fault and what it must leave behind).
#
# Private PostgreSQL and MariaDB servers (with-servers.sh); the gym legacy data at
# SF=10 (50,000 clients, 120,000 bookings). Each fault lands at a moment the server
# itself shows and holds, so that it cannot come too late on a fast machine: a load is
# held by a trigger that sleeps at its row with id 5000 (pg_pause, my_slow: thousands of
# rows written, the transaction open); a read waits behind a lock another session
# holds (pg_hold, LOCK TABLES), or a row security policy that sleeps (pg_pause_reads).
# Then:
#   1. PG target, `pg_ctl stop -m immediate` while the first table loads;
#   2. PG target, `pg_ctl stop -m fast` while the second table loads, the first
#      one committed (tests/integration/pg.sh covers -m immediate there);
#   3. PG target stopped during `cutover run`'s migrate: the rollback cannot
#      reach the server either; the journal says so, `restore --journal` later
#      puts the target back as it was before the run;
#   4. MariaDB target, kill -9 of mariadbd during LOAD DATA into the second table;
#   5. MariaDB target, kill -9 during the first table through the INSERT path;
#   6. PG source stopped (-m immediate) during the scan of the second table (PG → SQLite);
#   7. MariaDB source killed during the scan of the second table (MariaDB → PG);
#   8. PG target stopped during `cutover restore`;
#   9. MariaDB target killed during `cutover restore`;
#  10. PG stopped during `cutover snapshot`;
#  11. PG source stopped during `cutover verify`;
#  12. PG target stopped while a deferred migrate rebuilds the constraints of the
#      table it loaded: the definitions stay stored, the next migrate puts them back.
# Every command must exit 2 naming the table; after the server is back, every
# table is either as it was before the command (row count and md5 of the rows by
# the server's own query) or complete (verify of that table Go). Committed data
# must survive a crash, so the databases used here commit durably
# (synchronous_commit=on, innodb_flush_log_at_trx_commit=1), unlike the fast
# settings with-servers.sh starts the servers with.
if [ -z "${CUT_SERVERS_DIR:-}" ]; then
    exec "$CUT_SRCDIR/tests/integration/with-servers.sh" --pg --mysql -- sh "$0" "$@"
fi
. "$CUT_SRCDIR/tests/e2e/lib.sh"
set -e

base=${PG_URL%/*} # postgresql://cutover@127.0.0.1:PORT
mybase=mysql://root@127.0.0.1:$MYSQL_PORT
map_pg=$CUT_SRCDIR/mappings/gym-pg.yaml         # SQLite → PostgreSQL
map_sq=$CUT_SRCDIR/mappings/gym-sqlite.yaml     # SQLite → (--target) MariaDB
map_mp=$CUT_SRCDIR/mappings/gym-mysql-pg.yaml   # MariaDB → PostgreSQL
faults=0
started=$(date +%s)
section() { echo "servers.sh: +$(($(date +%s) - started)) s: $*" >&2; }

pgq() { psql -X -q -v ON_ERROR_STOP=1 "$base/$1" -c "$2" >/dev/null; }
pgv() { psql -X -At -v ON_ERROR_STOP=1 "$base/$1" -c "$2" 2>/dev/null; }
my() { mariadb --no-defaults -uroot -h127.0.0.1 -P"$MYSQL_PORT" --local-infile=1 "$@"; }
myv() { my -N -B "$1" -e "$2" 2>/dev/null; }

# A new PostgreSQL database with the gym target schema, committing durably.
pg_newdb() {
    pgq postgres "CREATE DATABASE $1"
    pgq postgres "ALTER DATABASE $1 SET synchronous_commit = on"
    psql -X -q -v ON_ERROR_STOP=1 "$base/$1" -f "$CUT_SRCDIR/fixtures/gym-target.pg.sql" >/dev/null
}
my_newdb() {
    my -e "CREATE DATABASE $1"
    my "$1" <"$CUT_SRCDIR/fixtures/gym-target.mysql.sql"
}
# my_slow DB TABLE — a trigger that changes no value but holds the load of TABLE for 2 s
# at the row with id 5000: on an idle machine MariaDB loads the gym tables faster than a
# poll from outside can see the load under way, and the kill would come after it. The
# pause makes the moment certain: more than 4,000 rows written, the transaction open.
my_slow() {
    my "$1" -e "CREATE TRIGGER slow_$2 BEFORE INSERT ON $2 FOR EACH ROW DO IF(NEW.id = 5000, SLEEP(2), '$2')"
}
# my_paused DB TABLE — the load of TABLE is held by my_slow's trigger (seen in PROCESSLIST).
my_paused() {
    [ "$(myv information_schema "SELECT count(*) FROM PROCESSLIST
        WHERE DB = '$1' AND INFO LIKE 'DO IF(NEW.id = 5000, SLEEP(2), ''$2'')%'")" -ge 1 ]
}

pg_ctl_() { # as the server's user, from a directory it may enter
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u "$PG_RUN_AS" -- $PG_CTL "$@")
    else
        $PG_CTL "$@"
    fi
}
# pg_stop immediate|fast — what `pg_ctl stop -m MODE` does (SIGQUIT or SIGINT to the
# postmaster), sent at once rather than after starting pg_ctl, then waits for the end.
pg_stop() {
    pm=$(head -n 1 "$PG_DATADIR/postmaster.pid")
    if [ "$1" = immediate ]; then kill -QUIT "$pm"; else kill -INT "$pm"; fi
    i=0
    while kill -0 "$pm" 2>/dev/null && [ $i -lt 600 ]; do
        i=$((i + 1))
        sleep 0.05
    done
}
pg_start() {
    pg_ctl_ -l "$PG_LOG" -w -t 60 -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_SOCKDIR \
        -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=50" \
        start >/dev/null || { fail "PostgreSQL did not restart"; tail -n 20 "$PG_LOG" >&2; }
}
my_kill() { kill -9 "$(cat "$MYSQL_PIDFILE")"; sleep 0.2; }
my_start() {
    u=$(id -un)
    [ "$(id -u)" -eq 0 ] && u=mysql
    # with-servers.sh's own tmpdir: a server started on /tmp deletes the #sql* files of
    # the servers of other tests there.
    mariadbd --no-defaults --datadir="$MYSQL_DATADIR" --user="$u" --socket="$MYSQL_SOCKET" \
        --tmpdir="$(dirname "$MYSQL_DATADIR")/tmp" \
        --port="$MYSQL_PORT" --bind-address=127.0.0.1 --pid-file="$MYSQL_PIDFILE" \
        --skip-name-resolve --innodb-flush-log-at-trx-commit=1 --innodb-buffer-pool-size=256M \
        --local-infile=1 --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
        --log-error="$MYSQL_LOG" >/dev/null 2>&1 &
    for _ in $(seq 1 240); do
        my -e 'SELECT 1' >/dev/null 2>&1 && return 0
        sleep 0.25
    done
    fail "MariaDB did not restart"
    tail -n 20 "$MYSQL_LOG" >&2
}

# until_ CMD... — polls CMD every 20 ms for up to 60 s while $bg runs; 0 when CMD succeeded.
until_() {
    i=0
    while [ $i -lt 3000 ]; do
        "$@" && return 0
        kill -0 "$bg" 2>/dev/null || return 1
        i=$((i + 1))
        sleep 0.02
    done
    return 1
}
# The moments (tests/e2e/lib.sh): pg_pause holds a load in a trigger, pg_hold a read
# behind a lock; pg_paused and pg_blocked wait until the server shows the hold.
# pg_pause_reads DB TABLE — reads of TABLE by the role cut_reader are held in
# cut_test_sleep_once (tests/e2e/lib.sh) by a row security policy; the table analyzed, so
# that cutover's estimate counts nothing. A lock would hold the read too, but earlier:
# the estimate takes the table's size under the same lock.
pg_pause_reads() {
    pg_sleep_once "$base/$1"
    pgq "$1" "GRANT SELECT ON ALL TABLES IN SCHEMA public TO cut_reader"
    pgq "$1" "ALTER TABLE $2 ENABLE ROW LEVEL SECURITY"
    pgq "$1" "CREATE POLICY cut_test_pause ON $2 FOR SELECT TO cut_reader USING (cut_test_sleep_once(id))"
    pgq "$1" "ANALYZE"
}
# Table $2 holds $3 committed rows.
pg_count_is() { pg_wait "$base/$1" "(SELECT count(*) FROM $2) = $3"; }
my_count_is() { [ "$(myv "$1" "SELECT count(*) FROM $2")" = "$3" ]; }
# The lock of section 7 is held; a read of table $1 waits for it.
my_holding() {
    [ "$(myv information_schema "SELECT count(*) FROM PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(600)%'")" -ge 1 ]
}
my_blocked() {
    [ "$(myv information_schema "SELECT count(*) FROM PROCESSLIST
        WHERE STATE LIKE 'Waiting for table metadata lock%' AND INFO LIKE 'SELECT%FROM \`$1\`%'")" -ge 1 ]
}

# The server's own fingerprint of a table: row count and md5 of its rows in key order.
pg_sum() { pgv "$1" "SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, '|' ORDER BY id)), '-') FROM $2 t"; }
my_sum() {
    myv "$1" "SELECT CONCAT(COUNT(*), ' ', COALESCE(MD5(GROUP_CONCAT(CONCAT_WS(',', $3) ORDER BY id SEPARATOR '|')), '-')) FROM $2"
}
my_members_cols="id, full_name, email, phone, birth_date, created_at, active, notes"
my_bookings_cols="id, member_id, gym, class, starts_at, status, price, channel"

# snap_rows FILE TABLE — the rows of TABLE in a snapshot, by its index.
snap_rows() { "$CUTOVER" inspect "$1" | awk -v t="$2" '$1 == t { print $2 }'; }

# reap OUTFILE WHAT — waits for $bg; the command must have exited 2.
reap() {
    wait_st "$bg"
    faults=$((faults + 1))
    echo "servers.sh: $2: exit $st" >&2
    if [ "$st" -ne 2 ]; then
        fail "$2: exit $st, wanted 2"
        sed 's/^/    | /' "$1" >&2
    fi
}
same() { # same WHAT BEFORE AFTER
    [ "$2" = "$3" ] || fail "$1: '$3', was '$2' before the fault"
}

# ------------------------------------------------------------------ data
"$CUTOVER_FIXTURE" gym --scale 10 --sqlite legacy.db >/dev/null 2>&1
export GYM_SOURCE=sqlite:$work/legacy.db
MEMBERS=49796 # loaded at SF=10 (204 test accounts filtered)
my -e "SET GLOBAL innodb_flush_log_at_trx_commit = 1"

# ------------------------------- 1. PG target stopped during the first table
section "1. PG target stopped during the first table"
pg_newdb t1
pg_pause "$base/t1" members
GYM_PG_TARGET=$base/t1 "$CUTOVER" migrate -q "$map_pg" >f1.out 2>&1 &
bg=$!
pg_paused "$base/t1" || fail "1: never saw the load of members"
pg_stop immediate
reap f1.out "1: PG stopped (immediate) while members loads"
expect f1.out "table members"
pg_start
same "1: members" "0 -" "$(pg_sum t1 members)"
same "1: bookings" "0 -" "$(pg_sum t1 bookings)"

# ------------------------ 2. PG target stopped (fast) during the second table
section "2. PG target stopped (fast) during the second table"
pg_newdb t2
pg_pause "$base/t2" bookings
GYM_PG_TARGET=$base/t2 "$CUTOVER" migrate -q "$map_pg" >f2.out 2>&1 &
bg=$!
pg_count_is t2 members $MEMBERS || fail "2: members never committed"
pg_paused "$base/t2" || fail "2: never saw the load of bookings"
pg_stop fast
reap f2.out "2: PG stopped (fast) while bookings loads"
expect f2.out "table bookings"
pg_start
pg_unpause "$base/t2" bookings
same "2: bookings" "0 -" "$(pg_sum t2 bookings)"
run 0 f2v.out env GYM_PG_TARGET="$base/t2" "$CUTOVER" verify -q --tables members "$map_pg"
expect f2v.out "Go: 1 table"

# ------------------------- 3. PG target stopped during cutover run's migrate
section "3. PG target stopped during cutover run's migrate"
# The target before the run: an earlier migration, since edited.
pg_newdb t3
run 0 f3m.out env GYM_PG_TARGET="$base/t3" "$CUTOVER" migrate -q "$map_pg"
pgq t3 "DELETE FROM bookings WHERE id % 3 = 0; UPDATE members SET notes = 'before' WHERE id % 7 = 0"
m3=$(pg_sum t3 members) b3=$(pg_sum t3 bookings)
cp "$map_pg" run3.yaml
pg_pause "$base/t3" members
GYM_PG_TARGET=$base/t3 "$CUTOVER" run -q run3.yaml >f3.out 2>&1 &
bg=$!
pg_paused "$base/t3" || fail "3: never saw the run's load of members"
pg_stop immediate
reap f3.out "3: PG stopped during cutover run"
expect f3.out "table members"
expect f3.out "Error, ROLLBACK FAILED"
# The report says where the run stopped, and claims no proof the restore never made.
expect f3.out "Error: migrate failed: table members: PostgreSQL: connection lost"
expect f3.out "restore      "
expect_not f3.out "= snapshot"
pg_start
pg_unpause "$base/t3" members
run 0 f3r.json "$CUTOVER" report --journal cutover.db --format json
expect f3r.json '"name": "migrate", "status": "failed"'
expect f3r.json '"name": "restore", "status": "failed"'
expect f3r.json '"detail": "PostgreSQL: cannot connect'
expect_not f3r.json '"matches_snapshot": true'
[ "$(pg_sum t3 members)" = "0 -" ] || [ "$(pg_sum t3 members)" = "$m3" ] ||
    fail "3: members neither as before the run nor as the truncate left it"
# The run's snapshot puts the target back as it was before the run.
run 0 f3s.out env GYM_PG_TARGET="$base/t3" "$CUTOVER" restore -q cutover-run-1.cutsnap --journal cutover.db
same "3: members after restore" "$m3" "$(pg_sum t3 members)"
same "3: bookings after restore" "$b3" "$(pg_sum t3 bookings)"

# ---------------------- 4. MariaDB target killed during LOAD DATA (2nd table)
section "4. MariaDB target killed during LOAD DATA (2nd table)"
my_newdb t4
my_slow t4 members
my_slow t4 bookings
"$CUTOVER" migrate -q "$map_sq" --target "$mybase/t4" >f4.out 2>&1 &
bg=$!
until_ my_count_is t4 members $MEMBERS || fail "4: members never committed"
until_ my_paused t4 bookings || fail "4: never saw the load of bookings"
my_kill
reap f4.out "4: mariadbd killed while bookings loads (LOAD DATA)"
expect f4.out "table bookings"
my_start
same "4: bookings" "0 -" "$(my_sum t4 bookings "$my_bookings_cols")"
run 0 f4v.out "$CUTOVER" verify -q --tables members "$map_sq" --target "$mybase/t4"
expect f4v.out "Go: 1 table"

# ----------------- 5. MariaDB target killed during the first table (INSERT)
section "5. MariaDB target killed during the first table (INSERT)"
my_newdb t5
my_slow t5 members
"$CUTOVER" migrate -q "$map_sq" --target "$mybase/t5?local_infile=0" >f5.out 2>&1 &
bg=$!
until_ my_paused t5 members || fail "5: never saw the load of members"
my_kill
reap f5.out "5: mariadbd killed while members loads (INSERT)"
expect f5.out "table members"
my_start
same "5: members" "0 -" "$(my_sum t5 members "$my_members_cols")"
same "5: bookings" "0 -" "$(my_sum t5 bookings "$my_bookings_cols")"

# ------------------------------ 6. PG source stopped in the middle of a scan
section "6. PG source stopped in the middle of a scan"
pg_newdb s6
run 0 f6m.out env GYM_PG_TARGET="$base/s6" "$CUTOVER" migrate -q "$map_pg"
"$CUTOVER_FIXTURE" sql --sqlite t6.db "$CUT_SRCDIR/fixtures/gym-target.sqlite.sql" >/dev/null
pgq postgres "CREATE ROLE cut_reader LOGIN"
pg_pause_reads s6 bookings
cat >pg-sqlite.yaml <<EOF
source: postgresql://cut_reader@127.0.0.1:$PG_PORT/s6
target: sqlite:$work/t6.db
tables:
  members: {}
  bookings: {}
EOF
"$CUTOVER" migrate -q pg-sqlite.yaml >f6.out 2>&1 &
bg=$!
# bookings is read once members is loaded (its rows reference members'): members is in.
pg_paused "$base/s6" || fail "6: never saw the scan of bookings"
pg_stop immediate
reap f6.out "6: PG source stopped during the scan of bookings"
expect f6.out "table bookings"
pg_start
run 0 f6s.out "$CUTOVER" snapshot -q "sqlite:$work/t6.db" -o t6.cutsnap
same "6: bookings in the SQLite target" 0 "$(snap_rows t6.cutsnap bookings)"
run 0 f6v.out "$CUTOVER" verify -q --tables members pg-sqlite.yaml
expect f6v.out "Go: 1 table"

# --------------------------- 7. MariaDB source killed in the middle of a scan
section "7. MariaDB source killed in the middle of a scan"
"$CUTOVER_FIXTURE" gym --scale 10 --tsv legacy-tsv >/dev/null 2>&1
my -e "CREATE DATABASE legacy"
my legacy <"$CUT_SRCDIR/fixtures/gym-legacy.mysql.sql"
my legacy -e "SET SESSION sql_mode = '';
  LOAD DATA LOCAL INFILE 'legacy-tsv/clients.tsv' INTO TABLE clients CHARACTER SET utf8mb4;
  LOAD DATA LOCAL INFILE 'legacy-tsv/bookings.tsv' INTO TABLE bookings CHARACTER SET utf8mb4;"
rm -rf legacy-tsv
pg_newdb t7
export GYM_MYSQL_SOURCE="$mybase/legacy"
my legacy -e "LOCK TABLES bookings WRITE; SELECT SLEEP(600)" >/dev/null 2>&1 &
holder=$!
bg=$holder
until_ my_holding || fail "7: the lock on bookings was not taken"
GYM_PG_TARGET=$base/t7 "$CUTOVER" migrate -q "$map_mp" >f7.out 2>&1 &
bg=$!
until_ my_blocked bookings || fail "7: never saw the scan of bookings"
pg_count_is t7 members $MEMBERS || fail "7: members never committed"
my_kill
wait $holder || true
reap f7.out "7: MariaDB source killed during the scan of bookings"
expect f7.out "table bookings"
same "7: bookings" "0 -" "$(pg_sum t7 bookings)"
my_start
run 0 f7v.out env GYM_PG_TARGET="$base/t7" "$CUTOVER" verify -q --tables members "$map_mp"
expect f7v.out "Go: 1 table"

# ----------------------------------- 8. PG target stopped during a restore
section "8. PG target stopped during a restore"
# t2 holds members and no bookings: snapshot it, change it, restore, stop.
run 0 f8s.out "$CUTOVER" snapshot -q "$base/t2" -o t2.cutsnap --tables members,bookings
run 0 f8m.out env GYM_PG_TARGET="$base/t2" "$CUTOVER" migrate -q --truncate "$map_pg"
m8=$(pg_sum t2 members) b8=$(pg_sum t2 bookings)
pg_pause "$base/t2" members
"$CUTOVER" restore -q t2.cutsnap >f8.out 2>&1 &
bg=$!
pg_paused "$base/t2" || fail "8: never saw the restore's load of members"
pg_stop immediate
reap f8.out "8: PG stopped during restore"
expect f8.out "members"
pg_start
pg_unpause "$base/t2" members
same "8: members" "$m8" "$(pg_sum t2 members)"
same "8: bookings" "$b8" "$(pg_sum t2 bookings)"

# ------------------------------------- 9. MariaDB killed during a restore
section "9. MariaDB killed during a restore"
# The snapshot holds both tables whole (169,796 rows to load: a window long enough to
# kill in); the state before the restore is an edited one, so that a restore that was
# not stopped would show.
run 0 f9m.out "$CUTOVER" migrate -q --truncate "$map_sq" --target "$mybase/t4"
run 0 f9s.out "$CUTOVER" snapshot -q "$mybase/t4" -o t4.cutsnap --tables members,bookings
my t4 -e "DELETE FROM bookings WHERE id % 2 = 0; UPDATE members SET notes = 'before' WHERE id % 7 = 0"
m9=$(my_sum t4 members "$my_members_cols") b9=$(my_sum t4 bookings "$my_bookings_cols")
"$CUTOVER" restore -q t4.cutsnap >f9.out 2>&1 &
bg=$!
# The restore's transaction first empties both tables (rows modified too), then loads.
until_ my_paused t4 members || fail "9: never saw the restore's load"
my_kill
reap f9.out "9: mariadbd killed during restore"
expect f9.out "members"
my_start
same "9: members" "$m9" "$(my_sum t4 members "$my_members_cols")"
same "9: bookings" "$b9" "$(my_sum t4 bookings "$my_bookings_cols")"

# --------------------------------------- 10. PG stopped during a snapshot
section "10. PG stopped during a snapshot"
printf 'an older snapshot\n' >t2-keep.cutsnap
cp t2-keep.cutsnap t2-keep.orig
pg_hold "$base/t2" bookings
"$CUTOVER" snapshot -q --force "$base/t2" -o t2-keep.cutsnap >f10.out 2>&1 &
bg=$!
pg_blocked "$base/t2" || fail "10: never saw the snapshot read bookings"
pg_stop immediate
wait $holder || true
reap f10.out "10: PG stopped during snapshot"
expect f10.out "bookings"
cmp -s t2-keep.cutsnap t2-keep.orig || fail "10: the snapshot file was replaced"
ls ./*.tmp-* >/dev/null 2>&1 && fail "10: a temporary snapshot file was left behind"
pg_start

# ----------------------------------------- 11. PG stopped during a verify
section "11. PG stopped during a verify"
# PostgreSQL as the source: verify's slow side (the target side of a table is read
# in a fraction of the time, too short to stop the server in). t6 lacks bookings:
# without the fault this verify ends No-Go (1), with it in error (2).
"$CUTOVER" verify -q pg-sqlite.yaml >f11.out 2>&1 &
bg=$!
pg_paused "$base/s6" || fail "11: never saw verify read bookings"
pg_stop immediate
reap f11.out "11: PG source stopped during verify"
expect f11.out "table bookings: PostgreSQL: connection lost"
grep -q '^Go:' f11.out && fail "11: verify says Go after losing its source"
grep -q '^No-Go:' f11.out && fail "11: verify gives a verdict (No-Go) it could not reach"
expect f11.out "No verdict: "
pg_start

# ------------- 12. PG target stopped while deferred constraints are rebuilt
section "12. PG target stopped while a deferred migrate rebuilds members' constraints"
# members loads in one transaction, held at row 5000; meanwhile a session takes SHARE
# UPDATE EXCLUSIVE on members (the load's COPY goes on beside it), so the VACUUM that
# opens members' rebuild, once it is loaded, waits for that session: the moment.
pg_newdb t12
pg_defs() { pgv t12 "SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint WHERE contype IN ('f', 'p', 'u') UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"; }
pg_defs >f12-defs0.txt
pg_pause "$base/t12" members
GYM_PG_TARGET=$base/t12 "$CUTOVER" migrate -q --defer-constraints --chunk-rows 0 --jobs 1 \
    "$map_pg" >f12.out 2>&1 &
bg=$!
pg_paused "$base/t12" || fail "12: never saw the load of members"
psql -X -q "$base/t12" -c "BEGIN" -c "LOCK TABLE members IN SHARE UPDATE EXCLUSIVE MODE" \
    -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
holder=$!
pg_wait "$base/t12" "EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
    AND query LIKE 'VACUUM%' AND wait_event_type = 'Lock')" ||
    fail "12: never saw members' rebuild wait"
pg_stop immediate
wait $holder || true
reap f12.out "12: PG stopped while members' constraints are rebuilt"
expect f12.out "table members: recreating the constraints of members (their definitions stay in gym-pg.rejects/members.constraints.sql)"
pg_start
pg_unpause "$base/t12" members
[ -s gym-pg.rejects/members.constraints.sql ] || fail "12: members' definitions are not kept"
[ "$(pgv t12 "SELECT count(*) FROM pg_constraint WHERE conname = 'members_pkey'")" = 0 ] ||
    fail "12: members_pkey should still be out"
run 0 f12c.out env GYM_PG_TARGET="$base/t12" "$CUTOVER" check "$map_pg"
expect f12c.out "constraints an interrupted migrate dropped"
run 0 f12m.out env GYM_PG_TARGET="$base/t12" "$CUTOVER" migrate -q --truncate --defer-constraints \
    "$map_pg"
pg_defs >f12-defs1.txt
cmp -s f12-defs0.txt f12-defs1.txt || { fail "12: constraints differ once the next migrate ran"; diff f12-defs0.txt f12-defs1.txt >&2 || true; }
run 0 f12v.out env GYM_PG_TARGET="$base/t12" "$CUTOVER" verify -q "$map_pg"
expect f12v.out "Go: 2 tables"

echo "servers.sh: $faults faults injected" >&2
# FAULTS_KEEP=DIR keeps every command's output for a look (docs/faults.md was written so).
[ -z "${FAULTS_KEEP:-}" ] || cp -r . "$FAULTS_KEEP"
finish
