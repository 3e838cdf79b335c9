# A SQLite URL naming a file that is not a database.
input "sqlite: URL of a text file"
before src.db
step 2 check m.yaml --source sqlite:notes.txt
says "cannot use 'notes.txt'" "file is not a database"
step 2 migrate m.yaml --source sqlite:notes.txt
unwritten members
unchanged src.db
