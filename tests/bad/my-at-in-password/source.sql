CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, v TEXT);
INSERT INTO people VALUES (1, 'Anne', 'a');
