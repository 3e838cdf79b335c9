/*
 * pg_copy.c — the PostgreSQL COPY codec (see pg_copy.h): splitting and
 * unescaping the rows COPY TO sends, escaping the fields COPY FROM receives,
 * bytea hex text, and the binary fields of canonical values. Rows are decoded in place, so a scan copies each row
 * once (into its batch arena) and allocates nothing per cell.
 */
#include <stdint.h>
#include <string.h>

#include "pg_copy.h"
#include "types.h"

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int cut_pg_copy_split(char *line, size_t len, int ncols, cut_cell *cells, const char **why)
{
    char *r = line, *end = line + len;
    int col = 0;
    for (;;) {
        if (col >= ncols) {
            *why = "COPY row has more fields than columns";
            return CUT_EDATA;
        }
        cut_cell *c = &cells[col++];
        /* \N alone is NULL; "\N" inside a longer field is an escaped N. */
        if (end - r >= 2 && r[0] == '\\' && r[1] == 'N' && (r + 2 == end || r[2] == '\t')) {
            c->p = NULL;
            c->len = 0;
            c->flags = CUT_CELL_NULL;
            r += 2;
        } else {
            char *start = r, *w;
            /* The common case: no escape before the end of the field. */
            while (r < end && *r != '\t' && *r != '\\')
                r++;
            w = r;
            while (r < end && *r != '\t') {
                unsigned char ch = (unsigned char)*r++;
                if (ch != '\\') {
                    *w++ = (char)ch;
                    continue;
                }
                if (r == end) {
                    *w++ = '\\'; /* a trailing lone backslash stands for itself */
                    break;
                }
                ch = (unsigned char)*r++;
                switch (ch) {
                case 'b': *w++ = '\b'; break;
                case 'f': *w++ = '\f'; break;
                case 'n': *w++ = '\n'; break;
                case 'r': *w++ = '\r'; break;
                case 't': *w++ = '\t'; break;
                case 'v': *w++ = '\v'; break;
                case 'x': {
                    int h = r < end ? hexval((unsigned char)*r) : -1;
                    if (h < 0) {
                        *w++ = 'x'; /* "\x" without a digit is an x, as COPY reads it */
                        break;
                    }
                    int v = h;
                    r++;
                    if (r < end && (h = hexval((unsigned char)*r)) >= 0) {
                        v = v * 16 + h;
                        r++;
                    }
                    *w++ = (char)v;
                    break;
                }
                default:
                    if (ch >= '0' && ch <= '7') {
                        int v = ch - '0';
                        for (int k = 0; k < 2 && r < end && *r >= '0' && *r <= '7'; k++)
                            v = v * 8 + (*r++ - '0');
                        *w++ = (char)(v & 0xFF);
                    } else {
                        *w++ = (char)ch;
                    }
                }
            }
            c->p = start;
            c->len = (uint32_t)(w - start);
            c->flags = 0;
        }
        if (r == end)
            break;
        if (*r != '\t') {
            /* \N followed by more text: not a NULL after all. */
            *why = "malformed COPY row (text after \\N)";
            return CUT_EDATA;
        }
        r++;
    }
    if (col != ncols) {
        *why = "COPY row has fewer fields than columns";
        return CUT_EDATA;
    }
    return CUT_OK;
}

