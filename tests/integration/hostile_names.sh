#!/bin/sh
# hostile_names.sh — tables and columns named with double quotes, backticks,
# semicolons, spaces, quotes, backslashes, %, _, dots, comment markers, unicode
# (é, 日本), SQL keywords (select, order, group), a leading digit and mixed case,
# round-tripped through all three engines: SQLite → PostgreSQL → MariaDB → SQLite,
# each leg migrated and verified Go, the table digests identical at every step (the
# values arrive intact), every engine both a source and a target; then a snapshot of
# those tables on PostgreSQL and on MariaDB, rows changed, a restore (whole and one
# table), verify Go again. The mappings name the columns through YAML quoting
# (docs/mapping.md, "Names that need quoting"). Runs under with-servers.sh.
if [ -z "${CUT_SERVERS_DIR:-}" ]; then
    exec "$CUT_SRCDIR/tests/integration/with-servers.sh" --pg --mysql -- sh "$0" "$@"
fi
. "$CUT_SRCDIR/tests/e2e/lib.sh"
set -e

PG_DB=$(echo "$PG_URL" | sed 's|/postgres$|/hostile|')
MY_DB=$(echo "$MYSQL_URL" | sed 's|/test$|/hostile|')
psql -X -q "$PG_URL" -c "CREATE DATABASE hostile"
my() { mariadb --no-defaults -uroot -h127.0.0.1 -P"$MYSQL_PORT" "$@"; }
pgq() { psql -X -q -v ON_ERROR_STOP=1 "$PG_DB" "$@"; }
pgv() { psql -X -A -t -v ON_ERROR_STOP=1 "$PG_DB" -c "$1"; }
myv() { my -N -B hostile -e "$1"; }
my -e "CREATE DATABASE hostile"
export PG_DB MY_DB

# The schema, in each engine's quoting. T1 is "select"; T2 is "Order Items; DROP TABLE x",
# whose key is the column "order" and whose "select" references T1; T3 is "MixedCase 日本".
"$CUTOVER_FIXTURE" sql --sqlite src.db - >/dev/null <<'EOF'
CREATE TABLE "select" (
  id INTEGER PRIMARY KEY,
  "we""ird" TEXT, "back`tick" TEXT, "semi;colon" TEXT, "with space" TEXT, "café" TEXT,
  "日本" TEXT, "order" INTEGER, "group" TEXT, "1st" TEXT, "MixedCase" TEXT, "it's" TEXT,
  "back\slash" TEXT, "pct%_x" TEXT, "dot.ted" TEXT, "-- comment" TEXT, "/*c*/" TEXT
);
INSERT INTO "select" VALUES
  (1, 'a"b', 'c`d', 'e;f', 'g h', 'é', '日本語', 3, 'g', 'first', 'MiXeD', 'it''s', 'a\b', '50%', 'x.y', '--', '*/'),
  (2, NULL, '', ';', ' ', 'É', '本', -1, 'group', '1', 'm', '''', '\\', '_', '.', '/* */', NULL),
  (3, '"; DROP TABLE "select"; --', '`; DROP TABLE `select`; --', ''' OR ''1''=''1', '\', 'x', 'y', 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE "Order Items; DROP TABLE x" (
  "order" INTEGER PRIMARY KEY, "select" INTEGER REFERENCES "select" (id), "value ""quoted""" TEXT
);
INSERT INTO "Order Items; DROP TABLE x" VALUES (10, 1, 'v1'), (11, 2, 'v''2'), (12, 3, NULL);
CREATE TABLE "MixedCase 日本" ("Ünïcödé" INTEGER PRIMARY KEY, "x" TEXT);
INSERT INTO "MixedCase 日本" VALUES (1, 'ä'), (2, 'ß');
EOF
"$CUTOVER_FIXTURE" sql --sqlite back.db - >/dev/null <<'EOF'
CREATE TABLE "select" (
  id INTEGER PRIMARY KEY,
  "we""ird" TEXT, "back`tick" TEXT, "semi;colon" TEXT, "with space" TEXT, "café" TEXT,
  "日本" TEXT, "order" INTEGER, "group" TEXT, "1st" TEXT, "MixedCase" TEXT, "it's" TEXT,
  "back\slash" TEXT, "pct%_x" TEXT, "dot.ted" TEXT, "-- comment" TEXT, "/*c*/" TEXT
);
CREATE TABLE "Order Items; DROP TABLE x" (
  "order" INTEGER PRIMARY KEY, "select" INTEGER REFERENCES "select" (id), "value ""quoted""" TEXT
);
CREATE TABLE "MixedCase 日本" ("Ünïcödé" INTEGER PRIMARY KEY, "x" TEXT);
EOF
pgq <<'EOF'
CREATE TABLE "select" (
  id int PRIMARY KEY,
  "we""ird" text, "back`tick" text, "semi;colon" text, "with space" text, "café" text,
  "日本" text, "order" int, "group" text, "1st" text, "MixedCase" text, "it's" text,
  "back\slash" text, "pct%_x" text, "dot.ted" text, "-- comment" text, "/*c*/" text
);
CREATE TABLE "Order Items; DROP TABLE x" (
  "order" int PRIMARY KEY, "select" int REFERENCES "select" (id), "value ""quoted""" text
);
CREATE INDEX "by 'select'; --" ON "Order Items; DROP TABLE x" ("select");
CREATE TABLE "MixedCase 日本" ("Ünïcödé" int PRIMARY KEY, "x" text);
EOF
my hostile <<'EOF'
CREATE TABLE `select` (
  id int PRIMARY KEY,
  `we"ird` text, `back``tick` text, `semi;colon` text, `with space` text, `café` text,
  `日本` text, `order` int, `group` text, `1st` text, `MixedCase` text, `it's` text,
  `back\slash` text, `pct%_x` text, `dot.ted` text, `-- comment` text, `/*c*/` text
) ENGINE=InnoDB;
CREATE TABLE `Order Items; DROP TABLE x` (
  `order` int PRIMARY KEY, `select` int, `value "quoted"` text,
  FOREIGN KEY (`select`) REFERENCES `select` (id)
) ENGINE=InnoDB;
CREATE TABLE `MixedCase 日本` (`Ünïcödé` int PRIMARY KEY, `x` text) ENGINE=InnoDB;
EOF

