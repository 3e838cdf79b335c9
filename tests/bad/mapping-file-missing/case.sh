# The mapping file does not exist.
input "a path to no file"
step 2 check nosuch.yaml
says "cannot read mapping nosuch.yaml: No such file or directory"
step 2 migrate nosuch.yaml
unwritten members
