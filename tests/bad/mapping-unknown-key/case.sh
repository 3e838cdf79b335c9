# A misspelt key of the mapping format.
input "colums: instead of columns:"
step 2 check m.yaml
says "m.yaml:7:5:" "unknown key 'colums' in table members" "did you mean columns?"
step 2 migrate m.yaml
unwritten members
