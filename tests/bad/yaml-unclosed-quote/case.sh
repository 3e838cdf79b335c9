# A double-quoted expression that is never closed.
input 'email: "lower(email)   (no closing quote)'
step 2 check m.yaml
says "m.yaml:" "invalid YAML" "found unexpected end of stream"
step 2 migrate m.yaml
unwritten members
