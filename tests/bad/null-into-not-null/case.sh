# A NULL bound for a NOT NULL column is rejected before the load, with the column.
input "name NULL into name TEXT NOT NULL"
step 0 migrate m.yaml
accounts people 3 0 1 2
rejected people '"stage":"target"' '"key":"id=2"' '"column":"name"' 'NULL value for a NOT NULL column'
step 1 verify m.yaml
accounts people 3 0 1 2
