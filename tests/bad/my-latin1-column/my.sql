CREATE TABLE people (id int PRIMARY KEY, name varchar(20) CHARACTER SET latin1, v varchar(20)) ENGINE=InnoDB;
