# A child row whose parent is missing: refused by the server's foreign key.
needs mysql
target_is mysql
input "orders.member_id = 99, no member 99"
step 0 migrate m.yaml
accounts orders 3 0 1 2
rejected orders '"stage":"load","key":"id=12"' 'a foreign key constraint fails'
step 1 verify m.yaml
accounts orders 3 0 1 2
