# A key indented one space too far: YAML refuses it, with the position.
input "columns: indented one space deeper than from:"
step 2 check m.yaml
says "m.yaml:7:13:" "invalid YAML"
step 2 migrate m.yaml
says "m.yaml:7:13:"
unwritten members
