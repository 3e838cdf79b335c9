# PostgreSQL text cannot hold U+0000: such a value is rejected before the load, with
# the reason; the other rows load.
needs pg
target_is pg
input "name = 'a' NUL 'b' into a PostgreSQL text column"
step 0 migrate m.yaml
accounts people 3 0 1 2
rejected people '"stage":"target","key":"id=2","line":2,"column":"name"' 'NUL byte (0x00) not allowed in PostgreSQL text'
step 1 verify m.yaml
accounts people 3 0 1 2
