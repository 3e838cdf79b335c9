# A latin1 byte in the mapping file.
input "byte 0xE9 (latin1 é) in a comment"
step 2 check m.yaml
says "m.yaml:" "invalid YAML" "mapping files are UTF-8"
step 2 migrate m.yaml
unwritten members
