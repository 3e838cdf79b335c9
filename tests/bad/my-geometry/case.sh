# GEOMETRY cannot be carried: check names the column, read or written, before
# anything is written; a mapping that leaves it out works.
needs mysql
target_is mysql
input "a MariaDB POINT column, read and written"
step 2 check read.yaml
says "source column places.location has type point, which cutover cannot read"
step 2 migrate read.yaml
step 2 check m.yaml
says "target column location has type point, which cutover cannot load"
step 2 migrate m.yaml
my_is "SELECT COUNT(*) FROM places" 1
kept "the row it had"
step 0 migrate --truncate ok.yaml
accounts places 2 0 0 2
step 0 verify ok.yaml
accounts places 2 0 0 2
