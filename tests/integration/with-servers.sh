#!/bin/sh
# with-servers.sh — runs a command with private database servers.
#
#   with-servers.sh [--pg] [--mysql] -- COMMAND [ARG...]
#
# Each server is created from scratch in a temporary directory (initdb /
# mariadb-install-db), listens on a unix socket in that directory and on a free
# port on 127.0.0.1 only, trusts local connections, and is stopped and removed
# when the command ends — also when it fails or is interrupted. The command
# sees:
#   PG_URL        postgresql://cutover@127.0.0.1:PORT/postgres   (superuser, trust)
#   PG_HOST PG_PORT PG_SOCKDIR PG_BINDIR PG_DATADIR PG_LOG
#   PG_CTL, PG_RUN_AS  (to stop it in a test: runuser -u $PG_RUN_AS -- $PG_CTL stop, as root)
#   MYSQL_URL     mysql://root@127.0.0.1:PORT/test
#   MYSQL_HOST MYSQL_PORT MYSQL_SOCKET MYSQL_DATADIR MYSQL_PIDFILE MYSQL_LOG
#   CUT_SERVERS_DIR   the temporary directory
# A server that cannot start is an error (exit 2), never a skipped test.
set -eu

want_pg=0 want_my=0
while [ $# -gt 0 ]; do
    case "$1" in
    --pg) want_pg=1 ;;
    --mysql) want_my=1 ;;
    --) shift; break ;;
    *) echo "with-servers.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[ $# -gt 0 ] || { echo "usage: with-servers.sh [--pg] [--mysql] -- COMMAND" >&2; exit 2; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/cutover-servers.XXXXXX")
chmod 755 "$dir"
export CUT_SERVERS_DIR="$dir"
pg_started=0 my_started=0

# PostgreSQL and (by choice) MariaDB refuse to run as root: use their own users.
as_user() { # as_user USER CMD...
    u=$1
    shift
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$u" -- "$@"
    else
        "$@"
    fi
}

