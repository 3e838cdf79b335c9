# The same target table twice.
input "tables: members listed twice"
step 2 check m.yaml
says "m.yaml:12:3:" "duplicate table 'members' (lines 4 and 12)"
step 2 migrate m.yaml
unwritten members
