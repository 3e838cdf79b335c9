# Values the MariaDB columns cannot hold: VARCHAR(5) (characters), SMALLINT, DECIMAL(4,2),
# TINYINT UNSIGNED: rejected before the load with the reason; the good row loads.
needs mysql
target_is mysql
input "'Valérie' for VARCHAR(5), 40000 for SMALLINT, 123.45 for DECIMAL(4,2), -1 for TINYINT UNSIGNED"
step 0 migrate m.yaml
accounts items 5 0 4 1
rejected items '"key":"id=2"' '"column":"name"' 'value too long for text(5): 7 characters'
rejected items '"key":"id=3"' '"column":"qty"' "'40000' is out of range for int16"
rejected items '"key":"id=4"' '"column":"price"' "'123.45' is out of range for numeric(4,2)"
rejected items '"key":"id=5"' '"column":"small"' "'-1' is out of range for uint8"
my_is "SELECT CONCAT_WS(' ', name, qty, price, small) FROM items" "Anne 7 12.34 200"
step 1 verify m.yaml
accounts items 5 0 4 1
