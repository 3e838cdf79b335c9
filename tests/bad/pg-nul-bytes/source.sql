CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, v TEXT);
INSERT INTO people VALUES (1, 'Anne', 'a'), (2, CAST(X'610062' AS TEXT), 'b'), (3, 'Zoë', 'c');
