# a host followed by a colon and no port (an unset ${PORT})
input 'a host followed by a colon and no port (an unset ${PORT})'
before src.db
step 2 check m.yaml --source 'mysql://app:Pw-0@127.0.0.1:/legacy'
says 'mysql://app:***@127.0.0.1:/legacy: invalid port '\'''\'''
step 2 migrate m.yaml --source 'mysql://app:Pw-0@127.0.0.1:/legacy'
says 'mysql://app:***@127.0.0.1:/legacy: invalid port '\'''\'''
unwritten members
unchanged src.db
