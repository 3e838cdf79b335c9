CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, v TEXT);
INSERT INTO people VALUES (9, 'Old', 'x');
