# The target table is not in the PostgreSQL database: named with the nearest one.
needs pg
target_is pg
input "tables: people, the database has peple"
step 2 check m.yaml
says "m.yaml:4:3:" "target table people not found" "did you mean peple?"
step 2 migrate m.yaml
says "target table people not found"
unwritten peple
