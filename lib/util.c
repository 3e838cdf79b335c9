/*
 * util.c — strings, UTF-8, "did you mean" suggestions, clocks.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

char *cut_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

int cut_strv_push(char ***v, int *n, char *owned)
{
    if (!owned)
        return CUT_ENOMEM;
    char **x = realloc(*v, sizeof(char *) * (size_t)(*n + 1));
    if (!x) {
        free(owned);
        return CUT_ENOMEM;
    }
    x[(*n)++] = owned;
    *v = x;
    return CUT_OK;
}

void cut_strv_free(char **v, int n)
{
    for (int i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

char *cut_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *cut_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    return n < 0 ? NULL : s;
}

int cut_streq_ci(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

int cut_utf8_valid(const char *s, size_t len, size_t *nchars, size_t *bad_offset)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n = 0;
    while (i < len) {
        /* Fast path: eight ASCII bytes at a time. */
        if (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (!(w & 0x8080808080808080ULL)) {
                i += 8;
                n += 8;
                continue;
            }
        }
        unsigned c = p[i];
        if (c < 0x80) {
            i++;
            n++;
            continue;
        }
        size_t need;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1F;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0F;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            goto bad;
        }
        if (i + need >= len)
            goto bad;
        for (size_t k = 1; k <= need; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                goto bad;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            goto bad;
        i += need + 1;
        n++;
    }
    if (nchars)
        *nchars = n;
    return 1;
bad:
    if (bad_offset)
        *bad_offset = i;
    return 0;
}

