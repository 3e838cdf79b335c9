#!/bin/sh
# Snapshots and verified restores on PostgreSQL and MariaDB targets, through the
# CLI, on the gym demo migrated into each: snapshot, inspect --verify, rows
# changed, restore, verify Go; one table alone; identity/serial/AUTO_INCREMENT
# counters past the restored keys; a damaged file refused with the data
# untouched; a snapshot taken from SQLite restored into PostgreSQL (digests are
# engine-independent); MariaDB zero dates named by verify, kept and put back. Runs itself under with-servers.sh (private servers).
if [ -z "${CUT_SERVERS_DIR:-}" ]; then
    exec "$CUT_SRCDIR/tests/integration/with-servers.sh" --pg --mysql -- sh "$0" "$@"
fi
. "$CUT_SRCDIR/tests/e2e/lib.sh"
set -e
make_gym 1
map_pg=$CUT_SRCDIR/mappings/gym-pg.yaml
map_my=$CUT_SRCDIR/mappings/gym-sqlite.yaml

size_of() { wc -c <"$1" | tr -d ' '; }
flip() { # flip FILE OFFSET
    v=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "\\$(printf %o $(((v + 1) % 256)))" | dd of="$1" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null
}

# ------------------------------------------------------------ PostgreSQL
pg() { psql -X -q -v ON_ERROR_STOP=1 "$PG_GYM" "$@"; }
pgv() { psql -X -A -t -v ON_ERROR_STOP=1 "$PG_GYM" -c "$1"; }
PG_GYM=$(echo "$PG_URL" | sed 's|/postgres$|/gym|')
PG_GYM2=$(echo "$PG_URL" | sed 's|/postgres$|/gym2|')
psql -X -q "$PG_URL" -c "CREATE DATABASE gym" -c "CREATE DATABASE gym2"
pg -f "$CUT_SRCDIR/fixtures/gym-target.pg.sql"
psql -X -q -v ON_ERROR_STOP=1 "$PG_GYM2" -f "$CUT_SRCDIR/fixtures/gym-target.pg.sql"
export GYM_PG_TARGET="$PG_GYM"
run 0 pm.out "$CUTOVER" migrate -q "$map_pg"
run 0 pv.out "$CUTOVER" verify -q "$map_pg"

run 0 ps.out "$CUTOVER" snapshot -q "$PG_GYM" -o pg.cutsnap
expect ps.out "wrote pg.cutsnap: 2 tables, 16974 rows"
run 0 pi.out "$CUTOVER" inspect --verify --schema pg.cutsnap
expect pi.out "(PostgreSQL)"
expect pi.out "verified: 2 tables, 16974 rows"
expect pi.out 'CREATE TABLE "public"."bookings"'

# Changed, deleted, added rows; the restore puts the snapshot back, Go again.
pg -c "UPDATE members SET email = 'x' WHERE id = 42" -c "DELETE FROM bookings WHERE id < 100" \
    -c "INSERT INTO members (full_name, created_at, active) VALUES ('new', now(), true)"
run 1 pv2.out "$CUTOVER" verify -q "$map_pg"
# Foreign keys and secondary indexes, which the restore drops for its load and rebuilds.
defs() {
    pgv "SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint WHERE contype IN ('f', 'p', 'u') UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
}
defs >defs0.txt
[ "$(grep -c 'FOREIGN KEY' defs0.txt)" -ge 1 ] || fail "the fixture schema should have a foreign key"
run 0 pr.out "$CUTOVER" restore -q pg.cutsnap
expect pr.out "restored 2 tables into postgresql://"
run 0 pv3.out "$CUTOVER" verify -q "$map_pg"
# The restore TRUNCATEs, so its COPY loads the rows frozen: every page all-visible (the
# key and index builds and the read-back check no row's visibility, and the foreign key
# is validated on index-only scans).
[ "$(pgv "SELECT bool_and(relallvisible = relpages AND relpages > 0) FROM pg_class WHERE relname IN ('members', 'bookings')")" = t ] ||
    fail "the restored tables are not all-visible: $(pgv "SELECT string_agg(relname || ' ' || relallvisible || '/' || relpages, ', ') FROM pg_class WHERE relname IN ('members', 'bookings')")"
