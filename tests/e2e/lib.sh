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

# wait_st PID — waits for a background command; its exit status goes to $st.
wait_st() {
    set +e
    wait "$1"
    st=$?
    set -e
}

# expect FILE TEXT — FILE contains TEXT (fixed string).
expect() {
    grep -qF -- "$2" "$1" || { fail "$1 lacks: $2"; sed 's/^/    | /' "$1" >&2; }
}

# expect_not FILE TEXT
expect_not() {
    if grep -qF -- "$2" "$1"; then fail "$1 should not contain: $2"; fi
}

# sqlite_hold DB DIR — takes the SQLite database DB's write lock in the background
# (cutover-fixture hold) and returns once it is held: a load into DB then waits until
# sqlite_release DIR. Readers go on.
sqlite_hold() {
    rm -rf "$2" && mkdir "$2"
    "$CUTOVER_FIXTURE" hold --sqlite "$1" "$2" &
    hold_pid=$!
    i=0
    until [ -e "$2/held" ]; do
        i=$((i + 1))
        [ $i -lt 1200 ] && kill -0 $hold_pid 2>/dev/null || { fail "$1: its write lock was not taken"; return 0; }
        sleep 0.05
    done
}

sqlite_release() {
    touch "$1/release"
    wait $hold_pid || fail "the holder of $1 failed"
}

# wait_migrating PID [REPORT OPTIONS] — until the journal shows migrate running, while
# the run PID lives.
wait_migrating() {
    wm_pid=$1
    shift
    i=0
    until "$CUTOVER" report "$@" --format json 2>/dev/null |
        grep -q '"name": "migrate", "status": "running"'; do
        i=$((i + 1))
        [ $i -lt 1200 ] && kill -0 $wm_pid 2>/dev/null || { fail "migrate never ran"; return 0; }
        sleep 0.05
    done
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

# PostgreSQL moments for the fault tests (tests/faults/servers.sh, secrets.sh). A fault
# is injected at a moment the server itself shows, and held long enough to be certain:
# a poll from outside cannot count on catching a load a fast machine ends in 0.1 s.
#
# pg_wait URL CONDITION — waits inside the server (every 5 ms, up to 60 s) until the SQL
# condition holds.
pg_wait() {
    psql -X -q -v ON_ERROR_STOP=1 "$1" -c "DO \$\$
        DECLARE t0 timestamptz := clock_timestamp();
        BEGIN
            LOOP
                PERFORM pg_stat_clear_snapshot();
                EXIT WHEN $2;
                IF clock_timestamp() - t0 > interval '60 s' THEN
                    RAISE EXCEPTION 'timed out';
                END IF;
                PERFORM pg_sleep(0.005);
            END LOOP;
        END \$\$" >/dev/null 2>&1
}
# pg_sleep_once URL — the function cut_test_sleep_once(id): true, after sleeping 5 s at
# the first id >= 5000 of each transaction that asks (a load or a read under way,
# thousands of rows through, the transaction open).
pg_sleep_once() {
    psql -X -q -v ON_ERROR_STOP=1 "$1" >/dev/null -c "
CREATE OR REPLACE FUNCTION cut_test_sleep_once(id int8) RETURNS bool VOLATILE
LANGUAGE plpgsql AS \$\$
BEGIN
    IF id >= 5000 AND current_setting('cut_test.paused', true) IS DISTINCT FROM 'y' THEN
        PERFORM set_config('cut_test.paused', 'y', true);
        PERFORM pg_sleep(5);
    END IF;
    RETURN true;
END \$\$"
}
# pg_pause URL TABLE — a trigger that changes no value but holds each transaction that
# inserts into TABLE in cut_test_sleep_once. pg_unpause URL TABLE drops it.
pg_pause() {
    pg_sleep_once "$1"
    psql -X -q -v ON_ERROR_STOP=1 "$1" >/dev/null -c "
CREATE OR REPLACE FUNCTION cut_test_pause() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
    PERFORM cut_test_sleep_once(NEW.id);
    RETURN NEW;
END \$\$" -c "CREATE TRIGGER cut_test_pause BEFORE INSERT ON $2
    FOR EACH ROW EXECUTE FUNCTION cut_test_pause()"
}
pg_unpause() { psql -X -q -v ON_ERROR_STOP=1 "$1" -c "DROP TRIGGER cut_test_pause ON $2" >/dev/null; }
# pg_paused URL — a session of URL's database sits in pg_pause's sleep.
pg_paused() {
    pg_wait "$1" "EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
        AND pid <> pg_backend_pid() AND wait_event = 'PgSleep')"
}
# pg_hold URL TABLE — a session (its psql's pid in $holder) that holds TABLE in ACCESS
# EXCLUSIVE mode until the server stops: a read of TABLE waits for it, under way, stuck.
pg_hold() {
    psql -X -q "$1" -c "BEGIN" -c "LOCK TABLE $2 IN ACCESS EXCLUSIVE MODE" \
        -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
    holder=$!
    pg_wait "$1" "EXISTS (SELECT 1 FROM pg_locks WHERE relation = '$2'::regclass
        AND mode = 'AccessExclusiveLock' AND granted)"
}
# pg_blocked URL — a session of URL's database other than pg_hold's waits for a lock.
pg_blocked() {
    pg_wait "$1" "EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
        AND pid <> pg_backend_pid() AND wait_event_type = 'Lock')"
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
