CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER, price TEXT, small INTEGER);
INSERT INTO items VALUES (1, 'Anne', 7, '12.34', 200), (2, 'Valérie', 1, '1', 1), (3, 'Bob', 40000, '1', 1), (4, 'Chloé', 1, '123.45', 1), (5, 'Dan', 1, '1', -1);
