CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, v TEXT);
INSERT INTO people VALUES (1, 'Anne', 'a'), (2, CAST(X'FF' AS TEXT), 'b'), (3, CAST(X'C3' AS TEXT), 'c'), (4, 'Dan', 'd');
