# A CSV table has no primary key; without key: every row still loads and verify
# compares whole rows. A NUL byte is data for CSV (SQLite text keeps it).
input "no key: in the mapping of a CSV source"
step 0 migrate m.yaml
accounts people 2 0 0 2
step 0 verify m.yaml
accounts people 2 0 0 2
