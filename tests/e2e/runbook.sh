#!/bin/sh
# The go-live runbook end to end (cutover run, runs, report) on the gym demo:
#  1. three rehearsals, then `cutover runs` shows them side by side with a forecast;
#  2. a fourth run, after new sign-ups reached the legacy system and the new schema
#     gained a buggy trigger that mangles new members' e-mail addresses, ends No-Go,
#     is rolled back, and the target's digests equal those it had before the run;
#  3. `cutover run` killed with SIGKILL during migrate leaves a journal that says the
#     migrate step was interrupted; the next run refuses to start until --resume,
#     which keeps the committed tables, migrates the rest, and ends Go;
#  4. the JSON report carries every field docs/report-json.md documents;
#  5. processes opening one new journal at once all take it for a journal.
. "$CUT_SRCDIR/tests/e2e/lib.sh"
set -e
make_gym 1
# The journal and the snapshots go beside the mapping: keep them in the work directory.
cp "$CUT_SRCDIR/mappings/gym-sqlite.yaml" gym.yaml

# digests FILE.cutsnap — "table rows digest" per table, as the snapshot's index says
digests() {
    "$CUTOVER" inspect "$1" | awk '$1 == "members" || $1 == "bookings" { print $1, $2, $NF }'
}

# ------------------------------------------------- the command line
for c in run runs report; do
    run 0 help.out "$CUTOVER" $c --help
    expect help.out "Usage: cutover $c"
done
run 0 help.out "$CUTOVER" run --help
expect help.out "--force"
run 0 help.out "$CUTOVER" --help
expect help.out "run MAPPING"
run 2 u.out "$CUTOVER" run
expect u.out "expects exactly one MAPPING"
run 2 u.out "$CUTOVER" run --rehearsal --production gym.yaml
expect u.out "exclude each other"
run 2 u.out "$CUTOVER" report --format xml
expect u.out "--format expects text, json or html"
run 2 u.out "$CUTOVER" report
expect u.out "no journal at cutover.db"
run 2 u.out "$CUTOVER" restore x.cutsnap --journal cutover.db --tables members
expect u.out "--journal records a whole restore"

# ---------------------------------------------------------- 1. rehearsals
for i in 1 2 3; do
    run 0 run$i.out "$CUTOVER" run -q gym.yaml
    expect run$i.out "run $i  rehearsal  Go"
    expect run$i.out "Go: every table's counts add up"
done
[ -f cutover.db ] || fail "no journal cutover.db beside the mapping"
[ -f cutover-run-3.cutsnap ] || fail "no snapshot cutover-run-3.cutsnap beside the journal"
expect run1.out "members        5000        26         0       4974       4974  equal"
expect run2.out "snapshot     "
expect run2.out "16974 rows"

run 0 runs.out "$CUTOVER" runs --mapping gym.yaml
expect runs.out "3 runs of gym.yaml"
expect runs.out "step durations of the rehearsals"
expect runs.out "      run 1       run 2       run 3"
for s in check snapshot migrate verify gate total; do
    grep -q "^$s " runs.out || fail "cutover runs: no row for $s"
done
expect runs.out "forecast for production, from 3 rehearsals"
expect runs.out "rows now: source 17000"
expect runs.out "driver estimates"
grep -Eq '^migrate +[0-9.]+ s +[0-9.]+ s +[0-9.]+ s +[0-9]+ rows/s$' runs.out ||
    fail "cutover runs: no rows/s forecast for migrate"
expect runs.out "if No-Go: restore"
# The same without a mapping: counts from the latest run, and it says so.
run 0 runs2.out "$CUTOVER" runs --journal cutover.db
expect runs2.out "no mapping given: the counts of run 3"

# ------------------------------------------ 2. a bug that ends No-Go
# New sign-ups since the last rehearsal; the new schema's trigger upper-cases their e-mail.
sql gym-legacy.db "INSERT INTO clients SELECT id + 5000, first_name, last_name, 'new.' || email,
    phone, birth_date, created, is_active, notes FROM clients
    WHERE id <= 30 AND last_name IS NOT 'TEST' AND email IS NOT NULL;"