int cut_pg_bytea_decode(char *p, size_t len, size_t *out_len)
{
    if (len >= 2 && p[0] == '\\' && p[1] == 'x') {
        if ((len - 2) % 2 != 0)
            return CUT_EDATA;
        size_t n = 0;
        for (size_t i = 2; i < len; i += 2) {
            int hi = hexval((unsigned char)p[i]), lo = hexval((unsigned char)p[i + 1]);
            if (hi < 0 || lo < 0)
                return CUT_EDATA;
            p[n++] = (char)(hi * 16 + lo);
        }
        *out_len = n;
        return CUT_OK;
    }
    /* bytea_output = escape: printable bytes as themselves, \\ and \ooo. */
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        if (p[i] != '\\') {
            p[n++] = p[i++];
            continue;
        }
        if (i + 1 < len && p[i + 1] == '\\') {
            p[n++] = '\\';
            i += 2;
            continue;
        }
        if (i + 3 < len) {
            int a = p[i + 1] - '0', b = p[i + 2] - '0', c = p[i + 3] - '0';
            if (a >= 0 && a <= 3 && b >= 0 && b <= 7 && c >= 0 && c <= 7) {
                p[n++] = (char)(a * 64 + b * 8 + c);
                i += 4;
                continue;
            }
        }
        return CUT_EDATA;
    }
    *out_len = n;
    return CUT_OK;
}

/* Bytes that need a backslash in a COPY text field, and what follows it. */
static const char escape_as[256] = {
    ['\\'] = '\\', ['\t'] = 't', ['\n'] = 'n', ['\r'] = 'r',
};

int cut_pg_copy_escape(cut_buf *b, const char *p, size_t len)
{
    if (cut_buf_reserve(b, len * 2 + 1))
        return CUT_ENOMEM;
    char *w = b->p + b->len;
    const unsigned char *s = (const unsigned char *)p, *e = s + len;
    while (s < e) {
        unsigned char ch = *s++;
        char esc = escape_as[ch];
        if (esc) {
            *w++ = '\\';
            *w++ = esc;
        } else {
            *w++ = (char)ch;
        }
    }
    b->len = (size_t)(w - b->p);
    return CUT_OK;
}

int cut_pg_copy_bytea(cut_buf *b, const char *p, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (cut_buf_reserve(b, len * 2 + 4))
        return CUT_ENOMEM;
    char *w = b->p + b->len;
    *w++ = '\\';
    *w++ = '\\';
    *w++ = 'x';
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)p[i];
        *w++ = hex[ch >> 4];
        *w++ = hex[ch & 15];
    }
    b->len = (size_t)(w - b->p);
    return CUT_OK;
}

/* ------------------------------------------------------------ binary COPY */

const unsigned char cut_pg_bin_header[CUT_PG_BIN_HEADER_LEN] = {
    'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0, /* signature */
    0,   0,   0,   0,                                         /* flags */
    0,   0,   0,   0,                                         /* header extension */
};

int cut_pg_bin_kind(unsigned oid)
{
    switch (oid) {
    case 16: return CUT_PGB_BOOL;
    case 17: return CUT_PGB_RAW;      /* bytea: the bytes */
    case 20: return CUT_PGB_INT8;
    case 21: return CUT_PGB_INT2;
    case 23: return CUT_PGB_INT4;
    case 26: return CUT_PGB_OID;
    case 25:                          /* text, */
    case 114:                         /* json, */
    case 1042:                        /* char(n) and */
    case 1043: return CUT_PGB_RAW;    /* varchar(n): the text (their receive checks it) */
    case 700: return CUT_PGB_FLOAT4;
    case 701: return CUT_PGB_FLOAT8;
    case 1082: return CUT_PGB_DATE;
    case 1083: return CUT_PGB_TIME;
    case 1114: return CUT_PGB_TIMESTAMP;
    case 1184: return CUT_PGB_TIMESTAMPTZ;
    case 1700: return CUT_PGB_NUMERIC;
    case 2950: return CUT_PGB_UUID;
    case 3802: return CUT_PGB_JSONB;  /* a version byte, then the text */
    }
    return CUT_PGB_NONE;
}

static void be16(unsigned char *w, uint16_t v)
{
    w[0] = (unsigned char)(v >> 8);
    w[1] = (unsigned char)v;
}

static void be32(unsigned char *w, uint32_t v)
{
    be16(w, (uint16_t)(v >> 16));
    be16(w + 2, (uint16_t)v);
}

static void be64(unsigned char *w, uint64_t v)
{
    be32(w, (uint32_t)(v >> 32));
    be32(w + 4, (uint32_t)v);
}

