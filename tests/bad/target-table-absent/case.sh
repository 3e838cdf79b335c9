# The target database has none of the mapped tables (its schema was never created).
input "an empty target database"
step 2 check m.yaml
says "m.yaml:4:3:" "target table people not found"
step 2 migrate m.yaml
says "target table people not found"
before tgt.db
step 2 verify m.yaml
unchanged tgt.db
