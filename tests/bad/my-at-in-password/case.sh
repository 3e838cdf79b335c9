# A MariaDB password holding an unencoded '@' (user bad_at, password Zq9x@$BAD_PW): the
# URL splits at the last '@' before the host, the client library gets its parts, and no
# message shows any piece of the password.
needs mysql
target_is mysql
input "mysql://bad_at:Pw-0@Zq9x@…, then the right password Zq9x@… unencoded"
step 2 check m.yaml --target "mysql://bad_at:Pw-0@Zq9x@$MY_HOSTPORT/$MY_DBNAME"
says "cannot connect to mysql://bad_at:***@$MY_HOSTPORT/$MY_DBNAME" "Access denied for user 'bad_at'"
says_not Zq9x
unwritten people
step 0 check m.yaml --target "mysql://bad_at:Zq9x@$BAD_PW@$MY_HOSTPORT/$MY_DBNAME"
says "mysql://bad_at:***@$MY_HOSTPORT/$MY_DBNAME" "OK: 1 table"
says_not Zq9x
