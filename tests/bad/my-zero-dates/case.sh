# A legacy MariaDB table holding zero dates ('0000-00-00', '2024-05-00'): NULL and
# counted under zero_dates: null, rejected under zero_dates: reject.
needs mysql
input "DATE '0000-00-00' and '2024-05-00' in MariaDB, zero_dates null / reject"
sq tgt2.db "CREATE TABLE ev (id INTEGER PRIMARY KEY, day DATE);"
step 0 migrate m.yaml
accounts ev 3 0 0 3
says "ev: 2 zero dates ('0000-00-00') became NULL"
step 0 verify m.yaml
accounts ev 3 0 0 3
step 0 migrate reject.yaml
accounts ev 3 0 2 1
rejected ev "zero date '0000-00-00'" "zero date '2024-05-00'"
step 1 verify reject.yaml
accounts ev 3 0 2 1
