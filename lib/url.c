/*
 * url.c — connection URLs (docs/urls.md): parsing into a cut_url, query
 * parameter lookup, redaction of passwords for display, and whether two URLs
 * name one database.
 *
 * One function (url_layout_of) finds where the parts of a URL are, and both the
 * parser and cut_url_redact() use it, so the text we print is redacted by
 * exactly the rules that decided what the password was. Error messages only
 * ever quote the redacted text.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define NOT_A_URL "expected sqlite:FILE, csv:DIR, postgresql://… or mysql://…"
#define PCT_HINT                                                                                   \
    "percent-encode '@', '/', '?' and ':' in the user name, password and database name "           \
    "(%40, %2F, %3F, %3A)"

/* The schemes cutover knows, as they are written (aliases too). */
static const char *const known_schemes[] = {"sqlite",   "csv",   "postgresql",
                                            "postgres", "mysql", "mariadb"};

int cut_url_scheme_is_file(const char *scheme)
{
    return scheme && (strcasecmp(scheme, "sqlite") == 0 || strcasecmp(scheme, "csv") == 0);
}

const char *cut_url_scheme_suggest(const char *scheme)
{
    if (!scheme || !*scheme)
        return NULL;
    size_t n = strlen(scheme);
    /* A typo: one edit, two in a long name. Further than that it is another database
       ("psql", "oracle"), which no guess would help with. */
    int limit = n < 8 ? 1 : 2, best = limit + 1;
    const char *pick = NULL;
    for (size_t i = 0; i < sizeof(known_schemes) / sizeof(known_schemes[0]); i++) {
        int d = cut_edit_distance(scheme, known_schemes[i]);
        if (d == 0)
            return NULL; /* known: nothing to suggest */
        if (d < best) {
            best = d;
            pick = known_schemes[i];
        }
    }
    return pick;
}

/*
 * "postgresql//u:pw@h/db": text that starts with a known scheme followed by '/' lacks the
 * ':' after it. Writes the scheme as written into word and returns 1, else 0.
 */
static int lacks_colon(const char *text, char *word, size_t size)
{
    size_t n = 0;
    while (isalpha((unsigned char)text[n]))
        n++;
    if (n == 0 || n >= size || text[n] != '/')
        return 0;
    memcpy(word, text, n);
    word[n] = '\0';
    for (size_t i = 0; i < sizeof(known_schemes) / sizeof(known_schemes[0]); i++)
        if (strcasecmp(word, known_schemes[i]) == 0)
            return 1;
    return 0;
}

/* Offsets into the text of a URL; [off, end) ranges. */
typedef struct url_layout {
    size_t scheme_len; /* bytes before the first ':' */
    char scheme[16];   /* lowercased and normalised; "" when too long to be one we know */
    int file;          /* sqlite: / csv: — the rest is a path, taken literally */
    int authority;     /* "//" follows the ':' (and not a file scheme) */
    size_t auth_off, auth_end;
    int has_at; /* userinfo present: it ends at at_pos ('@') */
    size_t at_pos;
    int has_pw; /* [pw_off, pw_end) is the password as written */
    size_t pw_off, pw_end;
    size_t path_off, path_end; /* after the authority, up to '?' (starts with '/') */
    int has_query;
    size_t query_off; /* just after the '?'; the query runs to the end */
    int stray_at;     /* an '@' in the path or a parameter name: see url_layout_of */
} url_layout;

static int is_scheme_char(int c)
{
    return isalnum(c) || c == '+' || c == '-' || c == '.';
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Percent-decodes p[0..n) into a new string. Returns 0, CUT_ENOMEM, or
 * CUT_EINVAL for a malformed escape or an encoded NUL (which a C string
 * cannot carry, and no database name or password legitimately holds).
 */
static int pct_decode(const char *p, size_t n, char **out)
{
    *out = NULL;
    char *d = malloc(n + 1);
    if (!d)
        return CUT_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '%') {
            d[k++] = p[i];
            continue;
        }
        int hi = i + 1 < n ? hexval((unsigned char)p[i + 1]) : -1;
        int lo = i + 2 < n ? hexval((unsigned char)p[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(d);
            return CUT_EINVAL;
        }
        d[k++] = (char)(hi * 16 + lo);
        i += 2;
    }
    d[k] = '\0';
    *out = d;
    return CUT_OK;
}

