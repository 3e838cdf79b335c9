#!/bin/sh
# mysql.sh — the MariaDB/MySQL driver against private servers (make check).
#
# Starts a throwaway MariaDB and PostgreSQL with with-servers.sh (a server that
# cannot start fails the test), then inside them:
#   1. the cmocka program test_mysql (URLs, types, scans, both load paths, rejects...);
#   2. the gym legacy data in MariaDB (cutover-fixture --tsv + LOAD DATA, zero dates
#      and all) → PostgreSQL: Go, 5,000 clients accounted for, the zero dates that
#      became NULL reported; under zero_dates: reject they are rejected and counted;
#   3. Chinook: Chinook_MySql.sql in MariaDB → the PostgreSQL schema of
#      Chinook_PostgreSql.sql: Go; and that result against the official PostgreSQL
#      data: Go (the one known difference between the editions named);
#   4. Sakila → PostgreSQL: every table Go; mapping the GEOMETRY column is refused by
#      `check` and `migrate`, by table and column, before anything is written;
#   5. tamper tests with MariaDB as the target, from SQLite and from PostgreSQL:
#      changed, missing, extra, and rejected rows (by cutover and by the server) with
#      counts adding up; the same through the INSERT path (local_infile=0); a load
#      that keeps timing out on a lock fails after 4 attempts, naming table and lock;
#   6. passwords (URL or MYSQL_PWD) never shown, whatever fails.
set -eu
: "${CUT_SRCDIR:?run through make check}"
: "${CUT_BUILDDIR:?run through make check}"

if [ "${1:-}" != --inside ]; then
    exec "$CUT_SRCDIR/tests/integration/with-servers.sh" --mysql --pg -- \
        sh "$CUT_SRCDIR/tests/integration/mysql.sh" --inside
fi

. "$CUT_SRCDIR/tests/e2e/lib.sh"
set -e

