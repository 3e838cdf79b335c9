#!/bin/sh
# The HTML report of a No-Go run, rendered by headless Chromium: the page loads
# from a file with the network unused, its text has the verdict, the tables and
# their counts, and a screenshot of it is a PNG of a plausible size.
# Chromium comes from Debian's `chromium` package (quickstart installs it for the
# tests); without it, and without root to install it, the test is skipped.
. "$CUT_SRCDIR/tests/e2e/lib.sh"
set -e

browser=""
for b in chromium chromium-browser; do
    command -v $b >/dev/null 2>&1 && { browser=$b; break; }
done
if [ -z "$browser" ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
        >apt.log 2>&1 || true
    command -v chromium >/dev/null 2>&1 && browser=chromium
fi
if [ -z "$browser" ]; then
    echo "SKIP: no chromium (apt-get install chromium)" >&2
    exit 77
fi

# headless FLAGS... URL — a private profile, no network services, bounded in time.
headless() {
    profile=$(mktemp -d "$work/profile.XXXXXX")
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-dev-shm-usage --user-data-dir="$profile" "$@" 2>>chromium.log
}

make_gym 1
cp "$CUT_SRCDIR/mappings/gym-sqlite.yaml" gym.yaml
run 0 r1.out "$CUTOVER" run -q gym.yaml
run 0 r2.out "$CUTOVER" run -q gym.yaml
# A bug in the new schema: new members' e-mail addresses come out upper-cased.
sql gym-legacy.db "INSERT INTO clients SELECT id + 5000, first_name, last_name, 'new.' || email,
    phone, birth_date, created, is_active, notes FROM clients
    WHERE id <= 30 AND last_name IS NOT 'TEST' AND email IS NOT NULL;"
sql gym.db "CREATE TRIGGER members_email AFTER INSERT ON members WHEN NEW.id > 5000
    BEGIN UPDATE members SET email = upper(email) WHERE id = NEW.id; END;"
run 1 r3.out "$CUTOVER" run -q gym.yaml
expect r3.out "No-Go, rolled back"

run 0 html.out "$CUTOVER" report 3 --format html -o nogo.html
[ -s nogo.html ] || fail "no HTML written"
# Self-contained: nothing to fetch.
for pat in 'src=' 'href=' '@import' 'url(' '<script' '<link'; do
    expect_not nogo.html "$pat"
done

# The page as the browser built it.
headless --dump-dom "file://$work/nogo.html" >dom.html || fail "chromium --dump-dom failed"
expect dom.html 'id="verdict">No-Go'
expect dom.html "rolled back"
expect dom.html "cutover run 3"
expect dom.html "<b>members</b>"
expect dom.html "<b>bookings</b>"
expect dom.html '<td class="n">5028</td>'  # members: source rows, with the new sign-ups
expect dom.html '<td class="n">5002</td>'  # members: loaded and found
expect dom.html '<td class="n">12000</td>' # bookings
expect dom.html "different"
expect dom.html "id=5002"
expect dom.html "NEW.NOAH.NGUYEN2@SKYNET.BE"
expect dom.html "equal to the snapshot"
expect dom.html "Rehearsal comparison"
expect dom.html "<svg"

# A screenshot: a PNG, and not a blank page.
headless --screenshot="$work/nogo.png" --window-size=1280,2000 --hide-scrollbars \
    "file://$work/nogo.html" >/dev/null || fail "chromium --screenshot failed"
[ -f nogo.png ] || { fail "no screenshot"; cat chromium.log >&2; finish; }
sig=$(od -An -tx1 -N8 nogo.png | tr -d ' \n')
[ "$sig" = 89504e470d0a1a0a ] || fail "nogo.png is not a PNG ($sig)"
size=$(wc -c < nogo.png)
[ "$size" -gt 50000 ] && [ "$size" -lt 20000000 ] || fail "nogo.png has an odd size: $size bytes"
# Keep it where a developer can look at it.
if [ -n "${CUT_BUILDDIR:-}" ] && [ -d "$CUT_BUILDDIR/tests" ]; then
    cp nogo.png "$CUT_BUILDDIR/tests/report-nogo.png"
fi
finish