# SQLite → PostgreSQL names every column: bare quoted names, an expression over one,
# a where over a keyword column; YAML quoting of keys and values as docs/mapping.md says.
{
    printf '%s\n' 'source: sqlite:src.db' 'target: ${PG_DB}' 'tables:'
    hostile_tables
    cat <<'EOF'
  'MixedCase 日本': {}
EOF
} >sqlite-pg.yaml
# PostgreSQL → MariaDB and MariaDB → SQLite copy every column by name.
cat >pg-my.yaml <<'EOF'
source: ${PG_DB}
target: ${MY_DB}
tables:
  select: {}
  'Order Items; DROP TABLE x': {}
  'MixedCase 日本': {}
EOF
cat >my-sqlite.yaml <<'EOF'
source: ${MY_DB}
target: sqlite:back.db
tables:
  select: {}
  'Order Items; DROP TABLE x': {}
  'MixedCase 日本': {}
EOF

# digests JSON — "table digest" lines from verify --json, sorted
digests() {
    awk -F'"' '/"table":/ { t = $4 }
               /"actual_digest":/ { for (i = 1; i < NF; i++) if ($i == "actual_digest") print t "|" $(i + 2) }' "$1" |
        sort
}
# counts JSON TABLE — "source filtered rejected loaded target" of TABLE in verify --json
counts() {
    tr -d '\n' <"$1" | sed 's/}, *{/}\n{/g' | grep -F "\"table\": \"$2\"" | head -n 1 |
        sed -n 's/.*"source_rows": \([0-9]*\).*"filtered": \([0-9]*\).*"rejected": \([0-9]*\).*"loaded": \([0-9]*\).*"target_rows": \([0-9]*\).*/\1 \2 \3 \4 \5/p'
}

for leg in sqlite-pg pg-my my-sqlite; do
    run 0 $leg-check.out "$CUTOVER" check $leg.yaml
    expect $leg-check.out "OK: 3 tables ready to migrate"
    run 0 $leg-migrate.out "$CUTOVER" migrate -q $leg.yaml
    run 0 $leg-verify.out "$CUTOVER" verify -q $leg.yaml --json $leg.json
    expect $leg-verify.out "Go: 3 tables, 8 rows verified, digests equal"
    [ "$(counts $leg.json select)" = "3 0 0 3 3" ] || fail "$leg: select counts: $(counts $leg.json select)"
    [ "$(counts $leg.json 'Order Items; DROP TABLE x')" = "3 0 0 3 3" ] ||
        fail "$leg: Order Items counts: $(counts $leg.json 'Order Items; DROP TABLE x')"
    digests $leg.json >$leg.digests
    [ "$(wc -l <$leg.digests)" -eq 3 ] || fail "$leg: 3 table digests expected"