sql gym.db "CREATE TRIGGER members_email AFTER INSERT ON members WHEN NEW.id > 5000
    BEGIN UPDATE members SET email = upper(email) WHERE id = NEW.id; END;"
# And a legacy price that does not convert: one reject, beyond max_rejects: 0.
sql gym-legacy.db "UPDATE bookings SET price = '12,50' WHERE id = 5;"
# What the target holds before the run, taken independently of the run.
run 0 before.out "$CUTOVER" snapshot gym.yaml -o before.cutsnap
digests before.cutsnap > before.dig
run 1 run4.out "$CUTOVER" run -q gym.yaml
expect run4.out "run 4  rehearsal  No-Go, rolled back"
expect run4.out "gate      "
expect run4.out "No-Go: members: digest differs"
expect run4.out "changed  id=5002"
expect run4.out "email: expected 'new."
expect run4.out "target has 'NEW."
expect run4.out "bookings: 1 rejected row exceeds max_rejects (0)"
# bookings' digests are equal: its No-Go is its reject, and its status says so.
[ "$(row_of run4.out bookings)" = " 12000 0 1 11999 11999 equal rejects over max_rejects" ] ||
    fail "bookings' row: $(row_of run4.out bookings)"
expect run4.out "  bookings: 1 row in gym.rejects/bookings.rejects.jsonl"
expect run4.out "restore: digests read back against the snapshot taken before migrate"
expect run4.out "Rolled back: the target was restored from the snapshot"
# The target's digests now equal the pre-run ones, by an independent snapshot...
run 0 after.out "$CUTOVER" snapshot gym.yaml -o after.cutsnap
digests after.cutsnap > after.dig
cmp -s before.dig after.dig || { fail "target differs from before the No-Go run"; diff before.dig after.dig >&2 || true; }
[ "$(wc -l < after.dig)" -eq 2 ] || fail "expected two tables in after.dig"
# ...and the run's own snapshot, verified frame by frame, says the same.
run 0 inspect.out "$CUTOVER" inspect --verify cutover-run-4.cutsnap
expect inspect.out "verified: 2 tables, 16974 rows"
digests cutover-run-4.cutsnap > run4.dig
cmp -s before.dig run4.dig || fail "the run's snapshot differs from the independent one"
run 0 rep4.out "$CUTOVER" report 4
expect rep4.out "run 4  rehearsal  No-Go, rolled back"
run 0 rep4h.out "$CUTOVER" report 4 --format html -o rep4.html
expect rep4.html "rejects over max_rejects</span>"

# --------------------------------------------------- 4. the JSON report
run 0 rep4.json "$CUTOVER" report 4 --format json
expect rep4.json '"format": "cutover-run"'
expect rep4.json '"version": 1'
expect rep4.json '"verdict": "no-go"'
expect rep4.json '"rolled_back": true'
expect rep4.json '"matches_snapshot": true'
expect rep4.json '"kind": "changed", "key": "id=5002"'
expect rep4.json '"rejects": {"count": 1, "file": "gym.rejects/bookings.rejects.jsonl"}'
# Every field the schema document lists is in the report.
sed -n 's/^| `\([^`]*\)`.*/\1/p' "$CUT_SRCDIR/docs/report-json.md" | sed 's/.*\.//; s/\[\]//g' |
    sort -u > fields.txt
[ "$(wc -l < fields.txt)" -gt 40 ] || fail "docs/report-json.md lists too few fields"
while read -r k; do
    grep -q "\"$k\":" rep4.json || fail "JSON report lacks the documented field $k"
done < fields.txt

