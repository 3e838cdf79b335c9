CREATE TABLE places (id int PRIMARY KEY, location POINT, name varchar(20)) ENGINE=InnoDB;
INSERT INTO places VALUES (1, POINT(1, 2), 'a');
