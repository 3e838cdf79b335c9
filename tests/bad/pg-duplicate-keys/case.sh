# Duplicate keys in the source into a PostgreSQL primary key: the second row is
# refused at load time with the server's message; the counts add up, verify knows the
# refused row from the reject file.
needs pg
target_is pg
input "source rows (2, 'Bob') and (2, 'Bobby') into PRIMARY KEY (id)"
step 0 migrate m.yaml
accounts people 4 0 1 3
rejected people '"stage":"load","key":"id=2"' 'PostgreSQL refused the row: duplicate key value violates unique constraint \"people_pkey\"'
pg_is "SELECT count(*) FROM people" 3
step 1 verify m.yaml
accounts people 4 0 1 3
step 0 verify allow1.yaml --rejects m.rejects
accounts people 4 0 1 3
says "Go: 1 table"
