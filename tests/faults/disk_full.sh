#!/bin/sh
# disk_full.sh — the disk filling up under cutover (make check; docs/faults.md).
#
# As root where mount works, each "disk" is a small tmpfs (ENOSPC, as on a real
# full disk); elsewhere the command runs under `ulimit -f` with SIGXFSZ ignored
# (EFBIG: the same write errors, per file), and the cases that need a shared
# full disk say they did not run. Faults:
#   1. snapshot onto a full disk, over an older snapshot of the same name
#      (--force) and to a new name: exit 2 naming the file, the older snapshot
#      untouched and still valid, no partial file, no temporary file left;
#   2. migrate into a SQLite target whose disk fills during the second table:
#      exit 2 naming the table and the full disk; the first table committed and
#      verified Go, the second empty;
#   3. cutover run with that target: migrate fails, the run rolls back from its
#      snapshot (on another disk) and the journal says what happened;
#   4. the reject file's disk full: with many rejects (a write fails during the
#      load) and with one (only flushing it fails): exit 2, the table not
#      committed — a rejected row must never vanish;
#   5. the journal's disk full: before the run (refused, the target untouched)
#      and during migrate (the run stops, the target is put back from the
#      snapshot, the journal blocks the target until restore --journal).
. "$CUT_SRCDIR/tests/e2e/lib.sh"
set -e

