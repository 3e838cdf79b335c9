# A NOT NULL target column without a default that the mapping leaves out.
input "columns: without name (NOT NULL, no default)"
step 2 check m.yaml
says "m.yaml:4:3:" "target column name is NOT NULL without a default"
step 2 migrate m.yaml
unwritten members
