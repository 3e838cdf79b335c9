# A legacy SQL_ASCII database holds latin1 bytes: read as UTF-8 the row is rejected
# with the byte offset; with source_encoding: latin1 it is transcoded.
needs pg
# drv_pg.c connects with client_encoding UTF8 whatever the database's encoding: the
# server then refuses to send the latin1 bytes of a SQL_ASCII database ("invalid byte
# sequence for encoding UTF8: 0xe9") and the whole scan fails, source_encoding or not.
pending "drv_pg.c: a SQL_ASCII database is read with client_encoding UTF8; the server aborts the scan (exit 2) instead of passing the bytes on"
input "a SQL_ASCII PostgreSQL database holding 'caf' 0xE9; then source_encoding: latin1"
PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" -c "DROP DATABASE IF EXISTS ${MY_DBNAME}_ascii" -c "CREATE DATABASE ${MY_DBNAME}_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0" >/dev/null
export ASCII_DB="$PG_BASE/${MY_DBNAME}_ascii"
psql -X -q -v ON_ERROR_STOP=1 "$ASCII_DB" -c "CREATE TABLE people (id int PRIMARY KEY, name text, v text)" -c "INSERT INTO people VALUES (1, 'Anne', 'a'), (2, E'caf\xe9', 'b'), (3, 'Bob', 'c')" >/dev/null
sq tgt2.db "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, v TEXT);"
step 0 migrate m.yaml
accounts people 3 0 1 2
rejected people '"stage":"source","key":"id=2"' 'invalid UTF-8 at byte 3 (0xE9)'
step 1 verify m.yaml
accounts people 3 0 1 2
step 0 migrate latin1.yaml
accounts people 3 0 0 3
sq_is tgt2.db "SELECT name FROM people WHERE id = 2" "café"
step 0 verify latin1.yaml
accounts people 3 0 0 3
