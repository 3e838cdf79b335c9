# MariaDB on a port where nothing listens
input "MariaDB on a port where nothing listens"
before src.db
step 2 check m.yaml --source 'mysql://app:Pw-0@127.0.0.1:1/legacy'
says "cannot connect to mysql://app:***@127.0.0.1:1/legacy" "Can't connect to server on '127.0.0.1'"
step 2 migrate m.yaml --source 'mysql://app:Pw-0@127.0.0.1:1/legacy'
says "cannot connect to mysql://app:***@127.0.0.1:1/legacy" "Can't connect to server on '127.0.0.1'"
unwritten members
unchanged src.db
