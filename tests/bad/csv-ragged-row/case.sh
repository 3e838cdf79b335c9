# A record with one field too many: file:line, nothing of the table committed.
input "line 3 has 4 fields, the header 3"
step 2 migrate m.yaml
says "csv/people.csv:3:" "record has 4 fields, header has 3"
unwritten people