# ------------------------------------ 3. kill -9 during migrate, then --resume
mkdir big
cd big
"$CUTOVER_FIXTURE" gym --scale 10 --sqlite gym-legacy.db >/dev/null 2>&1
"$CUTOVER_FIXTURE" sql --sqlite gym.db "$CUT_SRCDIR/fixtures/gym-target.sqlite.sql" >/dev/null
export GYM_SOURCE=sqlite:$work/big/gym-legacy.db GYM_TARGET=sqlite:$work/big/gym.db
cp ../gym.yaml gym.yaml
"$CUTOVER" run -q gym.yaml >killed.out 2>&1 &
pid=$!
# Wait for the journal to show migrate running, then (best) for the first table to commit.
state=none
i=0
while [ $i -lt 1200 ]; do
    "$CUTOVER" report --format json >state.json 2>/dev/null || true
    if grep -q '"name": "migrate", "status": "running"' state.json; then
        state=migrating
        grep -q '"migrate": {"status": "done"' state.json && { state=committed; break; }
    elif [ $state = migrating ]; then
        break # migrate ended before a table was seen committed
    fi
    i=$((i + 1))
    sleep 0.05
done
[ $state != none ] || fail "the journal never showed migrate running"
[ $state = committed ] || fail "migrate ended before the kill (state $state): raise the scale"
kill -9 $pid
wait $pid 2>/dev/null || true

# The journal says which step was interrupted.
run 0 killed.json "$CUTOVER" report --format json
expect killed.json '"verdict": "interrupted"'
expect killed.json '"name": "migrate", "status": "interrupted"'
expect killed.json 'ended without finishing'
run 0 killed.txt "$CUTOVER" report
expect killed.txt "run 1  rehearsal  Interrupted"
expect killed.txt "Interrupted: stopped during migrate"
run 0 killed.runs "$CUTOVER" runs
expect killed.runs "interrupted in migrate: BLOCKS the target"

# A new run refuses, naming the run, the step and the two ways out.
run 2 refused.out "$CUTOVER" run -q gym.yaml
expect refused.out "refusing to start: run 1"
expect refused.out "interrupted during migrate"
expect refused.out "cutover run gym.yaml --resume"
expect refused.out "cutover restore $work/big/cutover-run-1.cutsnap --journal"
expect_not refused.out "run 2"
run 2 refused2.out "$CUTOVER" run -q --production gym.yaml
expect refused2.out "refusing to start: run 1"

# --resume keeps the committed table, migrates the rest, verifies all: Go.
run 0 resumed.out "$CUTOVER" run -q --resume gym.yaml
expect resumed.out "run 2  rehearsal  Go"
expect resumed.out "resumes   run 1"
expect resumed.out "kept 1 chunk committed by run 1"
expect resumed.out "snapshot     +"
expect resumed.out "skipped"
run 0 verify.out "$CUTOVER" verify -q gym.yaml
expect verify.out "Go: 2 tables"
run 0 after.runs "$CUTOVER" runs
expect after.runs "interrupted in migrate, resumed"
expect after.runs "go (resumed)"

