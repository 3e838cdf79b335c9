# A misspelt source column inside an expression: the position of the name itself,
# and the source table (not the target) named.
input "email: lower(emial)"
step 2 check m.yaml
says "m.yaml:10:20:" "unknown source column 'emial' in table clients" "did you mean email?"
says_not "in table members"
step 2 migrate m.yaml
unwritten members
