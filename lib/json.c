/*
 * json.c — canonical JSON (docs/canonical.md, "json"): a strict RFC 8259
 * parser that writes the canonical text as it goes.
 *
 * PostgreSQL json keeps the text as written, jsonb and MySQL JSON re-order
 * keys, drop duplicates and re-format numbers, each its own way. Reading any
 * of them back through this function gives the same bytes: members sorted by
 * key, the last duplicate kept (as jsonb does), minimal escapes, numbers as
 * an unconstrained numeric, no insignificant whitespace.
 *
 * Objects are written into `out` member by member; when one closes, its
 * members are sorted and rewritten in place if they were not already in
 * order. The member records and the rewrite area live in a per-thread scratch
 * that is kept between calls, so steady-state use allocates nothing.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types.h"
#include "util.h"

#define JSON_MAX_DEPTH 256

/* One object member in out: its text at [off, off+len) starts with the quoted key. */
typedef struct member {
    size_t off, len;
    size_t klen; /* escaped key length, without quotes */
    size_t idx;  /* position in the object, to keep the last of duplicates */
} member;

typedef struct scratch {
    member *m;
    size_t n, cap;
    cut_buf tmp;
} scratch;

static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static pthread_key_t scratch_key;
static int scratch_key_ok; /* written once under scratch_once */

static void scratch_free(void *p)
{
    scratch *s = p;
    if (!s)
        return;
    free(s->m);
    cut_buf_free(&s->tmp);
    free(s);
}

static void scratch_init(void)
{
    scratch_key_ok = pthread_key_create(&scratch_key, scratch_free) == 0;
}

/* This thread's scratch; *owned = 1 when it is a one-off the caller must free. */
static scratch *scratch_get(int *owned)
{
    pthread_once(&scratch_once, scratch_init);
    *owned = 0;
    if (scratch_key_ok) {
        scratch *s = pthread_getspecific(scratch_key);
        if (s)
            return s;
        s = calloc(1, sizeof(*s));
        if (s && pthread_setspecific(scratch_key, s) == 0)
            return s;
        free(s);
        return NULL;
    }
    *owned = 1;
    return calloc(1, sizeof(scratch));
}

typedef struct jp {
    const char *p;
    size_t len, i;
    cut_buf *out;
    scratch *s;
    int depth;
    int oom;
    const char *err; /* first error, static or in errbuf */
    size_t err_at;
    char errbuf[64];
} jp;

static int fail(jp *j, size_t at, const char *msg)
{
    if (!j->err) {
        j->err = msg;
        j->err_at = at;
    }
    return -1;
}

static int nomem(jp *j)
{
    j->oom = 1;
    return fail(j, j->i, "out of memory");
}

static int emit(jp *j, const void *p, size_t n)
{
    return cut_buf_append(j->out, p, n) ? nomem(j) : 0;
}

static int emitc(jp *j, char c)
{
    return cut_buf_appendc(j->out, c) ? nomem(j) : 0;
}

