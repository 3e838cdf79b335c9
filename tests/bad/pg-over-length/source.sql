CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER, price TEXT);
INSERT INTO items VALUES (1, 'Anne', 7, '12.34'), (2, 'Valérie', 1, '1'), (3, 'Bob', 40000, '1'), (4, 'Chloé', 1, '123.45'), (5, 'Dan', -1, '1');
