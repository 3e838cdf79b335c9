# One value per row that the target column's type cannot take: each row is rejected
# before the load with the column and the reason; the good row loads.
input "123.45 for numeric(4,2), 2^63 for an integer, NaN for a REAL, 2023-02-29, 'maybe' for a boolean, bad JSON, a short uuid, +01 in a timestamp"
step 0 migrate m.yaml
accounts vals 9 0 8 1
rejected vals '"key":"id=2","line":2,"column":"n"' "numeric(4,2)"
rejected vals '"key":"id=3","line":3,"column":"i"' "out of range"
rejected vals '"stage":"load","key":"id=4"' "column f: NaN cannot be stored in SQLite"
rejected vals '"key":"id=5","line":5,"column":"d"' "no such date '2023-02-29'"
rejected vals '"key":"id=6","line":6,"column":"b"' "'maybe' is not a valid bool"
rejected vals '"key":"id=7","line":7,"column":"j"' "invalid JSON at byte 7"
rejected vals '"key":"id=8","line":8,"column":"u"' "'a0eebc99-9c0b' is not a valid uuid"
rejected vals '"key":"id=9","line":9,"column":"ts"' "time zone offset other than UTC in a timestamp without time zone"
step 1 verify m.yaml
accounts vals 9 0 8 1
sq_is tgt.db "SELECT n FROM vals" "12.34"
