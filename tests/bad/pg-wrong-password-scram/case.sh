# A role whose password is checked with scram (pg_hba.conf): a wrong password in the
# URL, then in PGPASSWORD, is refused with the server's words and never shown; the
# right one connects.
needs pg
target_is pg
input "postgresql://bad_scram:WRONG@…; then PGPASSWORD=WRONG; then the right password"
step 2 check m.yaml --target "postgresql://bad_scram:Pw-0@$PG_HOSTPORT/$MY_DBNAME"
says "cannot connect to postgresql://bad_scram:***@$PG_HOSTPORT/$MY_DBNAME" 'password authentication failed for user "bad_scram"'
step 2 migrate m.yaml --target "postgresql://bad_scram:Pw-0@$PG_HOSTPORT/$MY_DBNAME"
says 'password authentication failed for user "bad_scram"'
export PGPASSWORD=Pw-0
step 2 migrate m.yaml --target "postgresql://bad_scram@$PG_HOSTPORT/$MY_DBNAME"
says "cannot connect to postgresql://bad_scram@$PG_HOSTPORT/$MY_DBNAME" 'password authentication failed for user "bad_scram"'
unset PGPASSWORD
unwritten people
step 0 check m.yaml --target "postgresql://bad_scram:$BAD_PW@$PG_HOSTPORT/$MY_DBNAME"
says "postgresql://bad_scram:***@$PG_HOSTPORT/$MY_DBNAME"
