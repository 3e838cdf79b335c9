# A mapping without a target URL (an unset variable left it out, or it was never written):
# every command refuses it by name before connecting, and nothing is written.
input "no target: line"
step 2 check m.yaml
says "m.yaml: the mapping needs a source and a target URL"
step 2 migrate m.yaml
says "m.yaml: the mapping needs a source and a target URL"
unwritten members
step 2 verify m.yaml
says "m.yaml: the mapping needs a source and a target URL"
