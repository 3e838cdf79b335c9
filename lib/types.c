/*
 * types.c — the logical type set and canonicalization: cut_canon() turns a
 * value as a driver reads it into the one text form every engine reads back
 * identically (docs/canonical.md). Also the names of types, civil-date
 * arithmetic, canonical float text and strict integer parsing.
 *
 * Input is lenient and output strict. Every routine first checks whether the
 * input already is canonical, so the common case returns CUT_CANON_SAME
 * without copying or allocating. Reasons for CUT_EDATA are either static
 * strings or formatted into the caller's `out` buffer (cut_reason), which
 * keeps the whole file free of shared mutable state.
 */
#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "types.h"
#include "util.h"

/* ------------------------------------------------------------ type names */

const char *cut_kind_name(cut_kind kind)
{
    switch (kind) {
    case CUT_T_INT:
        return "int";
    case CUT_T_NUMERIC:
        return "numeric";
    case CUT_T_FLOAT:
        return "float";
    case CUT_T_BOOL:
        return "bool";
    case CUT_T_TEXT:
        return "text";
    case CUT_T_DATE:
        return "date";
    case CUT_T_TIME:
        return "time";
    case CUT_T_TIMESTAMP:
        return "timestamp";
    case CUT_T_TIMESTAMPTZ:
        return "timestamptz";
    case CUT_T_BYTES:
        return "bytes";
    case CUT_T_UUID:
        return "uuid";
    case CUT_T_JSON:
        return "json";
    case CUT_T_UNKNOWN:
        break;
    }
    return "unknown";
}

/* Integer width in bits; anything but 8/16/24/32 means 64 (0 = unspecified). */
static int int_width(const cut_type *t)
{
    switch (t->width) {
    case 8:
    case 16:
    case 24:
    case 32:
        return t->width;
    default:
        return 64;
    }
}

/* Fractional digits of time types: out-of-range precisions mean the maximum, 6. */
static int time_precision(const cut_type *t)
{
    return t->precision < 0 || t->precision > 6 ? 6 : t->precision;
}

const char *cut_type_format(const cut_type *t, char *buf, size_t size)
{
    if (!buf || size == 0)
        return buf;
    if (!t) {
        snprintf(buf, size, "unknown");
        return buf;
    }
    switch (t->kind) {
    case CUT_T_INT:
        snprintf(buf, size, "%sint%d", (t->flags & CUT_TF_UNSIGNED) ? "u" : "", int_width(t));
        break;
    case CUT_T_NUMERIC:
        if (t->precision > 0 && t->scale >= 0)
            snprintf(buf, size, "numeric(%d,%d)", t->precision, t->scale);
        else if (t->precision > 0)
            snprintf(buf, size, "numeric(%d)", t->precision);
        else if (t->scale >= 0)
            snprintf(buf, size, "numeric(*,%d)", t->scale);
        else
            snprintf(buf, size, "numeric");
        break;
    case CUT_T_FLOAT:
        snprintf(buf, size, "float%d", t->width == 32 ? 32 : 64);
        break;
    case CUT_T_TEXT: {
        const char *base = (t->flags & CUT_TF_FIXED) ? "char" : "text";
        if (t->length > 0)
            snprintf(buf, size, "%s(%d)", base, t->length);
        else
            snprintf(buf, size, "%s", base);
        break;
    }
    case CUT_T_BYTES:
        if (t->length > 0)
            snprintf(buf, size, "bytes(%d)", t->length);
        else
            snprintf(buf, size, "bytes");
        break;
    case CUT_T_TIME:
    case CUT_T_TIMESTAMP:
    case CUT_T_TIMESTAMPTZ:
        snprintf(buf, size, "%s(%d)", cut_kind_name(t->kind), time_precision(t));
        break;
    default:
        snprintf(buf, size, "%s", cut_kind_name(t->kind));
        break;
    }
    return buf;
}

/* ---------------------------------------------------------- small helpers */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static void trim(const char **p, size_t *len)
{
    const char *s = *p;
    size_t n = *len;
    while (n > 0 && is_space(s[0])) {
        s++;
        n--;
    }
    while (n > 0 && is_space(s[n - 1]))
        n--;
    *p = s;
    *len = n;
}

static int equals_ci(const char *p, size_t len, const char *word)
{
    size_t wl = strlen(word);
    return len == wl && strncasecmp(p, word, wl) == 0;
}

/*
 * Renders a value for a message: quoted, control bytes as \xNN, cut after 40
 * bytes (on a UTF-8 boundary) with "...". buf must hold 200 bytes.
 */
static const char *quote(const char *p, size_t len, char *buf, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t max = 40, o = 0, n = len;
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
            n--;
    }
    buf[o++] = '\'';
    for (size_t i = 0; i < n && o + 8 < size; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7F) {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        } else {
            buf[o++] = (char)c;
        }
    }
    if (n < len) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '\'';
    buf[o] = '\0';
    return buf;
}

int cut_reason(cut_buf *out, const char **reason, const char *fmt, ...)
{
    /* Formatted on the stack first: an argument may point into out. */
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (!reason)
        return CUT_EDATA;
    if (!out) {
        *reason = "invalid value";
        return CUT_EDATA;
    }
    cut_buf_reset(out);
    if (cut_buf_append(out, tmp, strlen(tmp)))
        *reason = "invalid value (no memory to describe why)";
    else
        *reason = out->p;
    return CUT_EDATA;
}

/* Replaces out's content with p/n; CUT_CANON_NEW or CUT_ENOMEM. */
static int put(cut_buf *out, const char *p, size_t n, const char **reason)
{
    cut_buf_reset(out);
    if (cut_buf_append(out, p, n)) {
        *reason = "out of memory";
        return CUT_ENOMEM;
    }
    return CUT_CANON_NEW;
}

/* SAME when the canonical text c/n equals the input, else copies it to out. */
static int same_or_put(const char *in, size_t len, const char *c, size_t n, cut_buf *out,
                       const char **reason)
{
    if (n == len && memcmp(in, c, n) == 0)
        return CUT_CANON_SAME;
    return put(out, c, n, reason);
}

static const int64_t pow10_tab[] = {1,      10,      100,      1000,      10000,
                                    100000, 1000000, 10000000, 100000000, 1000000000};

