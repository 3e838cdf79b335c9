#!/bin/sh
# secrets.sh — passwords never leave cutover: not on stdout or stderr (-vv
# included), not in the run journal (cutover.db, and the -wal of a run killed with
# SIGKILL), not in reports (text, JSON, HTML), reject files, verify JSON or snapshots
# (.cutsnap, its zstd frames decompressed too), not in error messages.
#
# Private servers (with-servers.sh) get roles with distinctive passwords, checked by
# the server (pg_hba.conf: scram-sha-256 and md5; MariaDB: mysql_native_password):
#   PostgreSQL  sec_url (scram) and sec_md5 (md5): $URLPW, given in URLs
#               sec_enc (scram): $ENCPW, which needs percent-encoding in a URL
#               sec_at (scram): $ATPW, holding an '@' given unencoded in URLs (libpq
#               ends the user information at the first '@', cutover at the last)
#               sec_env (scram): $PGENV, given in PGPASSWORD only
#   MariaDB     sec_url: $URLPW in URLs; sec_env: $MYENV in MYSQL_PWD only
# Every command runs with -vv, each output kept in the work directory; the commands
# that must fail do (wrong passwords in URLs and in the environment, a host that does
# not resolve, a closed port, a bad port, a missing database, an empty database to
# snapshot, a URL where a mapping goes, a restore into a database that refuses the
# password, a run whose target refuses it, a No-Go run). At the end every file of the
# work directory but the inputs that hold a password on purpose is searched, as
# bytes (grep -a), for every password in every spelling: zero hits.
if [ -z "${CUT_SERVERS_DIR:-}" ]; then
    exec "$CUT_SRCDIR/tests/integration/with-servers.sh" --pg --mysql -- sh "$0" "$@"
fi
. "$CUT_SRCDIR/tests/e2e/lib.sh"
set -e

URLPW=S3cr3t-Zebra-9431
ENCPW='S3cr3t/Zeb@ra:9431?'        # in URLs: S3cr3t%2FZeb%40ra%3A9431%3F
ENCPW_URL='S3cr3t%2FZeb%40ra%3A9431%3F'
ATPW='S3cr3t-At@Zebra-9431'         # in URLs as it is
PGENV=S3cr3t-PgEnv-2718
MYENV=S3cr3t-MyEnv-1618
WRONG=S3cr3t-Wrong-0007
# Every spelling of every password; they all hold S3cr3t, searched for case-blind.
patterns='S3cr3t
Zeb@ra
Zeb%40ra
Zeb%2540ra
Zebra-9431
PgEnv-2718
MyEnv-1618
Wrong-0007'

host=127.0.0.1
pgp=$PG_PORT
myp=$MYSQL_PORT
su_pg() { # su_pg DB ARGS... — psql as the superuser
    db=$1
    shift
    psql -X -q -v ON_ERROR_STOP=1 "postgresql://cutover@$host:$pgp/$db" "$@"
}
su_my() { mariadb --no-defaults -uroot -h$host -P"$myp" "$@"; }

# ------------------------------------------------------------ roles
psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" >/dev/null <<EOF
SET password_encryption = 'scram-sha-256';
CREATE ROLE sec_url LOGIN PASSWORD '$URLPW';
CREATE ROLE sec_enc LOGIN PASSWORD '$ENCPW' IN ROLE sec_url;
CREATE ROLE sec_env LOGIN PASSWORD '$PGENV' IN ROLE sec_url;
CREATE ROLE sec_at LOGIN PASSWORD '$ATPW' IN ROLE sec_url;
SET password_encryption = 'md5';
CREATE ROLE sec_md5 LOGIN PASSWORD '$URLPW' IN ROLE sec_url;
CREATE DATABASE gym OWNER sec_url;
CREATE DATABASE gym2 OWNER sec_url;
CREATE DATABASE empty OWNER sec_url;
EOF
hba=$PG_DATADIR/pg_hba.conf
{
    echo "host all sec_url,sec_enc,sec_env,sec_at $host/32 scram-sha-256"
    echo "host all sec_md5 $host/32 md5"
    cat "$hba"
} >"$hba.new"
cat "$hba.new" >"$hba"
rm -f "$hba.new"
psql -X -q -At "$PG_URL" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
# The server really asks: a wrong password is refused, the right one accepted.
PGPASSWORD=$WRONG psql -X -At "postgresql://sec_url@$host:$pgp/gym" -c "SELECT 1" >/dev/null 2>&1 &&
    fail "PostgreSQL accepted a wrong password: pg_hba.conf was not applied"
