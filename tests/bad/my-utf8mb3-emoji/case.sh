# A 4-byte character for a 3-byte utf8 (utf8mb3) column: rejected before the load.
needs mysql
target_is mysql
input "'gym 💪' into a utf8mb3 column"
step 0 migrate m.yaml
accounts people 2 0 1 1
rejected people '"key":"id=2"' '4-byte UTF-8 character U+1F4AA not allowed in a 3-byte utf8 column'
step 1 verify m.yaml
accounts people 2 0 1 1
