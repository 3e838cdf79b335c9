# A URL given where the mapping file goes: the message quotes it without its password.
input "cutover check postgresql://app:PASSWORD@db/legacy (a URL, not a mapping)"
before src.db
step 2 check 'postgresql://app:Pw-0@db/legacy'
says "cannot read mapping postgresql://app:***@db/legacy"
step 2 migrate 'postgresql://app:Pw-0@db/legacy'
unchanged src.db
unwritten members
