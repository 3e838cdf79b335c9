# A MyISAM target table cannot roll a failed batch back: refused by name.
needs mysql
target_is mysql
input "the target table is ENGINE=MyISAM"
step 2 migrate m.yaml
says "people" "MyISAM"
unwritten people
