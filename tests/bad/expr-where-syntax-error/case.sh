# A where: that ends in the middle of a comparison.
input "where: id >"
step 2 check m.yaml
says "m.yaml:7:12:" "table members: where:" "syntax error"
step 2 migrate m.yaml
unwritten members
