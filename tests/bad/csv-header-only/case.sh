# A header and no rows: nothing to load, and that is Go (0 = 0 + 0 + 0).
input "people.csv holds only its header"
step 0 migrate m.yaml
accounts people 0 0 0 0
step 0 verify m.yaml
accounts people 0 0 0 0
