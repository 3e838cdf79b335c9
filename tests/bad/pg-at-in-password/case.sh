# A password holding an unencoded '@' (role bad_at, password Zq9x@$BAD_PW). cutover
# splits the URL at the last '@' before the host, libpq at the first: it was handed the
# URL as written, took the password's tail for the host and quoted it in its error
# (could not translate host name "Bad-Pw-7731@127.0.0.1"), and that went to stderr, the
# journal and the reports. Now libpq gets the user name and password percent-encoded.
needs pg
target_is pg
input "postgresql://bad_at:Pw-0@Zq9x@…, then the right password Zq9x@… unencoded"
step 2 check m.yaml --target "postgresql://bad_at:Pw-0@Zq9x@$PG_HOSTPORT/$MY_DBNAME"
says "cannot connect to postgresql://bad_at:***@$PG_HOSTPORT/$MY_DBNAME" 'password authentication failed for user "bad_at"'
says_not Zq9x 'translate host name'
step 2 migrate m.yaml --target "postgresql://bad_at:Pw-0@Zq9x@$PG_HOSTPORT/$MY_DBNAME"
says 'password authentication failed for user "bad_at"'
says_not Zq9x
unwritten people
step 0 check m.yaml --target "postgresql://bad_at:Zq9x@$BAD_PW@$PG_HOSTPORT/$MY_DBNAME"
says "postgresql://bad_at:***@$PG_HOSTPORT/$MY_DBNAME" "OK: 1 table"
says_not Zq9x