my() { mariadb --no-defaults -uroot -h127.0.0.1 -P"$MYSQL_PORT" --local-infile=1 "$@"; }
myval() { # myval DB SQL — one value
    my -N -B "$1" -e "$2"
}
mybase=mysql://root@127.0.0.1:$MYSQL_PORT
base=${PG_URL%/*} # postgresql://cutover@127.0.0.1:PORT
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
createdb_() { q "$PG_URL" -c "CREATE DATABASE \"$1\""; }
val() { # val DB SQL — one value
    psql -X -At -v ON_ERROR_STOP=1 "$base/$1" -c "$2"
}

# ------------------------------------------------------------ 1. cmocka
if ! "$CUT_BUILDDIR/tests/integration/test_mysql" >test_mysql.out 2>&1; then
    fail "test_mysql"
    sed 's/^/    | /' test_mysql.out >&2
fi

# ------------------------------------------- 2. gym legacy MariaDB → PostgreSQL
# The legacy database as the old application left it: loaded with a permissive
# sql_mode so that '0000-00-00' birth dates are stored.
"$CUTOVER_FIXTURE" gym --scale 1 --tsv legacy-tsv >/dev/null
my -e "CREATE DATABASE legacy"
my legacy <"$CUT_SRCDIR/fixtures/gym-legacy.mysql.sql"
my legacy -e "SET SESSION sql_mode = '';
  LOAD DATA LOCAL INFILE 'legacy-tsv/clients.tsv' INTO TABLE clients CHARACTER SET utf8mb4;
  LOAD DATA LOCAL INFILE 'legacy-tsv/bookings.tsv' INTO TABLE bookings CHARACTER SET utf8mb4;"
# LOAD DATA read the COPY text exactly as cutover-fixture documents it (SF=1 counts).
[ "$(myval legacy "SELECT CONCAT_WS(' ', COUNT(*), SUM(birth_date = '0000-00-00'),
      SUM(birth_date IS NULL), SUM(notes IS NULL), SUM(notes = '\\\\N'), SUM(notes = 'NULL'),
      SUM(notes LIKE '%\t%'), SUM(notes LIKE '%\r\n%')) FROM clients")" = "5000 50 149 2970 57 60 209 196" ] ||
    fail "legacy clients not loaded as generated"
[ "$(myval legacy "SELECT COUNT(*) FROM bookings")" -eq 12000 ] || fail "legacy bookings"

createdb_ gym
q "$base/gym" -f "$CUT_SRCDIR/fixtures/gym-target.pg.sql"
export GYM_MYSQL_SOURCE="$mybase/legacy" GYM_PG_TARGET="$base/gym"
map=$CUT_SRCDIR/mappings/gym-mysql-pg.yaml
run 0 check.out "$CUTOVER" check "$map"
expect check.out "OK: 2 tables ready to migrate"
run 0 migrate.out "$CUTOVER" migrate -q "$map"
expect migrate.out "members: 50 zero dates ('0000-00-00') became NULL"
run 0 verify.out "$CUTOVER" verify -q "$map" --json verify.json
expect verify.out "Go: 2 tables"
expect verify.out "members: 50 zero dates ('0000-00-00') became NULL"
expect verify.json '"verdict": "go"'
expect verify.json '"zero_dates": 50'
set -- $(row_of verify.out members)
[ "$1" -eq 5000 ] && [ $(($2 + $3 + $4)) -eq 5000 ] && [ "$2" -eq 26 ] && [ "$3" -eq 0 ] &&
    [ "$4" -eq 4974 ] && [ "$5" -eq 4974 ] && [ "$6" = equal ] || fail "members: $*"
set -- $(row_of verify.out bookings)
[ "$1" -eq 12000 ] && [ "$4" -eq 12000 ] && [ "$5" -eq 12000 ] && [ "$6" = equal ] ||
    fail "bookings: $*"
[ "$(val gym 'SELECT count(*) FROM members WHERE birth_date IS NULL')" -eq \
  "$(myval legacy "SELECT COUNT(*) FROM clients WHERE last_name <> 'TEST'
                   AND (birth_date IS NULL OR birth_date = '0000-00-00')")" ] ||
    fail "members: NULL and zero birth dates should both be NULL"
# Notes with tabs, CRLF, backslashes and the literal \N arrived intact.
[ "$(val gym "SELECT count(*) FROM members WHERE notes = E'\\\\N'")" -eq 57 ] || fail "notes '\\N'"
[ "$(val gym "SELECT count(*) FROM members WHERE notes LIKE E'%\\r\\n%'")" -gt 150 ] || fail "CRLF notes"
# The source was only read.
[ "$(myval legacy "SELECT COUNT(*) FROM clients WHERE birth_date = '0000-00-00'")" -eq 50 ] ||
    fail "the source changed"

# zero_dates: reject — every zero date is a counted reject, and the counts still add up
# (the bookings of those clients are then refused by the foreign key: rejects too).
sed 's/^  zero_dates: null /  zero_dates: reject /; s/^  max_rejects: 0 /  max_rejects: 500 /' \
    "$map" >gym-zero-reject.yaml
grep -q 'zero_dates: reject' gym-zero-reject.yaml || fail "could not derive the reject mapping"
run 0 mz.out "$CUTOVER" migrate -q --truncate gym-zero-reject.yaml
run 0 vz.out "$CUTOVER" verify -q gym-zero-reject.yaml
set -- $(row_of vz.out members)
[ "$1" -eq 5000 ] && [ "$2" -eq 26 ] && [ "$3" -eq 50 ] && [ "$4" -eq 4924 ] && [ "$5" -eq 4924 ] &&
    [ "$6" = equal ] || fail "members under zero_dates: reject: $*"
expect gym-zero-reject.rejects/members.rejects.jsonl "zero date '0000-00-00'"
[ "$(grep -c '"column":"birth_date"' gym-zero-reject.rejects/members.rejects.jsonl)" -eq 50 ] ||
    fail "50 zero-date rejects expected"
set -- $(row_of vz.out bookings)
[ "$1" -eq 12000 ] && [ "$3" -gt 0 ] && [ $(($3 + $4)) -eq 12000 ] && [ "$4" -eq "$5" ] &&
    [ "$6" = equal ] || fail "bookings under zero_dates: reject: $*"
[ "$(grep -c 'violates foreign key constraint' gym-zero-reject.rejects/bookings.rejects.jsonl)" -eq "$3" ] ||
    fail "bookings rejects should all be foreign key refusals"
run 0 m-back.out "$CUTOVER" migrate -q --truncate "$map"

# ------------------------------------------------------------- 3. Chinook
ch=$CUT_SRCDIR/fixtures/chinook
# The MySQL script's strings hold literal backslashes ('Rom) \ I Pini'): loaded with
# NO_BACKSLASH_ESCAPES, as the PostgreSQL and SQLite editions read them.
{ echo "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES');"; cat "$ch/Chinook_MySql.sql"; } | my
# The target: the DDL part of the PostgreSQL script (no INSERT, no database switch).
awk '/^INSERT INTO/ { skip = 1 }
     skip { if ($0 ~ /\);[[:space:]]*$/) skip = 0; next }
     /^(DROP|CREATE) DATABASE/ || /^\\c/ { next }
     { print }' "$ch/Chinook_PostgreSql.sql" >chinook-ddl.sql
grep -q INSERT chinook-ddl.sql && fail "chinook DDL still has INSERTs"
createdb_ chinook_from_mysql
q "$base/chinook_from_mysql" -f chinook-ddl.sql
export CHINOOK_MYSQL="$mybase/Chinook" CHINOOK_PG="$base/chinook_from_mysql"
run 0 ch-check.out "$CUTOVER" check "$CUT_SRCDIR/mappings/chinook-mysql-pg.yaml"
run 0 ch-migrate.out "$CUTOVER" migrate -q "$CUT_SRCDIR/mappings/chinook-mysql-pg.yaml"
run 0 ch-verify.out "$CUTOVER" verify -q "$CUT_SRCDIR/mappings/chinook-mysql-pg.yaml"
expect ch-verify.out "Go: 11 tables, 15607 rows verified, digests equal"
# Against the official PostgreSQL edition, loaded whole into another database.
q "$PG_URL" -f "$ch/Chinook_PostgreSql.sql" >/dev/null 2>&1 || fail "loading Chinook_PostgreSql.sql"
export CHINOOK_PG_OFFICIAL="$base/chinook"
run 0 ch-official.out "$CUTOVER" verify -q "$CUT_SRCDIR/mappings/chinook-mysql-pg-official.yaml"
expect ch-official.out "Go: 11 tables, 15607 rows verified, digests equal"
# Without the trailing-blank rule, exactly the known edition difference shows:
# 'Edinburgh ' (MySQL, like SQLite) vs 'Edinburgh' (PostgreSQL's N'...' is char(n)).
run 1 ch-raw.out env CHINOOK_PG_SOURCE="$base/chinook" CHINOOK_PG_TARGET="$base/chinook_from_mysql" \
    "$CUTOVER" verify -q "$CUT_SRCDIR/mappings/chinook-pg-pg.yaml"
expect ch-raw.out "customer: 1 difference (0 missing, 0 extra, 1 changed)"
expect ch-raw.out "city: expected 'Edinburgh', target has 'Edinburgh '"
expect ch-raw.out "invoice: 7 differences (0 missing, 0 extra, 7 changed)"
expect ch-raw.out "No-Go: 2 of 11 tables failed verification"

# -------------------------------------------------------------- 4. Sakila
sk=$CUT_SRCDIR/fixtures/sakila
# MariaDB skips MySQL 5.7 executable comments (/*!50705 ... */): uncommented, so that
# address.location exists as a GEOMETRY, as on MySQL 5.7+.
sed 's|/\*!50705 \(.*\)\*/|\1|' "$sk/sakila-mv-schema.sql" | my
sed 's|/\*!50705 \(0x[0-9A-F]*,\)\*/|\1|' "$sk/sakila-mv-data.sql" | my
[ "$(myval sakila "SELECT COUNT(*) FROM address WHERE location IS NOT NULL")" -eq 603 ] ||
    fail "sakila address.location not loaded"
