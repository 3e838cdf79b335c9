# The same bytes with source_encoding: latin1 are transcoded: 0xE9 is é.
input "name = 'Ren' 0xE9 ' Dupont' with options.source_encoding: latin1"
step 0 migrate m.yaml
accounts people 3 0 0 3
step 0 verify m.yaml
accounts people 3 0 0 3
says "Go: 1 table"
sq_is tgt.db "SELECT name FROM people WHERE id = 2" "René Dupont"
# latin1 reads every byte as one character: 'Zoë' (UTF-8 in the file) becomes 'ZoÃ«'.
sq_is tgt.db "SELECT name FROM people WHERE id = 3" "ZoÃ«"
