# lib.sh — the vocabulary of the bad-input cases (sourced by run.sh and
# run_servers.sh, then by each tests/bad/<case>/case.sh).
#
# A case is a directory holding case.sh and the files it needs, copied into a
# fresh work directory in which case.sh runs:
#   source.sql, target.sql  SQLite scripts, run into src.db and tgt.db
#   pg.sql, my.sql          run into the case's own PostgreSQL / MariaDB database,
#                           whose URLs are $PG and $MY (run_servers.sh only)
#   *.yaml, csv/…           mappings and data files, as they are
# case.sh says what it feeds and what must come out:
#   input TEXT              what is bad about the input (docs/bad-inputs.md)
#   needs pg|mysql          the servers it runs against (run_servers.sh runs it)
#   pending WHY             a known bug keeps the case from passing (XFAIL, see below)
#   step STATUS ARGS…       runs cutover ARGS…; the exit status must be STATUS exactly
#   says TEXT…              the last step's output holds every TEXT (fixed strings)
#   says_not TEXT…          … and none of these
#   rejected TABLE TEXT…    the reject file of TABLE holds every TEXT
#   accounts TABLE N [F R L]  in the last step's table line, source = N =
#                           filtered + rejected + loaded (and exactly F R L if given)
#   unwritten TABLE…        the target holds no row of these tables
#   unchanged FILE…         FILE has the bytes it had before (before FILE… took its sum)
#   kept WHAT               the value checks just made show the target as it was
#   sq_is DB SQL VALUE      (SQLite) the query's one value is VALUE
#   pg_is SQL VALUE, my_is SQL VALUE   the same in the case's server database
# No step may show the passwords the cases use (Pw-0 in URLs, $BAD_PW of run_servers.sh).
# Every case must assert the exact exit status of each step, and that every source
# row is accounted for (accounts) or that nothing was written (unwritten/unchanged).
set -u
: "${CUTOVER:?run through make check}"
: "${CUTOVER_FIXTURE:?run through make check}"

case_failures=0 case_accounted=0 case_steps=0 case_doc=${CASE_DOC:-} case_pending=
case_tgt=sqlite # where unwritten looks: sqlite (tgt.db), pg or mysql
doc_input= doc_steps= doc_says= doc_acct=

bad() {
    printf '%sFAIL [%s]: %s\n' "${case_pending:+(pending) }" "$case_name" "$*" >&2
    case_failures=$((case_failures + 1))
}

doc_escape() { printf %s "$*" | sed 's/|/\\|/g'; }
input() { doc_input=$(doc_escape "$*"); }
# doc_add VAR TEXT SEP — appends TEXT to the doc column VAR, after SEP, once
doc_add() {
    eval "cur=\${$1}"
    case "$3$cur$3" in *"$3$2$3"*) return 0 ;; esac
    eval "$1=\${cur:+\$cur\$3}\$2"
}
# pending WHY — the case states the behaviour wanted, which a known bug (WHY) prevents:
# its failures are reported as XFAIL and do not fail the run; once it passes, it is an
# XPASS, which does (remove the pending line).
pending() { case_pending=$*; }
needs() { :; }
target_is() { case_tgt=$1; } # sqlite | pg | mysql

# Remembers a file's checksum before the first step (unchanged FILE compares).
snap_sum() { cksum <"$1" 2>/dev/null | tr -d ' \t'; }
before() {
    [ -n "$case_doc" ] && return 0
    for f in "$@"; do
        eval "sum_$(printf %s "$f" | tr -c 'A-Za-z0-9\n' _)=\$(snap_sum \"\$f\")"
    done
}

step() {
    want=$1
    shift
    case_steps=$((case_steps + 1))
    doc_steps="${doc_steps:+$doc_steps; }\`$1\` → $want"
    [ -n "$case_doc" ] && return 0
    out=step$case_steps.out
    set +e
    "$CUTOVER" "$@" >"$out" 2>&1
    got=$?
    set -e
    cp "$out" last.out
    if [ "$got" -ne "$want" ]; then
        bad "exit $got (wanted $want): cutover $*"
        sed 's/^/    | /' "$out" >&2
    fi
    # The passwords the cases put in URLs and in the environment are never shown.
    for pw in Pw-0 ${BAD_PW:-}; do
        if grep -qF -- "$pw" "$out"; then bad "the password $pw is shown: cutover $*"; fi
    done
    # ASan/UBSan reports are failures whatever the exit status.
    if grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' -e 'ERROR: LeakSanitizer' "$out"; then
        bad "sanitizer report: cutover $*"
        sed 's/^/    | /' "$out" >&2
    fi
}

says() {
    for t in "$@"; do
        doc_add doc_says "\`$(doc_escape "$t")\`" ', '
        [ -n "$case_doc" ] && continue
        grep -qF -- "$t" last.out || { bad "output lacks: $t"; sed 's/^/    | /' last.out >&2; }
    done
}

says_not() {
    [ -n "$case_doc" ] && return 0
    for t in "$@"; do
        if grep -qF -- "$t" last.out; then bad "output should not contain: $t"; fi
    done
}

