#!/bin/sh
# A short run of every fuzzer, from its seed corpus (make check, when configured
# with --enable-fuzzing): the snapshot reader's, then the parsers' (mapping,
# csv, pgcopy, url, canon; docs/fuzzing.md). New inputs go to a temporary
# directory; a crash leaves its input (crash-*) in the current directory and
# fails the test. CUT_FUZZ_SECONDS sets the duration of each run (default 20
# for the snapshot reader, 5 for each parser).
set -eu
: "${CUT_BUILDDIR:?run through make check}" "${CUT_SRCDIR:?run through make check}"
new=$(mktemp -d "${TMPDIR:-/tmp}/cutover-fuzz.XXXXXX")
trap 'rm -rf "$new"' EXIT
"$CUT_BUILDDIR/tests/fuzz/fuzz_snapshot" -max_total_time="${CUT_FUZZ_SECONDS:-20}" \
    -rss_limit_mb=2560 -print_final_stats=1 "$new" "$CUT_SRCDIR/tests/fuzz/corpus"

fuzz="$CUT_SRCDIR/tests/fuzz"
for name in mapping csv pgcopy url canon; do
    case $name in
    mapping) max_len=4096 ;;
    csv) max_len=8192 ;;
    *) max_len=1024 ;;
    esac
    dict=
    [ -f "$fuzz/$name.dict" ] && dict="-dict=$fuzz/$name.dict"
    mkdir "$new/$name"
    echo "fuzz_$name:"
    # shellcheck disable=SC2086 # $dict is one word or none
    "$CUT_BUILDDIR/tests/fuzz/fuzz_$name" -max_total_time="${CUT_FUZZ_SECONDS:-5}" \
        -max_len=$max_len -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $dict \
        "$new/$name" "$fuzz/corpus-$name"
done
