# Duplicate keys in the source into a MariaDB primary key: refused at load time with
# the server's words; the counts add up.
needs mysql
target_is mysql
input "source rows (2, 'Bob') and (2, 'Bobby') into PRIMARY KEY (id)"
step 0 migrate m.yaml
accounts people 4 0 1 3
rejected people '"stage":"load","key":"id=2"' "MariaDB refused the row: Duplicate entry '2' for key 'PRIMARY'"
my_is "SELECT COUNT(*) FROM people" 3
step 1 verify m.yaml
accounts people 4 0 1 3
step 0 verify allow1.yaml --rejects m.rejects
accounts people 4 0 1 3
