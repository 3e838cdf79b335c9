# A child row whose parent is missing: refused by the server's foreign key at load
# time (stage load, its words); the counts add up.
needs pg
target_is pg
input "orders.member_id = 99, no member 99"
step 0 migrate m.yaml
accounts members 2 0 0 2
accounts orders 3 0 1 2
rejected orders '"stage":"load","key":"id=12"' 'violates foreign key constraint' 'is not present in table \"members\"'
step 1 verify m.yaml
accounts orders 3 0 1 2