PGPASSWORD=$URLPW psql -X -At "postgresql://sec_md5@$host:$pgp/gym" -c "SELECT 1" >/dev/null ||
    fail "sec_md5 cannot log in"
for db in gym gym2; do
    su_pg $db -c "SET ROLE sec_url" -f "$CUT_SRCDIR/fixtures/gym-target.pg.sql" >/dev/null
done
su_my -e "CREATE USER 'sec_url'@'%' IDENTIFIED BY '$URLPW';
          CREATE USER 'sec_env'@'%' IDENTIFIED BY '$MYENV';
          GRANT ALL ON *.* TO 'sec_url'@'%'; GRANT ALL ON *.* TO 'sec_env'@'%';
          CREATE DATABASE legacy; CREATE DATABASE gym;"
su_my gym <"$CUT_SRCDIR/fixtures/gym-target.mysql.sql"
su_my legacy <"$CUT_SRCDIR/fixtures/gym-legacy.mysql.sql"
"$CUTOVER_FIXTURE" gym --scale 0.1 --tsv legacy-tsv >/dev/null
su_my --local-infile=1 legacy -e "SET SESSION sql_mode = '';
  LOAD DATA LOCAL INFILE 'legacy-tsv/clients.tsv' INTO TABLE clients CHARACTER SET utf8mb4;
  LOAD DATA LOCAL INFILE 'legacy-tsv/bookings.tsv' INTO TABLE bookings CHARACTER SET utf8mb4;"
rm -rf legacy-tsv
make_gym 0.1

# Mappings: copies of the shipped ones (their URLs come from the environment), so
# that journals and snapshots land in the work directory; and one that holds a password
# in the file itself (an input: left out of the search, the files it produces are not).
cp "$CUT_SRCDIR/mappings/gym-pg.yaml" "$CUT_SRCDIR/mappings/gym-mysql-pg.yaml" \
    "$CUT_SRCDIR/mappings/gym-pg-mysql.yaml" .
sed -e "s|^source: .*|source: sqlite:$work/gym-legacy.db|" \
    -e "s|^target: .*|target: postgresql://sec_url:$URLPW@$host:$pgp/gym2|" gym-pg.yaml >literal.yaml
grep -q "$URLPW" literal.yaml || fail "literal.yaml holds no password"
inputs='literal.yaml'

ncmd=0
# c STATUS NAME ARGS... — runs cutover -vv ARGS, output in NAME.out, exit status STATUS
c() {
    want=$1 name=$2
    shift 2
    ncmd=$((ncmd + 1))
    run "$want" "$name.out" "$CUTOVER" -vv "$@"
}

pg_url() { echo "postgresql://$1${2:+:$2}@$host:$pgp/${3:-gym}"; }
my_url() { echo "mysql://$1${2:+:$2}@$host:$myp/${3:-gym}"; }

# -------------------------------------- A. SQLite → PostgreSQL, password in the URL
for role in sec_url sec_md5 sec_enc sec_at; do
    pw=$URLPW
    [ $role = sec_enc ] && pw=$ENCPW_URL
    [ $role = sec_at ] && pw=$ATPW
    export GYM_PG_TARGET="$(pg_url $role "$pw")"
    c 0 a-$role-check check gym-pg.yaml
    expect a-$role-check.out "postgresql://$role:***@$host:$pgp/gym"
    c 0 a-$role-migrate migrate --truncate gym-pg.yaml
    c 0 a-$role-verify verify gym-pg.yaml --json a-$role-verify.json
