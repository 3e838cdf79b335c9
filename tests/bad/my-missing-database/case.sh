# A database (schema) that does not exist on the server.
needs mysql
input "mysql://…/no_such_db"
before src.db
step 2 check m.yaml --target "$MY_BASE/no_such_db"
says "Unknown database 'no_such_db'"
step 2 migrate m.yaml --target "$MY_BASE/no_such_db"
says "Unknown database 'no_such_db'"
unchanged src.db
