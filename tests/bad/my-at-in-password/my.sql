CREATE TABLE people (id int PRIMARY KEY, name varchar(100), v varchar(100)) ENGINE=InnoDB;
