# Two rows rejected where the table allows one: run is No-Go (exit 1) and rolls the
# target back to what it was (empty); migrate loads the rest (exit 0) and verify is
# No-Go (exit 1).
input "2 rejected rows with max_rejects: 1"
step 1 run -q m.yaml --journal j.db
says "No-Go" "people: 2 rejected rows exceed max_rejects"
accounts people 4 0 2 2
unwritten people
step 0 migrate m.yaml
accounts people 4 0 2 2
step 1 verify m.yaml
accounts people 4 0 2 2
says "people: 2 rejected rows exceed max_rejects" "No-Go"
