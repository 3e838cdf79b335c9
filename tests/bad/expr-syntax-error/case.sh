# An expression with an unclosed parenthesis.
input "name: upper(first_name"
step 2 check m.yaml
says "m.yaml:9:13:" "table members, column name" "syntax error"
step 2 migrate m.yaml
unwritten members