/* Writes v (>= 0) as exactly w digits, zero-padded. */
static char *put_digits(char *o, int64_t v, int w)
{
    for (int i = w - 1; i >= 0; i--) {
        o[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return o + w;
}

/* --------------------------------------------------------- civil dates */

/*
 * Days from civil and back: the era-based algorithm (400-year cycles of
 * 146097 days, years starting in March so that leap day is last): exact,
 * without loops or tables, for any year whose day count fits in int64.
 */
int64_t cut_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = m > 2 ? (int64_t)m - 3 : (int64_t)m + 9;
    int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void cut_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    unsigned dd = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    unsigned mm = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (mm <= 2);
    *m = mm;
    *d = dd;
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned cut_days_in_month(int64_t y, unsigned m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ------------------------------------------------------------- integers */

int cut_parse_int64(const char *p, size_t len, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (len > 0 && (p[0] == '+' || p[0] == '-')) {
        neg = p[0] == '-';
        i = 1;
    }
    if (i >= len)
        return CUT_EDATA;
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        unsigned c = (unsigned)((unsigned char)p[i] - '0');
        if (c > 9 || v > (lim - c) / 10)
            return CUT_EDATA;
        v = v * 10 + c;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* Largest magnitudes allowed above and below zero for an int type. */
static void int_limits(const cut_type *t, uint64_t *maxpos, uint64_t *maxneg)
{
    int w = int_width(t);
    if (t->flags & CUT_TF_UNSIGNED) {
        *maxpos = w == 64 ? UINT64_MAX : (UINT64_C(1) << w) - 1;
        *maxneg = 0;
    } else {
        *maxpos = (UINT64_C(1) << (w - 1)) - 1;
        *maxneg = UINT64_C(1) << (w - 1);
    }
}

/* The hot path: is p/len exactly a canonical integer within range? No copy. */
static int int_is_canonical(const char *p, size_t len, uint64_t maxpos, uint64_t maxneg)
{
    size_t i = 0;
    int neg = 0;
    if (len > 0 && p[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i >= len || len - i > 20)
        return 0;
    if (p[i] == '0')
        return len - i == 1 && !neg;
    uint64_t v = 0;
    for (; i < len; i++) {
        unsigned c = (unsigned)((unsigned char)p[i] - '0');
        if (c > 9 || v > (UINT64_MAX - c) / 10)
            return 0;
        v = v * 10 + c;
    }
    return v <= (neg ? maxneg : maxpos);
}

/* ---------------------------------------------------- decimal numbers */

enum { DEC_FINITE = 0, DEC_NAN = 1, DEC_INF = 2 };

/*
 * A decimal literal as written, not copied: the digits before and after the
 * point, concatenated virtually as a||b. [lo, hi) are the significant digits
 * (no leading or trailing zeros); the value is 0.<digits> x 10^pt.
 */
typedef struct decv {
    const char *a, *b;
    size_t alen, blen;
    size_t lo, hi;
    int64_t pt;
    int64_t exp; /* the written exponent (magnitude capped at 1e9) */
    int neg;
    int special;
} decv;

static char dv_at(const decv *d, size_t k)
{
    return k < d->alen ? d->a[k] : d->b[k - d->alen];
}

/* k-th significant digit. */
static char dv_sig(const decv *d, int64_t k)
{
    return dv_at(d, d->lo + (size_t)k);
}

/*
 * Parses [+-] (digits [. [digits]] | . digits) [(e|E) [+-] digits], or
 * nan / inf / infinity in any case. Returns 0 or -1 (syntax).
 */
static int parse_dec(const char *p, size_t len, decv *d)
{
    memset(d, 0, sizeof(*d));
    size_t i = 0;
    if (i < len && (p[i] == '+' || p[i] == '-')) {
        d->neg = p[i] == '-';
        i++;
    }
    if (equals_ci(p + i, len - i, "nan")) {
        d->special = DEC_NAN;
        d->neg = 0;
        return 0;
    }
    if (equals_ci(p + i, len - i, "inf") || equals_ci(p + i, len - i, "infinity")) {
        d->special = DEC_INF;
        return 0;
    }
    d->a = p + i;
    while (i < len && is_digit(p[i]))
        i++;
    d->alen = (size_t)(p + i - d->a);
    if (i < len && p[i] == '.') {
        i++;
        d->b = p + i;
        while (i < len && is_digit(p[i]))
            i++;
        d->blen = (size_t)(p + i - d->b);
    }
    if (d->alen + d->blen == 0)
        return -1;
    if (i < len && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < len && (p[i] == '+' || p[i] == '-')) {
            eneg = p[i] == '-';
            i++;
        }
        if (i >= len || !is_digit(p[i]))
            return -1;
        int64_t e = 0;
        for (; i < len && is_digit(p[i]); i++)
            if (e < 1000000000)
                e = e * 10 + (p[i] - '0');
        d->exp = eneg ? -e : e;
    }
    if (i != len)
        return -1;
    size_t total = d->alen + d->blen, lo = 0, hi = total;
    while (lo < total && dv_at(d, lo) == '0')
        lo++;
    while (hi > lo && dv_at(d, hi - 1) == '0')
        hi--;
    d->lo = lo;
    d->hi = hi;
    d->pt = (int64_t)d->alen + d->exp - (int64_t)lo;
    if (lo == hi)
        d->neg = 0; /* zero has no sign */
    return 0;
}

static int dec_is_zero(const decv *d)
{
    return d->lo == d->hi;
}

/* Exact integer magnitude, or 0 if the value has a fraction or exceeds 64 bits. */
static int dec_to_u64(const decv *d, uint64_t *out)
{
    int64_t n = (int64_t)(d->hi - d->lo);
    if (n == 0) {
        *out = 0;
        return 1;
    }
    if (n > d->pt || d->pt > 20)
        return 0;
    uint64_t v = 0;
    for (int64_t k = 0; k < d->pt; k++) {
        unsigned c = k < n ? (unsigned)(dv_sig(d, k) - '0') : 0;
        if (v > (UINT64_MAX - c) / 10)
            return 0;
        v = v * 10 + c;
    }
    *out = v;
    return 1;
}

enum { NUM_OK = 0, NUM_RANGE = 1, NUM_NOMEM = 2 };

/* Digit k of the rounded value: see numeric_emit. */
static char rounded_digit(const decv *d, int64_t k, int64_t nd, int64_t bump, int one)
{
    if (k < 0 || k >= nd)
        return '0';
    if (one)
        return '1';
    return (char)(dv_sig(d, k) + (k == bump));
}

/*
 * Appends d rounded to `scale` fractional digits (half away from zero) and
 * padded to exactly that many, or with all its significant digits when scale
 * < 0. prec > 0 bounds the magnitude: below 10^(prec - scale). The rounded
 * digits are never materialised: digit k is the source digit, +1 at `bump`,
 * or the single "1" a carry through all nines leaves.
 */
static int numeric_emit(const decv *d, int prec, int scale, cut_buf *out)
{
    int64_t n = (int64_t)(d->hi - d->lo), pt = d->pt, nd = n, bump = -1;
    int one = 0;
    if (scale >= 0 && n > pt + scale) {
        int64_t m = pt + scale;
        nd = 0;
        if (m >= 0) {
            nd = m;
            if (dv_sig(d, m) >= '5') {
                int64_t j = m - 1;
                while (j >= 0 && dv_sig(d, j) == '9')
                    j--;
                if (j < 0) {
                    one = 1;
                    nd = 1;
                    pt++;
                } else {
                    bump = j;
                    nd = j + 1;
                }
            }
        }
    }
    int zero = nd == 0;
    if (!zero && prec > 0 && pt > (int64_t)prec - (scale > 0 ? scale : 0))
        return NUM_RANGE;
    /* PostgreSQL's own limits for an unconstrained numeric. */
    if (!zero && scale < 0 && (pt > 131072 || nd - pt > 16383))
        return NUM_RANGE;
    int64_t fd = scale >= 0 ? scale : (!zero && nd > pt ? nd - pt : 0);
    int64_t id = pt > 0 ? pt : 1;
    if (cut_buf_reserve(out, (size_t)(id + fd + 2)))
        return NUM_NOMEM;
    char *o = out->p + out->len;
    if (d->neg && !zero)
        *o++ = '-';
    if (zero || pt <= 0)
        *o++ = '0';
    else
        for (int64_t k = 0; k < pt; k++)
            *o++ = rounded_digit(d, k, nd, bump, one);
    if (fd > 0) {
        *o++ = '.';
        for (int64_t k = pt; k < pt + fd; k++)
            *o++ = rounded_digit(d, k, nd, bump, one);
    }
    out->len = (size_t)(o - out->p);
    out->p[out->len] = '\0';
    return NUM_OK;
}

/*
 * The hot path for numeric: is p/len already canonical for (prec, scale)?
 * [-] (0 | [1-9][0-9]*) [. digits], exactly `scale` fractional digits (or,
 * unconstrained, none or some ending in non-zero), no "-0", within range.
 */
static int numeric_is_canonical(const char *p, size_t len, int prec, int scale)
{
    size_t i = 0;
    int neg = 0, nonzero = 0;
    if (len > 0 && p[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i >= len || !is_digit(p[i]))
        return 0;
    size_t a0 = i;
    if (p[i] == '0') {
        i++;
        if (i < len && is_digit(p[i]))
            return 0;
    } else {
        while (i < len && is_digit(p[i]))
            i++;
        nonzero = 1;
    }
    int64_t ilen = p[a0] == '0' ? 0 : (int64_t)(i - a0), lead = 0, flen = 0;
    if (i < len) {
        if (p[i] != '.')
            return 0;
        size_t f0 = ++i;
        for (; i < len && is_digit(p[i]); i++) {
            if (p[i] != '0')
                nonzero = 1;
            else if (!nonzero)
                lead++;
        }
        flen = (int64_t)(i - f0);
        if (i != len || flen == 0 || (scale < 0 && p[len - 1] == '0'))
            return 0;
    }
    if (scale >= 0 && flen != scale)
        return 0;
    if (neg && !nonzero)
        return 0;
    if (prec > 0 && nonzero) {
        int64_t pt = ilen > 0 ? ilen : -lead;
        if (pt > (int64_t)prec - scale)
            return 0;
    }
    if (scale < 0 && (ilen > 131072 || flen > 16383))
        return 0;
    return 1;
}

int cut_numeric_append(const char *p, size_t len, cut_buf *out, const char **reason)
{
    const char *dummy;
    decv d;
    if (!reason)
        reason = &dummy;
    if (parse_dec(p, len, &d) || d.special) {
        *reason = "not a valid number";
        return CUT_EDATA;
    }
    if (d.exp > CUT_NUMERIC_MAX_EXP || d.exp < -CUT_NUMERIC_MAX_EXP) {
        *reason = "number exponent beyond +-1000";
        return CUT_EDATA;
    }
    switch (numeric_emit(&d, 0, -1, out)) {
    case NUM_OK:
        return 0;
    case NUM_RANGE:
        *reason = "number out of range (more digits than PostgreSQL's numeric holds)";
        return CUT_EDATA;
    default:
        *reason = "out of memory";
        return CUT_ENOMEM;
    }
}

/* ------------------------------------------------------------- floats */

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale; /* written once under c_locale_once, then read-only */

static void c_locale_init(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/*
 * strtod and printf follow LC_NUMERIC, which an application may have set to
 * a locale with a decimal comma; switch this thread to "C" around them.
 * Returns the locale to restore (0 if none was switched).
 */
static locale_t enter_c_locale(void)
{
    pthread_once(&c_locale_once, c_locale_init);
    return c_locale ? uselocale(c_locale) : (locale_t)0;
}

static void leave_c_locale(locale_t old)
{
    if (old)
        uselocale(old);
}

/*
 * Writes significant digits digs[0..nd) (no trailing zeros) with decimal
 * exponent x (value = d.ddd x 10^x) in PostgreSQL's float layout: fixed
 * notation for x in -4 .. 14 (float: .. 5), else d.ddde+XX.
 */
static int float_layout(char *buf, int neg, const char *digs, int nd, int x, int f32)
{
    char *o = buf;
    if (neg)
        *o++ = '-';
    if (x >= -4 && x < (f32 ? 6 : 15)) {
        if (x < 0) {
            *o++ = '0';
            *o++ = '.';
            for (int i = 0; i < -x - 1; i++)
                *o++ = '0';
            memcpy(o, digs, (size_t)nd);
            o += nd;
        } else {
            for (int i = 0; i <= x; i++)
                *o++ = i < nd ? digs[i] : '0';
            if (nd > x + 1) {
                *o++ = '.';
                memcpy(o, digs + x + 1, (size_t)(nd - x - 1));
                o += nd - x - 1;
            }
        }
    } else {
        *o++ = digs[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, digs + 1, (size_t)(nd - 1));
            o += nd - 1;
        }
        *o++ = 'e';
        *o++ = x < 0 ? '-' : '+';
        int ax = x < 0 ? -x : x;
        if (ax >= 100)
            *o++ = (char)('0' + ax / 100);
        *o++ = (char)('0' + ax / 10 % 10);
        *o++ = (char)('0' + ax % 10);
    }
    *o = '\0';
    return (int)(o - buf);
}

int cut_parse_double(const char *p, size_t len, int width, double *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof(buf))
        return CUT_EDATA;
    if (len == 3 && memcmp(p, "NaN", 3) == 0) {
        *out = NAN;
        return 0;
    }
    if (len == 8 && memcmp(p, "Infinity", 8) == 0) {
        *out = INFINITY;
        return 0;
    }
    if (len == 9 && memcmp(p, "-Infinity", 9) == 0) {
        *out = -INFINITY;
        return 0;
    }
    /* strtod alone would also take spaces, hex, "inf" and "nan(...)". */
    for (size_t i = 0; i < len; i++)
        if (!strchr("0123456789+-.eE", p[i]) || p[i] == '\0')
            return CUT_EDATA;
    memcpy(buf, p, len);
    buf[len] = '\0';
    char *end;
    locale_t old = enter_c_locale();
    double v = width == 32 ? (double)strtof(buf, &end) : strtod(buf, &end);
    leave_c_locale(old);
    if (end != buf + len || !isfinite(v))
        return CUT_EDATA;
    *out = v;
    return 0;
}

int cut_format_double(double v, int width, char *buf)
{
    int f32 = width == 32;
    if (f32)
        v = (double)(float)v;
    if (isnan(v)) {
        memcpy(buf, "NaN", 4);
        return 3;
    }
    if (isinf(v)) {
        const char *s = v > 0 ? "Infinity" : "-Infinity";
        size_t n = strlen(s);
        memcpy(buf, s, n + 1);
        return (int)n;
    }
    if (v == 0) {
        /* -0 too: engines disagree on storing it, and it equals 0 anyway. */
        memcpy(buf, "0", 2);
        return 1;
    }
    /*
     * The fewest significant digits that read back as the same value. Any
     * decimal of up to DBL_DIG (FLT_DIG) digits survives a trip through a
     * normal double (float), so no two such decimals share one value: if the
     * 15-digit (6-digit) rounding reads back, its digits without trailing
     * zeros are the shortest, and if it does not, nothing shorter does. The
     * search can start there; only subnormals need to start at one digit.
     */
    char tmp[64];
    double av = fabs(v);
    int normal = f32 ? av >= FLT_MIN : av >= DBL_MIN;
    /*
     * Most doubles that databases hold are short decimals (prices, measures):
     * m / 10^k for an integer m below 10^15. For such m and k <= 22 both are
     * exact doubles, so their IEEE quotient is the correctly rounded value of
     * the decimal, which is what strtod reads; when it equals v, that decimal
     * is the one of at most 15 digits that reads back as v (there is only one),
     * found without printf's multi-precision digits. The smallest k is tried
     * first; av * 10^k is within 0.2 of m when v is that decimal, so rounding
     * it finds m.
     */
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    for (int k = 0; !f32 && normal && av < 1e15 && k < (int)(sizeof(p10) / sizeof(p10[0]));
         k++) {
        double sc = av * p10[k];
        if (sc >= 1e15)
            break;
        double m = nearbyint(sc);
        if (m < 1 || m / p10[k] != av)
            continue;
        char digs[24];
        int nd = 0;
        for (uint64_t u = (uint64_t)m; u; u /= 10)
            digs[nd++] = (char)('0' + u % 10);
        int x = nd - 1 - k;
        for (int i = 0; i < nd / 2; i++) {
            char c = digs[i];
            digs[i] = digs[nd - 1 - i];
            digs[nd - 1 - i] = c;
        }
        while (nd > 1 && digs[nd - 1] == '0')
            nd--;
        return float_layout(buf, v < 0, digs, nd, x, f32);
    }
    int first = normal ? (f32 ? FLT_DIG : DBL_DIG) : 1, last = f32 ? 9 : 17;
    locale_t old = enter_c_locale();
    for (int prec = first; prec <= last; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
        if (f32 ? strtof(tmp, NULL) == (float)v : strtod(tmp, NULL) == v)
            break;
    }
    leave_c_locale(old);

    char digs[24];
    int nd = 0, x = 0;
    const char *q = tmp + (tmp[0] == '-');
    for (; *q && *q != 'e'; q++)
        if (is_digit(*q) && nd < 20)
            digs[nd++] = *q;
    if (*q == 'e')
        x = atoi(q + 1);
    while (nd > 1 && digs[nd - 1] == '0')
        nd--;
    return float_layout(buf, v < 0, digs, nd, x, f32);
}

static int canon_float(const cut_type *t, const char *in, size_t len, cut_buf *out,
                       const char **reason)
{
    char tb[32], qb[200], canon[48];
    int f32 = t->width == 32;
    const char *p = in;
    size_t n = len;
    trim(&p, &n);
    decv d;
    if (parse_dec(p, n, &d))
        return cut_reason(out, reason, "%s is not a valid %s", quote(in, len, qb, sizeof(qb)),
                          cut_type_format(t, tb, sizeof(tb)));
    int cl;
    int64_t nsig = (int64_t)(d.hi - d.lo), x = d.pt - 1;
    if (!d.special && nsig > 0 && nsig <= (f32 ? FLT_DIG : DBL_DIG) && x >= (f32 ? -30 : -300) &&
        x <= (f32 ? 30 : 300)) {
        /*
         * Few enough digits, well inside the normal range: the literal's own
         * significant digits are the shortest round-trip form (see
         * cut_format_double), so no conversion is needed to lay them out.
         */
        char digs[DBL_DIG];
        for (int64_t k = 0; k < nsig; k++)
            digs[k] = dv_sig(&d, k);
        cl = float_layout(canon, d.neg, digs, (int)nsig, (int)x, f32);
    } else if (d.special == DEC_NAN) {
        cl = cut_format_double(NAN, 64, canon);
    } else if (d.special == DEC_INF) {
        cl = cut_format_double(d.neg ? -INFINITY : INFINITY, 64, canon);
    } else {
        /* strtod needs a terminated string: the stack for normal literals, out for long ones. */
        char small[128];
        const char *z = small;
        if (n < sizeof(small)) {
            memcpy(small, p, n);
            small[n] = '\0';
        } else {
            cut_buf_reset(out);
            if (cut_buf_append(out, p, n)) {
                *reason = "out of memory";
                return CUT_ENOMEM;
            }
            z = out->p;
        }
        locale_t old = enter_c_locale();
        double v = f32 ? (double)strtof(z, NULL) : strtod(z, NULL);
        leave_c_locale(old);
        /* Overflow to infinity, or underflow of a non-zero literal to zero, loses the value. */
        if (isinf(v) || (v == 0 && !dec_is_zero(&d)))
            return cut_reason(out, reason, "%s is out of range for %s", quote(p, n, qb, sizeof(qb)),
                              cut_type_format(t, tb, sizeof(tb)));
        cl = cut_format_double(v, f32 ? 32 : 64, canon);
    }
    return same_or_put(in, len, canon, (size_t)cl, out, reason);
}

/* ---------------------------------------------------------------- bool */

static int canon_bool(const char *in, size_t len, cut_buf *out, const char **reason)
{
    static const char *const yes[] = {"t", "true", "y", "yes", "on", "1"};
    static const char *const no[] = {"f", "false", "n", "no", "off", "0"};
    char qb[200];
    if (len == 1 && (in[0] == 't' || in[0] == 'f'))
        return CUT_CANON_SAME;
    const char *p = in;
    size_t n = len;
    trim(&p, &n);
    for (size_t i = 0; i < CUT_ARRAY_LEN(yes); i++) {
        if (equals_ci(p, n, yes[i]))
            return put(out, "t", 1, reason);
        if (equals_ci(p, n, no[i]))
            return put(out, "f", 1, reason);
    }
    return cut_reason(out, reason, "%s is not a valid bool", quote(in, len, qb, sizeof(qb)));
}

/* ---------------------------------------------------------------- text */

/* Characters of valid UTF-8: the bytes that do not continue a sequence. */
static size_t utf8_chars(const char *in, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)in[i] & 0xC0) != 0x80;
    return n;
}

/* known: in is valid UTF-8 already (it passed here as a source value); characters are
   counted only when the byte length could exceed the type's length. */
static int canon_text(const cut_type *t, const char *in, size_t len, cut_buf *out,
                      const char **reason, int known)
{
    size_t nch = 0, bad = 0;
    char tb[32];
    if (!known && !cut_utf8_valid(in, len, &nch, &bad))
        return cut_reason(out, reason, "invalid UTF-8 at byte %zu (0x%02X)", bad,
                          (unsigned)(unsigned char)in[bad]);
    unsigned f = t->flags;
    if ((f & CUT_TF_NO_NUL) && len > 0 && memchr(in, 0, len))
        return cut_reason(out, reason, "NUL byte (0x00) not allowed in PostgreSQL text");
    if (f & (CUT_TF_BMP_ONLY | CUT_TF_LATIN1)) {
        /* Lead bytes >= 0xF0 start 4-byte sequences; >= 0xC4 start code points above U+00FF. */
        unsigned char lim = (f & CUT_TF_LATIN1) ? 0xC4 : 0xF0;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)in[i];
            if (c < lim)
                continue;
            uint32_t cp;
            cut_utf8_decode((const unsigned char *)in + i, len - i, &cp);
            if ((f & CUT_TF_BMP_ONLY) && cp > 0xFFFF)
                return cut_reason(out, reason,
                                  "4-byte UTF-8 character U+%04X not allowed in a 3-byte utf8 "
                                  "column",
                                  (unsigned)cp);
            return cut_reason(out, reason, "character U+%04X not representable in latin1",
                              (unsigned)cp);
        }
    }
    size_t n = len;
    if (f & CUT_TF_FIXED) {
        /* char(n) pads with blanks, so trailing blanks carry no meaning. */
        while (n > 0 && in[n - 1] == ' ') {
            n--;
            nch--;
        }
    }
    if (known) /* bytes bound characters from above */
        nch = t->length > 0 && n > (size_t)t->length ? utf8_chars(in, n) : n;
    if (t->length > 0 && nch > (size_t)t->length)
        return cut_reason(out, reason, "value too long for %s: %zu characters",
                          cut_type_format(t, tb, sizeof(tb)), nch);
    if (n == len)
        return CUT_CANON_SAME;
    return put(out, in, n, reason);
}

