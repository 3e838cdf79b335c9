#!/bin/sh
# signals.sh — SIGTERM and SIGINT while cutover works (make check; docs/faults.md).
#
# The gym at SF=3 on SQLite (15,000 clients, 36,000 bookings; one booking priced
# '12,50', rejected). The target starts in a "before" state (an older migration,
# since edited), whose per-table digests are kept (before.dig).
#
# 1. `cutover run`, SIGTERM and SIGINT during each step — check (made to last by
#    a lock another process holds on the source), snapshot, migrate, verify, and
#    restore (a No-Go run: max_rejects 0) — SIGTERM and SIGINT at two of three
#    moments of each step (10%, 40% or 70% of its duration in a calibration run,
#    counted from the step's start: its progress line), so that every
#    signal meets every step and every moment comes up at both signals over the
#    run. Each time: exit 2, the run and the step journaled interrupted, the open
#    transaction rolled back (the table being worked on is named, and logged):
#      check, snapshot  the target as before, no snapshot file, the target not blocked;
#      migrate          every table either empty (truncated, its load rolled back) or
#                       complete (verify of that table Go);
#      verify           the target fully migrated (verify Go);
#      restore          the target as migrate left it (the restore rolled back);
#    then the way out the journal names puts the target back as before:
#    `cutover restore SNAPSHOT --journal` (or, for migrate and verify once each,
#    `run --resume`).
# 2. SIGINT during plain migrate, verify, snapshot and restore, two moments each
#    (20% and 60% of the command's wall time in a calibration run):
#    exit 2 "interrupted"; migrate: every table empty or complete; verify: the
#    target unchanged; snapshot: no new file, the older one untouched, no temporary
#    file; restore: the target unchanged.
# A signal that lands after the step ended is tried again earlier (at most four times, halving the moment each time).
# One line per signal on standard error says where it landed and what it left.
. "$CUT_SRCDIR/tests/e2e/lib.sh"
set -e

faults=0
retries=0
map=$CUT_SRCDIR/mappings/gym-sqlite.yaml
"$CUTOVER_FIXTURE" gym --scale 3 --sqlite legacy.db >/dev/null
sql legacy.db "UPDATE bookings SET price = '12,50' WHERE id = 5"
sed 's/max_rejects: 0 /max_rejects: 1 /' "$map" >go.yaml
cp "$map" nogo.yaml
grep -q 'max_rejects: 1 ' go.yaml || fail "go.yaml: no max_rejects to change"
"$CUTOVER_FIXTURE" sql --sqlite empty.db "$CUT_SRCDIR/fixtures/gym-target.sqlite.sql" >/dev/null
export GYM_SOURCE="sqlite:$work/legacy.db" GYM_TARGET="sqlite:$work/gym.db"

# digests DB OUT — "table rows digest" per table of the SQLite database DB, by snapshot.
digests() {
    rm -f dig.cutsnap
    "$CUTOVER" snapshot -q "sqlite:$work/$1" -o dig.cutsnap >/dev/null
    "$CUTOVER" inspect dig.cutsnap | awk '$1 == "members" || $1 == "bookings" { print $1, $2, $NF }' >"$2"
}
rows_of() { awk -v t="$2" '$1 == t { print $2 }' "$1"; }

# The state before: an older migration, since edited.
cp empty.db before.db
run 0 b.out env GYM_TARGET="sqlite:$work/before.db" "$CUTOVER" migrate -q go.yaml --rejects b.rejects
sql before.db "DELETE FROM bookings WHERE id % 3 = 0; UPDATE members SET notes = 'before' WHERE id % 7 = 0;"
digests before.db before.dig
# The state a whole migration leaves.
cp empty.db migrated.db
run 0 m.out env GYM_TARGET="sqlite:$work/migrated.db" "$CUTOVER" migrate -q go.yaml --rejects m.rejects
digests migrated.db migrated.dig
MEMBERS=$(rows_of migrated.dig members) BOOKINGS=$(rows_of migrated.dig bookings)
cmp -s before.dig migrated.dig && fail "the before state must differ from a migration"

# A lock on the source held for about LOCK seconds by another process: check waits on it.
lock_rows=2500000
printf 'BEGIN EXCLUSIVE;\nWITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %d) SELECT count(*) FROM c;\nCOMMIT;\n' \
    $lock_rows >lock.sql
