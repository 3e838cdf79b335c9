# A MariaDB user with a password: a wrong one in the URL, then in MYSQL_PWD, is
# refused with the server's words and never shown; the right one connects.
needs mysql
target_is mysql
input "mysql://bad_pw:WRONG@…; then MYSQL_PWD=WRONG; then the right password"
step 2 check m.yaml --target "mysql://bad_pw:Pw-0@$MY_HOSTPORT/$MY_DBNAME"
says "cannot connect to mysql://bad_pw:***@$MY_HOSTPORT/$MY_DBNAME" "Access denied for user 'bad_pw'" "(using password: YES)"
step 2 migrate m.yaml --target "mysql://bad_pw:Pw-0@$MY_HOSTPORT/$MY_DBNAME"
says "Access denied for user 'bad_pw'"
export MYSQL_PWD=Pw-0
step 2 migrate m.yaml --target "mysql://bad_pw@$MY_HOSTPORT/$MY_DBNAME"
says "cannot connect to mysql://bad_pw@$MY_HOSTPORT/$MY_DBNAME" "Access denied for user 'bad_pw'"
unset MYSQL_PWD
unwritten people
step 0 check m.yaml --target "mysql://bad_pw:$BAD_PW@$MY_HOSTPORT/$MY_DBNAME"
says "mysql://bad_pw:***@$MY_HOSTPORT/$MY_DBNAME"
