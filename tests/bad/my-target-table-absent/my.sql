CREATE TABLE peple (id int PRIMARY KEY, name varchar(100), v varchar(100)) ENGINE=InnoDB;