cleanup() {
    status=$?
    if [ "$pg_started" -eq 1 ]; then
        as_user "$pg_user" "$PG_BINDIR/pg_ctl" -D "$PG_DATADIR" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ "$my_started" -eq 1 ] && [ -f "$MYSQL_PIDFILE" ]; then
        kill "$(cat "$MYSQL_PIDFILE")" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            [ -f "$MYSQL_PIDFILE" ] || break
            sleep 0.5
        done
        [ -f "$MYSQL_PIDFILE" ] && kill -9 "$(cat "$MYSQL_PIDFILE")" 2>/dev/null || true
    fi
    rm -rf "$dir"
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port on 127.0.0.1 that nothing listens on (bash's /dev/tcp probes it), below the
# kernel's ephemeral range: a port in that range is also the local end of the clients'
# own connections, and a server that binds it fails with "Address already in use" (seen
# under make -j2 check). Two tests may still draw the same port at the same moment: the
# servers are started again on another port when they cannot bind (start_pg, start_my).
pick_port() {
    lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    [ "$lo" -gt 12000 ] 2>/dev/null || lo=32768
    bash -c 'for i in $(seq 1 200); do p=$((10000 + RANDOM % ('"$lo"' - 10000))); (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; exit 0; }; done; exit 1' ||
        { echo "with-servers.sh: no free port found" >&2; exit 2; }
}

if [ "$want_pg" -eq 1 ]; then
    PG_BINDIR=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
    [ -x "$PG_BINDIR/initdb" ] || { echo "with-servers.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 2; }
    pg_user=$(id -un)
    [ "$(id -u)" -eq 0 ] && pg_user=postgres
    # Everything of the server under one directory its user owns.
    mkdir -p "$dir/pg"
    [ "$(id -u)" -eq 0 ] && chown "$pg_user" "$dir/pg"
    PG_DATADIR=$dir/pg/data
    PG_SOCKDIR=$dir/pg
    PG_LOG=$dir/pg/server.log
    as_user "$pg_user" "$PG_BINDIR/initdb" -D "$PG_DATADIR" -U cutover --auth=trust -E UTF8 \
        --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; echo "with-servers.sh: initdb failed" >&2; exit 2; }
    for try in 1 2 3 4 5; do
        PG_PORT=$(pick_port)
        if as_user "$pg_user" "$PG_BINDIR/pg_ctl" -D "$PG_DATADIR" -l "$PG_LOG" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_SOCKDIR -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=50" \
            start >/dev/null 2>&1; then
            break
        fi
        if [ $try -lt 5 ] && grep -q "could not bind" "$PG_LOG" 2>/dev/null; then
            echo "with-servers.sh: port $PG_PORT taken, PostgreSQL tries another" >&2
            : >"$PG_LOG"
            continue
        fi
        cat "$PG_LOG" >&2
        echo "with-servers.sh: PostgreSQL did not start" >&2
        exit 2
    done
    pg_started=1
    PG_HOST=127.0.0.1
    PG_URL="postgresql://cutover@127.0.0.1:$PG_PORT/postgres"
    PG_CTL="$PG_BINDIR/pg_ctl -D $PG_DATADIR"
    export PG_URL PG_HOST PG_PORT PG_SOCKDIR PG_BINDIR PG_DATADIR PG_CTL PG_LOG
    export PG_RUN_AS="$pg_user"
fi

if [ "$want_my" -eq 1 ]; then
    command -v mariadb-install-db >/dev/null 2>&1 || { echo "with-servers.sh: MariaDB server not found (apt-get install mariadb-server)" >&2; exit 2; }
    my_user=$(id -un)
    mkdir -p "$dir/my/tmp"
    [ "$(id -u)" -eq 0 ] && { my_user=mysql; chown mysql "$dir/my" "$dir/my/tmp"; }
    MYSQL_DATADIR=$dir/my/data
    MYSQL_SOCKET=$dir/my/mysql.sock
    MYSQL_PIDFILE=$dir/my/mysql.pid
    MYSQL_LOG=$dir/my/server.err
    # A tmpdir of its own, for the install and the server: mariadbd deletes every #sql*
    # file in its tmpdir when it starts, so servers of tests running side by side in /tmp
    # removed each other's temporary tables (CI: "Error on delete of
    # '/tmp/#sql-temptable-...MAI'", and an install that failed on one).
    mariadb-install-db --no-defaults --datadir="$MYSQL_DATADIR" --user="$my_user" \
        --tmpdir="$dir/my/tmp" \
        --auth-root-authentication-method=normal --skip-test-db >"$dir/mysql-install.log" 2>&1 ||
        { cat "$dir/mysql-install.log" >&2; echo "with-servers.sh: mariadb-install-db failed" >&2; exit 2; }
    for try in 1 2 3 4 5; do
        MYSQL_PORT=$(pick_port)
        mariadbd --no-defaults --datadir="$MYSQL_DATADIR" --user="$my_user" --socket="$MYSQL_SOCKET" \
            --tmpdir="$dir/my/tmp" \
            --port="$MYSQL_PORT" --bind-address=127.0.0.1 --pid-file="$MYSQL_PIDFILE" \
            --skip-name-resolve --innodb-flush-log-at-trx-commit=0 --innodb-buffer-pool-size=256M \
            --local-infile=1 --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
            --log-error="$MYSQL_LOG" >/dev/null 2>&1 &
        my_pid=$!
        my_started=1
        for _ in $(seq 1 120); do
            [ -S "$MYSQL_SOCKET" ] && mariadb --no-defaults -uroot --socket="$MYSQL_SOCKET" -e 'SELECT 1' >/dev/null 2>&1 && break
            kill -0 $my_pid 2>/dev/null || break
            sleep 0.5
    done
    kill -0 $my_pid 2>/dev/null && break
    if [ $try -lt 5 ] && grep -q "Address already in use" "$MYSQL_LOG" 2>/dev/null; then
        echo "with-servers.sh: port $MYSQL_PORT taken, MariaDB tries another" >&2
        : >"$MYSQL_LOG"
        continue
    fi
    break
    done
    mariadb --no-defaults -uroot --socket="$MYSQL_SOCKET" -e 'CREATE DATABASE IF NOT EXISTS test' >/dev/null 2>&1 ||
        { cat "$MYSQL_LOG" >&2; echo "with-servers.sh: MariaDB did not start" >&2; exit 2; }
    MYSQL_HOST=127.0.0.1
    MYSQL_URL="mysql://root@127.0.0.1:$MYSQL_PORT/test"
    export MYSQL_URL MYSQL_HOST MYSQL_PORT MYSQL_SOCKET MYSQL_DATADIR MYSQL_PIDFILE MYSQL_LOG
fi

set +e
"$@"
status=$?
set -e
exit $status