done
export GYM_PG_TARGET="$(pg_url sec_url $URLPW)"
c 0 a-snap-url snapshot "$GYM_PG_TARGET" -o a-url.cutsnap
c 0 a-snap-map snapshot gym-pg.yaml -o a-map.cutsnap
c 0 a-inspect inspect --verify --schema a-url.cutsnap
expect a-inspect.out "postgresql://sec_url:***@$host:$pgp/gym"
# restore takes the password from the environment or --target: the snapshot has none.
c 2 a-restore-nopw restore a-url.cutsnap
expect a-restore-nopw.out "the snapshot does not record passwords, and postgresql://sec_url:***@"
expect a-restore-nopw.out "held one: set PGPASSWORD or use ~/.pgpass, or give --target URL"
c 0 a-restore restore a-url.cutsnap --target "$GYM_PG_TARGET"
PGPASSWORD=$URLPW c 0 a-restore-env restore a-map.cutsnap
c 0 a-run1 run gym-pg.yaml
c 0 a-runs runs --mapping gym-pg.yaml
c 0 a-report-text report --journal cutover.db
c 0 a-report-json report --journal cutover.db --format json -o a-report.json
c 0 a-report-html report --journal cutover.db --format html -o a-report.html
# The password in the mapping file itself.
c 0 g-check check literal.yaml
c 0 g-migrate migrate literal.yaml
c 0 g-verify verify literal.yaml --json g-verify.json
c 0 g-run run literal.yaml --snapshot g.cutsnap
c 0 g-report report --journal cutover.db --format html -o g-report.html

# -------------------------------------- B. passwords from the environment
export GYM_PG_TARGET="$(pg_url sec_env)"
export PGPASSWORD=$PGENV
c 0 b-check check gym-pg.yaml
c 0 b-migrate migrate --truncate gym-pg.yaml
c 0 b-verify verify gym-pg.yaml --json b-verify.json
c 0 b-snap snapshot gym-pg.yaml -o b.cutsnap
c 0 b-restore restore b.cutsnap
c 0 b-run run gym-pg.yaml --journal b-journal.db --snapshot b-run.cutsnap
c 0 b-report report --journal b-journal.db --format json -o b-report.json
unset PGPASSWORD

# -------------------------------------- C. MariaDB legacy → PostgreSQL, URL password
export GYM_MYSQL_SOURCE="$(my_url sec_url $URLPW legacy)" GYM_PG_TARGET="$(pg_url sec_url $URLPW)"
c 0 c-check check gym-mysql-pg.yaml
expect c-check.out "mysql://sec_url:***@$host:$myp/legacy"
c 0 c-migrate migrate --truncate gym-mysql-pg.yaml
c 0 c-verify verify gym-mysql-pg.yaml --json c-verify.json
c 0 c-run run gym-mysql-pg.yaml --journal c-journal.db --snapshot c-run.cutsnap
c 0 c-report report --journal c-journal.db --format html -o c-report.html
# MYSQL_PWD for the source
export GYM_MYSQL_SOURCE="$(my_url sec_env "" legacy)" MYSQL_PWD=$MYENV
c 0 c-env-verify verify gym-mysql-pg.yaml
unset MYSQL_PWD

# -------------------------------------- D. PostgreSQL → MariaDB target
export GYM_PG_SOURCE="$(pg_url sec_url $URLPW)" GYM_MYSQL_TARGET="$(my_url sec_url $URLPW)"
c 0 d-check check gym-pg-mysql.yaml
c 0 d-migrate migrate --truncate gym-pg-mysql.yaml
c 0 d-verify verify gym-pg-mysql.yaml --json d-verify.json
c 0 d-snap-url snapshot "$GYM_MYSQL_TARGET" -o d.cutsnap
c 0 d-restore restore d.cutsnap --target "$GYM_MYSQL_TARGET"
c 2 d-restore-nopw restore d.cutsnap
expect d-restore-nopw.out "held one: set MYSQL_PWD, or give --target URL with the password"
c 0 d-run run gym-pg-mysql.yaml --journal d-journal.db --snapshot d-run.cutsnap
c 0 d-report report --journal d-journal.db
export GYM_MYSQL_TARGET="$(my_url sec_env)" MYSQL_PWD=$MYENV PGPASSWORD=$PGENV GYM_PG_SOURCE="$(pg_url sec_env)"
c 0 d-env-verify verify gym-pg-mysql.yaml
c 0 d-env-snap snapshot gym-pg-mysql.yaml -o d-env.cutsnap
c 0 d-env-restore restore d-env.cutsnap
unset MYSQL_PWD PGPASSWORD