/* --------------------------------------------------- dates and times */

/* The parts of a date, time or timestamp as written. */
typedef struct tparts {
    int y, mo, d;
    int h, mi, s;
    const char *frac; /* fractional-second digits, not copied */
    size_t flen;
    int has_time;
    int has_zone;
    int32_t zone; /* offset east of UTC, seconds */
} tparts;

/* Exactly n digits at *pp. */
static int take_digits(const char **pp, const char *end, int n, int *v)
{
    const char *p = *pp;
    if (end - p < n)
        return -1;
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(p[i]))
            return -1;
        x = x * 10 + (p[i] - '0');
    }
    *v = x;
    *pp = p + n;
    return 0;
}

/* YYYY-MM-DD */
static int parse_date_part(const char **pp, const char *end, tparts *t)
{
    const char *p = *pp;
    if (take_digits(&p, end, 4, &t->y) || p >= end || *p++ != '-' ||
        take_digits(&p, end, 2, &t->mo) || p >= end || *p++ != '-' ||
        take_digits(&p, end, 2, &t->d))
        return -1;
    *pp = p;
    return 0;
}

/* H[H...]:MM[:SS[.digits]]; hours up to 9 digits so that "838:59:59" reads (then fails range). */
static int parse_time_part(const char **pp, const char *end, tparts *t)
{
    const char *p = *pp;
    int h = 0, nh = 0;
    while (p < end && is_digit(*p) && nh < 9) {
        h = h * 10 + (*p++ - '0');
        nh++;
    }
    if (nh == 0 || p >= end || *p++ != ':' || take_digits(&p, end, 2, &t->mi))
        return -1;
    t->h = h;
    t->s = 0;
    t->frac = NULL;
    t->flen = 0;
    if (p < end && *p == ':') {
        p++;
        if (take_digits(&p, end, 2, &t->s))
            return -1;
        if (p < end && *p == '.') {
            p++;
            t->frac = p;
            while (p < end && is_digit(*p))
                p++;
            t->flen = (size_t)(p - t->frac);
            if (t->flen == 0)
                return -1;
        }
    }
    *pp = p;
    return 0;
}