/* Appends a field of n bytes and returns where they go (the length is written). */
static unsigned char *field(cut_buf *b, size_t n)
{
    if (n > INT32_MAX || cut_buf_reserve(b, 4 + n))
        return NULL;
    unsigned char *w = (unsigned char *)b->p + b->len;
    be32(w, (uint32_t)n);
    b->len += 4 + n;
    return w + 4;
}

int cut_pg_bin_row(cut_buf *b, int nfields)
{
    if (cut_buf_reserve(b, 2))
        return CUT_ENOMEM;
    be16((unsigned char *)b->p + b->len, (uint16_t)nfields);
    b->len += 2;
    return CUT_OK;
}

/* n digits at p as a number, or -1 when one is not a digit. */
static int64_t digits(const char *p, int n)
{
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        unsigned d = (unsigned)((unsigned char)p[i] - '0');
        if (d > 9)
            return -1;
        v = v * 10 + d;
    }
    return v;
}

/* Days from 2000-01-01 (PostgreSQL's epoch) of a canonical YYYY-MM-DD, or 0 (ok = 0). */
static int64_t pg_days(const char *p, int *ok)
{
    int64_t y = digits(p, 4), m = digits(p + 5, 2), d = digits(p + 8, 2);
    *ok = p[4] == '-' && p[7] == '-' && y >= 1 && m >= 1 && m <= 12 && d >= 1 &&
          d <= (int64_t)cut_days_in_month(y, (unsigned)m);
    return *ok ? cut_days_from_civil(y, (unsigned)m, (unsigned)d) - 10957 : 0;
}

/* Microseconds of a canonical HH:MM:SS[.f] that is exactly p/len, or -1. */
static int64_t pg_usecs(const char *p, size_t len, int allow24)
{
    if (len < 8 || p[2] != ':' || p[5] != ':')
        return -1;
    int64_t h = digits(p, 2), m = digits(p + 3, 2), s = digits(p + 6, 2), f = 0;
    if (h < 0 || m < 0 || s < 0 || m > 59 || s > 59 || h > 24 || (h == 24 && !allow24))
        return -1;
    if (len > 8) {
        size_t nf = len - 9;
        if (p[8] != '.' || nf < 1 || nf > 6 || (f = digits(p + 9, (int)nf)) < 0)
            return -1;
        for (size_t i = nf; i < 6; i++)
            f *= 10;
    }
    int64_t us = ((h * 60 + m) * 60 + s) * 1000000 + f;
    return h == 24 && us != INT64_C(86400000000) ? -1 : us;
}

/* The 4-digit group k of a decimal: int digits ip/ni then fraction fp/nf, grouped from
   the point (gi groups before it). */
static unsigned group(const char *ip, int ni, const char *fp, int nf, int gi, int k)
{
    unsigned v = 0;
    for (int j = 0; j < 4; j++) {
        int q = 4 * k + j, c = 0;
        if (k < gi) {
            int at = q - (4 * gi - ni);
            c = at >= 0 ? ip[at] - '0' : 0;
        } else {
            int at = q - 4 * gi;
            c = at < nf ? fp[at] - '0' : 0;
        }
        v = v * 10 + (unsigned)c;
    }
    return v;
}

