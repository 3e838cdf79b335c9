#!/bin/sh
# Hostile identifiers, SQLite and CSV only (the three-engine round trip is
# tests/integration/hostile_names.sh): tables and columns named with double quotes,
# backticks, semicolons, spaces, quotes, backslashes, %, _, dots, comment markers,
# slashes, unicode, SQL keywords, a leading digit and mixed case — check, migrate,
# verify Go with every row accounted for, a changed value named by its hostile column,
# a reject file for a table whose name holds '/', ';' and spaces (kept inside the
# reject directory), snapshot, restore (whole and one table) and verify Go again; a
# CSV source whose header holds such names; names and values that are HTML, escaped in
# the HTML report.
. "$CUT_SRCDIR/tests/e2e/lib.sh"
set -e

schema='
CREATE TABLE "select" (
  id INTEGER PRIMARY KEY,
  "we""ird" TEXT, "back`tick" TEXT, "semi;colon" TEXT, "with space" TEXT, "café" TEXT,
  "日本" TEXT, "order" INTEGER, "group" TEXT, "1st" TEXT, "MixedCase" TEXT, "it'"'"'s" TEXT,
  "back\slash" TEXT, "pct%_x" TEXT, "dot.ted" TEXT, "-- comment" TEXT, "/*c*/" TEXT
);
CREATE TABLE "Order Items; DROP TABLE x" (
  "order" INTEGER PRIMARY KEY, "select" INTEGER REFERENCES "select" (id), "value ""quoted""" TEXT
);
CREATE TABLE "../a/b" ("k" INTEGER PRIMARY KEY, "v" NUMERIC(4,2));
'
sql src.db "$schema
INSERT INTO \"select\" VALUES
  (1, 'a\"b', 'c\`d', 'e;f', 'g h', 'é', '日本語', 3, 'g', 'first', 'MiXeD', 'it''s', 'a\\b', '50%', 'x.y', '--', '*/'),
  (2, NULL, '', ';', ' ', 'É', '本', -1, 'group', '1', 'm', '''', '\\\\', '_', '.', '/* */', NULL),
  (3, '\"; DROP TABLE \"select\"; --', 'x', ''' OR ''1''=''1', '\\', 'x', 'y', 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO \"Order Items; DROP TABLE x\" VALUES (10, 1, 'v1'), (11, 2, 'v''2'), (12, 3, NULL);
INSERT INTO \"../a/b\" VALUES (1, '1.5'), (2, '123.45'), (3, '-2');"
sql tgt.db "$schema"

{
    printf '%s\n' 'source: sqlite:src.db' 'target: sqlite:tgt.db' 'tables:'
    hostile_tables
    cat <<'EOF'
  ../a/b:
    max_rejects: 1
EOF
} >m.yaml

# counts JSON TABLE — "source filtered rejected loaded target" of TABLE in verify --json
counts() {
    tr -d '\n' <"$1" | sed 's/}, *{/}\n{/g' | grep -F "\"table\": \"$2\"" | head -n 1 |
        sed -n 's/.*"source_rows": \([0-9]*\).*"filtered": \([0-9]*\).*"rejected": \([0-9]*\).*"loaded": \([0-9]*\).*"target_rows": \([0-9]*\).*/\1 \2 \3 \4 \5/p'
}

run 0 check.out "$CUTOVER" check m.yaml
expect check.out "OK: 3 tables ready to migrate"
run 0 migrate.out "$CUTOVER" migrate -q m.yaml
# 123.45 does not fit numeric(4,2): its reject file keeps the table's name, escaped, inside
# the reject directory.
rej='m.rejects/%2E.%2Fa%2Fb.rejects.jsonl'
[ -f "$rej" ] || { fail "no reject file $rej: $(ls m.rejects)"; finish; }
[ ! -e a ] && [ ! -e m.rejects/a ] || fail "a reject file escaped its directory"
expect "$rej" '"table":"../a/b","stage":"source","key":"k=2"'
expect "$rej" "'123.45' is out of range for numeric(4,2)"
run 0 verify.out "$CUTOVER" verify -q m.yaml --json v.json
expect verify.out "Go: 3 tables, 8 rows verified, digests equal"
[ "$(counts v.json select)" = "3 0 0 3 3" ] || fail "select counts: $(counts v.json select)"
[ "$(counts v.json 'Order Items; DROP TABLE x')" = "3 0 0 3 3" ] || fail "Order Items counts"
[ "$(counts v.json '../a/b')" = "3 0 1 2 2" ] || fail "../a/b counts: $(counts v.json '../a/b')"

# A changed value is named by its hostile column and key.
sql tgt.db "UPDATE \"select\" SET \"semi;colon\" = 'changed' WHERE id = 3;
            DELETE FROM \"Order Items; DROP TABLE x\" WHERE \"order\" = 11;"
run 1 v1.out "$CUTOVER" verify -q m.yaml
expect v1.out "changed  id=3"
expect v1.out "semi;colon: expected ''' OR ''1''=''1', target has 'changed'"
expect v1.out "missing  order=11"

# Snapshot and restore of those tables, by URL and through the mapping; --tables
# names one hostile table.
sql tgt.db "UPDATE \"select\" SET \"semi;colon\" = ''' OR ''1''=''1' WHERE id = 3;
            INSERT INTO \"Order Items; DROP TABLE x\" VALUES (11, 2, 'V''2');"
run 0 v2.out "$CUTOVER" verify -q m.yaml
run 0 s.out "$CUTOVER" snapshot -q sqlite:tgt.db -o all.cutsnap
expect s.out "wrote all.cutsnap: 3 tables, 8 rows"
run 0 s1.out "$CUTOVER" snapshot -q m.yaml -o one.cutsnap --tables 'Order Items; DROP TABLE x'
expect s1.out "wrote one.cutsnap: 1 table, 3 rows"
run 0 i.out "$CUTOVER" inspect --verify --schema all.cutsnap
expect i.out 'CREATE TABLE "Order Items; DROP TABLE x"'
sql tgt.db "DELETE FROM \"Order Items; DROP TABLE x\"; UPDATE \"select\" SET \"日本\" = NULL;
            DELETE FROM \"../a/b\";"
run 1 v3.out "$CUTOVER" verify -q m.yaml
run 0 r1.out "$CUTOVER" restore -q one.cutsnap --tables 'Order Items; DROP TABLE x'
expect r1.out "restored 1 table"
run 0 r.out "$CUTOVER" restore -q all.cutsnap
expect r.out "restored 3 tables"
run 0 v4.out "$CUTOVER" verify -q m.yaml

# A CSV source whose header is made of such names; the mapping names them quoted.
mkdir -p export
printf '%s\n' '"we""ird",semi;colon,with space,日本,select,1st' \
    '1,"a;b","c d",日本語,x,' '2,,"",本,"""",y' >'export/order items.csv'
sql csvt.db 'CREATE TABLE "order items" ("we""ird" INTEGER PRIMARY KEY, "semi;colon" TEXT,
             "with space" TEXT, "日本" TEXT, "select" TEXT, "1st" TEXT);'