/* Optional zone: Z, UTC, GMT, +HH, +HH:MM, +HHMM, +HH:MM:SS, +HHMMSS (or -), after spaces. */
static int parse_zone_part(const char **pp, const char *end, tparts *t)
{
    const char *p = *pp;
    while (p < end && *p == ' ')
        p++;
    if (p == end) {
        *pp = p;
        return 0;
    }
    if (*p == 'Z' || *p == 'z') {
        t->has_zone = 1;
        t->zone = 0;
        *pp = p + 1;
        return 0;
    }
    if (end - p >= 3 && (strncasecmp(p, "UTC", 3) == 0 || strncasecmp(p, "GMT", 3) == 0)) {
        t->has_zone = 1;
        t->zone = 0;
        *pp = p + 3;
        return 0;
    }
    if (*p != '+' && *p != '-')
        return -1;
    int sign = *p++ == '-' ? -1 : 1, hh = 0, mm = 0, ss = 0;
    const char *d0 = p;
    while (p < end && is_digit(*p))
        p++;
    size_t nd = (size_t)(p - d0);
    const char *q = d0;
    if (nd == 1 || nd == 2) {
        take_digits(&q, end, (int)nd, &hh);
        if (p < end && *p == ':') {
            p++;
            if (take_digits(&p, end, 2, &mm))
                return -1;
            if (p < end && *p == ':') {
                p++;
                if (take_digits(&p, end, 2, &ss))
                    return -1;
            }
        }
    } else if (nd == 4 || nd == 6) {
        take_digits(&q, end, 2, &hh);
        take_digits(&q, end, 2, &mm);
        if (nd == 6)
            take_digits(&q, end, 2, &ss);
    } else {
        return -1;
    }
    if (hh > 18 || mm > 59 || ss > 59)
        return -1;
    t->has_zone = 1;
    t->zone = sign * (hh * 3600 + mm * 60 + ss);
    *pp = p;
    return 0;
}

