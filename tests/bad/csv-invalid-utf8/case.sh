# A latin1 byte in a UTF-8 CSV file: the row is rejected with its line and the byte
# offset; with source_encoding: latin1 it is transcoded.
input "line 3: Li 0xE8 ge (latin1 è); then source_encoding: latin1"
sq tgt2.db "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT);"
step 0 migrate m.yaml
accounts people 3 0 1 2
rejected people '"stage":"source","key":"id=2","line":3,"column":"city","value":"Li\ufffdge"' 'invalid UTF-8 at byte 2 (0xE8)'
step 1 verify m.yaml
accounts people 3 0 1 2
step 0 migrate latin1.yaml
accounts people 3 0 0 3
sq_is tgt2.db "SELECT city FROM people WHERE id = 2" "Liège"
step 0 verify latin1.yaml
accounts people 3 0 0 3
