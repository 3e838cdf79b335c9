# a SQLite source file that does not exist
input "a SQLite source file that does not exist"
before src.db
step 2 check m.yaml --source 'sqlite:no-such.db'
says 'SQLite: cannot open '\''no-such.db'\'': No such file or directory'
step 2 migrate m.yaml --source 'sqlite:no-such.db'
says 'SQLite: cannot open '\''no-such.db'\'': No such file or directory'
unwritten members
unchanged src.db