/* YYYY-MM-DD [(' '|T) time] [zone]. Returns 0 or -1. */
static int parse_datetime(const char *p, size_t len, tparts *t)
{
    const char *q = p, *end = p + len;
    memset(t, 0, sizeof(*t));
    if (parse_date_part(&q, end, t))
        return -1;
    if (q < end && (*q == ' ' || *q == 'T' || *q == 't')) {
        const char *r = q + 1;
        while (*q == ' ' && r < end && *r == ' ')
            r++;
        if (parse_time_part(&r, end, t) == 0) {
            t->has_time = 1;
            q = r;
        } else if (*q != ' ') {
            return -1;
        }
    }
    if (parse_zone_part(&q, end, t))
        return -1;
    return q == end ? 0 : -1;
}

/* Whether a digit beyond the first p fractional digits is not zero (rounding them away
   would change the value). */
static int frac_beyond(const tparts *t, int p)
{
    for (size_t i = (size_t)p; i < t->flen; i++)
        if (t->frac[i] != '0')
            return 1;
    return 0;
}

static int frac_is_zero(const tparts *t)
{
    return !frac_beyond(t, 0);
}

/* The first p fractional digits as an integer, rounded half up: 0..10^p (10^p = carry). */
static int64_t round_frac(const tparts *t, int p)
{
    int64_t u = 0;
    for (int i = 0; i < p; i++)
        u = u * 10 + ((size_t)i < t->flen ? t->frac[i] - '0' : 0);
    if ((size_t)p < t->flen && t->frac[p] >= '5')
        u++;
    return u;
}

