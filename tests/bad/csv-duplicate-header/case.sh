# The same column twice in the header (ignoring case).
input "header id,name,NAME"
step 2 check m.yaml
says "csv/people.csv:1: duplicate column name 'NAME' in the header (columns 2 and 3"
step 2 migrate m.yaml
unwritten people
