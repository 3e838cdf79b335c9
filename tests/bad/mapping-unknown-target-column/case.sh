# A misspelt target column.
input "columns: emial (the target has email)"
step 2 check m.yaml
says "m.yaml:10:7:" "unknown target column 'emial' in table members" "did you mean email?"
step 2 migrate m.yaml
unwritten members
