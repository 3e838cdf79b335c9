# A misspelt scheme gets a "did you mean", as misspelt tables, columns and options do;
# a scheme without its ':' is named (the text, which may hold a password, is not quoted).
input "postgresq://…, sqlte:…, postgresql//… (no ':')"
before src.db
step 2 check m.yaml --source 'postgresq://app:Pw-0@db/legacy'
says "postgresq://app:***@db/legacy: unknown URL scheme 'postgresq'" "did you mean postgresql://?"
step 2 migrate m.yaml --source 'sqlte:src.db'
says "unknown URL scheme 'sqlte'" "did you mean sqlite:?"
step 2 check m.yaml --source 'postgresql//app:Pw-0@db/legacy'
says "not a URL: missing ':' after 'postgresql' (expected postgresql://"
unwritten members
unchanged src.db
