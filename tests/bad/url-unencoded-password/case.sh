# a password holding an unencoded '/' and '@'
input "a password holding an unencoded '/' and '@'"
before src.db
step 2 check m.yaml --source 'postgresql://app:p@ss/w@db/legacy'
says 'percent-encode '\''@'\'', '\''/'\'', '\''?'\'' and '\'':'\'''
step 2 migrate m.yaml --source 'postgresql://app:p@ss/w@db/legacy'
says 'percent-encode '\''@'\'', '\''/'\'', '\''?'\'' and '\'':'\'''
unwritten members
unchanged src.db