# Waits until the locker holds its write lock (POSIX locks in /proc/locks), at most 5 s.
lock_source() {
    "$CUTOVER_FIXTURE" sql --sqlite legacy.db lock.sql >/dev/null 2>&1 &
    locker=$!
    if [ -r /proc/locks ]; then
        i=0
        until grep -q "WRITE *$locker " /proc/locks; do
            i=$((i + 1))
            [ $i -lt 500 ] && kill -0 $locker 2>/dev/null || { echo "signals.sh: the source lock was not seen" >&2; break; }
            sleep 0.01
        done
    else
        sleep 0.2
    fi
}

# state JOURNAL — the journal's last run as JSON (state.json).
state() { "$CUTOVER" report --journal "$1" --format json >state.json 2>/dev/null || true; }
# step_secs JSON STEP — the step's duration in a report.
step_secs() { grep "\"name\": \"$2\", " "$1" | sed 's/.*"seconds": \([0-9.]*\).*/\1/' | head -n 1; }
frac() { awk -v d="$1" -v f="$2" 'BEGIN { printf "%.3f", d * f }'; }
now() { date +%s.%N; }
# calc EXPR — awk arithmetic, 3 decimals
calc() { awk "BEGIN { x = $1; printf \"%.3f\", x }"; }

# ------------------------------------------------------------- calibration
cp before.db gym.db
lock_source
run 0 cal-go.out "$CUTOVER" run -q go.yaml --journal cal-go.db --snapshot cal-go.cutsnap
wait $locker
run 0 cal-go.json "$CUTOVER" report --journal cal-go.db --format json
cp before.db gym.db
run 1 cal-nogo.out "$CUTOVER" run -q nogo.yaml --journal cal-nogo.db --snapshot cal-nogo.cutsnap
run 0 cal-nogo.json "$CUTOVER" report --journal cal-nogo.db --format json
expect cal-nogo.out "No-Go, rolled back"
for s in check snapshot migrate verify; do
    eval "dur_$s=$(step_secs cal-go.json $s)"
done
dur_restore=$(step_secs cal-nogo.json restore)
echo "signals.sh: step durations: check $dur_check s (locked source), snapshot $dur_snapshot s," \
    "migrate $dur_migrate s, verify $dur_verify s, restore $dur_restore s" >&2

# ------------------------------------------------- 1. cutover run, each step
# run_kill STEP SIG FRACTION N — one run signalled during STEP, FRACTION of the step's
# calibrated duration after the step started (the run's progress line "STEP ...", which
# it prints once the journal holds the step as running). The run's standard error comes
# through a pipe, read line by line: the signal follows the line without a poll (a
# process per look came too late for the short steps on a loaded machine). Sets $landed
# (the step the journal says was interrupted, empty if none), $last_status and $at (the
# fraction of the step's calibrated duration at which the signal was sent).
run_kill() {
    step=$1 sig=$2 f=$3 n=$4
    j=j$n.db snap=snap$n.cutsnap
    rm -f "$j" "$j-wal" "$j-shm" "$snap" k$n.pipe
    cp before.db gym.db
    mapping=go.yaml
    [ "$step" = restore ] && mapping=nogo.yaml
    [ "$step" = check ] && lock_source
    eval "d=\$dur_$step"
    pause=$(frac "$d" "$f")
    mkfifo k$n.pipe
    : >k$n.err
    "$CUTOVER" run "$mapping" --journal "$j" --snapshot "$snap" >k$n.out 2>k$n.pipe &
    bg=$!
    at=late
    while IFS= read -r l; do
        printf '%s\n' "$l" >>k$n.err
        case $at$l in
        "latecutover: run "*": $step ...")
            t0=$(now)
            sleep "$pause"
            kill -s "$sig" $bg 2>/dev/null || true
            at=$(calc "($(now) - $t0) / $d")
            ;;
        esac
    done <k$n.pipe
    wait_st $bg
    cat k$n.err >>k$n.out
    [ "$step" = check ] && wait $locker
    state "$j"
    landed=$(grep -o '"name": "[a-z]*", "status": "interrupted"' state.json | sed 's/"name": "\([a-z]*\)".*/\1/')
    last_status=$st
}
# note TEXT — one line per signal sent, for docs/faults.md's measured outcomes.
note() { echo "signals.sh: $*" >&2; }