/* Whether a query key (as written) names a secret: password, sslpassword, ... */
static int secret_key(const char *p, size_t n)
{
    char *k = NULL;
    int rc = pct_decode(p, n, &k);
    if (rc == CUT_ENOMEM)
        return 1; /* cannot tell: hide it */
    const char *s = rc == CUT_OK ? k : NULL;
    char raw[64];
    if (!s) {
        if (n >= sizeof(raw))
            return 0;
        memcpy(raw, p, n);
        raw[n] = '\0';
        s = raw;
    }
    size_t len = strlen(s);
    int secret = len >= 8 && strcasecmp(s + len - 8, "password") == 0;
    free(k);
    return secret;
}

/*
 * Finds the parts of text. Returns 0 when it has the shape "scheme:rest"
 * (a scheme being a letter followed by letters, digits, '+', '-' or '.'),
 * -1 otherwise. Never fails on a malformed rest: validation is the parser's.
 */
static int url_layout_of(const char *text, url_layout *L)
{
    memset(L, 0, sizeof(*L));
    const char *colon = strchr(text, ':');
    if (!colon)
        return -1;
    size_t sl = (size_t)(colon - text);
    for (size_t i = 0; i < sl; i++)
        if (!is_scheme_char((unsigned char)text[i]) || (i == 0 && !isalpha((unsigned char)text[0])))
            return -1;
    L->scheme_len = sl;
    if (sl < sizeof(L->scheme)) {
        for (size_t i = 0; i < sl; i++)
            L->scheme[i] = (char)tolower((unsigned char)text[i]);
        L->scheme[sl] = '\0';
        if (strcmp(L->scheme, "postgres") == 0)
            strcpy(L->scheme, "postgresql");
        else if (strcmp(L->scheme, "mariadb") == 0)
            strcpy(L->scheme, "mysql");
    }
    size_t len = strlen(text);
    size_t rest = sl + 1;
    L->file = strcmp(L->scheme, "sqlite") == 0 || strcmp(L->scheme, "csv") == 0;
    L->authority = !L->file && strncmp(text + rest, "//", 2) == 0;
    if (!L->authority) {
        L->path_off = rest;
        L->path_end = len;
        /*
         * An unknown scheme without "//" might be "user:password@host" typed
         * without a scheme at all: hide what sits between ':' and the last '@'.
         */
        const char *at = strrchr(text + rest, '@');
        if (!L->file && at) {
            L->has_pw = 1;
            L->pw_off = rest;
            L->pw_end = (size_t)(at - text);
        }
        return 0;
    }
    L->auth_off = rest + 2;
    L->auth_end = L->auth_off + strcspn(text + L->auth_off, "/?");
    for (size_t i = L->auth_end; i > L->auth_off; i--) {
        if (text[i - 1] == '@') {
            L->has_at = 1;
            L->at_pos = i - 1;
            break;
        }
    }
    if (L->has_at) {
        const char *c = memchr(text + L->auth_off, ':', L->at_pos - L->auth_off);
        if (c) {
            L->has_pw = 1;
            L->pw_off = (size_t)(c - text) + 1;
            L->pw_end = L->at_pos;
        }
    }
    L->path_off = L->auth_end;
    L->path_end = L->path_off + strcspn(text + L->path_off, "?");
    if (text[L->path_end] == '?') {
        L->has_query = 1;
        L->query_off = L->path_end + 1;
    }
    /*
     * An '@' in the path or in a parameter name is what a password holding an
     * unencoded '/' or '?' leaves behind ("u:pa/ss@h/db" splits at the '/').
     * The parser refuses such URLs; for display, hide everything from the
     * first ':' of the authority to that '@', so no piece of it shows.
     */
    size_t stray = 0;
    for (size_t i = L->path_off; i < L->path_end; i++)
        if (text[i] == '@')
            stray = i;
    for (size_t i = L->query_off; L->has_query && i <= len;) {
        size_t seg_end = i + strcspn(text + i, "&");
        size_t key_end = i + strcspn(text + i, "&=");
        for (size_t k = i; k < key_end; k++)
            if (text[k] == '@')
                stray = k;
        i = seg_end + 1;
    }
    if (stray) {
        L->stray_at = 1;
        const char *c = memchr(text + L->auth_off, ':', stray - L->auth_off);
        if (c) {
            L->has_pw = 1;
            L->pw_off = (size_t)(c - text) + 1;
            L->pw_end = stray;
        }
    }
    return 0;
}

