# A header field with no name.
input 'header id,,city'
step 2 check m.yaml
says "csv/people.csv:1: column 2 of the header has no name"
step 2 migrate m.yaml
unwritten people
