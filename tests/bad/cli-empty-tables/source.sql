CREATE TABLE clients (id INTEGER PRIMARY KEY, first_name TEXT, email TEXT, born TEXT);
INSERT INTO clients VALUES (1, 'Anne', 'Anne@Example.com', '1980-01-02'),
  (2, 'Bob', 'bob@example.com', '1975-05-06'), (3, 'Chloé', 'c@example.com', NULL);