# -------------------------------------- E. what fails, fails without the password
export GYM_MYSQL_TARGET="$(my_url sec_url $URLPW)" GYM_PG_SOURCE="$(pg_url sec_url $URLPW)"
# wrong passwords, in URLs and in the environment
export GYM_PG_TARGET="$(pg_url sec_url $WRONG)"
c 2 e-pg-wrong-check check gym-pg.yaml
expect e-pg-wrong-check.out 'password authentication failed for user "sec_url"'
c 2 e-pg-wrong-migrate migrate gym-pg.yaml
c 2 e-pg-wrong-verify verify gym-pg.yaml
c 2 e-pg-wrong-snap snapshot gym-pg.yaml -o e1.cutsnap
c 2 e-pg-wrong-restore restore a-url.cutsnap --target "$GYM_PG_TARGET"
c 2 e-pg-wrong-run run gym-pg.yaml --journal e-journal.db --snapshot e-run.cutsnap
c 0 e-pg-wrong-report report --journal e-journal.db --format html -o e-report.html
c 0 e-pg-wrong-report-json report --journal e-journal.db --format json -o e-report.json
# A wrong password holding an unencoded '@': refused by the server, not taken for a host.
export GYM_PG_TARGET="$(pg_url sec_url "$WRONG@Zebra-9431")"
c 2 e-at-wrong-run run gym-pg.yaml --journal e-at.db --snapshot e-at.cutsnap
expect e-at-wrong-run.out 'password authentication failed for user "sec_url"'
c 0 e-at-wrong-report report --journal e-at.db --format html -o e-at-report.html
c 0 e-at-wrong-report-json report --journal e-at.db --format json -o e-at-report.json
export GYM_PG_TARGET="$(pg_url sec_md5 $WRONG)"
c 2 e-md5-wrong-check check gym-pg.yaml
export GYM_PG_TARGET="$(pg_url sec_env)" PGPASSWORD=$WRONG
c 2 e-pgenv-wrong-migrate migrate gym-pg.yaml
unset PGPASSWORD
export GYM_MYSQL_TARGET="$(my_url sec_url $WRONG)"
c 2 e-my-wrong-check check gym-pg-mysql.yaml
expect e-my-wrong-check.out "Access denied for user 'sec_url'"
c 2 e-my-wrong-migrate migrate gym-pg-mysql.yaml
c 2 e-my-wrong-restore restore d.cutsnap --target "$GYM_MYSQL_TARGET"
export GYM_MYSQL_TARGET="$(my_url sec_env)" MYSQL_PWD=$WRONG
c 2 e-myenv-wrong-verify verify gym-pg-mysql.yaml
unset MYSQL_PWD
# unreachable: a name that does not resolve, a closed port, a bad port, no database
n=0
for u in "postgresql://sec_url:$URLPW@no-such-host.invalid/gym" \
         "postgresql://sec_url:$URLPW@$host:1/gym" \
         "postgresql://sec_url:$URLPW@$host:99999/gym" \
         "postgresql://sec_url:$URLPW@$host:$pgp/no_such_db" \
         "postgresql://sec_url:$ENCPW_URL@$host:$pgp/no_such_db" \
         "postgresql://sec_url:$WRONG@Zebra-9431@$host:$pgp/gym" \
         "mysql://sec_url:$WRONG@Zebra-9431@$host:$myp/gym" \
         "postgresql://sec_url@$host:$pgp/gym?password=$URLPW&sslmode=bogus" \
         "mysql://sec_url:$URLPW@no-such-host.invalid/gym" \
         "mysql://sec_url:$URLPW@$host:1/gym" \
         "mysql://sec_url:$URLPW@$host:99999/gym" \
         "mysql://sec_url:$URLPW@$host:$myp/no_such_db" \
         "mysql://sec_url:$URLPW@$host:$myp" \
         "mysql://sec_url:$URLPW@$host:$myp/gym?sokcet=x" \
         "oracle://sec_url:$URLPW@db/gym" \
         "postgresql://sec_url:S3cr3t/unencoded@db/gym"; do
    n=$((n + 1))
    c 2 e-url$n-check check gym-pg.yaml --target "$u"
    c 2 e-url$n-migrate migrate gym-pg.yaml --target "$u"
    c 2 e-url$n-verify verify gym-pg.yaml --target "$u"
    c 2 e-url$n-snap snapshot "$u" -o e-url.cutsnap
    c 2 e-url$n-restore restore a-url.cutsnap --target "$u"