/* ".ddd" of u at p digits with trailing zeros dropped (nothing for 0). */
static char *put_frac(char *o, int64_t u, int p)
{
    if (u == 0 || p == 0)
        return o;
    while (p > 0 && u % 10 == 0) {
        u /= 10;
        p--;
    }
    *o++ = '.';
    return put_digits(o, u, p);
}

static int zero_date(const cut_canon_opts *o, const char *p, size_t n, cut_buf *out,
                     const char **reason)
{
    char qb[200];
    if (o->zero_dates == CUT_ZERO_REJECT)
        return cut_reason(out, reason, "zero date %s", quote(p, n, qb, sizeof(qb)));
    return CUT_CANON_NULL;
}

static int is_zero_date(const tparts *t)
{
    return t->y == 0 || t->mo == 0 || t->d == 0;
}

static int valid_date(const tparts *t)
{
    return t->mo >= 1 && t->mo <= 12 && t->d >= 1 &&
           (unsigned)t->d <= cut_days_in_month(t->y, (unsigned)t->mo);
}

/* infinity / -infinity (any case, '+' allowed) → 1 / -1, else 0. */
static int infinity_sign(const char *p, size_t n)
{
    if (equals_ci(p, n, "infinity") || equals_ci(p, n, "+infinity"))
        return 1;
    if (equals_ci(p, n, "-infinity"))
        return -1;
    return 0;
}

static int canon_infinity(int sign, const char *in, size_t len, cut_buf *out, const char **reason)
{
    const char *s = sign > 0 ? "infinity" : "-infinity";
    return same_or_put(in, len, s, strlen(s), out, reason);
}

static int canon_date(const char *in, size_t len, const cut_canon_opts *opts, cut_buf *out,
                      const char **reason)
{
    char qb[200], c[16];
    const char *p = in;
    size_t n = len;
    trim(&p, &n);
    int inf = infinity_sign(p, n);
    if (inf)
        return canon_infinity(inf, in, len, out, reason);
    tparts t;
    if (parse_datetime(p, n, &t) || t.has_zone)
        return cut_reason(out, reason, "%s is not a valid date", quote(in, len, qb, sizeof(qb)));
    if (is_zero_date(&t))
        return zero_date(opts, p, n, out, reason);
    if (!valid_date(&t))
        return cut_reason(out, reason, "no such date %s", quote(p, n, qb, sizeof(qb)));
    if (t.has_time && (t.h || t.mi || t.s || !frac_is_zero(&t)))
        return cut_reason(out, reason, "date has a time of day: %s", quote(p, n, qb, sizeof(qb)));
    char *o = put_digits(c, t.y, 4);
    *o++ = '-';
    o = put_digits(o, t.mo, 2);
    *o++ = '-';
    o = put_digits(o, t.d, 2);
    return same_or_put(in, len, c, (size_t)(o - c), out, reason);
}

static int canon_time(const cut_type *t, const char *in, size_t len, const cut_canon_opts *opts,
                      cut_buf *out, const char **reason)
{
    char qb[200], c[32];
    int prec = time_precision(t);
    const char *p = in, *end;
    size_t n = len;
    trim(&p, &n);
    end = p + n;
    if (n > 0 && p[0] == '-')
        return cut_reason(out, reason, "time out of range: %s", quote(p, n, qb, sizeof(qb)));
    tparts tp;
    memset(&tp, 0, sizeof(tp));
    const char *q = p;
    if (parse_time_part(&q, end, &tp) || q != end || tp.mi > 59 || tp.s > 59)
        return cut_reason(out, reason, "%s is not a valid time", quote(in, len, qb, sizeof(qb)));
    if (tp.h > 24 || (tp.h == 24 && (tp.mi || tp.s || !frac_is_zero(&tp))))
        return cut_reason(out, reason, "time out of range: %s", quote(p, n, qb, sizeof(qb)));
    if (opts->exact && frac_beyond(&tp, prec))
        return cut_reason(out, reason, "%s has more fractional digits than time(%d) keeps",
                          quote(p, n, qb, sizeof(qb)), prec);
    int64_t secs = (int64_t)tp.h * 3600 + tp.mi * 60 + tp.s, u = round_frac(&tp, prec);
    if (u == pow10_tab[prec]) {
        secs++;
        u = 0;
    }
    /* A carry may reach 24:00:00 exactly, which is a valid time; never beyond. */
    char *o = put_digits(c, secs / 3600, 2);
    *o++ = ':';
    o = put_digits(o, secs / 60 % 60, 2);
    *o++ = ':';
    o = put_digits(o, secs % 60, 2);
    o = put_frac(o, u, prec);
    return same_or_put(in, len, c, (size_t)(o - c), out, reason);
}