createdb_ sakila
q "$base/sakila" -f "$sk/sakila-target.pg.sql"
export SAKILA_MYSQL="$mybase/sakila" SAKILA_PG="$base/sakila"
smap=$CUT_SRCDIR/mappings/sakila-mysql-pg.yaml
# Mapping the GEOMETRY column: refused by name, before anything is written.
sed 's/^      phone: phone$/      phone: phone\n      location: location/' "$smap" >sakila-geo.yaml
run 2 sk-geo-check.out "$CUTOVER" check sakila-geo.yaml
expect sk-geo-check.out "table address, column location: source column address.location has type geometry, which cutover cannot read"
run 2 sk-geo-migrate.out "$CUTOVER" migrate sakila-geo.yaml
expect sk-geo-migrate.out "address.location has type geometry"
[ "$(val sakila "SELECT (SELECT count(*) FROM actor) + (SELECT count(*) FROM address) + (SELECT count(*) FROM country)")" -eq 0 ] ||
    fail "sakila: a refused mapping wrote rows"
# The shipped mapping leaves location out: every table migrates with a Go.
run 0 sk-check.out "$CUTOVER" check "$smap"
expect sk-check.out "OK: 16 tables ready to migrate"
run 0 sk-migrate.out "$CUTOVER" migrate -q "$smap"
run 0 sk-verify.out "$CUTOVER" verify -q "$smap"
expect sk-verify.out "Go: 16 tables, 47273 rows verified, digests equal"
q "$base/sakila" -c "ALTER TABLE store ADD CONSTRAINT fk_store_staff FOREIGN KEY (manager_staff_id)
                     REFERENCES staff (staff_id)"
