#!/bin/sh
# make_corpus.sh — regenerates the fuzzer's seed corpus (tests/fuzz/corpus/) from
# small SQLite databases: whole snapshots (first byte 0x00) and data frame
# contents for the row decoder (0x01, columns - 1, rows, rows' bytes).
#   CUTOVER=build/tools/cutover CUTOVER_FIXTURE=build/tools/cutover-fixture \
#       sh tests/fuzz/make_corpus.sh
set -eu
: "${CUTOVER:?}" "${CUTOVER_FIXTURE:?}"
out=$(cd "$(dirname "$0")" && pwd)/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
cd "$work"

db() { # db NAME SQL
    printf '%s\n' "$2" | "$CUTOVER_FIXTURE" sql --sqlite "$1.db" - >/dev/null
    "$CUTOVER" snapshot -q "sqlite:$work/$1.db" -o "$1.cutsnap" >/dev/null
    { printf '\000'; cat "$1.cutsnap"; } >"$out/file-$1"
}
rows() { # rows NAME NCOLS NROWS — the data frames' contents of a one-table snapshot
    { printf '\001'; printf "\\$(printf %o $(($2 - 1)))"; printf "\\$(printf %o $3)"
      zstd -q -dc "$1.cutsnap"; } >"$out/rows-$1"
}

db text "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO t VALUES (1, 'one'), (2, NULL), (3, ''), (4, 'h\303\251 \342\234\223');"
rows text 2 4
db fk "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id), note TEXT);
INSERT INTO p VALUES (1, 'a'), (2, 'b'); INSERT INTO c VALUES (1, 1, 'x'), (2, 2, NULL), (3, 1, 'y');"
db empty "CREATE TABLE e (id INTEGER PRIMARY KEY, v TEXT);"
db types "CREATE TABLE v (id INTEGER PRIMARY KEY, b BLOB, r REAL, flag BOOLEAN, d NUMERIC(10,3),
  j JSON, day DATE, at TIMESTAMPTZ, u UUID);
INSERT INTO v VALUES (1, x'00ff00', -1.5, 1, '12.5', '{\"a\":[1,null]}', '2024-02-29',
  '2024-03-01 10:00:00.25+00', '6f1c2e9a-7d3b-4c55-9a0e-3f1b2c4d5e6f'),
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);"
rows types 9 2
db wide "CREATE TABLE w (c1 INT, c2 INT, c3 INT, c4 INT, c5 INT, c6 INT, c7 INT, c8 INT, c9 INT,
  c10 INT, c11 TEXT, c12 TEXT, c13 TEXT, c14 TEXT, c15 TEXT, c16 TEXT);
INSERT INTO w VALUES (1,2,3,4,5,6,7,8,9,10,'a','b','c','d','e','f');"
rows wide 16 1
ls -la "$out"