static int canon_timestamp(const cut_type *t, const char *in, size_t len,
                           const cut_canon_opts *opts, cut_buf *out, const char **reason)
{
    char qb[200], c[48];
    int prec = time_precision(t), tz = t->kind == CUT_T_TIMESTAMPTZ;
    const char *p = in;
    size_t n = len;
    trim(&p, &n);
    int inf = infinity_sign(p, n);
    if (inf)
        return canon_infinity(inf, in, len, out, reason);
    tparts tp;
    if (parse_datetime(p, n, &tp))
        return cut_reason(out, reason, "%s is not a valid %s", quote(in, len, qb, sizeof(qb)),
                          tz ? "timestamptz" : "timestamp");
    if (is_zero_date(&tp))
        return zero_date(opts, p, n, out, reason);
    /* A UTC instant (a canonical timestamptz ends in +00) reads as its UTC wall time; any
       other offset would have to be dropped or applied, and either silently changes the
       value, so it is refused. */
    if (tp.has_zone && !tz && tp.zone != 0)
        return cut_reason(out, reason,
                          "time zone offset other than UTC in a timestamp without time zone: %s",
                          quote(p, n, qb, sizeof(qb)));
    if (!valid_date(&tp))
        return cut_reason(out, reason, "no such date %s", quote(p, n, qb, sizeof(qb)));
    if (tp.mi > 59 || tp.s > 59 || tp.h > 24 ||
        (tp.h == 24 && (tp.mi || tp.s || !frac_is_zero(&tp))))
        return cut_reason(out, reason, "%s is not a valid %s", quote(in, len, qb, sizeof(qb)),
                          tz ? "timestamptz" : "timestamp");
    int64_t days = cut_days_from_civil(tp.y, (unsigned)tp.mo, (unsigned)tp.d);
    if (opts->exact && frac_beyond(&tp, prec))
        return cut_reason(out, reason, "%s has more fractional digits than %s(%d) keeps",
                          quote(p, n, qb, sizeof(qb)), tz ? "timestamptz" : "timestamp", prec);
    int64_t secs = days * 86400 + (int64_t)tp.h * 3600 + tp.mi * 60 + tp.s;
    int64_t u = round_frac(&tp, prec);
    /* Rounding first, so a carry into the next second takes part in the zone conversion. */
    if (u == pow10_tab[prec]) {
        secs++;
        u = 0;
    }
    if (tz) {
        if (tp.has_zone) {
            secs -= tp.zone;
        } else {
            int64_t utc;
            const char *why = NULL;
            if (cut_tz_local_to_utc(opts->source_tz, secs, opts->dst_overlap, &utc, &why))
                return cut_reason(out, reason, "%s: %s", why ? why : "invalid local time",
                                  quote(p, n, qb, sizeof(qb)));
            secs = utc;
        }
    }
    days = floor_div(secs, 86400);
    int64_t sod = secs - days * 86400, y;
    unsigned mo, d;
    cut_civil_from_days(days, &y, &mo, &d);
    if (y < 1 || y > 9999)
        return cut_reason(out, reason, "timestamp out of range: %s", quote(p, n, qb, sizeof(qb)));
    char *o = put_digits(c, y, 4);
    *o++ = '-';
    o = put_digits(o, mo, 2);
    *o++ = '-';
    o = put_digits(o, d, 2);
    *o++ = ' ';
    o = put_digits(o, sod / 3600, 2);
    *o++ = ':';
    o = put_digits(o, sod / 60 % 60, 2);
    *o++ = ':';
    o = put_digits(o, sod % 60, 2);
    o = put_frac(o, u, prec);
    if (tz) {
        memcpy(o, "+00", 3);
        o += 3;
    }
    return same_or_put(in, len, c, (size_t)(o - c), out, reason);
}

/* ---------------------------------------------------------------- uuid */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void uuid_render(const unsigned char *bytes, char *c)
{
    static const char hex[] = "0123456789abcdef";
    char *o = c;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[bytes[i] >> 4];
        *o++ = hex[bytes[i] & 15];
    }
}

static int canon_uuid(const char *in, size_t len, cut_buf *out, const char **reason)
{
    char qb[200], c[36];
    unsigned char bytes[16];
    int all_hex = len == 16;
    for (size_t i = 0; all_hex && i < 16; i++)
        all_hex = hexval(in[i]) >= 0;
    if (len == 16 && !all_hex) {
        /* 16 raw bytes: a binary UUID (MySQL BINARY(16)), in byte order. */
        uuid_render((const unsigned char *)in, c);
        return put(out, c, 36, reason);
    }
    const char *p = in;
    size_t n = len;
    trim(&p, &n);
    if (n >= 2 && p[0] == '{' && p[n - 1] == '}') {
        p++;
        n -= 2;
    }
    /* 32 hex digits; hyphens only between digits, never two in a row. */
    int nd = 0;
    for (size_t i = 0; i < n; i++) {
        int v = hexval(p[i]);
        if (v >= 0) {
            if (nd >= 32)
                goto bad;
            if (nd % 2 == 0)
                bytes[nd / 2] = (unsigned char)(v << 4);
            else
                bytes[nd / 2] |= (unsigned char)v;
            nd++;
        } else if (p[i] != '-' || i == 0 || i + 1 == n || p[i + 1] == '-') {
            goto bad;
        }
    }
    if (nd != 32)
        goto bad;
    uuid_render(bytes, c);
    return same_or_put(in, len, c, 36, out, reason);
bad:
    return cut_reason(out, reason, "%s is not a valid uuid", quote(in, len, qb, sizeof(qb)));
}

/* ------------------------------------------------------------ dispatch */

