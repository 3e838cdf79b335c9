CREATE TABLE people (id int PRIMARY KEY, name TEXT, v TEXT);
GRANT ALL ON people TO bad_at;
