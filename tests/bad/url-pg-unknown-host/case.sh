# a PostgreSQL host name that does not resolve
input "a PostgreSQL host name that does not resolve"
before src.db
step 2 check m.yaml --source 'postgresql://app:Pw-0@no-such-host.invalid/legacy'
says 'cannot connect to postgresql://app:***@no-such-host.invalid/legacy' 'could not translate host name "no-such-host.invalid"'
step 2 migrate m.yaml --source 'postgresql://app:Pw-0@no-such-host.invalid/legacy'
says 'cannot connect to postgresql://app:***@no-such-host.invalid/legacy' 'could not translate host name "no-such-host.invalid"'
unwritten members
unchanged src.db
