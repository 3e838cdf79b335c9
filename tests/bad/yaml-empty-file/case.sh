# An empty mapping file.
input "a mapping file of 0 bytes"
step 2 check m.yaml
says "m.yaml" "empty mapping file"
step 2 migrate m.yaml
unwritten members
