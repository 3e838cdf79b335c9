# A target table that already has rows is refused without --truncate: nothing changes.
input "the target table holds a row already"
before tgt.db
step 2 migrate m.yaml
says "target table people is not empty" "--truncate"
unchanged tgt.db
