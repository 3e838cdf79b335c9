# The target table is not in the MariaDB database.
needs mysql
target_is mysql
input "tables: people, the database has peple"
step 2 check m.yaml
says "m.yaml:4:3:" "target table people not found" "did you mean peple?"
step 2 migrate m.yaml
unwritten peple
