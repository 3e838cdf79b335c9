# An empty --tables list: what "--tables $TABLES" gives when the variable is unset or
# empty, or "$A,$B" when one is. It is a usage error naming the option, never "0 tables"
# (verify said Go over nothing, migrate and check succeeded doing nothing).
input '--tables "" / "," / "members," (an empty variable)'
step 2 verify m.yaml --tables ''
says "cutover verify: --tables '' names no table" "is a variable empty?"
says_not "Go:"
step 2 verify m.yaml --tables ',' --json -
says "cutover verify: --tables ',' holds an empty table name"
says_not '"verdict"'
step 2 migrate m.yaml --tables 'members,'
says "cutover migrate: --tables 'members,' holds an empty table name"
step 2 check m.yaml --tables ''
says "cutover check: --tables '' names no table"
says_not "OK:"
step 2 snapshot m.yaml -o s.cutsnap --tables ''
says "cutover snapshot: --tables '' names no table"
unwritten members
step 2 restore s.cutsnap --tables ''
says "cutover restore: --tables '' names no table"
