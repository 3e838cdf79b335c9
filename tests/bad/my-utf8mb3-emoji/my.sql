CREATE TABLE people (id int PRIMARY KEY, name varchar(20) CHARACTER SET utf8mb3, v varchar(20)) ENGINE=InnoDB;