done
# An empty database has no tables to snapshot; a URL given where a mapping goes.
c 2 e-empty-snap snapshot "$(pg_url sec_url $URLPW empty)" -o e-empty.cutsnap
expect e-empty-snap.out "has no tables to snapshot"
c 2 e-url-as-mapping check "$(pg_url sec_url $URLPW)"
c 2 e-url-as-mapping2 run "$(pg_url sec_url $URLPW)"
# A No-Go run (a value the target refuses), rolled back; its report names the rejects.
export GYM_PG_TARGET="$(pg_url sec_url $URLPW)"
sql gym-legacy.db "UPDATE bookings SET price = '12,50' WHERE id = 5;"
c 1 e-nogo-run run gym-pg.yaml --journal e-nogo.db --snapshot e-nogo.cutsnap
c 0 e-nogo-report report --journal e-nogo.db --format html -o e-nogo.html
c 0 e-nogo-report-json report --journal e-nogo.db --format json -o e-nogo.json
# Kept with --no-rollback: the way back it prints says where the password must come from
# (the snapshot has none), and works as it says.
c 1 e-keep-run run gym-pg.yaml --journal e-keep.db --snapshot e-keep.cutsnap --no-rollback
expect e-keep-run.out "to put it back: 'cutover restore $work/e-keep.cutsnap --journal e-keep.db' (the snapshot does not record the target's password: set PGPASSWORD"
PGPASSWORD=$URLPW c 0 e-keep-restore restore e-keep.cutsnap --journal e-keep.db
expect e-keep-restore.out "run 1 restored from its snapshot"
ls gym-pg.rejects/*.jsonl >/dev/null 2>&1 || fail "the No-Go run wrote no reject file"

# -------------------------------------- F. a run killed with SIGKILL: the -wal
"$CUTOVER_FIXTURE" gym --scale 10 --sqlite kill-legacy.db >/dev/null
sql gym-legacy.db "UPDATE bookings SET price = '12.50' WHERE id = 5;"
# The migrate is held in the target (a trigger sleeps at bookings' row 5000): the kill
# lands in it for certain, however fast the machine.
pg_pause "postgresql://cutover@$host:$pgp/gym" bookings
GYM_SOURCE=sqlite:$work/kill-legacy.db "$CUTOVER" -vv run gym-pg.yaml --journal kill.db \
    --snapshot kill.cutsnap >f-kill.out 2>&1 &
pid=$!
pg_paused "postgresql://cutover@$host:$pgp/gym" || fail "never saw the run's load of bookings"
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
[ -s kill.db-wal ] || fail "the killed run left no kill.db-wal to search"
cp kill.db-wal kill-wal-copy.bin 2>/dev/null || true
cp kill.db kill-db-copy.bin
# The next run is refused by name (the target is blocked); the restore lifts it.
GYM_SOURCE=sqlite:$work/kill-legacy.db c 2 f-blocked run gym-pg.yaml --journal kill.db \
    --snapshot kill2.cutsnap
expect f-blocked.out "interrupted"
expect f-blocked.out "--journal kill.db' (the snapshot does not record the target's password: set PGPASSWORD"
pg_unpause "postgresql://cutover@$host:$pgp/gym" bookings
c 0 f-restore restore kill.cutsnap --journal kill.db --target "$GYM_PG_TARGET"
c 0 f-report report --journal kill.db --format json -o f-report.json

# -------------------------------------- the search
# Snapshots: their zstd data frames decompressed too (the header is plain bytes).
for f in ./*.cutsnap; do
    [ -f "$f" ] && zstd -dcq "$f" >"$f.rows" 2>/dev/null || true
done
files=$(find . -type f | grep -v -x -F "$(printf './%s\n' $inputs)" | sort)
nfiles=$(printf '%s\n' "$files" | wc -l)
printf '%s\n' "$patterns" >patterns.txt
leaks=$(printf '%s\n' "$files" | grep -v -x './patterns.txt' | tr '\n' '\0' |
    xargs -0 grep -a -i -l -F -f patterns.txt 2>/dev/null || true)
if [ -n "$leaks" ]; then
    fail "a password appears in: $(echo $leaks)"
    for f in $leaks; do
        grep -a -i -n -F -f patterns.txt "$f" | head -n 3 | cut -c1-300 | sed "s|^|    $f: |" >&2
    done
fi
echo "secrets: $ncmd commands (-vv), $nfiles files searched for $(printf '%s\n' "$patterns" | wc -l) spellings"
[ "$nfiles" -gt 100 ] || fail "too few files searched ($nfiles)"
finish
