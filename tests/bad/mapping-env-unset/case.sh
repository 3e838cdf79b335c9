# ${VAR} of a variable that is not set.
input 'target: ${NO_SUCH_TARGET}'
step 2 check m.yaml
says "m.yaml:2:9:" "environment variable NO_SUCH_TARGET is not set"
step 2 migrate m.yaml
unwritten members