defs >defs1.txt
cmp -s defs0.txt defs1.txt || { fail "constraints differ after a restore"; diff defs0.txt defs1.txt >&2 || true; }
# The identity and the serial sequence are past the restored keys.
[ "$(pgv "SELECT last_value FROM members_id_seq")" -ge "$(pgv "SELECT max(id) FROM members")" ] ||
    fail "members identity behind the keys"
[ "$(pgv "SELECT last_value FROM bookings_id_seq")" -ge "$(pgv "SELECT max(id) FROM bookings")" ] ||
    fail "bookings serial behind the keys"
pg -c "INSERT INTO bookings (member_id, gym, class, starts_at, status, channel) VALUES (1, 'BRU1', 'Yoga', now(), 'booked', 'phone')" ||
    fail "insert after restore: serial collides"
run 1 pv4.out "$CUTOVER" verify -q "$map_pg"

# One table alone.
run 0 pr1.out "$CUTOVER" restore -q pg.cutsnap --tables bookings
expect pr1.out "restored 1 table"
run 0 pv5.out "$CUTOVER" verify -q "$map_pg"

# Into another database, then verify that one.
run 0 pr2.out "$CUTOVER" restore -q pg.cutsnap --target "$PG_GYM2"
run 0 pv6.out "$CUTOVER" verify -q "$map_pg" --target "$PG_GYM2"
# members alone into gym2, whose bookings (not restored) are empty but keep their foreign
# key: the key it depends on stays in place through the load (only keys nothing depends
# on are dropped and added back), and both constraints are there afterwards.
g2() { psql -X -At -v ON_ERROR_STOP=1 "$PG_GYM2" -c "$1"; }
g2 "DELETE FROM bookings" >/dev/null
g2 "UPDATE members SET email = 'z' WHERE id = 44" >/dev/null
k0=$(g2 "SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), '; ' ORDER BY conname) FROM pg_constraint WHERE contype IN ('p', 'f', 'u')")
run 0 pr4.out "$CUTOVER" restore -q pg.cutsnap --tables members --target "$PG_GYM2"
expect pr4.out "restored 1 table"
[ "$(g2 "SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), '; ' ORDER BY conname) FROM pg_constraint WHERE contype IN ('p', 'f', 'u')")" = "$k0" ] ||
    fail "keys or foreign keys differ after restoring members alone"
run 0 pv9.out "$CUTOVER" verify -q --tables members "$map_pg" --target "$PG_GYM2"
expect pv9.out "Go: 1 table"

# Bookings restored alone over members that lost rows they reference: the rebuilt
# foreign key refuses them, and the rollback keeps the rows and the constraints as they were.
pg -c "DELETE FROM bookings WHERE member_id <= 10" -c "DELETE FROM members WHERE id <= 10"
left=$(pgv "SELECT count(*) FROM bookings")
run 2 pfk.out "$CUTOVER" restore -q pg.cutsnap --tables bookings
expect pfk.out "foreign key"
[ "$(pgv "SELECT count(*) FROM bookings")" = "$left" ] || fail "a failed restore changed bookings"
defs >defs2.txt
cmp -s defs0.txt defs2.txt || { fail "constraints differ after a failed restore"; diff defs0.txt defs2.txt >&2 || true; }
run 0 pr3.out "$CUTOVER" restore -q pg.cutsnap
run 0 pv8.out "$CUTOVER" verify -q "$map_pg"

# Keys are dropped for the load and added back after it: a snapshot with a duplicate key
# (of a table that had none) fails the key's rebuild, naming it, and the rollback keeps
# the target's rows and its key.
sql dupes.db "CREATE TABLE dupes (id INTEGER NOT NULL, v TEXT);
              INSERT INTO dupes VALUES (1, 'a'), (2, 'b'), (2, 'c'), (3, 'd');"
run 0 ds.out "$CUTOVER" snapshot -q "sqlite:$work/dupes.db" -o dupes.cutsnap
psql -X -q -v ON_ERROR_STOP=1 "$PG_GYM2" -c "CREATE TABLE dupes (id integer PRIMARY KEY, v text)" \
    -c "INSERT INTO dupes VALUES (7, 'kept')"
run 2 dr.out "$CUTOVER" restore -q dupes.cutsnap --target "$PG_GYM2"
expect dr.out "adding back a key dropped for the load"
expect dr.out "dupes_pkey"
[ "$(psql -X -At "$PG_GYM2" -c "SELECT id || v FROM dupes")" = "7kept" ] ||
    fail "a restore that failed on a duplicate key changed dupes"
