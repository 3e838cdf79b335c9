# Arrays and intervals cannot be carried: check names each column the mapping uses,
# as a source and as a target, before anything is written; leaving them out works.
needs pg
target_is pg
input "PostgreSQL int[] and interval columns, read and written"
step 2 check read.yaml
says "source column events.tags has type integer[], which cutover cannot read" "source column events.span has type interval, which cutover cannot read"
step 2 migrate read.yaml
says "cannot read"
step 2 check m.yaml
says "target column tags has type integer[], which cutover cannot load" "target column span has type interval, which cutover cannot load"
step 2 migrate m.yaml
pg_is "SELECT count(*) FROM events" 1
kept "the row it had"
step 0 migrate --truncate ok.yaml
accounts events 2 0 0 2
step 0 verify ok.yaml
accounts events 2 0 0 2
