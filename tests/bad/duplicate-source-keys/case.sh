# The source has no primary key and holds id 2 twice: the target's primary key
# refuses the second at load time, with SQLite's words; the counts add up and verify
# recognises the refused row from the reject file.
input "source rows (2, 'Bob') and (2, 'Bobby') into a target PRIMARY KEY"
step 0 migrate m.yaml
accounts people 4 0 1 3
rejected people '"stage":"load"' '"key":"id=2"' 'UNIQUE constraint failed: people.id'
step 1 verify m.yaml
accounts people 4 0 1 3
says "1 rejected row exceeds max_rejects"
step 0 verify allow1.yaml --rejects m.rejects
accounts people 4 0 1 3
says "Go: 1 table"
