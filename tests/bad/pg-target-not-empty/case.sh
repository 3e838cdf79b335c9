# A PostgreSQL target table that has rows is refused without --truncate.
needs pg
target_is pg
input "the PostgreSQL target table holds a row"
step 2 migrate m.yaml
says "target table people is not empty (1 rows)" "--truncate"
pg_is "SELECT string_agg(id || name, ',') FROM people" "9Old"
kept "its 1 row"
