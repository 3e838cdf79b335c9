/*
 * fuzz_url.c — libFuzzer target for connection URLs (lib/url.c):
 * cut_url_parse and cut_url_redact on arbitrary text (cut at the first NUL).
 *
 * Properties, besides "no crash, no leak, no undefined behaviour":
 *  - parse returns CUT_OK with *out set, or CUT_EINVAL/CUT_ENOMEM with *out NULL;
 *    a parsed URL keeps the text (raw) and its redacted form equals cut_url_redact;
 *  - no secret leaks: for a parsed password or a parsed query value whose key
 *    ends in "password", of 4 bytes or more, without '*', the redacted text
 *    contains it only if the text with those secrets cut out does too (then it
 *    was never a secret the redaction could hide: "postgresql://u:host@host");
 *  - the same for the secret as written: in any text of the shape
 *    scheme://user:SECRET@host... (the last '@' before the first '/' or '?'),
 *    or scheme:user:SECRET@host for a scheme that is not a file scheme, or —
 *    in text that is not a URL at all, such as a mistyped scheme — between
 *    the first ':' and the last '@', neither the redacted text nor a parse
 *    error message (outside the redacted text it quotes, and its own fixed
 *    words) holds SECRET;
 *  - redaction is idempotent: redacting the redacted text changes nothing
 *    but what is already "***".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A secret: where it is written in the text, and its decoded value (NULL: as written). */
typedef struct secret {
    size_t off, end;
    const char *value;
} secret;

#define MAX_SECRETS 32

/* text with every span in s replaced by "***" (spans sorted, not overlapping). */
static char *cut_out(const char *text, const secret *s, int n)
{
    cut_buf b = {0};
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        if (s[i].off < at)
            continue;
        if (cut_buf_append(&b, text + at, s[i].off - at) || cut_buf_append(&b, "***", 3))
            abort();
        at = s[i].end;
    }
    if (cut_buf_append(&b, text + at, strlen(text) - at) || !cut_buf_cstr(&b))
        abort();
    return b.p;
}

/*
 * Whether text starts with a scheme as url.c reads one — a letter, then
 * letters, digits, '+', '-', '.', or nothing at all — then ':'; *len = its length.
 */
