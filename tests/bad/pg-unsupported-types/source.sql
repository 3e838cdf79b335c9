CREATE TABLE events (id INTEGER PRIMARY KEY, tags TEXT, span TEXT, note TEXT);
INSERT INTO events VALUES (1, '{1,2}', '1 day', 'a'), (2, '{}', '2 hours', 'b');
CREATE TABLE out (id INTEGER PRIMARY KEY, tags TEXT, span TEXT, note TEXT);
