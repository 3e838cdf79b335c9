CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, v TEXT);
INSERT INTO people VALUES (1, 'Anne', 'a'), (2, 'Ω', 'b'), (3, '5 €', 'c');
