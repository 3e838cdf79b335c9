# --tables naming a table the mapping does not have.
input "--tables memebers"
step 2 migrate m.yaml --tables memebers
says "--tables: memebers is not a table of mapping m.yaml" "did you mean members?"
unwritten members
