#!/bin/sh
# The command line: --help everywhere, usage errors exit 2, and a mapping with a
# typo fails check with file:line:col and a suggestion.
. "$CUT_SRCDIR/tests/e2e/lib.sh"
set -e
for c in check migrate verify; do
    run 0 help.out "$CUTOVER" $c --help
    expect help.out "Usage: cutover $c"
done
run 0 help.out "$CUTOVER" --help
expect help.out "Exit status"
run 0 v.out "$CUTOVER" --version
expect v.out "cutover "
run 2 u.out "$CUTOVER" frobnicate
expect u.out "unknown command 'frobnicate'"
run 2 u.out "$CUTOVER" migrate
expect u.out "expects exactly one MAPPING"
run 2 u.out "$CUTOVER" migrate --jobs 0 x.yaml
expect u.out "--jobs expects a whole number"
run 2 u.out "$CUTOVER" verify nonexistent.yaml
expect u.out "nonexistent.yaml"

make_gym 0.01
map=$CUT_SRCDIR/mappings/gym-sqlite.yaml
# A typo in a source column name: file:line:col and the nearest name.
sed 's/email: lower(trim(email))/email: lower(trim(emial))/' "$map" > typo.yaml
line=$(grep -n 'emial' typo.yaml | cut -d: -f1)
run 2 typo.out "$CUTOVER" check typo.yaml
expect typo.out "typo.yaml:$line:"
expect typo.out "unknown source column 'emial'"
expect typo.out "did you mean email?"
# Each problem is printed once, after the header, in a log that holds both streams
# (stdout was not flushed before the stderr line, which repeated the first problem).
for args in "typo.yaml" "typo.yaml --target sqlite:$work/nope.db"; do
    run 2 log.out "$CUTOVER" check $args
    head -n 1 log.out | grep -q '^mapping ' || fail "check $args: the log does not start with the header"
    n=$(grep -c -e "unknown source column 'emial'" -e "cannot open" log.out || true)
    [ "$n" -eq 1 ] || fail "check $args: the problem is printed $n times"
    [ "$(tail -n 1 log.out)" = "cutover: check failed: the problems are listed on standard output" ] ||
        fail "check $args: the log does not end with the verdict"
done
# A typo in a target column name.
sed 's/      birth_date: birth_date/      birth_dat: birth_date/' "$map" > typo2.yaml
run 2 typo2.out "$CUTOVER" check typo2.yaml
expect typo2.out "unknown target column 'birth_dat'"
expect typo2.out "did you mean birth_date?"
# Nothing was written by check, and migrate refuses the bad mapping before writing.
run 2 m.out "$CUTOVER" migrate -q typo.yaml
run 0 v.out "$CUTOVER" migrate -q "$map"
# A target that does not exist.
run 2 t.out "$CUTOVER" check "$map" --target sqlite:$work/nope.db
expect t.out "nope.db"
# A source URL with an unknown scheme.
run 2 s.out "$CUTOVER" check "$map" --source oracle://x/y
expect s.out "unknown URL scheme"
finish