/* Writes text with the secrets that L locates replaced by "***". */
static char *redact_with(const char *text, const url_layout *L)
{
    cut_buf b = {0};
    size_t len = strlen(text), at = 0;
    int ok = 1;
    if (L->has_pw) {
        ok = ok && cut_buf_append(&b, text, L->pw_off) == 0 && cut_buf_append(&b, "***", 3) == 0;
        at = L->pw_end;
    }
    if (L->has_query) {
        size_t i = L->query_off;
        while (ok && i <= len) {
            size_t seg_end = i + strcspn(text + i, "&");
            const char *eq = memchr(text + i, '=', seg_end - i);
            /* Skip a value inside the span already hidden as a password. */
            if (eq && (size_t)(eq - text) >= at && secret_key(text + i, (size_t)(eq - text) - i)) {
                size_t v = (size_t)(eq - text) + 1;
                ok =
                    cut_buf_append(&b, text + at, v - at) == 0 && cut_buf_append(&b, "***", 3) == 0;
                at = seg_end;
            }
            i = seg_end + 1;
        }
    }
    ok = ok && cut_buf_append(&b, text + at, len - at) == 0 && cut_buf_cstr(&b);
    if (!ok) {
        cut_buf_free(&b);
        return NULL;
    }
    return b.p; /* the buffer's memory is a plain malloc'd string: hand it over */
}

char *cut_url_redact(const char *text)
{
    if (!text)
        return NULL;
    url_layout L;
    if (url_layout_of(text, &L) != 0) {
        /*
         * Not a URL, but maybe one with a mistyped scheme ("postgresql//u:pw@h",
         * "my postgresql://u:pw@h") that check and the journal still print: hide
         * what sits between the first ':' and the last '@', as the parser's
         * error for such text quotes none of it.
         */
        const char *at = strrchr(text, '@');
        const char *colon = at ? memchr(text, ':', (size_t)(at - text)) : NULL;
        if (!colon)
            return cut_strdup(text);
        memset(&L, 0, sizeof(L));
        L.has_pw = 1;
        L.pw_off = (size_t)(colon - text) + 1;
        L.pw_end = (size_t)(at - text);
    }
    return redact_with(text, &L);
}

void cut_url_free(cut_url *url)
{
    if (!url)
        return;
    free(url->raw);
    free(url->redacted);
    free(url->scheme);
    free(url->user);
    free(url->password);
    free(url->host);
    free(url->path);
    for (int i = 0; i < url->nparams; i++) {
        free(url->keys[i]);
        free(url->values[i]);
    }
    free(url->keys);
    free(url->values);
    free(url);
}

const char *cut_url_param(const cut_url *url, const char *key)
{
    if (!url || !key)
        return NULL;
    /* The last occurrence wins, as when a later option overrides an earlier one. */
    for (int i = url->nparams; i > 0; i--)
        if (strcmp(url->keys[i - 1], key) == 0)
            return url->values[i - 1];
    return NULL;
}

/* Decodes text[off..end) into *out; NULL when empty and empty_is_null. */
static int decode_part(const cut_url *u, const char *what, size_t off, size_t end,
                       int empty_is_null, char **out, cut_error *err)
{
    *out = NULL;
    if (end == off && empty_is_null)
        return CUT_OK;
    int rc = pct_decode(u->raw + off, end - off, out);
    if (rc == CUT_ENOMEM)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    if (rc)
        return cut_error_set(err, CUT_EINVAL,
                             "%s: bad percent-encoding in the %s (expected %%XX with two hex "
                             "digits, not %%00)",
                             u->redacted, what);
    return CUT_OK;
}

