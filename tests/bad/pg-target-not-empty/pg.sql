CREATE TABLE people (id int PRIMARY KEY, name text, v text);
INSERT INTO people VALUES (9, 'Old', 'x');
