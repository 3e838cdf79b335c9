# 02:30 on 2024-10-27 happened twice in Brussels (02:30 CEST, then 02:30 CET):
# rejected as ambiguous under dst_overlap: reject (the default); earlier takes the
# summer-time instant (00:30 UTC), later the winter-time one (01:30 UTC).
input "at = '2024-10-27 02:30:00' with source_timezone: Europe/Brussels, dst_overlap reject / earlier / later"
sq tgt2.db "CREATE TABLE ev (id INTEGER PRIMARY KEY, at TIMESTAMPTZ);"
sq tgt3.db "CREATE TABLE ev (id INTEGER PRIMARY KEY, at TIMESTAMPTZ);"
step 0 migrate m.yaml
accounts ev 2 0 1 1
rejected ev '"key":"id=2"' "ambiguous local time (DST overlap) in Europe/Brussels: '2024-10-27 02:30:00'"
step 1 verify m.yaml
accounts ev 2 0 1 1
step 0 migrate earlier.yaml
accounts ev 2 0 0 2
sq_is tgt2.db "SELECT at FROM ev WHERE id = 2" "2024-10-27 00:30:00+00"
step 0 verify earlier.yaml
accounts ev 2 0 0 2
step 0 migrate later.yaml
accounts ev 2 0 0 2
sq_is tgt3.db "SELECT at FROM ev WHERE id = 2" "2024-10-27 01:30:00+00"
sq_is tgt3.db "SELECT at FROM ev WHERE id = 1" "2024-10-27 02:30:00+00"
step 0 verify later.yaml
accounts ev 2 0 0 2
