# lookup() of a lookup the mapping does not define.
input "lookup('countrys', …) with only countries: defined"
step 2 check m.yaml
says "m.yaml:11:13:" "unknown lookup 'countrys'" "did you mean countries?"
step 2 migrate m.yaml
unwritten members
