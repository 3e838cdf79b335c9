CREATE TABLE events (id int PRIMARY KEY, tags int[], span interval, note text);
INSERT INTO events VALUES (1, '{1,2}', '1 day', 'a');