# --------------- SIGTERM during migrate, then cutover restore --journal
# The open load is rolled back, the step journaled interrupted; restoring the run's
# snapshot with --journal records it and lifts the block.
# The moment is held: the target's write lock is taken first (cutover-fixture hold), so
# the migrate step waits for it when SIGTERM comes.
sqlite_hold "$work/big/gym.db" hold3
"$CUTOVER" run -q gym.yaml >term.out 2>&1 &
pid=$!
wait_migrating $pid
kill -TERM $pid
sqlite_release hold3
st=0
wait $pid || st=$?
[ $st -eq 2 ] || { fail "SIGTERM: exit $st, wanted 2"; cat term.out >&2; }
expect term.out "run 3  rehearsal  Interrupted"
expect term.out "run 3 interrupted"
run 0 term.json "$CUTOVER" report 3 --format json
expect term.json '"verdict": "interrupted"'
expect term.json '"name": "migrate", "status": "interrupted"'
run 2 refused3.out "$CUTOVER" run -q gym.yaml
expect refused3.out "run 3 (started"
# The history's columns line up, the long "BLOCKS the target" outcome included.
run 0 term.runs "$CUTOVER" runs
expect term.runs "interrupted in migrate: BLOCKS the target"
awk '/^  run  kind/ { col = index($0, "mapping") }
     col && /gym.yaml \(/ { n++; if (index($0, "gym.yaml (") != col) bad = 1 }
     END { exit !(col && n == 3 && !bad) }' term.runs ||
    { fail "cutover runs: the mapping column is out of line"; cat term.runs >&2; }
# Run 3's snapshot restored into another database puts nothing of run 3 back: with
# --journal it is refused before anything is written, naming both targets; the block stays.
"$CUTOVER_FIXTURE" sql --sqlite scratch.db "$CUT_SRCDIR/fixtures/gym-target.sqlite.sql" >/dev/null
cp scratch.db scratch.orig
run 2 elsewhere.out "$CUTOVER" restore cutover-run-3.cutsnap --target sqlite:scratch.db \
    --journal cutover.db -q
expect elsewhere.out "its target sqlite:$work/big/gym.db, and this restore goes to sqlite:scratch.db"
expect elsewhere.out "nothing was restored"
expect_not elsewhere.out "restored from its snapshot"
cmp -s scratch.db scratch.orig || fail "scratch.db was written"
run 2 refused4.out "$CUTOVER" run -q gym.yaml
expect refused4.out "run 3 (started"
run 0 restore.out "$CUTOVER" restore cutover-run-3.cutsnap --journal cutover.db -q
expect restore.out "run 3 restored from its snapshot"
run 0 term.txt "$CUTOVER" report 3
expect term.txt "restored by cutover restore"
expect term.txt "since then: restored from $work/big/cutover-run-3.cutsnap"
# The block is gone: the next run starts.
run 0 again.out "$CUTOVER" run -q gym.yaml
expect again.out "run 4  rehearsal  Go"

# ------------------------- a run never replaces an existing snapshot unasked
# It may be the only way back: the operator's own (--snapshot), or an earlier run's
# cutover-run-<id>.cutsnap that a run of another journal would name the same.
run 0 mine.out "$CUTOVER" snapshot gym.yaml -o mine.cutsnap -q
cp mine.cutsnap mine.orig
run 2 over.out "$CUTOVER" run -q gym.yaml --snapshot mine.cutsnap
expect over.out "mine.cutsnap exists; use --force to replace it"
cmp -s mine.cutsnap mine.orig || fail "run --snapshot replaced an existing snapshot"
run 0 over.runs "$CUTOVER" runs
expect_not over.runs "    5  rehearsal"
cp cutover-run-1.cutsnap run1.orig
run 2 fresh.out "$CUTOVER" run -q gym.yaml --journal fresh.db
expect fresh.out "cutover-run-1.cutsnap exists; use --force to replace it"
cmp -s cutover-run-1.cutsnap run1.orig || fail "another journal's run 1 replaced cutover-run-1.cutsnap"
run 0 forced.out "$CUTOVER" run -q gym.yaml --snapshot mine.cutsnap --force
expect forced.out "run 5  rehearsal  Go"
expect forced.out "snapshot  $work/big/mine.cutsnap"

# ------------------------------------- a journal opened by several at once
# A run creates its journal while a report opens it: 8 processes open one new journal
# at once, 20 times. Each must find either an empty file or a journal; reading the
# header field by field, 7 rounds of 30 saw "not a cutover journal".
mkdir -p jrace
r=0
while [ "$r" -lt 20 ]; do
    : >jrace/j.db
    rm -f jrace/j.db-wal jrace/j.db-shm
    k=0
    while [ "$k" -lt 8 ]; do
        "$CUTOVER" runs --journal jrace/j.db >"jrace/o$k" 2>&1 &
        k=$((k + 1))
    done
    wait
    if grep -l "not a cutover journal" jrace/o* >/dev/null 2>&1; then
        fail "round $r: a journal being created was taken for another database"
        break
    fi
    r=$((r + 1))
done
finish