static int add_param(cut_url *u, size_t off, size_t end, cut_error *err)
{
    const char *seg = u->raw + off;
    const char *eq = memchr(seg, '=', end - off);
    size_t kend = eq ? (size_t)(eq - u->raw) : end;
    char **keys = realloc(u->keys, sizeof(char *) * (size_t)(u->nparams + 1));
    if (!keys)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    u->keys = keys;
    char **values = realloc(u->values, sizeof(char *) * (size_t)(u->nparams + 1));
    if (!values)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    u->values = values;
    char *k = NULL, *v = NULL;
    int rc = decode_part(u, "query", off, kend, 0, &k, err);
    if (rc == CUT_OK)
        rc = decode_part(u, "query", eq ? kend + 1 : end, end, 0, &v, err);
    if (rc) {
        free(k);
        free(v);
        return rc;
    }
    u->keys[u->nparams] = k;
    u->values[u->nparams] = v;
    u->nparams++;
    return CUT_OK;
}

/* Validates and stores the port text p[0..n). */
static int parse_port(cut_url *u, const url_layout *L, const char *p, size_t n, cut_error *err)
{
    long v = 0;
    int digits = n > 0;
    for (size_t i = 0; i < n && digits; i++) {
        if (!isdigit((unsigned char)p[i]))
            digits = 0;
        else if (v <= 65535)
            v = v * 10 + (p[i] - '0');
    }
    if (digits && v >= 1 && v <= 65535) {
        u->port = (int)v;
        return CUT_OK;
    }
    /*
     * A non-numeric "port" with an '@' further on is most likely a password
     * holding an unencoded '/' or '?': do not echo any of it.
     */
    if (!digits && strchr(u->raw + L->auth_end, '@'))
        return cut_error_set(err, CUT_EINVAL,
                             "%s URL: invalid port; if the password contains "
                             "'/' or '?', %s",
                             u->scheme, PCT_HINT);
    return cut_error_set(err, CUT_EINVAL, "%s: invalid port '%.*s' (expected 1 to 65535)",
                         u->redacted, (int)n, p);
}

static int parse_authority(cut_url *u, const url_layout *L, cut_error *err)
{
    const char *raw = u->raw;
    int rc;
    size_t host_off = L->auth_off;
    if (L->has_at) {
        size_t user_end = L->has_pw ? L->pw_off - 1 : L->at_pos;
        rc = decode_part(u, "user name", L->auth_off, user_end, 1, &u->user, err);
        if (rc == CUT_OK && L->has_pw)
            rc = decode_part(u, "password", L->pw_off, L->pw_end, 0, &u->password, err);
        if (rc)
            return rc;
        host_off = L->at_pos + 1;
    }
    size_t host_end = L->auth_end;
    const char *port = NULL;
    if (host_off < L->auth_end && raw[host_off] == '[') {
        /* An IPv6 literal: the colons inside the brackets are not a port separator. */
        const char *close = memchr(raw + host_off, ']', L->auth_end - host_off);
        if (!close || (close + 1 != raw + L->auth_end && close[1] != ':'))
            return cut_error_set(err, CUT_EINVAL,
                                 "%s: malformed IPv6 host (expected [address] or [address]:port)",
                                 u->redacted);
        rc = decode_part(u, "host", host_off + 1, (size_t)(close - raw), 1, &u->host, err);
        if (rc)
            return rc;
        if (close[1] == ':')
            port = close + 2;
    } else {
        const char *c = memchr(raw + host_off, ':', L->auth_end - host_off);
        if (c) {
            host_end = (size_t)(c - raw);
            port = c + 1;
        }
        rc = decode_part(u, "host", host_off, host_end, 1, &u->host, err);
        if (rc)
            return rc;
    }
    if (port)
        return parse_port(u, L, port, (size_t)(raw + L->auth_end - port), err);
    return CUT_OK;
}

