#!/bin/sh
# Snapshots through the CLI on the gym demo: snapshot (URL and mapping) with the
# digests verify computes, inspect and inspect --verify, restore of everything,
# of one table and into another database, each followed by a Go verify; damaged,
# truncated and newer files refused before anything is written (exit 1, or 2 for
# a newer format); usage errors exit 2.
. "$CUT_SRCDIR/tests/e2e/lib.sh"
set -e
make_gym 1
map=$CUT_SRCDIR/mappings/gym-sqlite.yaml

# flip FILE OFFSET — changes one byte of FILE in place.
flip() {
    v=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "\\$(printf %o $(((v + 1) % 256)))" | dd of="$1" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null
}
size_of() { wc -c <"$1" | tr -d ' '; }

run 0 m.out "$CUTOVER" migrate -q "$map"
run 0 v.out "$CUTOVER" verify -q "$map" --json v.json

# 1. Snapshot of the target database: the digests are the ones verify computed.
run 0 s.out "$CUTOVER" snapshot -q "$GYM_TARGET" -o gym.cutsnap
expect s.out "wrote gym.cutsnap: 2 tables, 16974 rows"
for t in members bookings; do
    d=$(awk -v t=$t '$1 == t { print $NF }' s.out)
    [ -n "$d" ] && grep -q "\"actual_digest\": \"$d\"" v.json ||
        fail "$t: snapshot digest '$d' is not the one verify computed"
done
# From the mapping: its target tables, the same digests.
run 0 sm.out "$CUTOVER" snapshot -q "$map" -o map.cutsnap --level 9 --threads 1
expect sm.out "wrote map.cutsnap: 2 tables, 16974 rows"
[ "$(awk '$1 == "members" { print $NF }' sm.out)" = "$(awk '$1 == "members" { print $NF }' s.out)" ] ||
    fail "snapshot from the mapping differs"
