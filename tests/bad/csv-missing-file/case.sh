# The table's file is not in the directory.
input "from: peoples (no peoples.csv)"
step 2 check m.yaml
says "source table peoples not found" "did you mean people?"
step 2 migrate m.yaml
unwritten people
