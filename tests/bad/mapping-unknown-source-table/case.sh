# A misspelt source table.
input "from: clinets"
step 2 check m.yaml
says "m.yaml:5:11:" "source table clinets not found" "did you mean clients?"
step 2 migrate m.yaml
unwritten members
