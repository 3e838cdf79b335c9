CREATE TABLE members (id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO members VALUES (1, 'Anne'), (2, 'Bob');
CREATE TABLE orders (id INTEGER PRIMARY KEY, member_id INTEGER);
INSERT INTO orders VALUES (10, 1), (11, 2), (12, 99);
