# A role whose password is checked with md5 (pg_hba.conf): a wrong password in the
# URL, then in PGPASSWORD, is refused with the server's words and never shown; the
# right one connects.
needs pg
target_is pg
input "postgresql://bad_md5:WRONG@…; then PGPASSWORD=WRONG; then the right password"
step 2 check m.yaml --target "postgresql://bad_md5:Pw-0@$PG_HOSTPORT/$MY_DBNAME"
says "cannot connect to postgresql://bad_md5:***@$PG_HOSTPORT/$MY_DBNAME" 'password authentication failed for user "bad_md5"'
step 2 migrate m.yaml --target "postgresql://bad_md5:Pw-0@$PG_HOSTPORT/$MY_DBNAME"
says 'password authentication failed for user "bad_md5"'
export PGPASSWORD=Pw-0
step 2 migrate m.yaml --target "postgresql://bad_md5@$PG_HOSTPORT/$MY_DBNAME"
says "cannot connect to postgresql://bad_md5@$PG_HOSTPORT/$MY_DBNAME" 'password authentication failed for user "bad_md5"'
unset PGPASSWORD
unwritten people
step 0 check m.yaml --target "postgresql://bad_md5:$BAD_PW@$PG_HOSTPORT/$MY_DBNAME"
says "postgresql://bad_md5:***@$PG_HOSTPORT/$MY_DBNAME"
