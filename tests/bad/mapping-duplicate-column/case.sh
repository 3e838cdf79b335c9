# The same target column twice, spelt the same: YAML would keep the last one silently.
input "columns: email given twice"
step 2 check m.yaml
says "m.yaml:12:7:" "duplicate column 'email' in table members (lines 10 and 12)"
step 2 migrate m.yaml
unwritten members