static void skip_ws(jp *j)
{
    while (j->i < j->len) {
        char c = j->p[j->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        j->i++;
    }
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p[k];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Appends code point cp in canonical string form: short escapes, \u00xx, or UTF-8. */
static int emit_cp(jp *j, uint32_t cp)
{
    static const char hex[] = "0123456789abcdef";
    char b[8];
    switch (cp) {
    case '"':
        return emit(j, "\\\"", 2);
    case '\\':
        return emit(j, "\\\\", 2);
    case '\b':
        return emit(j, "\\b", 2);
    case '\f':
        return emit(j, "\\f", 2);
    case '\n':
        return emit(j, "\\n", 2);
    case '\r':
        return emit(j, "\\r", 2);
    case '\t':
        return emit(j, "\\t", 2);
    default:
        break;
    }
    if (cp < 0x20) {
        char e[6] = {'\\', 'u', '0', '0', hex[cp >> 4], hex[cp & 15]};
        return emit(j, e, 6);
    }
    return emit(j, b, (size_t)cut_utf8_encode(cp, b));
}

/* A string at j->i (on the opening quote), written back canonically with quotes. */
static int string(jp *j)
{
    size_t start = j->i++;
    if (emitc(j, '"'))
        return -1;
    size_t run = j->i; /* bytes copied verbatim since here */
    for (;;) {
        if (j->i >= j->len)
            return fail(j, start, "unterminated string");
        unsigned char c = (unsigned char)j->p[j->i];
        if (c == '"' || c == '\\') {
            if (emit(j, j->p + run, j->i - run))
                return -1;
            if (c == '"') {
                j->i++;
                return emitc(j, '"');
            }
            size_t at = j->i;
            if (j->i + 1 >= j->len)
                return fail(j, at, "unterminated string");
            char e = j->p[j->i + 1];
            uint32_t cp;
            j->i += 2;
            switch (e) {
            case '"':
                cp = '"';
                break;
            case '\\':
                cp = '\\';
                break;
            case '/':
                cp = '/';
                break;
            case 'b':
                cp = '\b';
                break;
            case 'f':
                cp = '\f';
                break;
            case 'n':
                cp = '\n';
                break;
            case 'r':
                cp = '\r';
                break;
            case 't':
                cp = '\t';
                break;
            case 'u': {
                unsigned u, lo;
                if (j->len - j->i < 4 || hex4(j->p + j->i, &u))
                    return fail(j, at, "invalid \\u escape (4 hex digits expected)");
                j->i += 4;
                if (u >= 0xDC00 && u <= 0xDFFF) {
                    snprintf(j->errbuf, sizeof(j->errbuf), "lone surrogate \\u%04X in a string", u);
                    return fail(j, at, j->errbuf);
                }
                if (u >= 0xD800 && u <= 0xDBFF) {
                    /* A high surrogate needs its low half right after it. */
                    if (j->len - j->i < 6 || j->p[j->i] != '\\' || j->p[j->i + 1] != 'u' ||
                        hex4(j->p + j->i + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                        snprintf(j->errbuf, sizeof(j->errbuf), "lone surrogate \\u%04X in a string",
                                 u);
                        return fail(j, at, j->errbuf);
                    }
                    j->i += 6;
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                }
                cp = u;
                break;
            }
            default:
                return fail(j, at, "invalid escape in a string");
            }
            if (emit_cp(j, cp))
                return -1;
            run = j->i;
            continue;
        }
        if (c < 0x20)
            return fail(j, j->i, "unescaped control character in a string");
        if (c < 0x80) {
            j->i++;
            continue;
        }
        size_t seq = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2, bad;
        if (c < 0xC2 || c > 0xF4 || j->len - j->i < seq ||
            !cut_utf8_valid(j->p + j->i, seq, NULL, &bad))
            return fail(j, j->i, "invalid UTF-8 in a string");
        j->i += seq;
    }
}

static int number(jp *j)
{
    size_t st = j->i;
    const char *p = j->p;
    size_t i = j->i, n = j->len;
    if (i < n && p[i] == '-')
        i++;
    if (i < n && p[i] == '0') {
        i++;
    } else if (i < n && p[i] >= '1' && p[i] <= '9') {
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
    } else {
        return fail(j, st, "invalid number");
    }
    if (i < n && p[i] == '.') {
        i++;
        if (i >= n || p[i] < '0' || p[i] > '9')
            return fail(j, st, "invalid number (digits expected after '.')");
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        if (i >= n || p[i] < '0' || p[i] > '9')
            return fail(j, st, "invalid number (digits expected in the exponent)");
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
    }
    j->i = i;
    const char *why = NULL;
    int rc = cut_numeric_append(p + st, i - st, j->out, &why);
    if (rc == CUT_ENOMEM)
        return nomem(j);
    return rc ? fail(j, st, why) : 0;
}

static int literal(jp *j, const char *word)
{
    size_t n = strlen(word);
    if (j->len - j->i < n || memcmp(j->p + j->i, word, n) != 0)
        return fail(j, j->i, "unexpected character");
    j->i += n;
    return emit(j, word, n);
}

static int value(jp *j);

/* Next byte of an escaped canonical key, decoding its escapes; -1 at the end. */
static int key_byte(const char *k, size_t klen, size_t *i)
{
    if (*i >= klen)
        return -1;
    unsigned char c = (unsigned char)k[*i];
    if (c != '\\') {
        (*i)++;
        return c;
    }
    char e = k[*i + 1];
    *i += 2;
    switch (e) {
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'u': {
        unsigned u = 0;
        hex4(k + *i, &u);
        *i += 4;
        return (int)u;
    }
    default:
        return (unsigned char)e; /* \" and \\ */
    }
}

/* Compares two members' keys as the decoded bytes (memcmp order, a prefix first). */
static int key_cmp(const char *base, const member *a, const member *b)
{
    const char *ka = base + a->off + 1, *kb = base + b->off + 1;
    if (!memchr(ka, '\\', a->klen) && !memchr(kb, '\\', b->klen)) {
        size_t n = a->klen < b->klen ? a->klen : b->klen;
        int c = memcmp(ka, kb, n);
        if (c)
            return c;
        return a->klen < b->klen ? -1 : a->klen > b->klen;
    }
    size_t ia = 0, ib = 0;
    for (;;) {
        int ca = key_byte(ka, a->klen, &ia), cb = key_byte(kb, b->klen, &ib);
        if (ca != cb)
            return ca < cb ? -1 : 1;
        if (ca < 0)
            return 0;
    }
}

static int member_cmp(const void *x, const void *y, void *ctx)
{
    const member *a = x, *b = y;
    int c = key_cmp(ctx, a, b);
    if (c)
        return c;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/*
 * Puts the members of the object whose body starts at body (after '{') in
 * key order, dropping all but the last of equal keys. Records are s->m[base..].
 */
static int sort_members(jp *j, size_t body, size_t base)
{
    scratch *s = j->s;
    member *m = s->m + base;
    size_t n = s->n - base;
    int sorted = 1;
    for (size_t k = 1; k < n && sorted; k++)
        sorted = key_cmp(j->out->p, &m[k - 1], &m[k]) < 0;
    if (sorted)
        return 0; /* the common case: already canonical order, nothing to move */
    qsort_r(m, n, sizeof(member), member_cmp, j->out->p);
    cut_buf_reset(&s->tmp);
    int first = 1;
    for (size_t k = 0; k < n; k++) {
        if (k + 1 < n && key_cmp(j->out->p, &m[k], &m[k + 1]) == 0)
            continue; /* a later duplicate follows: the last one wins */
        if ((!first && cut_buf_appendc(&s->tmp, ',')) ||
            cut_buf_append(&s->tmp, j->out->p + m[k].off, m[k].len))
            return nomem(j);
        first = 0;
    }
    memcpy(j->out->p + body, s->tmp.p, s->tmp.len);
    j->out->len = body + s->tmp.len;
    j->out->p[j->out->len] = '\0';
    return 0;
}

static int object(jp *j)
{
    scratch *s = j->s;
    size_t base = s->n, count = 0;
    j->i++;
    if (emitc(j, '{'))
        return -1;
    size_t body = j->out->len;
    skip_ws(j);
    if (j->i < j->len && j->p[j->i] == '}') {
        j->i++;
        return emitc(j, '}');
    }
    for (;;) {
        skip_ws(j);
        if (j->i >= j->len || j->p[j->i] != '"')
            return fail(j, j->i, "expected a string key");
        if (count > 0 && emitc(j, ','))
            return -1;
        member rec = {j->out->len, 0, 0, count};
        if (string(j))
            return -1;
        rec.klen = j->out->len - rec.off - 2;
        skip_ws(j);
        if (j->i >= j->len || j->p[j->i] != ':')
            return fail(j, j->i, "expected ':' after an object key");
        j->i++;
        if (emitc(j, ':') || value(j))
            return -1;
        rec.len = j->out->len - rec.off;
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 64;
            member *nm = realloc(s->m, cap * sizeof(member));
            if (!nm)
                return nomem(j);
            s->m = nm;
            s->cap = cap;
        }
        s->m[s->n++] = rec;
        count++;
        skip_ws(j);
        if (j->i < j->len && j->p[j->i] == ',') {
            j->i++;
            continue;
        }
        if (j->i < j->len && j->p[j->i] == '}') {
            j->i++;
            break;
        }
        return fail(j, j->i, "expected ',' or '}' in an object");
    }
    int rc = sort_members(j, body, base);
    s->n = base;
    return rc ? rc : emitc(j, '}');
}

static int array(jp *j)
{
    j->i++;
    if (emitc(j, '['))
        return -1;
    skip_ws(j);
    if (j->i < j->len && j->p[j->i] == ']') {
        j->i++;
        return emitc(j, ']');
    }
    for (int first = 1;; first = 0) {
        if (!first && emitc(j, ','))
            return -1;
        if (value(j))
            return -1;
        skip_ws(j);
        if (j->i < j->len && j->p[j->i] == ',') {
            j->i++;
            continue;
        }
        if (j->i < j->len && j->p[j->i] == ']') {
            j->i++;
            return emitc(j, ']');
        }
        return fail(j, j->i, "expected ',' or ']' in an array");
    }
}

static int value(jp *j)
{
    skip_ws(j);
    if (j->i >= j->len)
        return fail(j, j->i, "unexpected end of input");
    char c = j->p[j->i];
    int rc;
    switch (c) {
    case '{':
    case '[':
        if (j->depth >= JSON_MAX_DEPTH)
            return fail(j, j->i, "nesting deeper than 256 levels");
        j->depth++;
        rc = c == '{' ? object(j) : array(j);
        j->depth--;
        return rc;
    case '"':
        return string(j);
    case 't':
        return literal(j, "true");
    case 'f':
        return literal(j, "false");
    case 'n':
        return literal(j, "null");
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return number(j);
        return fail(j, j->i, "unexpected character");
    }
}

int cut_json_canon(const char *p, size_t len, cut_buf *out, const char **reason)
{
    const char *dummy;
    int owned = 0, rc = 0;
    jp j;
    if (!reason)
        reason = &dummy;
    memset(&j, 0, sizeof(j));
    j.p = p ? p : "";
    j.len = p ? len : 0;
    j.out = out;
    cut_buf_reset(out);
    j.s = scratch_get(&owned);
    if (!j.s) {
        *reason = "out of memory";
        return CUT_ENOMEM;
    }
    size_t base = j.s->n;
    skip_ws(&j);
    if (j.i >= j.len) {
        fail(&j, j.i, "empty document");
    } else if (value(&j) == 0) {
        skip_ws(&j);
        if (j.i < j.len)
            fail(&j, j.i, "unexpected data after the value");
    }
    j.s->n = base;
    if (j.oom) {
        *reason = "out of memory";
        rc = CUT_ENOMEM;
    } else if (j.err) {
        rc = cut_reason(out, reason, "invalid JSON at byte %zu: %s", j.err_at, j.err);
    }
    if (owned)
        scratch_free(j.s);
    return rc;
}