static int canon_int(const cut_type *t, const char *in, size_t len, cut_buf *out,
                     const char **reason)
{
    uint64_t maxpos, maxneg, mag;
    char qb[200], tb[32], c[24];
    int_limits(t, &maxpos, &maxneg);
    if (int_is_canonical(in, len, maxpos, maxneg))
        return CUT_CANON_SAME;
    const char *p = in;
    size_t n = len;
    trim(&p, &n);
    decv d;
    if (parse_dec(p, n, &d) || d.special)
        return cut_reason(out, reason, "%s is not a valid integer", quote(in, len, qb, sizeof(qb)));
    int64_t nsig = (int64_t)(d.hi - d.lo);
    if (nsig > 0 && nsig > d.pt)
        return cut_reason(out, reason, "%s is not an integer", quote(p, n, qb, sizeof(qb)));
    if (!dec_to_u64(&d, &mag) || mag > (d.neg ? maxneg : maxpos))
        return cut_reason(out, reason, "%s is out of range for %s", quote(p, n, qb, sizeof(qb)),
                          cut_type_format(t, tb, sizeof(tb)));
    char *o = c + sizeof(c);
    do {
        *--o = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag);
    if (d.neg)
        *--o = '-';
    return same_or_put(in, len, o, (size_t)(c + sizeof(c) - o), out, reason);
}

/* Whether a significant digit of d lies beyond `scale` fractional digits. */
static int digits_beyond(const decv *d, int scale)
{
    int64_t n = (int64_t)(d->hi - d->lo);
    for (int64_t k = d->pt + scale > 0 ? d->pt + scale : 0; k < n; k++)
        if (dv_sig(d, k) != '0')
            return 1;
    return 0;
}

static int canon_numeric(const cut_type *t, const char *in, size_t len,
                         const cut_canon_opts *opts, cut_buf *out, const char **reason)
{
    char qb[200], tb[32];
    int prec = t->precision > 0 ? t->precision : 0, scale = t->scale;
    /* numeric(p) means numeric(p,0), as in SQL. */
    if (scale < 0 && prec > 0)
        scale = 0;
    if (numeric_is_canonical(in, len, prec, scale))
        return CUT_CANON_SAME;
    const char *p = in;
    size_t n = len;
    trim(&p, &n);
    decv d;
    if (parse_dec(p, n, &d))
        return cut_reason(out, reason, "%s is not a valid numeric", quote(in, len, qb, sizeof(qb)));
    if (d.special == DEC_NAN)
        return same_or_put(in, len, "NaN", 3, out, reason);
    if (d.special == DEC_INF) {
        if (prec > 0)
            return cut_reason(out, reason, "%s is out of range for %s", quote(p, n, qb, sizeof(qb)),
                              cut_type_format(t, tb, sizeof(tb)));
        return same_or_put(in, len, d.neg ? "-Infinity" : "Infinity", d.neg ? 9 : 8, out, reason);
    }
    if (d.exp > CUT_NUMERIC_MAX_EXP || d.exp < -CUT_NUMERIC_MAX_EXP)
        return cut_reason(out, reason, "%s has an exponent beyond +-%d",
                          quote(p, n, qb, sizeof(qb)), CUT_NUMERIC_MAX_EXP);
    if (opts->exact && scale >= 0 && digits_beyond(&d, scale))
        return cut_reason(out, reason, "%s has more fractional digits than %s keeps",
                          quote(p, n, qb, sizeof(qb)), cut_type_format(t, tb, sizeof(tb)));
    cut_buf_reset(out);
    switch (numeric_emit(&d, prec, scale, out)) {
    case NUM_OK:
        break;
    case NUM_RANGE:
        return cut_reason(out, reason, "%s is out of range for %s", quote(p, n, qb, sizeof(qb)),
                          cut_type_format(t, tb, sizeof(tb)));
    default:
        *reason = "out of memory";
        return CUT_ENOMEM;
    }
    if (out->len == len && memcmp(out->p, in, len) == 0)
        return CUT_CANON_SAME;
    return CUT_CANON_NEW;
}

static int canon_json(const char *in, size_t len, cut_buf *out, const char **reason)
{
    const char *p = in;
    size_t n = len;
    trim(&p, &n);
    int rc = cut_json_canon(p, n, out, reason);
    if (rc)
        return rc;
    if (out->len == len && memcmp(out->p, in, len) == 0)
        return CUT_CANON_SAME;
    return CUT_CANON_NEW;
}

int cut_canon_utf8(const cut_type *t, const char *in, size_t len, const cut_canon_opts *opts,
                   cut_buf *out, const char **reason)
{
    const char *dummy;
    if (t && out && in && t->kind == CUT_T_TEXT)
        return canon_text(t, in, len, out, reason ? reason : &dummy, 1);
    return cut_canon(t, in, len, opts, out, reason);
}

int cut_canon(const cut_type *t, const char *in, size_t len, const cut_canon_opts *opts,
              cut_buf *out, const char **reason)
{
    static const cut_canon_opts defaults = {NULL, CUT_ZERO_NULL, CUT_DST_REJECT, 0};
    const char *dummy;
    char tb[32];
    if (!reason)
        reason = &dummy;
    if (!opts)
        opts = &defaults;
    if (!t || !out) {
        *reason = "cut_canon: no type or no output buffer";
        return CUT_EINVAL;
    }
    if (!in) {
        in = "";
        len = 0;
    }
    switch (t->kind) {
    case CUT_T_INT:
        return canon_int(t, in, len, out, reason);
    case CUT_T_NUMERIC:
        return canon_numeric(t, in, len, opts, out, reason);
    case CUT_T_FLOAT:
        return canon_float(t, in, len, out, reason);
    case CUT_T_BOOL:
        return canon_bool(in, len, out, reason);
    case CUT_T_TEXT:
        return canon_text(t, in, len, out, reason, 0);
    case CUT_T_BYTES:
        if (t->length > 0 && len > (size_t)t->length)
            return cut_reason(out, reason, "value too long for %s: %zu bytes",
                              cut_type_format(t, tb, sizeof(tb)), len);
        return CUT_CANON_SAME;
    case CUT_T_DATE:
        return canon_date(in, len, opts, out, reason);
    case CUT_T_TIME:
        return canon_time(t, in, len, opts, out, reason);
    case CUT_T_TIMESTAMP:
    case CUT_T_TIMESTAMPTZ:
        return canon_timestamp(t, in, len, opts, out, reason);
    case CUT_T_UUID:
        return canon_uuid(in, len, out, reason);
    case CUT_T_JSON:
        return canon_json(in, len, out, reason);
    case CUT_T_UNKNOWN:
        break;
    }
    /* No canonical form is known: the bytes pass through untouched. */
    return CUT_CANON_SAME;
}
