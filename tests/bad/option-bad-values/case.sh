# Option values out of their sets, each reported at its own line.
input "zero_dates: zero; dst_overlap: first; batch_rows: 0; source_encoding: utf-8"
step 2 check m.yaml
says "m.yaml:4:15:" "zero_dates: expected null or reject, found 'zero'"
step 2 check m2.yaml
says "m2.yaml:4:16:" "dst_overlap" "'first'"
step 2 check m3.yaml
says "m3.yaml:4:15:" "batch_rows: expected an integer from 1 to 1000000, found '0'"
step 2 check m4.yaml
says "m4.yaml:4:20:" "utf-8" "did you mean utf8?"
step 2 migrate m.yaml
unwritten members
