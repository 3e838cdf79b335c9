CREATE TABLE members (id int PRIMARY KEY, name varchar(20)) ENGINE=InnoDB;
CREATE TABLE orders (id int PRIMARY KEY, member_id int, FOREIGN KEY (member_id) REFERENCES members (id)) ENGINE=InnoDB;
