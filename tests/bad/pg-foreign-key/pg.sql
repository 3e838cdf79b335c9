CREATE TABLE members (id int PRIMARY KEY, name text);
CREATE TABLE orders (id int PRIMARY KEY, member_id int REFERENCES members (id));
