# Text that is not UTF-8 in a UTF-8 source: the row is rejected with the byte
# offset and value of the first bad byte; the other rows load.
input "name = 'Ren' 0xE9 ' Dupont' (latin1 é in a UTF-8 column)"
step 0 migrate m.yaml
accounts people 3 0 1 2
rejected people '"stage":"source"' '"key":"id=2"' '"column":"name"' 'invalid UTF-8 at byte 3 (0xE9)'
step 1 verify m.yaml
accounts people 3 0 1 2
says "1 rejected row exceeds max_rejects" "No-Go"
