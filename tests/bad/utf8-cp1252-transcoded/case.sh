# Windows-1252 text: 0x80 is €, 0x93/0x94 are curly quotes; 0x81, undefined in
# cp1252, rejects its row with the offset.
input "name = 0x80 '5' / 0x93 'hi' 0x94 / 'a' 0x81 with source_encoding: cp1252"
step 0 migrate m.yaml
accounts people 3 0 1 2
rejected people '"key":"id=3"' 'byte 0x81 at offset 1 is undefined in cp1252'
sq_is tgt.db "SELECT name FROM people WHERE id = 1" "€5"
sq_is tgt.db "SELECT name FROM people WHERE id = 2" "“hi”"
step 1 verify m.yaml
accounts people 3 0 1 2
