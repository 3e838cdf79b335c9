# parse_date of a value that is no date: that row is rejected (stage mapping), the
# others load; verify is No-Go (max_rejects 0) and the counts add up.
input "birth_date: parse_date(born, '%d/%m/%Y') over ISO dates and a NULL"
step 0 migrate m.yaml
accounts members 3 0 2 1
rejected members '"stage":"mapping"' '"key":"id=1"' 'parse_date'
step 1 verify m.yaml
accounts members 3 0 2 1
says "rejected rows exceed max_rejects" "No-Go"
