#!/bin/sh
# Tables whose foreign keys form a cycle (a → b → a): the plan warns and loads them in
# file order; the workers do not wait for a parent that waits for them. Before this
# test, a cycle made migrate wait forever. SQLite → SQLite (one writer) and the same
# with two workers asked for.
. "$CUT_SRCDIR/tests/e2e/lib.sh"
set -e

schema='
CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER REFERENCES b (id), v TEXT);
CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id), v TEXT);
'
sql src.db "$schema
INSERT INTO a VALUES (1, NULL, 'a1'), (2, NULL, 'a2'), (3, NULL, 'a3');
INSERT INTO b VALUES (1, 1, 'b1'), (2, 2, 'b2');"
cat >m.yaml <<'YAML'
source: sqlite:src.db
target: sqlite:tgt.db
tables:
  a:
    key: id
  b:
    key: id
YAML

for jobs in 1 2; do
    rm -f tgt.db
    sql tgt.db "$schema"
    run 0 c$jobs.out "$CUTOVER" check m.yaml
    expect c$jobs.out "foreign key cycle"
    # A hang fails the test through timeout(1) (status 124; the old hang ignored SIGTERM,
    # hence the KILL 5 s later).
    run 0 m$jobs.out timeout -k 5 60 "$CUTOVER" migrate -q --jobs $jobs m.yaml
    run 0 v$jobs.out "$CUTOVER" verify -q m.yaml
    expect v$jobs.out "Go: 2 tables"
done

finish
