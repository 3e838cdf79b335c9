SET SESSION sql_mode = '';
CREATE TABLE ev (id int PRIMARY KEY, day date) ENGINE=InnoDB;
INSERT INTO ev VALUES (1, '0000-00-00'), (2, '2024-05-00'), (3, '2024-05-01');
