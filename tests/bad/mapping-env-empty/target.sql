CREATE TABLE members (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT,
  birth_date DATE);