n=0
k=0
for step in check snapshot migrate verify restore; do
    for sig in TERM INT; do
        # moments 0.1, 0.4, 0.7 in turn: every step meets two, every signal all three
        f=$(echo "0.1 0.4 0.7" | cut -d' ' -f$((k % 3 + 1)))
        k=$((k + 1))
        {
            n=$((n + 1))
            f0=$f
            tries=0
            while :; do
                run_kill $step $sig $f $n
                [ "$landed" = "$step" ] && break
                tries=$((tries + 1))
                [ $tries -le 4 ] || break
                retries=$((retries + 1))
                f=$(frac "$f" 0.5)
            done
            faults=$((faults + 1))
            what="$n: SIG$sig during $step at $at of it"
            if [ "$landed" != "$step" ]; then
                fail "$what: the journal says '${landed:-no step}' was interrupted"
                sed 's/^/    | /' k$n.out >&2
                continue
            fi
            left=""
            [ "$last_status" -eq 2 ] || { fail "$what: exit $last_status, wanted 2"; sed 's/^/    | /' k$n.out >&2; }
            expect k$n.out "Interrupted"
            # The table whose work was cut short is named; a signal between tables (or
            # after the last, while a snapshot file is closed) has none to name.
            named=$(grep -o "table [a-z]*: [a-z: ]*interrupted" k$n.out | head -n 1 | cut -d: -f1)
            # The table named is the target's (clients is the source of members), and its
            # progress line does not say it was done (migrate and verify: one phase per
            # table; a restore's table has two, its load done before its read-back).
            [ "$named" = "table clients" ] && fail "$what: names the source table clients"
            case $step in
            migrate | verify)
                [ -n "$named" ] && grep -q "^cutover: $step ${named#table }: .* done in" k$n.out &&
                    fail "$what: the progress says ${named#table } was done"
                ;;
            esac
            expect state.json '"outcome": "interrupted"'
            ls ./*.tmp-* >/dev/null 2>&1 && fail "$what: a temporary file was left"
            digests gym.db after$n.dig
            case $step in
            check | snapshot)
                cmp -s before.dig after$n.dig || fail "$what: the target changed"
                [ -e snap$n.cutsnap ] && [ $step = snapshot ] && fail "$what: a snapshot file was left"
                expect state.json '"cleared": "the target was not written'
                ;;
            migrate)
                for t in members bookings; do
                    r=$(rows_of after$n.dig $t)
                    want=$MEMBERS
                    [ $t = bookings ] && want=$BOOKINGS
                    if [ "$r" = "$want" ]; then
                        run 0 v$n-$t.out "$CUTOVER" verify -q go.yaml --tables $t --rejects go.rejects
                        left="$left $t complete (Go)"
                    elif [ "$r" != 0 ]; then
                        fail "$what: $t holds $r rows: neither empty nor complete"
                    else
                        left="$left $t empty"
                    fi
                done
                ;;
            verify)
                cmp -s migrated.dig after$n.dig || fail "$what: the target is not the migrated one"
                ;;
            restore)
                cmp -s migrated.dig after$n.dig || fail "$what: the restore was not rolled back"
                ;;
            esac
            # The way out: resume once per step that wrote the target, else restore.
            case $step in
            check | snapshot) way="target as before, not blocked" ;;
            *)
                if [ $sig = TERM ] && [ $step != restore ]; then
                    run 0 res$n.out "$CUTOVER" run -q go.yaml --journal j$n.db --resume
                    expect res$n.out "Go"
                    way="run --resume: Go"
                else
                    run 0 res$n.out "$CUTOVER" restore -q snap$n.cutsnap --journal j$n.db
                    digests gym.db back$n.dig
                    cmp -s before.dig back$n.dig || fail "$what: restore --journal did not put it back"
                    way="restore --journal: as before"
                fi
                ;;
            esac
            case $step in
            migrate) ;;
            verify) left=" fully migrated" ;;
            restore) left=" as migrate left it" ;;
            *) left=" as before" ;;
            esac
            note "$n: SIG$sig during run's $step at $at of it (aimed $f0, $((tries + 1)) tr$([ $tries -eq 0 ] && echo y || echo ies)): exit $last_status (${named:-no table} named), journal interrupted;$left; $way"
        }
    done
done

# ------------------------------------------------- 2. plain commands, SIGINT
# cmd_kill N CMD... — runs CMD in the background, SIGINT after $delay s; sets $st.
cmd_kill() {
    n=$1
    shift
    "$@" >p$n.out 2>&1 &
    bg=$!
    sleep "$delay"
    kill -INT $bg 2>/dev/null || true
    wait_st $bg
}
# timed SECONDS_VAR CMD... — wall time of a run of CMD.
timed() {
    v=$1
    shift
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true
    eval "$v=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')"
}

cp empty.db gym.db
timed t_migrate "$CUTOVER" migrate -q go.yaml --rejects p.rejects
timed t_verify "$CUTOVER" verify -q go.yaml --rejects p.rejects
cp before.db gym.db
rm -f p.cutsnap
timed t_snapshot "$CUTOVER" snapshot -q "$GYM_TARGET" -o p.cutsnap
cp migrated.db gym.db
timed t_restore "$CUTOVER" restore -q p.cutsnap
echo "signals.sh: command times: migrate $t_migrate s, verify $t_verify s," \
    "snapshot $t_snapshot s, restore $t_restore s" >&2

for cmd in migrate verify snapshot restore; do
    for f in 0.2 0.6; do
        n=$((n + 1))
        f0=$f
        eval "t=\$t_$cmd"
        tries=0
        while :; do
            printf 'an older snapshot\n' >older.cutsnap
            case $cmd in
            migrate) cp empty.db gym.db ;;
            verify | restore) cp migrated.db gym.db ;;
            snapshot) cp before.db gym.db ;;
            esac
            delay=$(frac "$t" "$f")
            case $cmd in
            migrate) cmd_kill $n "$CUTOVER" migrate -q go.yaml --rejects p$n.rejects ;;
            verify) cmd_kill $n "$CUTOVER" verify -q go.yaml --rejects p.rejects ;;
            snapshot) cmd_kill $n "$CUTOVER" snapshot -q --force "$GYM_TARGET" -o older.cutsnap ;;
            restore) cmd_kill $n "$CUTOVER" restore -q p.cutsnap ;;
            esac
            [ $st -eq 0 ] || break
            tries=$((tries + 1))
            [ $tries -le 4 ] || break
            retries=$((retries + 1))
            f=$(frac "$f" 0.5)
        done
        faults=$((faults + 1))
        what="$n: SIGINT during $cmd at $f of it"
        [ $st -eq 2 ] || { fail "$what: exit $st, wanted 2"; sed 's/^/    | /' p$n.out >&2; continue; }
        left=""
        expect p$n.out "interrupted"
        named=$(grep -o "table [a-z]*: interrupted" p$n.out | head -n 1 | cut -d: -f1)
        [ "$named" = "table clients" ] && fail "$what: names the source table clients"
        ls ./*.tmp-* >/dev/null 2>&1 && fail "$what: a temporary file was left"
        digests gym.db after$n.dig
        case $cmd in
        migrate)
            for t in members bookings; do
                r=$(rows_of after$n.dig $t)
                want=$MEMBERS
                [ $t = bookings ] && want=$BOOKINGS
                if [ "$r" = "$want" ]; then
                    run 0 v$n-$t.out "$CUTOVER" verify -q go.yaml --tables $t --rejects p$n.rejects
                    left="$left $t complete (Go)"
                elif [ "$r" != 0 ]; then
                    fail "$what: $t holds $r rows: neither empty nor complete"
                else
                    left="$left $t empty"
                fi
            done
            ;;
        verify | restore)
            cmp -s migrated.dig after$n.dig || fail "$what: the target changed"
            left=" target unchanged"
            ;;
        snapshot)
            [ "$(cat older.cutsnap)" = "an older snapshot" ] || fail "$what: the older snapshot was replaced"
            left=" older snapshot untouched"
            ;;
        esac
        note "$n: SIGINT during $cmd at $f of its time (aimed $f0, $((tries + 1)) tr$([ $tries -eq 0 ] && echo y || echo ies)): exit $st (${named:-no table} named);$left"
    done
done

echo "signals.sh: $faults signals sent ($retries sent again earlier after landing late)" >&2
[ -z "${FAULTS_KEEP:-}" ] || cp -r . "$FAULTS_KEEP"
finish
