CREATE TABLE items (id int PRIMARY KEY, name varchar(5), qty smallint, price decimal(4,2), small tinyint unsigned) ENGINE=InnoDB;
