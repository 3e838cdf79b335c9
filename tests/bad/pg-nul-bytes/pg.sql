CREATE TABLE people (id int PRIMARY KEY, name text, v text);