/* numeric: ndigits, weight, sign, dscale, then base-10000 digits, all 16-bit. */
static int put_numeric(cut_buf *b, const char *p, size_t len)
{
    if (len == 3 && memcmp(p, "NaN", 3) == 0) {
        unsigned char *w = field(b, 8);
        if (!w)
            return CUT_ENOMEM;
        memset(w, 0, 8);
        be16(w + 4, 0xC000);
        return CUT_OK;
    }
    /* Infinity goes as text: a server before 14 then words its own refusal. */
    size_t i = 0;
    int neg = len > 0 && p[0] == '-';
    i += (size_t)neg;
    const char *ip = p + i;
    while (i < len && p[i] >= '0' && p[i] <= '9')
        i++;
    int ni = (int)(p + i - ip);
    const char *fp = p + i;
    int nf = 0;
    if (i < len && p[i] == '.') {
        fp = p + i + 1;
        for (i++; i < len && p[i] >= '0' && p[i] <= '9'; i++)
            nf++;
        if (nf == 0)
            return CUT_EDATA;
    }
    if (i != len || ni == 0 || nf > 16383 || ni > 131072)
        return CUT_EDATA;
    while (ni > 0 && *ip == '0') {
        ip++;
        ni--;
    }
    /* Every group once, then the zero groups at either end dropped. */
    int gi = (ni + 3) / 4, ng = gi + (nf + 3) / 4;
    unsigned char *w = field(b, 8 + 2 * (size_t)ng);
    if (!w)
        return CUT_ENOMEM;
    unsigned char *g = w + 8;
    int k0 = -1, k1 = -1;
    for (int k = 0; k < ng; k++) {
        unsigned v = group(ip, ni, fp, nf, gi, k);
        be16(g + 2 * k, (uint16_t)v);
        if (v) {
            k1 = k;
            if (k0 < 0)
                k0 = k;
        }
    }
    int nd = k0 >= 0 ? k1 - k0 + 1 : 0, weight = nd ? gi - 1 - k0 : 0;
    if (nd && k0)
        memmove(g, g + 2 * k0, 2 * (size_t)nd);
    b->len -= 2 * (size_t)(ng - nd);
    be32(w - 4, (uint32_t)(8 + 2 * nd));
    be16(w, (uint16_t)nd);
    be16(w + 2, (uint16_t)(int16_t)weight);
    be16(w + 4, neg && nd ? 0x4000 : 0);
    be16(w + 6, (uint16_t)nf);
    return CUT_OK;
}

static int put_uuid(cut_buf *b, const char *p, size_t len)
{
    if (len != 36)
        return CUT_EDATA;
    unsigned char u[16];
    int n = 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (p[i] != '-')
                return CUT_EDATA;
            continue;
        }
        int hi = hexval((unsigned char)p[i]), lo = hexval((unsigned char)p[i + 1]);
        if (hi < 0 || lo < 0)
            return CUT_EDATA;
        u[n++] = (unsigned char)(hi * 16 + lo);
        i++;
    }
    unsigned char *w = field(b, 16);
    if (!w)
        return CUT_ENOMEM;
    memcpy(w, u, 16);
    return CUT_OK;
}

static int put_int(cut_buf *b, int kind, const char *p, size_t len)
{
    int64_t v;
    if (cut_parse_int64(p, len, &v) || (len > 1 && (p[0] == '0' || p[0] == '+')))
        return CUT_EDATA;
    size_t n = kind == CUT_PGB_INT2 ? 2 : kind == CUT_PGB_INT8 ? 8 : 4;
    if ((kind == CUT_PGB_INT2 && (v < INT16_MIN || v > INT16_MAX)) ||
        (kind == CUT_PGB_INT4 && (v < INT32_MIN || v > INT32_MAX)) ||
        (kind == CUT_PGB_OID && (v < 0 || v > UINT32_MAX)))
        return CUT_EDATA;
    unsigned char *w = field(b, n);
    if (!w)
        return CUT_ENOMEM;
    if (n == 2)
        be16(w, (uint16_t)v);
    else if (n == 4)
        be32(w, (uint32_t)v);
    else
        be64(w, (uint64_t)v);
    return CUT_OK;
}