[ "$(psql -X -At "$PG_GYM2" -c "SELECT count(*) FROM pg_constraint WHERE conname = 'dupes_pkey'")" = 1 ] ||
    fail "the primary key of dupes is gone after a failed restore"

# A row the target's own check refuses fails the restore, naming its key (the rows
# stream through one COPY, so the server names the row by its position), and rolls back.
sql checked.db "CREATE TABLE checked (id INTEGER PRIMARY KEY, qty INTEGER);
                INSERT INTO checked VALUES (1, 1), (2, 2), (3, -5), (4, 4);"
run 0 cs.out "$CUTOVER" snapshot -q "sqlite:$work/checked.db" -o checked.cutsnap
psql -X -q -v ON_ERROR_STOP=1 "$PG_GYM2" \
    -c "CREATE TABLE checked (id integer PRIMARY KEY, qty integer CHECK (qty >= 0))" \
    -c "INSERT INTO checked VALUES (9, 9)"
run 2 cr.out "$CUTOVER" restore -q checked.cutsnap --target "$PG_GYM2"
expect cr.out "the target refused a row id=3"
expect cr.out "row 3 of the rows loaded"
expect cr.out "checked_qty_check"
[ "$(psql -X -At "$PG_GYM2" -c "SELECT id || ':' || qty FROM checked")" = "9:9" ] ||
    fail "a restore refused by a check constraint changed checked"

# A restore that fails after setting the counters (a trigger changes a row as it is
# loaded, so its read-back differs) leaves each counter at or past where it was, never
# below the keys the rollback keeps: setval is not undone by a rollback.
psql -X -q -v ON_ERROR_STOP=1 "$PG_GYM2" -c "CREATE TABLE seqd (id serial PRIMARY KEY, v text)" \
    -c "INSERT INTO seqd (v) VALUES ('a'), ('b')"
run 0 qs.out "$CUTOVER" snapshot -q "$PG_GYM2" --tables seqd -o seqd.cutsnap
psql -X -q -v ON_ERROR_STOP=1 "$PG_GYM2" -c "INSERT INTO seqd (v) SELECT 'x' FROM generate_series(1, 100)" \
    -c "CREATE FUNCTION seqd_tamper() RETURNS trigger LANGUAGE plpgsql AS
        \$\$ BEGIN NEW.v := 'tampered'; RETURN NEW; END \$\$" \
    -c "CREATE TRIGGER seqd_tamper BEFORE INSERT ON seqd FOR EACH ROW EXECUTE FUNCTION seqd_tamper()"
run 1 qr.out "$CUTOVER" restore -q seqd.cutsnap --target "$PG_GYM2"
expect qr.out "digest differs"
[ "$(psql -X -At "$PG_GYM2" -c "SELECT last_value >= 102 AND (SELECT count(*) FROM seqd) = 102 FROM seqd_id_seq")" = t ] ||
    fail "a failed restore moved seqd_id_seq below the keys it kept: $(psql -X -At "$PG_GYM2" -c "SELECT last_value FROM seqd_id_seq")"
psql -X -q -v ON_ERROR_STOP=1 "$PG_GYM2" -c "DROP TRIGGER seqd_tamper ON seqd" \
    -c "INSERT INTO seqd (v) VALUES ('after')" || fail "insert after a failed restore: serial collides"

# A damaged frame: exit 1, nothing written.
pg -c "UPDATE members SET email = 'y' WHERE id = 43"
cp pg.cutsnap bad.cutsnap
flip bad.cutsnap $(($(size_of bad.cutsnap) / 2))
run 1 pb.out "$CUTOVER" restore -q bad.cutsnap
expect pb.out "checksum mismatch"
[ "$(pgv "SELECT email FROM members WHERE id = 43")" = y ] || fail "a refused restore wrote to PostgreSQL"

# A snapshot of the SQLite target restores into PostgreSQL: the same digests.
run 0 sm.out "$CUTOVER" migrate -q "$map_my"
run 0 ss.out "$CUTOVER" snapshot -q "$GYM_TARGET" -o sqlite.cutsnap
run 0 px.out "$CUTOVER" restore -q sqlite.cutsnap --target "$PG_GYM"
run 0 pv7.out "$CUTOVER" verify -q "$map_pg"
[ "$(awk '$1 == "members" { print $3 }' px.out)" = "$(awk '$1 == "members" { print $NF }' ss.out)" ] ||
    fail "SQLite and PostgreSQL digests differ"

