# a misspelt PostgreSQL URL parameter
input "a misspelt PostgreSQL URL parameter"
before src.db
step 2 check m.yaml --source 'postgresql://app:Pw-0@127.0.0.1:1/legacy?sslmod=require'
says 'invalid URI query parameter: "sslmod"'
step 2 migrate m.yaml --source 'postgresql://app:Pw-0@127.0.0.1:1/legacy?sslmod=require'
says 'invalid URI query parameter: "sslmod"'
unwritten members
unchanged src.db
