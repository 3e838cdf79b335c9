#!/bin/sh
# kill -9 of `cutover run` at random moments of migrate, then `cutover run --resume`:
# every resume ends Go (counts add up, digests equal: no row duplicated or missing).
#   KILL_SF     scale of the gym data (default 4; KILL_SF=100 for the 1.7M-row check)
#   KILL_TIMES  how many kill points (default 5)
#   KILL_CHUNK  options.chunk_rows (default 5000, so that tables are many chunks)
. "$CUT_SRCDIR/tests/e2e/lib.sh"
set -e
sf=${KILL_SF:-4}
times=${KILL_TIMES:-5}
chunk=${KILL_CHUNK:-5000}
"$CUTOVER_FIXTURE" gym --scale "$sf" --sqlite gym-legacy.db >/dev/null 2>&1
export GYM_SOURCE=sqlite:$work/gym-legacy.db GYM_TARGET=sqlite:$work/gym.db
sed "s/^  max_rejects: 0 .*/  max_rejects: 0\n  chunk_rows: $chunk/" "$CUT_SRCDIR/mappings/gym-sqlite.yaml" > gym.yaml
grep -q "chunk_rows: $chunk" gym.yaml || { fail "could not set chunk_rows"; finish; }

fresh_target() {
    rm -f gym.db gym.db-journal cutover.db cutover.db-wal cutover.db-shm cutover-run-*.cutsnap
    "$CUTOVER_FIXTURE" sql --sqlite gym.db "$CUT_SRCDIR/fixtures/gym-target.sqlite.sql" >/dev/null
}

# One uninterrupted run measures how long migrate takes.
fresh_target
t0=$(date +%s.%N)
run 0 full.out "$CUTOVER" run -q gym.yaml
t1=$(date +%s.%N)
span=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
echo "uninterrupted run: $span s" >&2

k=1
while [ $k -le "$times" ]; do
    fresh_target
    "$CUTOVER" run -q gym.yaml >killed.$k.out 2>&1 &
    pid=$!
    # Wait until migrate runs, then a random moment of it.
    i=0
    while [ $i -lt 600 ]; do
        "$CUTOVER" report --format json >state.json 2>/dev/null || true
        grep -q '"name": "migrate", "status": "running"' state.json && break
        kill -0 $pid 2>/dev/null || break
        i=$((i + 1))
        sleep 0.05
    done
    delay=$(awk -v s="$span" -v k="$k" -v seed="$$" 'BEGIN { srand(seed + k * 7919); printf "%.3f", s * (0.05 + 0.5 * rand()) }')
    sleep "$delay"
    if ! kill -9 $pid 2>/dev/null; then
        wait $pid 2>/dev/null || true
        echo "kill point $k (+${delay}s): the run had finished; not counted" >&2
        times=$((times + 1))
        [ $times -le 20 ] || { fail "runs keep finishing before the kill: raise KILL_SF"; break; }
        k=$((k + 1))
        continue
    fi
    wait $pid 2>/dev/null || true
    run 2 refused.$k.out "$CUTOVER" run -q gym.yaml
    expect refused.$k.out "--resume"
    run 0 resumed.$k.out "$CUTOVER" run -q --resume gym.yaml
    expect resumed.$k.out "Go"
    run 0 verify.$k.out "$CUTOVER" verify -q gym.yaml
    expect verify.$k.out "Go: 2 tables"
    set -- $(row_of verify.$k.out bookings)
    [ "$4" -eq "$5" ] || fail "kill point $k: bookings loaded $4, target $5"
    kept=$(grep -o 'kept [0-9]* chunks\{0,1\}' resumed.$k.out | head -1)
    echo "kill point $k: +${delay}s into migrate, resume ${kept:-kept nothing}: Go" >&2
    k=$((k + 1))
done
finish