# ---------------------------------------------------------------- MariaDB
my() { mariadb --no-defaults -uroot -h 127.0.0.1 -P "$MYSQL_PORT" -N -B "$@"; }
my -e "CREATE DATABASE gym"
my gym <<'EOF'
CREATE TABLE members (
  id int AUTO_INCREMENT PRIMARY KEY, full_name text NOT NULL, email varchar(254),
  phone varchar(20), birth_date date, created_at datetime(6) NOT NULL,
  active boolean NOT NULL, notes text) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE bookings (
  id bigint AUTO_INCREMENT PRIMARY KEY, member_id int NOT NULL REFERENCES members (id),
  gym char(4) NOT NULL, class varchar(40) NOT NULL, starts_at datetime(6) NOT NULL,
  status varchar(12) NOT NULL, price decimal(8,2), channel varchar(8) NOT NULL,
  FOREIGN KEY (member_id) REFERENCES members (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
EOF
MY_GYM=$(echo "$MYSQL_URL" | sed 's|/test$|/gym|')
run 0 mm.out "$CUTOVER" migrate -q "$map_my" --target "$MY_GYM"
run 0 mv.out "$CUTOVER" verify -q "$map_my" --target "$MY_GYM"
# A view is not a table: a snapshot of the database holds the two tables alone.
my gym -e "CREATE VIEW member_emails AS SELECT id, email FROM members"
run 0 ms.out "$CUTOVER" snapshot -q "$MY_GYM" -o my.cutsnap
expect ms.out "wrote my.cutsnap: 2 tables"
run 0 mi.out "$CUTOVER" inspect --verify my.cutsnap
expect mi.out "(MariaDB/MySQL)"
my gym -e "UPDATE members SET email = 'x' WHERE id = 42; DELETE FROM bookings WHERE id < 100;
           INSERT INTO members (full_name, created_at, active) VALUES ('new', now(), 1)"
run 1 mv2.out "$CUTOVER" verify -q "$map_my" --target "$MY_GYM"
run 0 mr.out "$CUTOVER" restore -q my.cutsnap
expect mr.out "restored 2 tables into mysql://"
run 0 mv3.out "$CUTOVER" verify -q "$map_my" --target "$MY_GYM"
my gym -e "INSERT INTO members (full_name, created_at, active) VALUES ('after', now(), 1)" ||
    fail "insert after restore: AUTO_INCREMENT collides"
run 0 mr1.out "$CUTOVER" restore -q my.cutsnap --tables bookings
expect mr1.out "restored 1 table"
my gym -e "DELETE FROM members WHERE full_name = 'after'"
run 0 mv4.out "$CUTOVER" verify -q "$map_my" --target "$MY_GYM"
cp my.cutsnap bad.cutsnap
flip bad.cutsnap $(($(size_of bad.cutsnap) - 70))
my gym -e "UPDATE members SET email = 'y' WHERE id = 43"
run 1 mb.out "$CUTOVER" restore -q bad.cutsnap
[ "$(my gym -e "SELECT email FROM members WHERE id = 43")" = y ] || fail "a refused restore wrote to MariaDB"
# Zero dates left in the target (the legacy app's habit) are values: verify names them,
# a snapshot keeps them, and its restore puts them back as they were (not NULL).
my gym -e "SET SESSION sql_mode = ''; UPDATE members SET birth_date = '0000-00-00' WHERE id = 44;
           UPDATE members SET birth_date = '1990-05-00' WHERE id = 45"
run 1 mvz.out "$CUTOVER" verify -q "$map_my" --target "$MY_GYM"
expect mvz.out "target has '0000-00-00'"
expect mvz.out "target has '1990-05-00'"
run 0 msz.out "$CUTOVER" snapshot -q "$MY_GYM" -o zero.cutsnap
my gym -e "UPDATE members SET birth_date = NULL WHERE id IN (44, 45)"
run 0 mrz.out "$CUTOVER" restore -q zero.cutsnap
[ "$(my gym -e "SELECT GROUP_CONCAT(birth_date ORDER BY id) FROM members WHERE id IN (44, 45)")" = \
    "0000-00-00,1990-05-00" ] || fail "the restore did not put the zero dates back"
finish