static int put_timestamp(cut_buf *b, int kind, const char *p, size_t len)
{
    int64_t us;
    if (len == 8 && memcmp(p, "infinity", 8) == 0) {
        us = INT64_MAX;
    } else if (len == 9 && memcmp(p, "-infinity", 9) == 0) {
        us = INT64_MIN;
    } else {
        if (kind == CUT_PGB_TIMESTAMPTZ) {
            if (len < 3 || memcmp(p + len - 3, "+00", 3) != 0)
                return CUT_EDATA;
            len -= 3;
        }
        int ok;
        int64_t days = len > 11 && p[10] == ' ' ? pg_days(p, &ok) : (ok = 0);
        int64_t t = ok ? pg_usecs(p + 11, len - 11, 0) : -1;
        if (t < 0)
            return CUT_EDATA;
        us = days * INT64_C(86400000000) + t;
    }
    unsigned char *w = field(b, 8);
    if (!w)
        return CUT_ENOMEM;
    be64(w, (uint64_t)us);
    return CUT_OK;
}

int cut_pg_bin_field(cut_buf *b, int kind, const cut_cell *v)
{
    if (cut_cell_is_null(v)) {
        if (cut_buf_reserve(b, 4))
            return CUT_ENOMEM;
        be32((unsigned char *)b->p + b->len, UINT32_MAX);
        b->len += 4;
        return CUT_OK;
    }
    const char *p = v->p;
    size_t len = v->len;
    unsigned char *w;
    switch (kind) {
    case CUT_PGB_RAW:
        if (!(w = field(b, len)))
            return CUT_ENOMEM;
        if (len)
            memcpy(w, p, len);
        return CUT_OK;
    case CUT_PGB_JSONB:
        if (!(w = field(b, len + 1)))
            return CUT_ENOMEM;
        w[0] = 1;
        if (len)
            memcpy(w + 1, p, len);
        return CUT_OK;
    case CUT_PGB_BOOL:
        if (len != 1 || (p[0] != 't' && p[0] != 'f'))
            return CUT_EDATA;
        if (!(w = field(b, 1)))
            return CUT_ENOMEM;
        w[0] = p[0] == 't';
        return CUT_OK;
    case CUT_PGB_INT2:
    case CUT_PGB_INT4:
    case CUT_PGB_INT8:
    case CUT_PGB_OID:
        return put_int(b, kind, p, len);
    case CUT_PGB_FLOAT4:
    case CUT_PGB_FLOAT8: {
        double d;
        if (cut_parse_double(p, len, kind == CUT_PGB_FLOAT4 ? 32 : 64, &d))
            return CUT_EDATA;
        if (!(w = field(b, kind == CUT_PGB_FLOAT4 ? 4 : 8)))
            return CUT_ENOMEM;
        if (kind == CUT_PGB_FLOAT4) {
            float f = (float)d;
            uint32_t u;
            memcpy(&u, &f, 4);
            be32(w, u);
        } else {
            uint64_t u;
            memcpy(&u, &d, 8);
            be64(w, u);
        }
        return CUT_OK;
    }
    case CUT_PGB_NUMERIC:
        return put_numeric(b, p, len);
    case CUT_PGB_DATE: {
        int64_t d;
        int ok = 1;
        if (len == 8 && memcmp(p, "infinity", 8) == 0)
            d = INT32_MAX;
        else if (len == 9 && memcmp(p, "-infinity", 9) == 0)
            d = INT32_MIN;
        else
            d = len == 10 ? pg_days(p, &ok) : (ok = 0);
        if (!ok)
            return CUT_EDATA;
        if (!(w = field(b, 4)))
            return CUT_ENOMEM;
        be32(w, (uint32_t)(int32_t)d);
        return CUT_OK;
    }
    case CUT_PGB_TIME: {
        int64_t us = pg_usecs(p, len, 1);
        if (us < 0)
            return CUT_EDATA;
        if (!(w = field(b, 8)))
            return CUT_ENOMEM;
        be64(w, (uint64_t)us);
        return CUT_OK;
    }
    case CUT_PGB_TIMESTAMP:
    case CUT_PGB_TIMESTAMPTZ:
        return put_timestamp(b, kind, p, len);
    case CUT_PGB_UUID:
        return put_uuid(b, p, len);
    }
    return CUT_EDATA;
}
