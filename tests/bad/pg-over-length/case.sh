# Values the PostgreSQL columns cannot hold: varchar(5), smallint, numeric(4,2) and a
# CHECK constraint. The first three are rejected before the load with the reason;
# the CHECK by the server, with its words; the good row loads.
needs pg
target_is pg
input "'Valérie' for varchar(5), 40000 for smallint, 123.45 for numeric(4,2), -1 for CHECK (qty >= 0)"
step 0 migrate m.yaml
accounts items 5 0 4 1
rejected items '"key":"id=2"' '"column":"name"' 'value too long for text(5): 7 characters'
rejected items '"key":"id=3"' '"column":"qty"' "'40000' is out of range for int16"
rejected items '"key":"id=4"' '"column":"price"' "'123.45' is out of range for numeric(4,2)"
rejected items '"stage":"load","key":"id=5"' 'PostgreSQL refused the row: new row for relation \"items\" violates check constraint \"items_qty_check\"'
pg_is "SELECT name || ' ' || qty || ' ' || price FROM items" "Anne 7 12.34"
step 1 verify m.yaml
accounts items 5 0 4 1
says "rejected rows exceed max_rejects"
