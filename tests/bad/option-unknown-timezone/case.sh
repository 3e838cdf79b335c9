# A time zone that does not exist.
input "source_timezone: Europe/Bruxelles"
step 2 check m.yaml
says "m.yaml:4:20:" "unknown time zone 'Europe/Bruxelles'"
step 2 migrate m.yaml
unwritten members