# ENUM, SET, YEAR, BLOB and BOOLEAN arrived as the types they were translated to.
[ "$(val sakila "SELECT count(*) FROM film WHERE rating = 'NC-17' AND special_features LIKE '%,%'
                 AND release_year = 2006")" -gt 0 ] || fail "sakila film ENUM/SET/YEAR"
[ "$(val sakila "SELECT count(*) FROM customer WHERE NOT active")" -eq \
  "$(myval sakila "SELECT COUNT(*) FROM customer WHERE active = 0")" ] || fail "sakila BOOLEAN"
[ "$(val sakila "SELECT coalesce(sum(length(picture)), 0) FROM staff")" -eq \
  "$(myval sakila "SELECT COALESCE(SUM(LENGTH(picture)), 0) FROM staff")" ] || fail "sakila BLOB"

# ---------------------------------------------- 5. tamper tests, MariaDB target
# tamper SOURCE_KIND MAPPING — changed, missing, extra against the MariaDB gym.
tamper() {
    kind=$1 m=$2
    run 0 t-$kind-m.out "$CUTOVER" migrate -q --truncate "$m"
    run 0 t-$kind-v.out "$CUTOVER" verify -q "$m"
    # 1. changed value
    my gym -e "UPDATE members SET email = 'x' WHERE id = 42"
    run 1 t-$kind-changed.out "$CUTOVER" verify -q "$m" --json t-$kind-changed.json
    expect t-$kind-changed.out "No-Go"
    expect t-$kind-changed.out "changed  id=42"
    expect t-$kind-changed.out "email: expected '"
    expect t-$kind-changed.out "target has 'x'"
    expect t-$kind-changed.json '"kind": "changed", "key": "id=42"'
    expect t-$kind-changed.json '"column": "email"'
    # 2. missing row, 3. extra row
    run 0 t-$kind-m2.out "$CUTOVER" migrate -q --truncate "$m"
    my gym -e "DELETE FROM bookings WHERE id = 7"
    run 1 t-$kind-missing.out "$CUTOVER" verify -q "$m"
    expect t-$kind-missing.out "missing  id=7"
    expect t-$kind-missing.out "1 difference (1 missing, 0 extra, 0 changed)"
    my gym -e "INSERT INTO bookings VALUES (999999, 42, 'BRU1', 'Yoga', '2024-01-01 10:00:00', 'booked', 12.5, 'phone')"
    run 1 t-$kind-extra.out "$CUTOVER" verify -q "$m"
    expect t-$kind-extra.out "extra    id=999999"
    expect t-$kind-extra.out "missing  id=7"
}

my -e "CREATE DATABASE gym"
my gym <"$CUT_SRCDIR/fixtures/gym-target.mysql.sql"

# 5a. SQLite → MariaDB, with the SQLite demo's own mapping.
make_gym 1
export GYM_TARGET="$mybase/gym"
smap2=$CUT_SRCDIR/mappings/gym-sqlite.yaml
run 0 t-sqlite-check.out "$CUTOVER" check "$smap2"
tamper sqlite "$smap2"
# AUTO_INCREMENT continues after the migrated keys.
my gym -e "INSERT INTO members (full_name, created_at, active) VALUES ('New', NOW(), 1)"
[ "$(myval gym "SELECT MAX(id) FROM members")" -eq 5001 ] || fail "members AUTO_INCREMENT"
my gym -e "DELETE FROM members WHERE id = 5001"
# A value cutover cannot convert ('12,50') and one the server refuses (CHECK on status).
sql gym-legacy.db "UPDATE bookings SET price = '12,50' WHERE id = 5; UPDATE bookings SET status = 'lost' WHERE id = 9;"
run 0 t-sqlite-rej.out "$CUTOVER" migrate -q --truncate "$smap2"
expect t-sqlite-rej.out "bookings: 2 rejected rows written to gym-sqlite.rejects/bookings.rejects.jsonl"
rej=gym-sqlite.rejects/bookings.rejects.jsonl
expect $rej '"key":"id=5"'
expect $rej '"column":"price","value":"12,50"'
expect $rej '"stage":"load","key":"id=9"'
expect $rej 'MariaDB refused the row: CONSTRAINT `bookings.status` failed'
run 1 t-sqlite-v4.out "$CUTOVER" verify -q "$smap2"
set -- $(row_of t-sqlite-v4.out bookings)
[ "$1" -eq 12000 ] && [ "$3" -eq 2 ] && [ "$4" -eq 11998 ] && [ "$5" -eq 11998 ] &&
    [ "$6" = equal ] || fail "SQLite → MariaDB bookings with two rejects: $*"
