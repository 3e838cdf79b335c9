# Source and target are the same database (spelt differently) and a target table is
# the table being read: --truncate would empty the source before reading it. Refused
# by check, migrate, verify and run before anything is written; the rows stay.
input "source: sqlite:src.db, target: sqlite:./src.db, tables: people: {} (then --truncate); then another table of the same file"
before src.db
step 2 check m.yaml
says "m.yaml:4:3:" "target table people is the source table people" "same database"
step 2 migrate --truncate m.yaml
says "target table people is the source table people"
step 2 verify m.yaml
step 2 run m.yaml --journal j.db
unchanged src.db
sq_is src.db "SELECT count(*) FROM people" 2
# Another table of the same file: SQLite lets a reader block a commit unless the file is
# in WAL mode, so that is refused with the way out, and works once it is in WAL mode.
step 2 migrate other.yaml
says "same SQLite file src.db, which is not in WAL mode" "PRAGMA journal_mode=WAL"
sq_is src.db "SELECT count(*) FROM people_new" 0
sq src.db "BEGIN; COMMIT; PRAGMA journal_mode=WAL;"
step 0 migrate other.yaml
accounts people_new 2 0 0 2
step 0 verify other.yaml
accounts people_new 2 0 0 2
