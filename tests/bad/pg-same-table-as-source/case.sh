# The same for PostgreSQL: the same database under two spellings of the server
# (127.0.0.1 and localhost), the table read is the table written.
needs pg
target_is pg
input "source and target the same PostgreSQL database; tables: people: {} with --truncate"
step 2 check m.yaml --target "$(echo "$PG" | sed 's/127.0.0.1/localhost/')"
says "target table people is the source table people"
step 2 migrate --truncate m.yaml
says "target table people is the source table people"
pg_is "SELECT count(*) FROM people" 2
kept "its 2 rows"
step 0 migrate other.yaml
accounts archive.people 2 0 0 2
