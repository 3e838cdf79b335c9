# CSV values are text: `active = 1` (and the filter `amt > 10`) compare text with a
# number, which gives the same result for every row: no member was active, and every row
# passed the filter. Refused where it is written, with the ways to write it.
input "active = 1 and where: amt > 10 over CSV (text) columns"
step 2 check m.yaml
says "m.yaml:10:12:" "column act: active is text in t" "compares text with a number" "CAST(active AS INTEGER)"
step 2 migrate m.yaml
unwritten t
