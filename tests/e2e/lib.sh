# lib.sh — helpers for the end-to-end tests (sourced). The build exports
# CUTOVER, CUTOVER_FIXTURE and CUT_SRCDIR (Makefile.am, AM_TESTS_ENVIRONMENT).
set -u
: "${CUTOVER:?run through make check}"
: "${CUTOVER_FIXTURE:?run through make check}"
: "${CUT_SRCDIR:?run through make check}"

work=$(mktemp -d "${TMPDIR:-/tmp}/cutover-e2e.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cd "$work"
failures=0

fail() {
    printf 'FAIL: %s\n' "$*" >&2
    failures=$((failures + 1))
}

# run EXPECTED_STATUS OUTFILE CMD... — runs CMD, keeps stdout+stderr in OUTFILE.
run() {
    want=$1 out=$2
    shift 2
    set +e
    "$@" >"$out" 2>&1
    got=$?
    set -e
    if [ "$got" -ne "$want" ]; then
        fail "exit $got (wanted $want): $*"
        sed 's/^/    | /' "$out" >&2
    fi
}

# expect FILE TEXT — FILE contains TEXT (fixed string).
expect() {
    grep -qF -- "$2" "$1" || { fail "$1 lacks: $2"; sed 's/^/    | /' "$1" >&2; }
}

# expect_not FILE TEXT
expect_not() {
    if grep -qF -- "$2" "$1"; then fail "$1 should not contain: $2"; fi
}

sql() { # sql DBFILE "STATEMENTS" — runs SQL on a SQLite file
    printf '%s\n' "$2" | "$CUTOVER_FIXTURE" sql --sqlite "$1" - >/dev/null
}

# The gym demo's legacy database and empty target, in the work directory.
make_gym() {
    scale=${1:-1}
    "$CUTOVER_FIXTURE" gym --scale "$scale" --sqlite gym-legacy.db >/dev/null
    "$CUTOVER_FIXTURE" sql --sqlite gym.db "$CUT_SRCDIR/fixtures/gym-target.sqlite.sql" >/dev/null
    export GYM_SOURCE=sqlite:$work/gym-legacy.db GYM_TARGET=sqlite:$work/gym.db
}

# row_of FILE TABLE — the verify/migrate table line for TABLE as "f1 f2 ..."
row_of() {
    awk -v t="$2" '$1 == t { $1 = ""; print; exit }' "$1"
}

# hostile_tables — the mapping tables "select" and "Order Items; DROP TABLE x" of the
# hostile-identifier tests (tests/e2e and tests/integration hostile_names.sh): every
# column name quoted, backquoted, semicoloned, spaced, unicode or a keyword.
hostile_tables() {
    cat <<'EOF'
  select:
    key: id
    where: '"order" IS NOT NULL'
    columns:
      id: id
      'we"ird': '"we""ird"'
      back`tick: '"back`tick"'
      semi;colon: '"semi;colon"'
      with space: '"with space"'
      café: '"café"'
      日本: '"日本"'
      order: '"order"'
      group: '"group"'
      1st: '"1st"'
      MixedCase: '"MixedCase"'
      "it's": '"it''s"'
      back\slash: '"back\slash"'
      pct%_x: '"pct%_x"'
      dot.ted: '"dot.ted"'
      '-- comment': '"-- comment"'
      /*c*/: 'coalesce("/*c*/", "-- comment")'
  'Order Items; DROP TABLE x':
    from: 'Order Items; DROP TABLE x'
    key: order
    columns:
      order: '"order"'
      select: '"select"'
      'value "quoted"': 'upper("value ""quoted""")'
EOF
}

finish() {
    if [ "$failures" -ne 0 ]; then
        echo "$failures check(s) failed" >&2
        exit 1
    fi
    exit 0
}
