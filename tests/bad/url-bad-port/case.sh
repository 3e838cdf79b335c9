# a port out of range in the source URL
input "a port out of range in the source URL"
before src.db
step 2 check m.yaml --source 'postgresql://app:Pw-0@127.0.0.1:99999/legacy'
says 'postgresql://app:***@127.0.0.1:99999/legacy: invalid port '\''99999'\'' (expected 1 to 65535)'
step 2 migrate m.yaml --source 'postgresql://app:Pw-0@127.0.0.1:99999/legacy'
says 'postgresql://app:***@127.0.0.1:99999/legacy: invalid port '\''99999'\'' (expected 1 to 65535)'
unwritten members
unchanged src.db
