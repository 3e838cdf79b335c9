# A database that does not exist on the server.
needs pg
target_is pg
input "postgresql://…/no_such_db"
before src.db
step 2 check m.yaml --target "$PG_BASE/no_such_db"
says 'database "no_such_db" does not exist'
step 2 migrate m.yaml --target "$PG_BASE/no_such_db"
says 'database "no_such_db" does not exist'
unchanged src.db