static int has_scheme(const char *text, size_t *len)
{
    const char *colon = strchr(text, ':');
    if (!colon)
        return 0;
    for (const char *p = text; p < colon; p++) {
        int c = (unsigned char)*p;
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alpha && (p == text || !((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')))
            return 0;
    }
    *len = (size_t)(colon - text);
    return 1;
}

/* The password as written, by the documented rule (docs/urls.md); 0 when there is none. */
static int written_password(const char *text, secret *s)
{
    size_t sl = 0;
    if (!has_scheme(text, &sl)) {
        /* Not a URL, yet maybe "user:password@host" behind a mistyped scheme. */
        const char *at = strrchr(text, '@');
        const char *colon = at ? memchr(text, ':', (size_t)(at - text)) : NULL;
        if (!colon)
            return 0;
        s->off = (size_t)(colon - text) + 1;
        s->end = (size_t)(at - text);
        return 1;
    }
    if ((sl == 6 && strncasecmp(text, "sqlite", 6) == 0) ||
        (sl == 3 && strncasecmp(text, "csv", 3) == 0))
        return 0;
    size_t rest = sl + 1;
    if (strncmp(text + rest, "//", 2) != 0) {
        const char *at = strrchr(text + rest, '@');
        if (!at)
            return 0;
        s->off = rest;
        s->end = (size_t)(at - text);
        return 1;
    }
    size_t auth = rest + 2, auth_end = auth + strcspn(text + auth, "/?");
    size_t at = auth_end;
    while (at > auth && text[at - 1] != '@')
        at--;
    if (at == auth)
        return 0;
    at--;
    const char *colon = memchr(text + auth, ':', at - auth);
    if (!colon)
        return 0;
    s->off = (size_t)(colon - text) + 1;
    s->end = at;
    return 1;
}

static int hideable(const char *v, size_t n)
{
    return n >= 4 && !memchr(v, '*', n);
}

/*
 * The fixed words of url.c's error messages. A "secret" found among them
 * ("postgresql://u:password@h" and a message saying "[user[:password]@]") is
 * not one the message could have leaked.
 */
static const char message_words[] =
    "expected sqlite:FILE, csv:DIR, postgresql://… or mysql://… percent-encode '@', '/', '?' "
    "and ':' in the user name, password and database name (%40, %2F, %3F, %3A) "
    "://[user[:password]@][host][:port][/dbname][?k=v] bad percent-encoding in the query "
    "host (expected %XX with two hex digits, not %00) URL: invalid port; if the password "
    "contains '/' or '?', invalid port '' (expected 1 to 65535) malformed IPv6 host (expected "
    "[address] or [address]:port) URL: '@' after the host: missing directory file name "
    "no URL given: not a URL: is not a URL: postgresql mysql sqlite csv "
    "postgresql://[user[:password]@][host][:port][/dbname][?k=v] "
    "mysql://[user[:password]@][host][:port][/dbname][?k=v]";

static int in_messages(const char *v, size_t n)
{
    return memmem(message_words, sizeof(message_words) - 1, v, n) != NULL;
}

/* Fails when hay holds the n bytes at v but ideal (the text with the secrets cut out) does not. */
static void check_hidden(const char *hay, const char *ideal, const char *v, size_t n)
{
    if (!hideable(v, n) || !memmem(hay, strlen(hay), v, n))
        return;
    if (!memmem(ideal, strlen(ideal), v, n))
        abort();
}

/* The query secrets of a parsed URL, matched to their segments in the text. */
static int query_secrets(const char *text, const cut_url *u, secret *s, int max)
{
    const char *q = strchr(text, '?');
    int n = 0, k = 0;
    if (!q)
        return 0;
    size_t len = strlen(text);
    for (size_t i = (size_t)(q - text) + 1; i <= len && n < max;) {
        size_t end = i + strcspn(text + i, "&");
        if (end > i) {
            if (k >= u->nparams)
                abort(); /* every non-empty segment is a parameter */
            const char *key = u->keys[k], *eq = memchr(text + i, '=', end - i);
            size_t kl = strlen(key);
            if (eq && kl >= 8 && strcasecmp(key + kl - 8, "password") == 0) {
                s[n].off = (size_t)(eq - text) + 1;
                s[n].end = end;
                s[n].value = u->values[k];
                n++;
            }
            k++;
        }
        i = end + 1;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = cut_strndup((const char *)data, size);
    if (!text)
        abort();
    char *red = cut_url_redact(text);
    if (!red)
        abort();
    cut_error err;
    cut_error_clear(&err);
    cut_url *u = (cut_url *)(uintptr_t)1;
    int rc = cut_url_parse(text, &u, &err);
    if (rc != CUT_OK && u)
        abort();
    if (rc != CUT_OK && rc != CUT_EINVAL && rc != CUT_ENOMEM)
        abort();
    if (rc == CUT_EINVAL && (err.code != rc || !err.msg[0]))
        abort();

    secret s[MAX_SECRETS];
    int ns = 0;
    if (written_password(text, &s[0])) {
        s[0].value = NULL;
        ns = 1;
    }
    if (rc == CUT_OK) {
        if (!u->raw || strcmp(u->raw, text) != 0 || !u->redacted || strcmp(u->redacted, red) != 0)
            abort();
        /* The password parsed from the authority is the one the documented rule finds. */
        if (u->password && ns == 0)
            abort();
        if (u->password)
            s[0].value = u->password;
        if (strcmp(u->scheme, "postgresql") == 0 || strcmp(u->scheme, "mysql") == 0)
            ns += query_secrets(text, u, s + ns, MAX_SECRETS - ns);
    }
    char *ideal = cut_out(text, s, ns);
    /* The message without the redacted text it quotes (checked on its own above). */
    cut_buf rest = {0};
    const char *m = err.msg;
    for (const char *q; *red && (q = strstr(m, red)) != NULL; m = q + strlen(red))
        if (cut_buf_append(&rest, m, (size_t)(q - m)) || cut_buf_appendc(&rest, '\x01'))
            abort();
    if (cut_buf_append(&rest, m, strlen(m)) || !cut_buf_cstr(&rest))
        abort();
    for (int i = 0; i < ns; i++) {
        const char *written = text + s[i].off;
        size_t wn = s[i].end - s[i].off;
        check_hidden(red, ideal, written, wn);
        if (rc != CUT_OK && !in_messages(written, wn))
            check_hidden(rest.p, ideal, written, wn);
        if (s[i].value)
            check_hidden(red, ideal, s[i].value, strlen(s[i].value));
    }

    /* Redacting again finds nothing new to hide. */
    char *red2 = cut_url_redact(red);
    if (!red2)
        abort();
    for (int i = 0; i < ns; i++)
        check_hidden(red2, ideal, text + s[i].off, s[i].end - s[i].off);
    free(red2);
    cut_buf_free(&rest);
    free(ideal);
    free(red);
    if (rc == CUT_OK)
        cut_url_free(u);
    free(text);
    return 0;
}
