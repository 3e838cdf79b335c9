# random() would give another value at each run: migrate and verify could never agree.
input "name: first_name || random()"
step 2 check m.yaml
says "m.yaml:9:" "random() gives another value on every run"
step 2 migrate m.yaml
unwritten members
