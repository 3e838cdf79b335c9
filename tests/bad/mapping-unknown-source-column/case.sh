# A misspelt source column, copied bare.
input "name: frist_name"
step 2 check m.yaml
says "m.yaml:9:13:" "unknown source column 'frist_name' in table clients" "did you mean first_name?"
step 2 migrate m.yaml
unwritten members
