# PostgreSQL timestamp (without time zone) recorded in Brussels time, into timestamptz:
# the DST gap rejected, the overlap rejected, earlier or later as asked.
needs pg
target_is pg
input "timestamp '2024-03-31 02:30' and '2024-10-27 02:30' with source_timezone: Europe/Brussels, into timestamptz"
step 0 migrate m.yaml
accounts tgt.ev 3 0 2 1
rejected tgt.ev '"key":"id=1"' "nonexistent local time (DST gap) in Europe/Brussels: '2024-03-31 02:30:00'"
rejected tgt.ev '"key":"id=2"' "ambiguous local time (DST overlap) in Europe/Brussels: '2024-10-27 02:30:00'"
step 1 verify m.yaml
accounts tgt.ev 3 0 2 1
step 0 migrate --truncate later.yaml
accounts tgt.ev 3 0 1 2
pg_is "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM tgt.ev WHERE id = 2" "2024-10-27 01:30"
step 0 migrate --truncate earlier.yaml
accounts tgt.ev 3 0 1 2
pg_is "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM tgt.ev WHERE id = 2" "2024-10-27 00:30"
pg_is "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM tgt.ev WHERE id = 3" "2024-07-01 10:00"
step 1 verify earlier.yaml
accounts tgt.ev 3 0 1 2
