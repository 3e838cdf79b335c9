# ${VAR} of a variable that is set but empty (export URL=$(vault read ...) printing
# nothing): the message names the variable and where the mapping uses it, as for an
# unset one, instead of "the mapping needs a source and a target URL".
input 'target: ${EMPTY_TARGET} with EMPTY_TARGET set to ""'
export EMPTY_TARGET=
step 2 check m.yaml
says "m.yaml:2:9: target: environment variable EMPTY_TARGET is set but empty" "--target URL"
step 2 migrate m.yaml
says "m.yaml:2:9: target: environment variable EMPTY_TARGET is set but empty"
step 2 verify m.yaml
says "m.yaml:2:9: target: environment variable EMPTY_TARGET is set but empty"
step 2 run m.yaml
says "m.yaml:2:9: target: environment variable EMPTY_TARGET is set but empty"
step 2 snapshot m.yaml -o s.cutsnap
says "m.yaml:2:9: target: environment variable EMPTY_TARGET is set but empty"
step 0 check m.yaml --target sqlite:tgt.db
unset EMPTY_TARGET
unwritten members
