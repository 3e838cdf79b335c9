# key: names a column the source does not have.
input "key: idd"
step 2 check m.yaml
says "m.yaml:6:10:" "unknown key column 'idd' in source table clients" "did you mean id?"
step 2 migrate m.yaml
unwritten members
