# MySQL TIME holds ±838 hours; a time of day cannot: rejected with the reason.
needs mysql
input "TIME '838:59:59' and '-01:00:00' read into a time column"
step 0 migrate m.yaml
accounts ev 3 0 2 1
rejected ev '"key":"id=1"' "time out of range"
rejected ev '"key":"id=2"' "time out of range"
step 1 verify m.yaml
accounts ev 3 0 2 1
