#!/bin/sh
# The quick start end to end: SF=1 gym legacy SQLite → SQLite, Go, counts add up.
. "$CUT_SRCDIR/tests/e2e/lib.sh"
set -e
make_gym 1
map=$CUT_SRCDIR/mappings/gym-sqlite.yaml

run 0 check.out "$CUTOVER" check "$map"
expect check.out "OK: 2 tables ready to migrate"

run 0 migrate.out "$CUTOVER" migrate -q "$map"
run 0 verify.out "$CUTOVER" verify -q "$map" --json verify.json
expect verify.out "Go: 2 tables"

# members: source = filtered + rejected + loaded, and loaded = target rows
set -- $(row_of verify.out members)
[ "$1" -eq 5000 ] || fail "members source rows $1, wanted 5000"
[ $(($2 + $3 + $4)) -eq "$1" ] || fail "members counts do not add up: $*"
[ "$4" -eq "$5" ] || fail "members loaded $4 but target has $5"
[ "$2" -gt 0 ] || fail "members: the test accounts should be filtered"
[ "$6" = equal ] || fail "members digest $6"
set -- $(row_of verify.out bookings)
[ "$1" -eq 12000 ] || fail "bookings source rows $1, wanted 12000"
[ "$4" -eq 12000 ] && [ "$5" -eq 12000 ] || fail "bookings loaded/target: $*"
expect verify.out "zero dates ('0000-00-00') became NULL"

expect verify.json '"verdict": "go"'
expect verify.json '"digest_match": true'
# --json -: standard output is the JSON alone (a program parses it), the text report goes
# to standard error.
set +e
"$CUTOVER" verify -q "$map" --json - >vj.out 2>vj.err
st=$?
set -e
[ "$st" -eq 0 ] || fail "verify --json - exited $st"
[ "$(head -c 1 vj.out)" = "{" ] && [ "$(tail -n 1 vj.out)" = "}" ] ||
    fail "verify --json -: standard output is not the JSON alone: $(head -n 2 vj.out)"
expect vj.out '"verdict": "go"'
expect_not vj.out "Go: 2 tables"
expect vj.err "Go: 2 tables"
if command -v jq >/dev/null 2>&1; then
    jq -e '.verdict == "go"' vj.out >/dev/null || fail "jq cannot parse verify --json - output"
fi

# Migrating again without --truncate is refused, and nothing changes.
run 2 again.out "$CUTOVER" migrate -q "$map"
expect again.out "is not empty"
expect again.out "--truncate"
run 0 again2.out "$CUTOVER" migrate --truncate "$map"
run 0 verify2.out "$CUTOVER" verify -q "$map"
# Its progress (standard error, not a terminal): emptying each table, then one line
# per table done.
expect again2.out "cutover: empty members: done in"
expect again2.out "cutover: empty bookings: done in"
expect again2.out "cutover: migrate members: 5000 rows, done in"

# The result is the same whatever the batch size.
run 0 small.out "$CUTOVER" migrate -q --truncate --batch-rows 7 "$map"
run 0 verify3.out "$CUTOVER" verify -q "$map"
finish
