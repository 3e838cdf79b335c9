# A character a latin1 (cp1252) column cannot store: the strict server refuses it, and
# the row is rejected with its words; '€' (in cp1252) loads.
needs mysql
target_is mysql
input "'Ω' into a MariaDB latin1 column; '5 €' too"
step 0 migrate m.yaml
accounts people 3 0 1 2
rejected people '"stage":"load","key":"id=2"' 'Incorrect string value'
my_is "SELECT name FROM people WHERE id = 3" "5 €"
step 1 verify m.yaml
accounts people 3 0 1 2
