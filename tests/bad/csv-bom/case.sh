# A UTF-8 byte order mark before the header is not part of the first column's name:
# id is found, and the rows load.
input "the file starts with EF BB BF"
step 0 check m.yaml
step 0 migrate m.yaml
accounts people 2 0 0 2
step 0 verify m.yaml
accounts people 2 0 0 2
says "Go: 1 table"