cat >csv.yaml <<'EOF'
source: csv:export
target: sqlite:csvt.db
tables:
  order items:
    key: 'we"ird'
    where: '"select" IS NOT NULL'
    columns:
      'we"ird': '"we""ird"'
      semi;colon: '"semi;colon"'
      with space: '"with space"'
      日本: upper("日本")
      select: '"select"'
      1st: '"1st"'
EOF
run 0 cc.out "$CUTOVER" check csv.yaml
run 0 cm.out "$CUTOVER" migrate -q csv.yaml
run 0 cv.out "$CUTOVER" verify -q csv.yaml --json cv.json
[ "$(counts cv.json 'order items')" = "2 0 0 2 2" ] || fail "CSV counts: $(counts cv.json 'order items')"
# Names and values that are HTML: the run's report escapes them. A trigger in the target
# changes a value as it is loaded, so the No-Go report shows both values of the
# difference; the run is rolled back.
sql xs.db 'CREATE TABLE "<script>alert(1)</script>" (id INTEGER PRIMARY KEY,
             "<img src=x onerror=alert(2)>" TEXT);
           INSERT INTO "<script>alert(1)</script>" VALUES (1, '"'"'</td><script>alert(3)</script>'"'"');'
sql xt.db 'CREATE TABLE "<script>alert(1)</script>" (id INTEGER PRIMARY KEY,
             "<img src=x onerror=alert(2)>" TEXT);
           CREATE TRIGGER mangle AFTER INSERT ON "<script>alert(1)</script>" BEGIN
             UPDATE "<script>alert(1)</script>" SET "<img src=x onerror=alert(2)>" =
               '"'"'<script>alert(4)</script>'"'"' WHERE id = NEW.id; END;'
cat >xss.yaml <<'EOF'
source: sqlite:xs.db
target: sqlite:xt.db
tables:
  <script>alert(1)</script>: {}
EOF
run 1 xr.out "$CUTOVER" run -q xss.yaml --journal x.db
expect xr.out "No-Go"
run 0 xh.out "$CUTOVER" report --journal x.db --format html -o x.html
expect x.html "&lt;script&gt;alert(1)&lt;/script&gt;"
expect x.html "&lt;img src=x onerror=alert(2)&gt;"
expect x.html "alert(4)"
for n in 1 2 3 4; do
    if grep -q "<script>alert($n)" x.html || grep -q "<img src=x onerror=alert($n)" x.html; then
        fail "x.html holds raw HTML from a name or a value (alert($n))"
    fi
done
finish