static int parse_network(cut_url *u, const url_layout *L, cut_error *err)
{
    if (!L->authority)
        return cut_error_set(err, CUT_EINVAL,
                             "%s: expected %s://[user[:password]@][host][:port][/dbname][?k=v]",
                             u->redacted, u->scheme);
    const char *raw = u->raw;
    /* Not echoed: the text may hold pieces of a password (see url_layout_of). */
    if (L->stray_at)
        return cut_error_set(err, CUT_EINVAL, "%s URL: '@' after the host: %s", u->scheme,
                             PCT_HINT);
    int rc = parse_authority(u, L, err);
    if (rc)
        return rc;
    if (L->path_end > L->path_off) {
        /* path_off is the '/' that ends the authority. */
        rc = decode_part(u, "database name", L->path_off + 1, L->path_end, 1, &u->path, err);
        if (rc)
            return rc;
    }
    if (L->has_query) {
        size_t len = strlen(raw);
        for (size_t i = L->query_off; i <= len;) {
            size_t end = i + strcspn(raw + i, "&");
            if (end > i) {
                rc = add_param(u, i, end, err);
                if (rc)
                    return rc;
            }
            i = end + 1;
        }
    }
    return CUT_OK;
}

static int parse_file(cut_url *u, const url_layout *L, cut_error *err)
{
    /* sqlite:///abs → "/abs", sqlite://rel → "rel", sqlite:rel → "rel". */
    const char *p = u->raw + L->path_off;
    if (strncmp(p, "//", 2) == 0)
        p += 2;
    if (!*p)
        return cut_error_set(err, CUT_EINVAL, "URL '%s': missing %s (expected %s:%s)", u->redacted,
                             strcmp(u->scheme, "csv") == 0 ? "directory" : "file name", u->scheme,
                             strcmp(u->scheme, "csv") == 0 ? "DIR" : "FILE");
    u->path = cut_strdup(p);
    if (!u->path)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    return CUT_OK;
}

int cut_url_parse(const char *text, cut_url **out, cut_error *err)
{
    int rc = CUT_OK;
    cut_url *u = NULL;
    url_layout L;
    if (out)
        *out = NULL;
    if (!text || !out)
        return cut_error_set(err, CUT_EINVAL, "no URL given: " NOT_A_URL);
    if (url_layout_of(text, &L) != 0) {
        char word[16];
        /* Quote the text unless it could hold a "user:password@" typed without a scheme. */
        if (lacks_colon(text, word, sizeof(word)))
            rc = cut_error_set(err, CUT_EINVAL, "not a URL: missing ':' after '%s' (expected %s%s)",
                               word, word,
                               strcasecmp(word, "csv") == 0      ? ":DIR"
                               : strcasecmp(word, "sqlite") == 0 ? ":FILE"
                                                                 : "://…");
        else if (strchr(text, '@') || !*text)
            rc = cut_error_set(err, CUT_EINVAL, "not a URL: " NOT_A_URL);
        else
            rc = cut_error_set(err, CUT_EINVAL, "'%s' is not a URL: " NOT_A_URL, text);
        goto done;
    }
    u = calloc(1, sizeof(*u));
    if (!u) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    u->raw = cut_strdup(text);
    u->redacted = redact_with(text, &L);
    if (L.scheme_len < sizeof(L.scheme)) {
        u->scheme = cut_strdup(L.scheme);
    } else {
        u->scheme = cut_strndup(text, L.scheme_len);
        for (char *s = u->scheme; s && *s; s++)
            *s = (char)tolower((unsigned char)*s);
    }
    if (!u->raw || !u->redacted || !u->scheme) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    if (L.file)
        rc = parse_file(u, &L, err);
    else if (strcmp(u->scheme, "postgresql") == 0 || strcmp(u->scheme, "mysql") == 0)
        rc = parse_network(u, &L, err);
    /*
     * An unknown scheme is not an error here: the caller's driver lookup names
     * it, which is a better message than any complaint about the rest.
     */
done:
    if (rc) {
        cut_url_free(u);
        return rc;
    }
    *out = u;
    return CUT_OK;
}

/* Appends s percent-encoded: only RFC 3986's unreserved characters stay as they are. */
static int append_encoded(cut_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int plain = isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        if (plain ? cut_buf_appendc(b, (char)*p) : cut_buf_append(b, esc, 3))
            return CUT_ENOMEM;
    }
    return CUT_OK;
}

