# a MariaDB URL without a database
input "a MariaDB URL without a database"
before src.db
step 2 check m.yaml --source 'mysql://app:Pw-0@127.0.0.1:1'
says 'the URL names no database'
step 2 migrate m.yaml --source 'mysql://app:Pw-0@127.0.0.1:1'
says 'the URL names no database'
unwritten members
unchanged src.db
