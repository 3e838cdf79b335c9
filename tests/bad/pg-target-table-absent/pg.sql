CREATE TABLE peple (id int PRIMARY KEY, name text, v text);
