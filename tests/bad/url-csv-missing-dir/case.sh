# A csv: URL naming a directory that does not exist.
input "source: csv:export (no such directory)"
step 2 check m.yaml --source csv:export
says "csv: directory 'export' does not exist"
step 2 migrate m.yaml --source csv:export
unwritten members
