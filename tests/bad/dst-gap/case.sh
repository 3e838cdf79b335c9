# 02:30 on 2024-03-31 never happened in Brussels (clocks jumped from 02:00 to 03:00).
input "at = '2024-03-31 02:30:00' with source_timezone: Europe/Brussels"
step 0 migrate m.yaml
accounts ev 3 0 1 2
rejected ev '"key":"id=2"' '"column":"at"' "nonexistent local time (DST gap) in Europe/Brussels: '2024-03-31 02:30:00'"
sq_is tgt.db "SELECT at FROM ev WHERE id = 1" "2024-03-31 00:30:00+00"
sq_is tgt.db "SELECT at FROM ev WHERE id = 3" "2024-03-31 01:30:00+00"
step 1 verify m.yaml
accounts ev 3 0 1 2
says "1 rejected row exceeds max_rejects"
