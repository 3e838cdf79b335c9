# A quoted field that is never closed: the table is not loaded (rolled back), the
# message names the file and the line where the record starts.
input 'line 4 opens a quote that never closes: 3,"Chloé,Gent'
step 0 check m.yaml
step 2 migrate m.yaml
says "csv/people.csv:4:" "table people" "unterminated quoted field"
unwritten people
step 2 verify m.yaml
says "csv/people.csv:4:" "unterminated quoted field"