done
# Into PostgreSQL once more with deferred constraints: every key, foreign key and index is
# dropped and rebuilt through statements that quote these names (literals as well as
# identifiers), and comes back exactly as it was.
pgdefs() {
    pgv "SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint WHERE contype IN ('f', 'p', 'u') UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
}
pgdefs >pgdefs0.txt
[ "$(grep -c . pgdefs0.txt)" -ge 7 ] || fail "the hostile PostgreSQL schema should have keys, a foreign key and indexes"
run 0 defer-migrate.out "$CUTOVER" -vv migrate -q --truncate --defer-constraints --chunk-rows 0 sqlite-pg.yaml
expect defer-migrate.out "loaded; its deferred constraints go back"
run 0 defer-verify.out "$CUTOVER" verify -q sqlite-pg.yaml
expect defer-verify.out "Go: 3 tables, 8 rows verified, digests equal"
pgdefs >pgdefs1.txt
cmp -s pgdefs0.txt pgdefs1.txt || { fail "constraints differ after a deferred migrate of hostile names"; diff pgdefs0.txt pgdefs1.txt >&2 || true; }

# The values are the same at every step: the same canonical rows, the same digests.
cmp -s sqlite-pg.digests pg-my.digests || fail "digests differ: SQLite → PG vs PG → MariaDB"
cmp -s pg-my.digests my-sqlite.digests || fail "digests differ: PG → MariaDB vs MariaDB → SQLite"
# Spot checks in each engine: the injection-looking values are data.
[ "$(pgv "SELECT \"we\"\"ird\" FROM \"select\" WHERE id = 3")" = '"; DROP TABLE "select"; --' ] ||
    fail "PostgreSQL: the value with quotes and a semicolon"
[ "$(pgv "SELECT \"value \"\"quoted\"\"\" FROM \"Order Items; DROP TABLE x\" WHERE \"order\" = 11")" = "V'2" ] ||
    fail "PostgreSQL: the computed column"
[ "$(myv 'SELECT `back``tick` FROM `select` WHERE id = 3')" = '`; DROP TABLE `select`; --' ] ||
    fail "MariaDB: the value with backticks"
[ "$(myv 'SELECT `back\slash` FROM `select` WHERE id = 2')" = '\\\\' ] ||
    fail "MariaDB: the backslashes (mariadb -B escapes them: \\\\ is one)"
[ "$(myv 'SELECT COUNT(*) FROM `MixedCase 日本`')" -eq 2 ] || fail "MariaDB: MixedCase 日本"
# Nothing was dropped by a name or a value.
[ "$(pgv "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" -eq 3 ] || fail "PostgreSQL lost a table"
[ "$(myv "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'hostile'")" -eq 3 ] ||
    fail "MariaDB lost a table"

# Snapshots of those tables, rows changed, restores (all, then one table), Go again.
for side in pg my; do
    case $side in
    pg)
        url=$PG_DB map=sqlite-pg.yaml
        damage() { pgq -c "UPDATE \"select\" SET \"日本\" = 'x', \"it's\" = NULL WHERE id = 1" \
                       -c "DELETE FROM \"Order Items; DROP TABLE x\" WHERE \"order\" = 12" \
                       -c "DELETE FROM \"MixedCase 日本\""; }
        ;;
    my)
        url=$MY_DB map=pg-my.yaml
        damage() { my hostile -e 'UPDATE `select` SET `日本` = "x", `it'"'"'s` = NULL WHERE id = 1;
                                  DELETE FROM `Order Items; DROP TABLE x` WHERE `order` = 12;
                                  DELETE FROM `MixedCase 日本`'; }
        ;;
    esac
    run 0 $side-snap.out "$CUTOVER" snapshot -q "$url" -o $side.cutsnap
    expect $side-snap.out "wrote $side.cutsnap: 3 tables, 8 rows"
    run 0 $side-snapm.out "$CUTOVER" snapshot -q $map -o $side-m.cutsnap --tables 'MixedCase 日本'
    expect $side-snapm.out "wrote $side-m.cutsnap: 1 table, 2 rows"
    run 0 $side-inspect.out "$CUTOVER" inspect --verify --schema $side.cutsnap
    expect $side-inspect.out "verified: 3 tables, 8 rows"
    expect $side-inspect.out "Order Items; DROP TABLE x"
    damage
    run 1 $side-v1.out "$CUTOVER" verify -q $map
    expect $side-v1.out "changed  id=1"
    expect $side-v1.out "missing  order=12"
    run 0 $side-restore.out "$CUTOVER" restore -q $side.cutsnap
    expect $side-restore.out "restored 3 tables"
    run 0 $side-v2.out "$CUTOVER" verify -q $map
    damage
    run 0 $side-restore1.out "$CUTOVER" restore -q $side-m.cutsnap --tables 'MixedCase 日本'
    expect $side-restore1.out "restored 1 table"
    run 1 $side-v3.out "$CUTOVER" verify -q $map --json $side-v3.json
    [ "$(counts $side-v3.json 'MixedCase 日本')" = "2 0 0 2 2" ] || fail "$side: MixedCase 日本 not restored"
    run 0 $side-restore2.out "$CUTOVER" restore -q $side.cutsnap
    run 0 $side-v4.out "$CUTOVER" verify -q $map
done
finish
