#!/bin/sh
# run_servers.sh — the bad-input cases that need PostgreSQL or MariaDB (make check),
# against private servers started by with-servers.sh (a server that cannot start
# fails the test). Before the cases it creates the roles that have passwords:
#   PostgreSQL  bad_md5 (md5) and bad_scram (scram-sha-256), password $BAD_PW,
#               bad_at (scram-sha-256), password Zq9x@$BAD_PW (an '@' in it),
#               pg_hba.conf asking those roles for it on 127.0.0.1
#   MariaDB     bad_pw@'%', password $BAD_PW; bad_at@'%', password Zq9x@$BAD_PW
# and exports PG_BASE / MY_BASE (superuser URLs without a database) and PG_HOSTPORT /
# MY_HOSTPORT (127.0.0.1:PORT, for URLs with another user). Each case then
# gets its own database in each server it needs: $PG and $MY (tests/bad/lib.sh).
#
#   run_servers.sh [CASE...]
set -eu
: "${CUT_SRCDIR:?run through make check}"

if [ "${1:-}" != --inside ]; then
    exec "$CUT_SRCDIR/tests/integration/with-servers.sh" --pg --mysql -- \
        sh "$CUT_SRCDIR/tests/bad/run_servers.sh" --inside "$@"
fi
shift

export BAD_PW='Bad-Pw-7731'
export PG_BASE="${PG_URL%/*}" MY_BASE="${MYSQL_URL%/*}"
export PG_HOSTPORT="127.0.0.1:$PG_PORT" MY_HOSTPORT="127.0.0.1:$MYSQL_PORT"

psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" >/dev/null <<EOF
SET password_encryption = 'md5';
CREATE ROLE bad_md5 LOGIN PASSWORD '$BAD_PW';
SET password_encryption = 'scram-sha-256';
CREATE ROLE bad_scram LOGIN PASSWORD '$BAD_PW';
CREATE ROLE bad_at LOGIN PASSWORD 'Zq9x@$BAD_PW';
EOF
# The roles' own lines come first: every other connection stays trusted.
hba=$PG_DATADIR/pg_hba.conf
{
    echo "host all bad_md5 127.0.0.1/32 md5"
    echo "host all bad_scram 127.0.0.1/32 scram-sha-256"
    echo "host all bad_at 127.0.0.1/32 scram-sha-256"
    cat "$hba"
} >"$hba.new"
cat "$hba.new" >"$hba"
rm -f "$hba.new"
psql -X -q -At "$PG_URL" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
# pg_hba_file_rules shows what the server loaded.
[ "$(psql -X -At "$PG_URL" -c "SELECT count(*) FROM pg_hba_file_rules WHERE 'bad_md5' = ANY(user_name) AND error IS NULL")" -eq 1 ] ||
    { echo "run_servers.sh: pg_hba.conf was not reloaded" >&2; exit 2; }

mariadb --no-defaults -uroot -h127.0.0.1 -P"$MYSQL_PORT" \
    -e "CREATE USER 'bad_pw'@'%' IDENTIFIED BY '$BAD_PW'; GRANT ALL ON *.* TO 'bad_pw'@'%';
        CREATE USER 'bad_at'@'%' IDENTIFIED BY 'Zq9x@$BAD_PW'; GRANT ALL ON *.* TO 'bad_at'@'%'"

exec sh "$CUT_SRCDIR/tests/bad/run.sh" --servers "$@"
