# The same target column twice, spelt differently (SQLite names ignore case): both
# would be written into one column, one value silently lost.
input "columns: email and EMAIL (one column of the target)"
step 2 check m.yaml
says "m.yaml:12:7:" "target column email is mapped twice (lines 10 and 12)"
step 2 migrate m.yaml
unwritten members
