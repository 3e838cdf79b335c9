# a scheme cutover has no driver for
input "a scheme cutover has no driver for"
before src.db
step 2 check m.yaml --source 'oracle://app:Pw-0@db/legacy'
says 'oracle://app:***@db/legacy: unknown URL scheme '\''oracle'\'''
step 2 migrate m.yaml --source 'oracle://app:Pw-0@db/legacy'
says 'oracle://app:***@db/legacy: unknown URL scheme '\''oracle'\'''
unwritten members
unchanged src.db