rejected() {
    tbl=$1
    shift
    for t in "$@"; do doc_add doc_says "reject: \`$(doc_escape "$t")\`" ', '; done
    [ -n "$case_doc" ] && return 0
    f=$(ls ./*.rejects/"$tbl".rejects.jsonl 2>/dev/null | head -n 1)
    [ -n "$f" ] || { bad "no reject file for $tbl"; return 0; }
    for t in "$@"; do
        grep -qF -- "$t" "$f" || { bad "$f lacks: $t"; sed 's/^/    | /' "$f" >&2; }
    done
}

# accounts TABLE N [F R L] — from the last step's line for TABLE (migrate, verify or run
# report: "table source filtered rejected loaded ..."): source = N = filtered + rejected
# + loaded, and exactly F R L when given.
accounts() {
    tbl=$1 n=$2
    want_split=
    [ $# -ge 5 ] && want_split="$3 $4 $5"
    case_accounted=1
    if [ -n "$want_split" ]; then
        doc_add doc_acct "$tbl: $n = $3 + $4 + $5" '; '
    else
        doc_add doc_acct "$tbl: $n = filtered + rejected + loaded" '; '
    fi
    [ -n "$case_doc" ] && return 0
    line=$(awk -v t="$tbl" '$1 == t && $2 ~ /^[0-9]+$/ { $1 = ""; print; exit }' last.out)
    set -- $line
    if [ $# -lt 4 ]; then
        bad "no counts for table $tbl in the last output"
        sed 's/^/    | /' last.out >&2
        return 0
    fi
    [ "$1" -eq "$n" ] || bad "$tbl: source $1, wanted $n"
    [ $(($2 + $3 + $4)) -eq "$1" ] || bad "$tbl: $1 source rows != $2 filtered + $3 rejected + $4 loaded"
    [ -z "$want_split" ] || [ "$2 $3 $4" = "$want_split" ] ||
        bad "$tbl: filtered rejected loaded = $2 $3 $4, wanted $want_split"
    return 0
}

count_rows() { # count_rows TABLE — rows of TABLE in the case's target
    case $case_tgt in
    sqlite) sq_val tgt.db "SELECT count(*) FROM \"$1\"" ;;
    pg) pg_val "SELECT count(*) FROM \"$1\"" ;;
    mysql) my_val "SELECT COUNT(*) FROM \`$1\`" ;;
    esac
}

unwritten() {
    case_accounted=1
    doc_add doc_acct "nothing written ($*)" '; '
    [ -n "$case_doc" ] && return 0
    for t in "$@"; do
        n=$(count_rows "$t") || { bad "cannot count the rows of $t"; continue; }
        [ "$n" = 0 ] || bad "target table $t is not empty"
    done
}

# kept WHAT — the checks before it (pg_is, my_is, sq_is) showed the target as it was.
kept() {
    case_accounted=1
    doc_add doc_acct "target unchanged ($*)" '; '
}

unchanged() {
    case_accounted=1
    doc_add doc_acct "$* unchanged" '; '
    [ -n "$case_doc" ] && return 0
    for f in "$@"; do
        v=$(printf %s "$f" | tr -c 'A-Za-z0-9\n' _)
        eval "old=\${sum_$v:-}"
        [ -n "$old" ] || { bad "unchanged $f: no checksum taken before (call before $f)"; continue; }
        [ "$(snap_sum "$f")" = "$old" ] || bad "$f changed"
    done
}

# sq_val DB SQL — prints the one value of SQL over the SQLite file DB. There is no
# sqlite3 shell on CI machines: the value is checked by a CHECK constraint instead,
# so sq_is is the interface and sq_val only answers count(*) = 0 questions.
sq_val() {
    if printf 'CREATE TEMP TABLE __v(x CHECK (x = 0)); INSERT INTO __v SELECT (%s);\n' "$2" |
        "$CUTOVER_FIXTURE" sql --sqlite "$1" - >/dev/null 2>&1; then
        echo 0
    else
        echo "not 0"
    fi
}

sq_is() { # sq_is DB SQL VALUE
    [ -n "$case_doc" ] && return 0
    v=$(printf %s "$3" | sed "s/'/''/g")
    printf "CREATE TEMP TABLE __v(x CHECK (CAST(x AS TEXT) IS '%s')); INSERT INTO __v SELECT (%s);\n" "$v" "$2" |
        "$CUTOVER_FIXTURE" sql --sqlite "$1" - >/dev/null 2>&1 ||
        bad "$1: ($2) is not '$3'"
}

sq() { # sq DB SQL — runs statements on a SQLite file
    printf '%s\n' "$2" | "$CUTOVER_FIXTURE" sql --sqlite "$1" - >/dev/null
}

pg_val() { psql -X -At -v ON_ERROR_STOP=1 "$PG" -c "$1"; }
my_val() { mariadb --no-defaults -uroot -h127.0.0.1 -P"$MYSQL_PORT" -N -B "$MY_DBNAME" -e "$1"; }
pg_is() {
    [ -n "$case_doc" ] && return 0
    v=$(pg_val "$1" 2>&1) || true
    [ "$v" = "$2" ] || bad "PostgreSQL: ($1) is '$v', wanted '$2'"
}
my_is() {
    [ -n "$case_doc" ] && return 0
    v=$(my_val "$1" 2>&1) || true
    [ "$v" = "$2" ] || bad "MariaDB: ($1) is '$v', wanted '$2'"
}

# Called by the runner after case.sh: 0 pass, 1 fail, 3 expected failure (pending).
case_end() {
    if [ "$case_steps" -eq 0 ]; then
        bad "the case runs no step"
    fi
    if [ "$case_accounted" -eq 0 ]; then
        bad "the case checks neither the accounting (accounts) nor that nothing was written"
    fi
    if [ -n "$case_pending" ]; then
        if [ "$case_failures" -eq 0 ]; then
            printf 'XPASS [%s]: passes now; remove "pending %s"\n' "$case_name" "$case_pending" >&2
            return 1
        fi
        printf 'XFAIL [%s]: %s\n' "$case_name" "$case_pending" >&2
        return 3
    fi
    [ "$case_failures" -eq 0 ]
}
