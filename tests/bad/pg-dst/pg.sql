CREATE SCHEMA src; CREATE SCHEMA tgt;
CREATE TABLE src.ev (id int PRIMARY KEY, at timestamp);
INSERT INTO src.ev VALUES (1, '2024-03-31 02:30'), (2, '2024-10-27 02:30'), (3, '2024-07-01 12:00');
CREATE TABLE tgt.ev (id int PRIMARY KEY, at timestamptz);
