# Two YAML documents in one file.
input "a second document after ---"
step 2 check m.yaml
says "m.yaml:12:1:" "more than one YAML document"
step 2 migrate m.yaml
unwritten members
