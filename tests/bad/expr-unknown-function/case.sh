# A function SQLite does not have (a PostgreSQL habit).
input "name: initcap(first_name)"
step 2 check m.yaml
says "m.yaml:9:13:" "no such function: initcap"
step 2 migrate m.yaml
unwritten members
