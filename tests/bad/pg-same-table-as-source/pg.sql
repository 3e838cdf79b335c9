CREATE TABLE people (id int PRIMARY KEY, name text, v text);
INSERT INTO people VALUES (1, 'Anne', 'a'), (2, 'Bob', 'b');
CREATE SCHEMA archive;
CREATE TABLE archive.people (id int PRIMARY KEY, name text, v text);
