# A SQLite target file that does not exist: not created (the schema is the
# target's, cutover does not invent it).
input "target: sqlite:nope.db (no such file)"
before src.db
step 2 check m.yaml --target sqlite:nope.db
says "target: SQLite: cannot open 'nope.db': No such file or directory"
step 2 migrate m.yaml --target sqlite:nope.db
unchanged src.db
unwritten members
[ -n "$case_doc" ] || [ ! -e nope.db ] || bad "nope.db was created"