int cut_utf8_decode(const unsigned char *p, size_t len, uint32_t *cp)
{
    if (len == 0) {
        *cp = 0;
        return 0;
    }
    unsigned c = p[0];
    if (c < 0x80 || len < 2) {
        *cp = c;
        return 1;
    }
    if (c < 0xE0) {
        *cp = ((c & 0x1Fu) << 6) | (p[1] & 0x3Fu);
        return 2;
    }
    if (c < 0xF0 || len < 4) {
        if (len < 3) {
            *cp = c;
            return 1;
        }
        *cp = ((c & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
        return 3;
    }
    *cp = ((c & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
    return 4;
}

int cut_utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

int cut_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 1000;
    int d[66][66];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

const char *cut_suggest(const char *word, const char *const *names, int n, char *buf, size_t size)
{
    int best[3] = {-1, -1, -1}, bestd[3] = {1 << 30, 1 << 30, 1 << 30};
    size_t wl = strlen(word);
    int limit = wl <= 3 ? 1 : wl <= 6 ? 2 : 3;
    for (int i = 0; i < n; i++) {
        int dist = cut_edit_distance(word, names[i]);
        /* A name that contains the word (or the reverse) is a good guess too. */
        if (dist > limit && wl >= 3 && strlen(names[i]) >= 3 &&
            (strcasestr(names[i], word) || strcasestr(word, names[i])))
            dist = limit;
        if (dist > limit)
            continue;
        for (int k = 0; k < 3; k++) {
            if (dist < bestd[k]) {
                for (int m = 2; m > k; m--) {
                    best[m] = best[m - 1];
                    bestd[m] = bestd[m - 1];
                }
                best[k] = i;
                bestd[k] = dist;
                break;
            }
        }
    }
    size_t off = 0;
    buf[0] = '\0';
    int count = 0;
    /* Only the nearest (ties included): a worse second guess is noise. */
    for (int k = 0; k < 3; k++)
        count += best[k] >= 0 && bestd[k] == bestd[0];
    for (int k = 0; k < count && off < size; k++) {
        const char *sep = k == 0 ? "" : (k == count - 1 ? " or " : ", ");
        int w = snprintf(buf + off, size - off, "%s%s", sep, names[best[k]]);
        if (w > 0)
            off += (size_t)w;
    }
    return buf;
}

double cut_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double cut_wallclock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *cut_utc_iso(double epoch, char *buf, size_t size)
{
    time_t t = (time_t)epoch;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

const char *cut_printable(const char *p, size_t len, int is_null, size_t max, cut_buf *out)
{
    cut_buf_reset(out);
    if (is_null) {
        cut_buf_append(out, "NULL", 4);
        return cut_buf_cstr(out);
    }
    cut_buf_appendc(out, '\'');
    size_t i = 0;
    while (i < len) {
        if (max && i >= max) {
            cut_buf_printf(out, "\xE2\x80\xA6 (%zu bytes)", len);
            break;
        }
        unsigned char c = (unsigned char)p[i];
        if (c == '\'') {
            cut_buf_append(out, "''", 2);
            i++;
        } else if (c == '\n') {
            cut_buf_append(out, "\\n", 2);
            i++;
        } else if (c == '\t') {
            cut_buf_append(out, "\\t", 2);
            i++;
        } else if (c == '\r') {
            cut_buf_append(out, "\\r", 2);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            cut_buf_printf(out, "\\x%02X", c);
            i++;
        } else if (c < 0x80) {
            cut_buf_appendc(out, (char)c);
            i++;
        } else {
            size_t bad = 0, n = 0;
            /* Copy one valid UTF-8 sequence, or escape the byte. */
            size_t seq = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (i + seq <= len && cut_utf8_valid(p + i, seq, &n, &bad) && n == 1) {
                cut_buf_append(out, p + i, seq);
                i += seq;
            } else {
                cut_buf_printf(out, "\\x%02X", c);
                i++;
            }
        }
    }
    cut_buf_appendc(out, '\'');
    return cut_buf_cstr(out);
}

int cut_json_string(cut_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (cut_buf_reserve(b, len + 2))
        return CUT_ENOMEM;
    cut_buf_appendc(b, '"');
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            cut_buf_append(b, e, 2);
            i++;
        } else if (c == '\n') {
            cut_buf_append(b, "\\n", 2);
            i++;
        } else if (c == '\r') {
            cut_buf_append(b, "\\r", 2);
            i++;
        } else if (c == '\t') {
            cut_buf_append(b, "\\t", 2);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            cut_buf_append(b, e, 6);
            i++;
        } else if (c < 0x80) {
            cut_buf_appendc(b, (char)c);
            i++;
        } else {
            size_t seq = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2, n = 0, bad = 0;
            if (i + seq <= len && cut_utf8_valid(s + i, seq, &n, &bad) && n == 1) {
                cut_buf_append(b, s + i, seq);
                i += seq;
            } else {
                /* Invalid UTF-8 cannot appear in JSON: each bad byte becomes U+FFFD (not
                   \u00XX, which would read back as a valid Latin-1 character). */
                cut_buf_append(b, "\\ufffd", 6);
                i++;
            }
        }
    }
    return cut_buf_appendc(b, '"');
}

int cut_ncpu(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int cut_retry(int rc, int attempt, volatile sig_atomic_t *cancel, cut_error *err, const char *who,
              const char *again)
{
    if (rc != CUT_ERETRY || attempt >= CUT_RETRY_ATTEMPTS || (cancel && *cancel))
        return 0;
    char what[1024];
    cut_error_format(err, what, sizeof(what));
    cut_log(CUT_LOG_WARN, "%s: %s; %s (attempt %d of %d)", who, what, again, attempt + 1,
            CUT_RETRY_ATTEMPTS);
    double until = cut_now() + 0.25 * (double)(1 << (attempt < 3 ? attempt - 1 : 2));
    while (!(cancel && *cancel) && cut_now() < until)
        usleep(10000);
    cut_error_clear(err);
    return 1;
}

void cut_scrub(char *buf, size_t size, const char *secret)
{
    if (!buf || !size || !secret || !*secret)
        return;
    size_t n = strlen(secret);
    char *p = buf;
    while ((p = strstr(p, secret)) != NULL) {
        size_t rest = strlen(p + n);
        if ((size_t)(p - buf) + 3 + rest + 1 > size) {
            *p = '\0';
            return;
        }
        memmove(p + 3, p + n, rest + 1);
        memcpy(p, "***", 3);
        p += 3;
    }
}