char *cut_url_text_encoded(const cut_url *u)
{
    url_layout L;
    if (!u || !u->raw || url_layout_of(u->raw, &L) != 0 || !L.authority)
        return u ? cut_strdup(u->raw) : NULL;
    cut_buf b = {0};
    int ok =
        cut_buf_append(&b, u->scheme, strlen(u->scheme)) == 0 && cut_buf_append(&b, "://", 3) == 0;
    size_t rest = L.auth_off;
    if (L.has_at) {
        ok = ok && append_encoded(&b, u->user ? u->user : "") == 0;
        if (u->password)
            ok = ok && cut_buf_appendc(&b, ':') == 0 && append_encoded(&b, u->password) == 0;
        ok = ok && cut_buf_appendc(&b, '@') == 0;
        rest = L.at_pos + 1;
    }
    ok = ok && cut_buf_append(&b, u->raw + rest, strlen(u->raw + rest)) == 0 && cut_buf_cstr(&b);
    if (!ok) {
        cut_buf_free(&b);
        return NULL;
    }
    return b.p;
}

/* ------------------------------------------------------- one database? */

/*
 * What names a database, apart from who connects to it: the driver, host, port and
 * database, with the drivers' defaults filled in (libpq also takes host, port and
 * dbname as parameters; its database defaults to the user name), or a file or
 * directory's absolute path. Written into id; -1 when text does not parse.
 */
static int database_identity(const char *text, char *id, size_t size)
{
    cut_error err;
    cut_error_clear(&err);
    cut_url *u = NULL;
    if (cut_url_parse(text, &u, &err) != CUT_OK)
        return -1;
    int rc = 0;
    if (strcmp(u->scheme, "sqlite") == 0 || strcmp(u->scheme, "csv") == 0) {
        char *abs = realpath(u->path, NULL);
        snprintf(id, size, "%s:%s", u->scheme, abs ? abs : u->path);
        free(abs);
    } else if (strcmp(u->scheme, "postgresql") == 0) {
        const char *host = cut_url_param(u, "host"), *port = cut_url_param(u, "port");
        const char *db = cut_url_param(u, "dbname"), *user = cut_url_param(u, "user");
        if (!host)
            host = u->host ? u->host : "";
        if (!db)
            db = u->path ? u->path : user ? user : u->user ? u->user : "";
        int portno = port ? atoi(port) : u->port ? u->port : 5432;
        snprintf(id, size, "postgresql\n%s\n%d\n%s", host, portno, db);
    } else if (strcmp(u->scheme, "mysql") == 0) {
        const char *socket = cut_url_param(u, "socket");
        snprintf(id, size, "mysql\n%s\n%d\n%s\n%s", u->host ? u->host : "localhost",
                 u->port ? u->port : 3306, socket ? socket : "", u->path ? u->path : "");
    } else {
        rc = -1;
    }
    /* Host names are not case-sensitive; database names and paths are. */
    if (rc == 0 && strchr(id, '\n'))
        for (char *p = strchr(id, '\n') + 1; *p && *p != '\n'; p++)
            *p = (char)tolower((unsigned char)*p);
    cut_url_free(u);
    return rc;
}

int cut_url_same_database(const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    char ia[4200], ib[4200];
    if (database_identity(a, ia, sizeof(ia)) != 0 || database_identity(b, ib, sizeof(ib)) != 0)
        return strcmp(a, b) == 0;
    return strcmp(ia, ib) == 0;
}

const char *cut_url_password_hint(const char *url)
{
    cut_error err;
    cut_error_clear(&err);
    cut_url *u = NULL;
    if (!url || cut_url_parse(url, &u, &err) != CUT_OK)
        return "";
    int has_pw = u->password != NULL;
    for (int i = 0; i < u->nparams && !has_pw; i++)
        has_pw = secret_key(u->keys[i], strlen(u->keys[i]));
    const char *hint = "";
    if (has_pw && strcmp(u->scheme, "postgresql") == 0)
        hint = "set PGPASSWORD or use ~/.pgpass, or give --target URL with the password";
    else if (has_pw && strcmp(u->scheme, "mysql") == 0)
        hint = "set MYSQL_PWD, or give --target URL with the password";
    cut_url_free(u);
    return hint;
}
