# a file name where a URL is expected
input "a file name where a URL is expected"
before src.db
step 2 check m.yaml --source 'legacy.db'
says ''\''legacy.db'\'' is not a URL: expected sqlite:FILE'
step 2 migrate m.yaml --source 'legacy.db'
says ''\''legacy.db'\'' is not a URL: expected sqlite:FILE'
unwritten members
unchanged src.db
