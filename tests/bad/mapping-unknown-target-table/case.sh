# A misspelt target table.
input "tables: memebrs"
step 2 check m.yaml
says "m.yaml:4:3:" "target table memebrs not found" "did you mean members?"
step 2 migrate m.yaml
unwritten members
