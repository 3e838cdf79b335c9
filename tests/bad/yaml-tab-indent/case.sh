# A tab used for indentation (YAML allows only spaces).
input "a tab before columns:"
step 2 check m.yaml
says "m.yaml:" "invalid YAML" "tab"
step 2 migrate m.yaml
unwritten members
