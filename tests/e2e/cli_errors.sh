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

# A bad option is one line, cutover's, naming the option (getopt printed its own line,
# labelled with the command alone, then a second, generic one).
for args in "check x.yaml --frob" "migrate x.yaml --tables" "verify x.yaml --t x" \
    "migrate x.yaml --truncate=1" "report -Z" "check x.yaml -v"; do
    run 2 bad.out "$CUTOVER" $args
    [ "$(wc -l <bad.out)" -eq 1 ] || fail "$args: $(wc -l <bad.out) lines for a bad option"
    grep -q "^cutover ${args%% *}: " bad.out || fail "$args: the line is not cutover's: $(cat bad.out)"
done
run 2 bad.out "$CUTOVER" check x.yaml --frob
expect bad.out "unknown option '--frob'; see 'cutover check --help'"
run 2 bad.out "$CUTOVER" migrate x.yaml --tables
expect bad.out "option '--tables' needs a value"
run 2 bad.out "$CUTOVER" verify x.yaml --t x
expect bad.out "ambiguous option '--t' (--target, --tables)"
run 2 bad.out "$CUTOVER" check x.yaml -v
expect bad.out "-v goes before the command: cutover -v check"
# The SYNOPSIS of cutover.md names every option each command's --help lists (an option
# line "  -j, --jobs N", or "--name:" in a description), in either spelling.
for c in check migrate verify snapshot restore inspect run runs report; do
    "$CUTOVER" $c --help | sed -n -e 's/^  \(-[a-zA-Z]\), \(--[a-z-]*\).*/\1 \2/p' \
        -e 's/^  \(--[a-z-]*\).*/\1/p' -e 's/.*[(;] *\(--[a-z-]*\):.*/\1/p' |
        grep -v -e --help >opts.txt
    sed -n '/^## SYNOPSIS/,/^## DESCRIPTION/p' "$CUT_SRCDIR/docs/cutover.md" |
        awk -v c=$c '/^cutover/ { on = ($3 == c) } on' >syn.txt
    [ -s syn.txt ] || fail "cutover.md SYNOPSIS has no line for $c"
    while read -r a b; do
        grep -q -e "$a\([^a-z-]\|\$\)" ${b:+-e "$b\([^a-z-]\|\$\)"} syn.txt ||
            fail "cutover.md SYNOPSIS of $c lacks $a${b:+ / $b}"
    done <opts.txt
done

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
