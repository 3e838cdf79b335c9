#!/bin/sh
# pg_snapshot.sh — parallel workers reading a PostgreSQL source see one instant
# (make check). Two tables a and b hold an invariant (a.v + b.v of id 1 is 1,000,000)
# that a concurrent writer keeps while it moves units from a to b, one transaction a
# unit, all through the migration. migrate --jobs 2, in chunks of 2,000 rows, reads
# the two tables in many transactions on two connections, begun at different moments:
# each must read at the snapshot the planning connection exported, so the target
# holds the invariant. Without the shared snapshot it breaks by the number of units
# moved between the first read and the last.
set -eu
: "${CUT_SRCDIR:?run through make check}"
if [ "${1:-}" != --inside ]; then
    exec "$CUT_SRCDIR/tests/integration/with-servers.sh" --pg -- \
        sh "$CUT_SRCDIR/tests/integration/pg_snapshot.sh" --inside
fi
. "$CUT_SRCDIR/tests/e2e/lib.sh"
set -e

base=${PG_URL%/*}
S=$base/legacy T=$base/target
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
q "$PG_URL" -c "CREATE DATABASE legacy" -c "CREATE DATABASE target"
for t in a b; do
    q "$S" -c "CREATE TABLE $t (id int PRIMARY KEY, v bigint NOT NULL)" \
        -c "INSERT INTO $t SELECT g, 0 FROM generate_series(1, 60000) g"
    q "$T" -c "CREATE TABLE $t (id int PRIMARY KEY, v bigint NOT NULL)"
done
q "$S" -c "UPDATE a SET v = 1000000 WHERE id = 1"
cat >m.yaml <<YAML
source: $S
target: $T
tables:
  a:
    key: id
  b:
    key: id
YAML

# The writer: a unit from a to b per transaction, until stopped.
q "$S" -c "DO \$\$ BEGIN FOR i IN 1..10000000 LOOP
    UPDATE a SET v = v - 1 WHERE id = 1; UPDATE b SET v = v + 1 WHERE id = 1; COMMIT;
    END LOOP; END \$\$" >writer.out 2>&1 &
writer=$!
moved() { q "$S" -c "SELECT v FROM b WHERE id = 1"; }
i=0
while [ "$(moved)" -lt 100 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
before=$(moved)
run 0 m.out "$CUTOVER" migrate -q --jobs 2 --chunk-rows 2000 m.yaml
after=$(moved)
kill "$writer" 2>/dev/null || true
wait "$writer" 2>/dev/null || true
[ "$after" -gt "$before" ] || fail "the writer made no progress during migrate ($before, $after)"

ta=$(q "$T" -c "SELECT v FROM a WHERE id = 1")
tb=$(q "$T" -c "SELECT v FROM b WHERE id = 1")
rows=$(q "$T" -c "SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b)")
[ "$rows" = 120000 ] || fail "target rows: $rows, not 120000"
[ $((ta + tb)) -eq 1000000 ] ||
    fail "the target mixes two instants: a.v + b.v = $((ta + tb)) (a $ta, b $tb; $before..$after units moved while migrate read)"
[ "$tb" -ge "$before" ] && [ "$tb" -le "$after" ] ||
    fail "the snapshot is not of the migration's time: b.v $tb outside $before..$after"
echo "moved during migrate: $((after - before)); target a.v $ta, b.v $tb"
finish
