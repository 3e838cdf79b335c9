# PostgreSQL on a port where nothing listens
input "PostgreSQL on a port where nothing listens"
before src.db
step 2 check m.yaml --source 'postgresql://app:Pw-0@127.0.0.1:1/legacy'
says 'PostgreSQL: cannot connect to postgresql://app:***@127.0.0.1:1/legacy' 'Connection refused'
step 2 migrate m.yaml --source 'postgresql://app:Pw-0@127.0.0.1:1/legacy'
says 'PostgreSQL: cannot connect to postgresql://app:***@127.0.0.1:1/legacy' 'Connection refused'
unwritten members
unchanged src.db
