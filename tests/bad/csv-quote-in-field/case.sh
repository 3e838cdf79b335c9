# A quote in the middle of an unquoted field: file:line:col.
input 'line 3: 2,Bo"b,Namur'
step 2 migrate m.yaml
says "csv/people.csv:3:5:" "malformed CSV: a quote inside an unquoted field"
unwritten people
