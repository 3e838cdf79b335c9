# CSV is a source only.
input "target: csv:out"
before src.db
step 2 check m.yaml --target csv:out
says "CSV can only be a source"
step 2 migrate m.yaml --target csv:out
says "CSV can only be a source"
unchanged src.db
