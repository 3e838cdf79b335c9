/*
 * pg_copy.c — the PostgreSQL COPY text codec (see pg_copy.h): splitting and
 * unescaping the rows COPY TO sends, escaping the fields COPY FROM receives,
 * and bytea hex text. Rows are decoded in place, so a scan copies each row
 * once (into its batch arena) and allocates nothing per cell.
 */
#include <string.h>

#include "pg_copy.h"

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
