# a misspelt MariaDB URL parameter
input "a misspelt MariaDB URL parameter"
before src.db
step 2 check m.yaml --source 'mysql://app:Pw-0@127.0.0.1:1/legacy?sokcet=/tmp/x.sock'
says 'unknown parameter '\''sokcet'\'''
step 2 migrate m.yaml --source 'mysql://app:Pw-0@127.0.0.1:1/legacy?sokcet=/tmp/x.sock'
says 'unknown parameter '\''sokcet'\'''
unwritten members
unchanged src.db
