/*
 * error.c — cut_error: a code, a message and context (table, column, key,
 * file:line:col), filled without allocating.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cutover.h"

static void copy_field(char *dst, size_t size, const char *src)
{
    if (!src) {
        dst[0] = '\0';
        return;
    }
    snprintf(dst, size, "%s", src);
}

void cut_error_clear(cut_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof(*err));
}

int cut_error_set(cut_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

int cut_error_prefix(cut_error *err, const char *fmt, ...)
{
    if (!err)
        return CUT_EINVAL;
    char old[sizeof(err->msg)];
    memcpy(old, err->msg, sizeof(old));
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof(err->msg) - 2) {
        size_t used = (size_t)n;
        memcpy(err->msg + used, ": ", 2);
        used += 2;
        size_t room = sizeof(err->msg) - used - 1, len = strlen(old);
        if (len > room)
            len = room;
        memcpy(err->msg + used, old, len);
        err->msg[used + len] = '\0';
    }
    return err->code;
}

void cut_error_set_table(cut_error *err, const char *table)
{
    if (err)
        copy_field(err->table, sizeof(err->table), table);
}

void cut_error_set_column(cut_error *err, const char *column)
{
    if (err)
        copy_field(err->column, sizeof(err->column), column);
}

void cut_error_set_key(cut_error *err, const char *key)
{
    if (err)
        copy_field(err->key, sizeof(err->key), key);
}

void cut_error_set_pos(cut_error *err, const char *file, long line, long col)
{
    if (!err)
        return;
    copy_field(err->file, sizeof(err->file), file);
    err->line = line;
    err->col = col;
}

const char *cut_error_format(const cut_error *err, char *buf, size_t size)
{
    size_t n = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        if (n < size) {                                                                            \
            int w_ = snprintf(buf + n, size - n, __VA_ARGS__);                                     \
            if (w_ > 0)                                                                            \
                n += (size_t)w_;                                                                   \
        }                                                                                          \
    } while (0)
    if (size == 0)
        return buf;
    buf[0] = '\0';
    if (err->file[0]) {
        PUT("%s", err->file);
        if (err->line > 0)
            PUT(":%ld", err->line);
        if (err->line > 0 && err->col > 0)
            PUT(":%ld", err->col);
        PUT(": ");
    }
    int ctx = 0;
    if (err->table[0]) {
        PUT("table %s", err->table);
        ctx = 1;
    }
    if (err->column[0]) {
        PUT("%scolumn %s", ctx ? ", " : "", err->column);
        ctx = 1;
    }
    if (err->key[0]) {
        PUT("%skey %s", ctx ? ", " : "", err->key);
        ctx = 1;
    }
    if (ctx)
        PUT(": ");
    PUT("%s", err->msg[0] ? err->msg : cut_strerror(err->code));
#undef PUT
    return buf;
}

const char *cut_strerror(int code)
{
    switch (code) {
    case CUT_OK: return "success";
    case CUT_EINVAL: return "invalid argument";
    case CUT_ENOMEM: return "out of memory";
    case CUT_EIO: return "input/output error";
    case CUT_ECONNECT: return "connection failed";
    case CUT_ESCHEMA: return "schema error";
    case CUT_EMAPPING: return "mapping error";
    case CUT_EDATA: return "data error";
    case CUT_ENOTFOUND: return "not found";
    case CUT_EUNSUPPORTED: return "unsupported";
    case CUT_ESERVER: return "server error";
    case CUT_EINTR: return "interrupted";
    case CUT_ECORRUPT: return "corrupt file";
    case CUT_ESTATE: return "refused in this state";
    case CUT_ERETRY:
        return "transient conflict";
    default: return "unknown error";
    }
}