# An existing file is not replaced without --force.
run 2 ow.out "$CUTOVER" snapshot -q "$GYM_TARGET" -o gym.cutsnap
expect ow.out "--force"
run 0 ow2.out "$CUTOVER" snapshot -q --force "$GYM_TARGET" -o gym.cutsnap --tables members,bookings
ls ./*.tmp-* >/dev/null 2>&1 && fail "a temporary file was left behind"

# 2. inspect, and inspect --verify.
run 0 i.out "$CUTOVER" inspect gym.cutsnap
expect i.out "format    cutsnap 1, written by cutover"
expect i.out "source    sqlite:$work/gym.db (SQLite)"
expect i.out "2 tables, 16974 rows"
run 0 iv.out "$CUTOVER" inspect --verify --schema gym.cutsnap
expect iv.out "verified: 2 tables, 16974 rows"
expect iv.out "CREATE TABLE bookings"

# 3. Rows changed; restore puts them back; verify is Go again.
sql gym.db "UPDATE members SET email = 'x' WHERE id = 42; DELETE FROM bookings WHERE id < 100;
            INSERT INTO bookings VALUES (999999, 42, 'BRU1', 'Yoga', '2024-01-01 10:00:00+00', 'booked', 12.5, 'phone');"
run 1 v2.out "$CUTOVER" verify -q "$map"
run 0 r.out "$CUTOVER" restore -q gym.cutsnap
expect r.out "restored 2 tables into sqlite:$work/gym.db: 16974 rows, every digest equal"
expect r.out "members"
run 0 v3.out "$CUTOVER" verify -q "$map"

# 4. One table alone.
sql gym.db "DELETE FROM bookings WHERE id < 100;"
run 0 r1.out "$CUTOVER" restore -q gym.cutsnap --tables bookings
expect r1.out "restored 1 table into"
run 0 v4.out "$CUTOVER" verify -q "$map"
# members alone is refused while bookings (not restored) references it.
run 2 r1b.out "$CUTOVER" restore -q gym.cutsnap --tables members
expect r1b.out "table bookings references members"

# 5. Into another database with the same tables.
"$CUTOVER_FIXTURE" sql --sqlite other.db "$CUT_SRCDIR/fixtures/gym-target.sqlite.sql" >/dev/null
run 0 r2.out "$CUTOVER" restore -q gym.cutsnap --target "sqlite:$work/other.db"
run 0 v5.out "$CUTOVER" verify -q "$map" --target "sqlite:$work/other.db"
# A database without the tables: named, nothing written.
"$CUTOVER_FIXTURE" sql --sqlite empty.db - >/dev/null <<EOF
CREATE TABLE unrelated (id INTEGER PRIMARY KEY);
EOF
run 2 r3.out "$CUTOVER" restore -q gym.cutsnap --target "sqlite:$work/empty.db"
expect r3.out "table members does not exist"
expect r3.out "restore does not create tables"

# 6. Damaged files are refused before anything is written (exit 1).
sql gym.db "UPDATE members SET email = 'y' WHERE id = 43;"
size=$(size_of gym.cutsnap)
cp gym.cutsnap bad.cutsnap
flip bad.cutsnap $((size / 2))
run 1 bi.out "$CUTOVER" inspect --verify bad.cutsnap
expect bi.out "data frame"
expect bi.out "FAILED"
run 0 bi0.out "$CUTOVER" inspect bad.cutsnap
run 1 br.out "$CUTOVER" restore -q bad.cutsnap
expect br.out "checksum mismatch"
cp gym.cutsnap bad.cutsnap
flip bad.cutsnap 20
run 1 bh.out "$CUTOVER" restore -q bad.cutsnap
expect bh.out "header frame"
cp gym.cutsnap bad.cutsnap
flip bad.cutsnap $((size - 100))
run 1 bx.out "$CUTOVER" restore -q bad.cutsnap
expect bx.out "index frame"
cp gym.cutsnap bad.cutsnap
flip bad.cutsnap $((size - 30))
run 1 bf.out "$CUTOVER" restore -q bad.cutsnap
expect bf.out "footer"
head -c $((size - 1000)) gym.cutsnap >trunc.cutsnap
run 1 bt.out "$CUTOVER" restore -q trunc.cutsnap
expect bt.out "truncated"
run 1 bt2.out "$CUTOVER" inspect trunc.cutsnap
# A newer format version: refused as such (exit 2).
cp gym.cutsnap new.cutsnap
flip new.cutsnap $((size - 64 + 16))
run 2 bn.out "$CUTOVER" restore -q new.cutsnap
expect bn.out "written by a newer cutover (format 2"
# Nothing was written: the change made before is still there.
run 1 v6.out "$CUTOVER" verify -q "$map"
expect v6.out "changed  id=43"

# 6b. A row the target's own check refuses fails the restore, naming its key, and
#     nothing changes (SQLite refuses it row by row, PostgreSQL at the end of its COPY:
#     tests/integration/snapshot_servers.sh).
sql checked-src.db "CREATE TABLE checked (id INTEGER PRIMARY KEY, qty INTEGER);
                    INSERT INTO checked VALUES (1, 1), (2, 2), (3, -5), (4, 4);"
sql checked.db "CREATE TABLE checked (id INTEGER PRIMARY KEY, qty INTEGER CHECK (qty >= 0));
                INSERT INTO checked VALUES (9, 9);"
run 0 cs.out "$CUTOVER" snapshot -q "sqlite:$work/checked-src.db" -o checked.cutsnap
run 0 cb.out "$CUTOVER" snapshot -q "sqlite:$work/checked.db" -o checked-before.cutsnap
run 2 cr.out "$CUTOVER" restore -q checked.cutsnap --target "sqlite:$work/checked.db"
expect cr.out "the target refused a row id=3"
expect cr.out "CHECK constraint failed"
run 0 ca.out "$CUTOVER" snapshot -q "sqlite:$work/checked.db" -o checked-after.cutsnap
[ "$(grep '^checked ' cb.out)" = "$(grep '^checked ' ca.out)" ] && grep -q '^checked  *1 ' ca.out ||
    { fail "a refused restore changed checked"; cat cb.out ca.out >&2; }

# 6c. SQLite holds what its columns do not declare (text in an INTEGER column, 12.345
#     in a NUMERIC(10,2), a BLOB in a TEXT column, seven fractional digits): the snapshot
#     keeps each as it was read, and the restore puts back the same values with the same
#     storage classes; only spellings of one value may change (a 'T' in a timestamp).
sql odd.db "CREATE TABLE odd (id INTEGER PRIMARY KEY, i INTEGER, b BOOLEAN, r REAL,
                              n NUMERIC(10,2), ts TIMESTAMP, tx TEXT, d DATE);
            INSERT INTO odd VALUES (1, 'abc', 2, 'NaN', 99999999.995,
                                    '2024-01-01 12:00:00.1234567', x'00ff', '0000-00-00'),
                                   (2, 1.5, 1, 1.5, 12.345, '2024-01-01 12:00:00', 'plain',
                                    '2024-01-01'),
                                   (3, 9.3e18, 0, 'x', 12.3, NULL, NULL, NULL);"
odd() { # the rows as SQLite holds them (the last line is the tool's summary)
    printf '%s\n' "SELECT id, typeof(i), quote(i), typeof(b), quote(b), typeof(r), quote(r),
                          typeof(n), quote(n), quote(ts), typeof(tx), quote(tx), quote(d)
                   FROM odd ORDER BY id;" | "$CUTOVER_FIXTURE" sql --sqlite "$1" - | sed '$d' >"$2"
    [ "$(wc -l <"$2")" -eq 3 ] || fail "odd: $(cat "$2")"
}
odd odd.db odd-before.txt
run 0 os.out "$CUTOVER" snapshot -q "sqlite:$work/odd.db" -o odd.cutsnap
run 0 oi.out "$CUTOVER" inspect --verify odd.cutsnap
sql odd.db "DELETE FROM odd"
run 0 or.out "$CUTOVER" restore -q odd.cutsnap
odd odd.db odd-after.txt
cmp -s odd-before.txt odd-after.txt ||
    { fail "restore changed values SQLite held outside their declared types"; diff odd-before.txt odd-after.txt >&2 || true; }

# 7. Usage errors and help.
for c in snapshot restore inspect; do
    run 0 h.out "$CUTOVER" $c --help
    expect h.out "Usage: cutover $c"
done
run 0 h.out "$CUTOVER" --help
expect h.out "restore FILE"
run 2 u.out "$CUTOVER" snapshot "$GYM_TARGET"
expect u.out "needs -o FILE"
run 2 u.out "$CUTOVER" snapshot "$GYM_TARGET" -o x.cutsnap --level 30
expect u.out "--level expects a whole number from 1 to 19"
run 2 u.out "$CUTOVER" snapshot "$GYM_TARGET" -o x.cutsnap --tables nope
expect u.out "nope"
[ -e x.cutsnap ] && fail "a failed snapshot left x.cutsnap"
run 2 u.out "$CUTOVER" restore
expect u.out "expects exactly one snapshot FILE"
run 2 u.out "$CUTOVER" restore gym.cutsnap --tables nope
expect u.out "table nope is not in the snapshot"
run 2 u.out "$CUTOVER" inspect nonexistent.cutsnap
expect u.out "nonexistent.cutsnap"
# A file that is not a snapshot is the wrong file (a usage error), not a damaged snapshot.
run 2 u.out "$CUTOVER" inspect "$map"
expect u.out "not a cutover snapshot"
run 2 u.out "$CUTOVER" inspect --verify "$map"
expect u.out "not a cutover snapshot"
run 2 u.out "$CUTOVER" restore "$map"
expect u.out "not a cutover snapshot"
expect_not u.out "failed its checks"
finish
