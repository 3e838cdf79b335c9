# A record with one field too few.
input "line 4 has 2 fields, the header 3"
step 2 migrate m.yaml
says "csv/people.csv:4:" "record has 2 fields, header has 3"
unwritten people
