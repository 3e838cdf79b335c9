# Text that closes the expression's parenthesis and opens another one: two values for
# one column. SQLite would accept it; the values would shift into the wrong columns.
input "email: 'lower(email)), (first_name' (two values)"
step 2 check m.yaml
says "m.yaml:10:14:" "table members, column email" "must be a single SQL expression"
step 2 migrate m.yaml
unwritten members
