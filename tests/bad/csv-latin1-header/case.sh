# A latin1 header (caf 0xE9) under source_encoding: latin1: its names are decoded as its
# values are, so a UTF-8 mapping names the column, and a copy by name finds it (it was
# loaded as NULL, a column no mapping could name).
input "header id,caf 0xE9,note (latin1), source_encoding: latin1; a header byte cp1252 leaves undefined (0x81)"
sq tgt2.db "CREATE TABLE t (id INTEGER PRIMARY KEY, drink TEXT, note TEXT);"
step 0 migrate m.yaml
accounts t 2 0 0 2
sq_is tgt.db "SELECT \"café\" FROM t WHERE id = 1" "crème"
step 0 verify m.yaml
step 0 migrate named.yaml
accounts t 2 0 0 2
sq_is tgt2.db "SELECT drink FROM t WHERE id = 2" "THÉ"
# A header byte the encoding leaves undefined (cp1252 0x81): the file, its header line and
# the column, before anything is written.
step 2 check cp1252.yaml
says "csv81/t.csv:1:" "column 2 of the header" "0x81" "undefined in cp1252"
step 2 migrate cp1252.yaml
sq_is tgt.db "SELECT count(*) FROM t" "2"
