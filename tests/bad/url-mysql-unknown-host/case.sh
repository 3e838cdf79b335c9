# a MariaDB host name that does not resolve
input "a MariaDB host name that does not resolve"
before src.db
step 2 check m.yaml --source 'mysql://app:Pw-0@no-such-host.invalid/legacy'
says 'cannot connect to mysql://app:***@no-such-host.invalid/legacy' 'Unknown server host '\''no-such-host.invalid'\'''
step 2 migrate m.yaml --source 'mysql://app:Pw-0@no-such-host.invalid/legacy'
says 'cannot connect to mysql://app:***@no-such-host.invalid/legacy' 'Unknown server host '\''no-such-host.invalid'\'''
unwritten members
unchanged src.db
