/*
 * buf.c — cut_buf, a growable byte buffer that callers reuse across values.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutover.h"

int cut_buf_reserve(cut_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return CUT_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2)
            return CUT_ENOMEM;
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p)
        return CUT_ENOMEM;
    b->p = p;
    b->cap = cap;
    return CUT_OK;
}

int cut_buf_append(cut_buf *b, const void *p, size_t n)
{
    if (cut_buf_reserve(b, n))
        return CUT_ENOMEM;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return CUT_OK;
}

int cut_buf_appendc(cut_buf *b, char c)
{
    if (b->len + 2 > b->cap && cut_buf_reserve(b, 1))
        return CUT_ENOMEM;
    b->p[b->len++] = c;
    b->p[b->len] = '\0';
    return CUT_OK;
}

int cut_buf_printf(cut_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return CUT_EINVAL;
    if (cut_buf_reserve(b, (size_t)n))
        return CUT_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return CUT_OK;
}

char *cut_buf_cstr(cut_buf *b)
{
    if (cut_buf_reserve(b, 0))
        return NULL;
    b->p[b->len] = '\0';
    return b->p;
}

void cut_buf_reset(cut_buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

void cut_buf_free(cut_buf *b)
{
    if (!b)
        return;
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
