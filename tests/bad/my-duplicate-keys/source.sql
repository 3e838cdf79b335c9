CREATE TABLE people (id INTEGER, name TEXT, v TEXT);
INSERT INTO people VALUES (1, 'Anne', 'a'), (2, 'Bob', 'b'), (2, 'Bobby', 'b2'), (3, 'Chloé', 'c');