expect t-sqlite-v4.out "rejected rows exceed max_rejects"
sed 's/max_rejects: 0 /max_rejects: 2 /' "$smap2" >allow2.yaml
run 0 t-sqlite-v5.out "$CUTOVER" verify -q allow2.yaml --rejects gym-sqlite.rejects
# Chunked and parallel into MariaDB: each chunk empties its key range and loads in a
# transaction of its own; the two rejected rows land in their chunks' reject files and
# the counts still add up.
run 0 t-sqlite-chunks.out "$CUTOVER" -v migrate --truncate --chunk-rows 2500 --jobs 2 "$smap2"
expect t-sqlite-chunks.out "bookings: 2 rejected rows"
# 12,000 rows in chunks of 2,500 would be 5: 6, so that the last round keeps both workers busy.
expect t-sqlite-chunks.out "bookings: 6 chunks of about 2000 rows (key id, 1 to 12000, 2 workers)"
run 0 t-sqlite-v6.out "$CUTOVER" verify -q allow2.yaml --rejects gym-sqlite.rejects
set -- $(row_of t-sqlite-v6.out bookings)
[ "$1" -eq 12000 ] && [ "$3" -eq 2 ] && [ "$4" -eq 11998 ] && [ "$5" -eq 11998 ] &&
    [ "$6" = equal ] || fail "SQLite → MariaDB in chunks, bookings: $*"

# 5b. PostgreSQL (the gym migrated in step 2) → MariaDB.
export GYM_PG_SOURCE="$base/gym" GYM_MYSQL_TARGET="$mybase/gym"
pmap=$CUT_SRCDIR/mappings/gym-pg-mysql.yaml
tamper pg "$pmap"
# A 4-byte character bound for a utf8mb3 column (refused by cutover, before the load)
# and a character an ASCII column cannot hold (refused by the server): counts add up.
my gym -e "ALTER TABLE members MODIFY email VARCHAR(254) CHARACTER SET utf8mb3 COLLATE utf8mb3_bin"
q "$base/gym" -c "UPDATE members SET email = 'muscle💪@gym.example' WHERE id = 11;
                  UPDATE members SET phone = '+32 470 ☎' WHERE id = 12"
run 0 t-pg-rej.out "$CUTOVER" migrate -q --truncate "$pmap"
expect t-pg-rej.out "members: 2 rejected rows written to gym-pg-mysql.rejects/members.rejects.jsonl"
rej=gym-pg-mysql.rejects/members.rejects.jsonl
expect $rej '"stage":"target","key":"id=11","line":'
expect $rej '4-byte UTF-8 character U+1F4AA not allowed in a 3-byte utf8 column'
expect $rej '"stage":"load","key":"id=12"'
expect $rej 'MariaDB refused the row: Incorrect string value'
run 1 t-pg-v4.out "$CUTOVER" verify -q "$pmap"
set -- $(row_of t-pg-v4.out members)
[ "$1" -eq 4974 ] && [ "$3" -eq 2 ] && [ "$4" -eq 4972 ] && [ "$5" -eq 4972 ] &&
    [ "$6" = equal ] || fail "PG → MariaDB members with two rejects: $*"
set -- $(row_of t-pg-v4.out bookings)   # the bookings of members 11 and 12: refused (FK)
[ "$1" -eq 12000 ] && [ $(($3 + $4)) -eq 12000 ] && [ "$4" -eq "$5" ] && [ "$6" = equal ] ||
    fail "PG → MariaDB bookings: $*"
