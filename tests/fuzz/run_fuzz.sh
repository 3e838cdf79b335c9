#!/bin/sh
# A short run of the snapshot reader's fuzzer, from the seed corpus (make check,
# when configured with --enable-fuzzing). New inputs go to a temporary
# directory; a crash leaves its input (crash-*) in the current directory and
# fails the test. CUT_FUZZ_SECONDS sets the duration (default 20).
set -eu
: "${CUT_BUILDDIR:?run through make check}" "${CUT_SRCDIR:?run through make check}"
new=$(mktemp -d "${TMPDIR:-/tmp}/cutover-fuzz.XXXXXX")
trap 'rm -rf "$new"' EXIT
"$CUT_BUILDDIR/tests/fuzz/fuzz_snapshot" -max_total_time="${CUT_FUZZ_SECONDS:-20}" \
    -rss_limit_mb=2560 -print_final_stats=1 "$new" "$CUT_SRCDIR/tests/fuzz/corpus"
