# snapshot of a URL that does not parse: the URL's own error (password hidden), not
# "cannot read mapping" quoting the URL whole; no file written.
input "cutover snapshot 'postgresql://app:PASSWORD@127.0.0.1:99999/x' / 'oracle://…' / 'mysql://app:p/ss@h/x'"
before src.db
step 2 snapshot 'postgresql://app:Pw-0@127.0.0.1:99999/legacy' -o s.cutsnap
says "postgresql://app:***@127.0.0.1:99999/legacy: invalid port '99999'"
step 2 snapshot 'oracle://app:Pw-0@db/legacy' -o s.cutsnap
says "unknown URL scheme 'oracle'"
step 2 snapshot 'mysql://app:Pw-0/x@db/legacy' -o s.cutsnap
says "percent-encode '@'"
unchanged src.db
[ -n "$case_doc" ] || ! ls s.cutsnap* >/dev/null 2>&1 || bad "a snapshot file was written"