mounts=""
cleanup() {
    for m in $mounts; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tmpfs=0
mkdir probe
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=64k tmpfs probe 2>/dev/null; then
    umount probe
    tmpfs=1
fi
rmdir probe
notrun=0
faults=0

# small_disk DIR KB — DIR is a disk of KB kilobytes (tmpfs), or a plain directory.
small_disk() {
    mkdir -p "$1"
    if [ $tmpfs -eq 1 ]; then
        mount -t tmpfs -o size="$2k",mode=0755 tmpfs "$1"
        mounts="$work/$1 $mounts"
    fi
}
# fill DIR [KB] — fills the disk of DIR, leaving KB kilobytes free (default none).
fill() {
    dd if=/dev/zero of="$1/filler" bs=4096 2>/dev/null || true
    [ -z "${2:-}" ] || truncate -s "-$2k" "$1/filler"
}
# limited KB CMD... — CMD, unable to write more than KB kilobytes to any file when
# there is no tmpfs (dash counts ulimit -f in 512-byte blocks).
limited() {
    kb=$1
    shift
    if [ $tmpfs -eq 1 ]; then
        "$@"
    else
        (ulimit -f $((kb * 2)) && trap '' XFSZ && exec "$@")
    fi
}
# nospace FILE — FILE says a write failed for lack of room.
nospace() {
    if [ $tmpfs -eq 1 ]; then expect "$1" "No space left on device"; else expect "$1" "File too large"; fi
}
# Same for SQLite, which has its own words for it.
sqlite_full() {
    if [ $tmpfs -eq 1 ]; then expect "$1" "database or disk is full"; else expect "$1" "disk I/O error"; fi
}
# snap_rows FILE TABLE — rows of TABLE in a snapshot, by its index.
snap_rows() { "$CUTOVER" inspect "$1" | awk -v t="$2" '$1 == t { print $2 }'; }
# digests FILE — "table rows digest" lines of a snapshot.
digests() { "$CUTOVER" inspect "$1" | awk '$1 == "members" || $1 == "bookings" { print $1, $2, $NF }'; }
counted() { faults=$((faults + 1)); }

map=$CUT_SRCDIR/mappings/gym-sqlite.yaml
"$CUTOVER_FIXTURE" gym --scale 1 --sqlite legacy1.db >/dev/null
"$CUTOVER_FIXTURE" gym --scale 2 --sqlite legacy2.db >/dev/null
"$CUTOVER_FIXTURE" sql --sqlite empty.db "$CUT_SRCDIR/fixtures/gym-target.sqlite.sql" >/dev/null
target_of() { # target_of NAME SF — a gym target migrated from legacySF.db
    cp empty.db "$1"
    run 0 "$1.out" env GYM_SOURCE="sqlite:$work/legacy$2.db" GYM_TARGET="sqlite:$work/$1" \
        "$CUTOVER" migrate -q "$map" --rejects "$1.rejects"
}
target_of full1.db 1
target_of full2.db 2

# ---------------------------------------------- 1. a snapshot on a full disk
# 512 KiB: the SF=1 snapshot (about 320 KiB) fits, the SF=2 one (about 620 KiB) not.
small_disk snapdisk 512
run 0 s1.out "$CUTOVER" snapshot -q "sqlite:$work/full1.db" -o snapdisk/gym.cutsnap
cp snapdisk/gym.cutsnap gym-older.cutsnap
run 2 s1f.out limited 512 "$CUTOVER" snapshot -q --force "sqlite:$work/full2.db" -o snapdisk/gym.cutsnap
counted
expect s1f.out "cutover: snapshot failed: cannot write"
expect s1f.out "snapdisk/gym.cutsnap.tmp-"
nospace s1f.out
cmp -s snapdisk/gym.cutsnap gym-older.cutsnap || fail "1: the older snapshot was changed"
run 0 s1v.out "$CUTOVER" inspect --verify snapdisk/gym.cutsnap
ls snapdisk/*.tmp-* >/dev/null 2>&1 && fail "1: a temporary file was left on the full disk"
# A new name: nothing appears.
run 2 s1n.out limited 512 "$CUTOVER" snapshot -q "sqlite:$work/full2.db" -o snapdisk/new.cutsnap
counted
nospace s1n.out
[ -e snapdisk/new.cutsnap ] && fail "1b: a partial snapshot was left"
ls snapdisk/*.tmp-* >/dev/null 2>&1 && fail "1b: a temporary file was left on the full disk"

# ------------------------------ 2. migrate into a SQLite target on a full disk
# 1 MiB: members (about 610 KiB) fits, bookings (another 950 KiB) not.
small_disk tdisk 1024
cp empty.db tdisk/gym.db
export GYM_SOURCE="sqlite:$work/legacy1.db" GYM_TARGET="sqlite:$work/tdisk/gym.db"
run 2 m2.out limited 1024 "$CUTOVER" migrate -q "$map" --rejects m2.rejects
counted
expect m2.out "cutover: table bookings: SQLite"
sqlite_full m2.out
run 0 m2s.out "$CUTOVER" snapshot -q "$GYM_TARGET" -o m2.cutsnap
[ "$(snap_rows m2.cutsnap bookings)" = 0 ] || fail "2: bookings kept rows of the failed load"
[ "$(snap_rows m2.cutsnap members)" = 4974 ] || fail "2: members should be committed"
run 0 m2v.out "$CUTOVER" verify -q --tables members "$map" --rejects m2.rejects
expect m2v.out "Go: 1 table"

# ----------------------------- 3. cutover run with its target on a full disk
if [ $tmpfs -eq 1 ]; then
    small_disk rdisk 1024
    cp empty.db rdisk/gym.db
    cp "$map" run3.yaml
    export GYM_TARGET="sqlite:$work/rdisk/gym.db"
    run 0 r3b.out "$CUTOVER" snapshot -q "$GYM_TARGET" -o r3-before.cutsnap
    digests r3-before.cutsnap >r3-before.dig
    run 2 r3.out "$CUTOVER" run -q run3.yaml
    counted
    expect r3.out "migrate failed: table bookings: SQLite"
    sqlite_full r3.out
    # A full disk is not a table outside the mapping referencing the target.
    expect_not r3.out "may still reference them"
    run 0 r3.json "$CUTOVER" report --journal cutover.db --format json
    expect r3.json '"name": "migrate", "status": "failed"'
    run 0 r3a.out "$CUTOVER" snapshot -q "$GYM_TARGET" -o r3-after.cutsnap
    digests r3-after.cutsnap >r3-after.dig
    if grep -q '"rolled_back": true' r3.json; then
        cmp -s r3-before.dig r3-after.dig || fail "3: journaled rolled back, but the target differs"
        expect r3.out "Rolled back"
    else
        # The rollback could not be written either: the journal must say so, and a
        # restore once there is room puts the target back.
        expect r3.json '"name": "restore", "status": "failed"'
        expect r3.out "ROLLBACK FAILED"
        expect r3.out "Error: migrate failed: table bookings"
        expect_not r3.out "= snapshot"
        expect_not r3.json '"matches_snapshot": true'
        # The operator makes room; the restore recorded in the journal puts it back.
        mount -o remount,size=4m "$work/rdisk"
        run 0 r3r.out "$CUTOVER" restore -q cutover-run-1.cutsnap --journal cutover.db
        run 0 r3c.out "$CUTOVER" snapshot -q "$GYM_TARGET" -o r3-restored.cutsnap
        digests r3-restored.cutsnap >r3-restored.dig
        cmp -s r3-before.dig r3-restored.dig || fail "3: restore --journal did not put the target back"
    fi
else
    notrun=$((notrun + 1))
fi

# ------------------------------------------- 4. the reject file's disk full
# a) Every booking's price is '12,50': 12,000 rejects, far more than 256 KiB.
cp legacy1.db bad1.db
sql bad1.db "UPDATE bookings SET price = '12,50'"
small_disk rejdisk 256
cp empty.db rej.db
export GYM_SOURCE="sqlite:$work/bad1.db" GYM_TARGET="sqlite:$work/rej.db"
run 2 j4.out limited 2600 "$CUTOVER" migrate -q "$map" --rejects rejdisk
counted
expect j4.out "table bookings: cannot write reject file rejdisk/bookings.rejects.jsonl"
run 0 j4s.out "$CUTOVER" snapshot -q "$GYM_TARGET" -o j4.cutsnap
[ "$(snap_rows j4.cutsnap bookings)" = 0 ] || fail "4a: bookings committed without its rejects"
# b) One reject, a disk with no room at all: the line waits in a buffer, and only
#    flushing it fails. The table must not be committed without it.
if [ $tmpfs -eq 1 ]; then
    cp legacy1.db bad2.db
    sql bad2.db "UPDATE bookings SET price = '12,50' WHERE id = 5"
    rm -f rejdisk/*.jsonl
    fill rejdisk
    cp empty.db rej2.db
    export GYM_SOURCE="sqlite:$work/bad2.db" GYM_TARGET="sqlite:$work/rej2.db"
    run 2 j4b.out "$CUTOVER" migrate -q "$map" --rejects rejdisk
    counted
    expect j4b.out "table bookings: cannot write reject file rejdisk/bookings.rejects.jsonl"
    nospace j4b.out
    run 0 j4bs.out "$CUTOVER" snapshot -q "$GYM_TARGET" -o j4b.cutsnap
    [ "$(snap_rows j4b.cutsnap bookings)" = 0 ] ||
        fail "4b: bookings committed although its reject could not be written"
    rm -f rejdisk/filler
else
    notrun=$((notrun + 1))
fi

# ---------------------------------------------- 5. the journal's disk full
export GYM_SOURCE="sqlite:$work/legacy2.db"
if [ $tmpfs -eq 1 ]; then
    # a) No room for the journal at all: refused before anything is written.
    small_disk jdisk 512
    cp full1.db j5.db
    export GYM_TARGET="sqlite:$work/j5.db"
    run 0 j5b.out "$CUTOVER" snapshot -q "$GYM_TARGET" -o j5-before.cutsnap
    digests j5-before.cutsnap >j5-before.dig
    fill jdisk
    run 2 j5.out "$CUTOVER" run -q "$map" --journal jdisk/cutover.db --snapshot j5-run.cutsnap
    counted
    expect j5.out "jdisk/cutover.db"
    expect j5.out "full"
    [ -e j5-run.cutsnap ] && fail "5a: the run went on without a journal"
    run 0 j5a.out "$CUTOVER" snapshot -q "$GYM_TARGET" -o j5-after.cutsnap
    digests j5-after.cutsnap >j5-after.dig
    cmp -s j5-before.dig j5-after.dig || fail "5a: the target changed"
    # b) The journal's disk fills while migrate runs: the run cannot record its steps
    #    any more; it stops, puts the target back from its snapshot (on another disk),
    #    and the journal, once there is room, blocks the target until restore --journal.
    #    The moment is held: the target's write lock is taken first (cutover-fixture
    #    hold), so the migrate step waits for it while the disk fills.
    rm -f jdisk/filler jdisk/cutover.db*
    sqlite_hold j5.db hold5
    "$CUTOVER" run -q "$map" --journal jdisk/cutover.db --snapshot j5-run.cutsnap >j5b.out 2>&1 &
    bg=$!
    wait_migrating $bg --journal jdisk/cutover.db
    fill jdisk
    sqlite_release hold5
    wait_st $bg
    counted
    [ $st -eq 2 ] || { fail "5b: journal disk full during run: exit $st, wanted 2"; cat j5b.out >&2; }
    expect j5b.out "jdisk/cutover.db"
    expect j5b.out "full"
    rm -f jdisk/filler
    run 0 j5c.out "$CUTOVER" snapshot -q "$GYM_TARGET" -o j5-end.cutsnap
    digests j5-end.cutsnap >j5-end.dig
    cmp -s j5-before.dig j5-end.dig || fail "5b: the target was not put back"
    run 0 j5d.out "$CUTOVER" runs --journal jdisk/cutover.db
    run 2 j5e.out "$CUTOVER" run -q "$map" --journal jdisk/cutover.db --snapshot j5-run2.cutsnap
    expect j5e.out "refusing to start: run 1"
    run 0 j5f.out "$CUTOVER" restore -q j5-run.cutsnap --journal jdisk/cutover.db
    run 0 j5g.out "$CUTOVER" run -q "$map" --journal jdisk/cutover.db --snapshot j5-run3.cutsnap
else
    notrun=$((notrun + 2))
fi

echo "disk_full.sh: $faults faults injected ($([ $tmpfs -eq 1 ] && echo tmpfs || echo 'ulimit -f')), $notrun not run" >&2
[ -z "${FAULTS_KEEP:-}" ] || cp -r . "$FAULTS_KEEP"
finish
