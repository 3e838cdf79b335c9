CREATE TABLE places (id INTEGER PRIMARY KEY, location TEXT, name TEXT);
INSERT INTO places VALUES (1, 'POINT(1 2)', 'a'), (2, 'POINT(3 4)', 'b');
CREATE TABLE out (id INTEGER PRIMARY KEY, location TEXT, name TEXT);
