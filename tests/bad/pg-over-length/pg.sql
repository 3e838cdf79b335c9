CREATE TABLE items (id int PRIMARY KEY, name varchar(5), qty int2 CHECK (qty >= 0), price numeric(4,2));
