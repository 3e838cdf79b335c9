# An empty CSV file has no header: check says so with the file.
input "people.csv of 0 bytes"
step 2 check m.yaml
says "csv/people.csv:1: empty file: expected a header row naming the columns"
step 2 migrate m.yaml
unwritten people