b_rej=$3
# The same through the INSERT path: the same rows loaded, the same two refused.
export GYM_MYSQL_TARGET="$mybase/gym?local_infile=0"
run 0 t-pg-ins.out "$CUTOVER" migrate -q --truncate "$pmap"
expect t-pg-ins.out "members: 2 rejected rows"
run 1 t-pg-ins-v.out "$CUTOVER" verify -q "$pmap"
set -- $(row_of t-pg-ins-v.out members)
[ "$3" -eq 2 ] && [ "$4" -eq 4972 ] && [ "$5" -eq 4972 ] && [ "$6" = equal ] ||
    fail "INSERT path members: $*"
set -- $(row_of t-pg-ins-v.out bookings)
[ "$3" -eq "$b_rej" ] && [ $(($3 + $4)) -eq 12000 ] && [ "$4" -eq "$5" ] && [ "$6" = equal ] ||
    fail "INSERT path bookings: $*"
export GYM_MYSQL_TARGET="$mybase/gym"

# 5c. A lock that is never let go: another session holds booking 100 (inserted, not
#     committed) and locks wait 1 s. members loads and commits (its AUTO_INCREMENT is
#     already past its keys: no ALTER TABLE, which would wait for that session); the
#     load of bookings times out, is loaded again three times, and fails naming the
#     table and the lock; bookings stays empty.
my gym -e "DELETE FROM bookings; DELETE FROM members"
my -e "SET GLOBAL innodb_lock_wait_timeout = 1"
rm -f hold.fifo
mkfifo hold.fifo
my -n gym <hold.fifo >hold.out 2>&1 &
holder=$!
exec 3>hold.fifo
echo "SET foreign_key_checks = 0; START TRANSACTION;
      INSERT INTO bookings VALUES (100, 42, 'BRU1', 'Yoga', '2024-01-01 10:00:00', 'booked', 1, 'phone');
      SELECT 'held';" >&3
i=0
until grep -q held hold.out; do
    i=$((i + 1))
    [ "$i" -lt 200 ] || { fail "the session never held booking 100"; break; }
    sleep 0.05
done
run 2 t-lock.out "$CUTOVER" migrate -j1 "$smap2"
echo "ROLLBACK;" >&3
exec 3>&-
wait $holder || fail "the session holding booking 100 failed: $(cat hold.out)"
my -e "SET GLOBAL innodb_lock_wait_timeout = 50"
expect t-lock.out "loading it again (attempt 2 of 4)"
expect t-lock.out "loading it again (attempt 4 of 4)"
expect t-lock.out "table bookings"
expect t-lock.out "Lock wait timeout exceeded"
expect_not t-lock.out "members: table members"
[ "$(myval gym "SELECT COUNT(*) FROM members")" -eq 4974 ] || fail "members should stay committed"
[ "$(myval gym "SELECT COUNT(*) FROM bookings")" -eq 0 ] || fail "bookings kept rows of a failed load"

# ------------------------------------------------------ 6. passwords hidden
secret=Sup3rS3cretMy
my -e "CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY '$secret';
       GRANT SELECT ON legacy.* TO 'app'@'127.0.0.1'"
export GYM_MYSQL_SOURCE="mysql://app:$secret@127.0.0.1:$MYSQL_PORT/legacy" GYM_PG_TARGET="$base/gym"
run 0 pw1.out "$CUTOVER" check "$map"
expect pw1.out "mysql://app:***@127.0.0.1:$MYSQL_PORT/legacy"
run 0 pw2.out "$CUTOVER" migrate --truncate "$map"
run 0 pw3.out "$CUTOVER" verify "$map" --json pw3.json
export GYM_MYSQL_SOURCE="mysql://app:wrong$secret@127.0.0.1:$MYSQL_PORT/legacy"
run 2 pw4.out "$CUTOVER" migrate "$map"
expect pw4.out "cannot connect to mysql://app:***@127.0.0.1:$MYSQL_PORT/legacy"
expect pw4.out "Access denied for user 'app'"
# MYSQL_PWD when the URL has none.
export GYM_MYSQL_SOURCE="mysql://app@127.0.0.1:$MYSQL_PORT/legacy"
run 0 pw5.out env MYSQL_PWD="$secret" "$CUTOVER" check "$map"
run 2 pw6.out env MYSQL_PWD="wrong$secret" "$CUTOVER" check "$map"
expect pw6.out "Access denied"
if grep -rl "$secret" . >leaks.txt 2>/dev/null; then
    fail "the password appears in: $(tr '\n' ' ' <leaks.txt)"
fi

finish
