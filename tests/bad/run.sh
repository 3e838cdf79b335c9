#!/bin/sh
# run.sh — the bad-input corpus (make check): every tests/bad/<case>/ that needs no
# server, each in a fresh work directory (tests/bad/lib.sh says what a case is).
#
#   run.sh [CASE...]             the SQLite/CSV cases (all, or those named)
#   run.sh --servers [CASE...]   the PostgreSQL/MariaDB cases; run_servers.sh calls it
#                                inside with-servers.sh, with the servers' variables set
#   run.sh --doc                 prints the table of docs/bad-inputs.md, every case
set -eu
: "${CUT_SRCDIR:?run through make check}"
: "${CUTOVER:?run through make check}"
: "${CUTOVER_FIXTURE:?run through make check}"
export CUT_SRCDIR CUTOVER CUTOVER_FIXTURE

mode=local
case "${1:-}" in
--servers) mode=servers; shift ;;
--doc) mode=doc; shift ;;
esac

corpus=$CUT_SRCDIR/tests/bad
work=$(mktemp -d "${TMPDIR:-/tmp}/cutover-bad.XXXXXX")
[ -n "${CUT_KEEP_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ $# -gt 0 ]; then
    names=$*
else
    names=$(cd "$corpus" && for d in */; do [ -f "$d/case.sh" ] && printf '%s\n' "${d%/}"; done)
fi

# needs_servers CASE — the servers a case needs ("" for none)
needs_servers() { sed -n 's/^needs[ \t]*//p' "$corpus/$1/case.sh" | tr '\n' ' '; }

if [ "$mode" = doc ]; then
    echo "| case | input | steps → exit | message key words | accounting |"
    echo "|---|---|---|---|---|"
    # The cases only describe themselves: no server, no database is touched.
    export PG_URL=postgresql://pg PG_BASE=postgresql://pg MY_BASE=mysql://my PG_HOSTPORT=pg \
        MY_HOSTPORT=my PG=postgresql://pg/db MY=mysql://my/db MY_DBNAME=db BAD_PW=pw MYSQL_PORT=0
    psql() { :; }
    mariadb() { :; }
fi

ran=0 failed=0 xfail=0 failed_names=
for name in $names; do
    [ -f "$corpus/$name/case.sh" ] || { echo "no case $name" >&2; exit 2; }
    srv=$(needs_servers "$name")
    case "$mode" in
    local) [ -z "$srv" ] || continue ;;
    servers) [ -n "$srv" ] || continue ;;
    esac
    dir=$work/$name
    mkdir -p "$dir"
    cp -R "$corpus/$name/." "$dir/"
    set +e
    (
        set -e
        cd "$dir"
        case_name=$name
        [ "$mode" = doc ] && CASE_DOC=1
        . "$corpus/lib.sh"
        if [ "$mode" = doc ]; then
            sq() { :; }
        else
            [ -f source.sql ] && "$CUTOVER_FIXTURE" sql --sqlite src.db source.sql >/dev/null
            [ -f target.sql ] && "$CUTOVER_FIXTURE" sql --sqlite tgt.db target.sql >/dev/null
            if [ "$mode" = servers ]; then
                db=bad_$(printf %s "$name" | tr -c 'A-Za-z0-9\n' _)
                export PG="$PG_BASE/$db" MY="$MY_BASE/$db" MY_DBNAME=$db
                case "$srv" in
                *pg*)
                    PGOPTIONS='-c client_min_messages=warning' \
                        psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" -c "DROP DATABASE IF EXISTS \"$db\"" \
                        -c "CREATE DATABASE \"$db\"" >/dev/null
                    [ -f pg.sql ] && psql -X -q -v ON_ERROR_STOP=1 "$PG" -f pg.sql >/dev/null
                    ;;
                esac
                case "$srv" in
                *mysql*)
                    mariadb --no-defaults -uroot -h127.0.0.1 -P"$MYSQL_PORT" \
                        -e "DROP DATABASE IF EXISTS \`$db\`; CREATE DATABASE \`$db\`"
                    [ -f my.sql ] && mariadb --no-defaults -uroot -h127.0.0.1 -P"$MYSQL_PORT" \
                        --local-infile=1 "$db" <my.sql
                    ;;
                esac
            fi
        fi
        . ./case.sh
        if [ "$mode" = doc ]; then
            title=$name
            [ -n "$srv" ] && title="$name ($(echo $srv | sed 's/ /, /g; s/mysql/MariaDB/; s/pg/PostgreSQL/'))"
            [ -n "$case_pending" ] && doc_acct="$doc_acct — **pending a fix**: $case_pending"
            printf '| %s | %s | %s | %s | %s |\n' "$title" "$doc_input" "$doc_steps" "$doc_says" "$doc_acct"
            exit 0
        fi
        case_end
    )
    st=$?
    set -e
    ran=$((ran + 1))
    if [ "$st" -eq 3 ]; then
        xfail=$((xfail + 1))
        echo "XFAIL $name"
    elif [ "$st" -ne 0 ]; then
        failed=$((failed + 1))
        failed_names="$failed_names $name"
        echo "FAIL $name" >&2
    elif [ "$mode" != doc ]; then
        echo "ok   $name"
    fi
done

[ "$mode" = doc ] && exit 0
echo "$ran bad-input cases ($mode), $failed failed${failed_names:+:$failed_names}, $xfail expected failures (pending fixes)"
[ "$ran" -gt 0 ] || { echo "no case ran" >&2; exit 1; }
[ "$failed" -eq 0 ]
