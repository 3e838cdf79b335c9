/*
 * drv_csv.c — the CSV source driver: a directory holding one <table>.csv per
 * table, each starting with a header row, parsed as RFC 4180 by libcsv
 * (docs/csv.md). Every column is text; a CSV file can only be a source.
 *
 * libcsv reports fields and records but not where they are in the file. The
 * reader below feeds it one physical line at a time (a piece ends at each CR
 * or LF), which buys two things:
 *  - it always knows the line a record starts on (b->pos, error messages);
 *  - a csv_parse call completes at most one record, because a record can only
 *    end at a line end, which is the last byte of a piece. So scan_next can
 *    stop exactly when the batch is full, with no overflow store.
 * Memory is the 64 KiB read buffer, libcsv's field buffer (as large as the
 * largest field) and the caller's batch: nothing grows with the file's length.
 */
#include <csv.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "driver.h"
#include "types.h"
#include "util.h"

#define CSV_CHUNK   ((size_t)64 * 1024) /* bytes read from the file at a time */
#define CSV_BLK_MIN 4096                /* smallest growth step of libcsv's field buffer */
#define CSV_OPTIONS (CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL)
#define CSV_EXT     ".csv"

typedef struct csv_conn {
    struct cut_conn base;
    char *dir; /* as given in the URL, without trailing slashes */
} csv_conn;

/* ------------------------------------------------------------- the reader */

/*
 * Reports an error at a place in a file. The place goes into err's file, line
 * and column, not into the message: cut_error_format renders the pair as
 * "dir/t.csv:5: record has 1 fields, header has 2". The file names the table,
 * so these errors do not add a table context too.
 */
static int file_error(cut_error *err, int code, const char *path, long line, long col,
                      const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int file_error(cut_error *err, int code, const char *path, long line, long col,
                      const char *fmt, ...)
{
    char msg[sizeof(err->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cut_error_set_pos(err, path, line, col);
    return cut_error_set(err, code, "%s", msg);
}

typedef struct csv_reader csv_reader;
/* Receives field idx (0-based) of the record being parsed; p == NULL for SQL NULL. */
typedef void (*csv_field_fn)(csv_reader *r, long idx, const char *p, size_t len);

struct csv_reader {
    FILE *fp;
    char *path; /* for messages */
    struct csv_parser parser;
    int parser_ready;
    char *buf;
    size_t len, pos; /* bytes in buf, and bytes of them already fed */
    int started;     /* the first chunk was read (the BOM is checked there) */
    int eof;         /* fread has returned 0 */
    int finished;    /* csv_fini was called */
    long line;       /* line of the next byte to feed (1-based) */
    long col;        /* bytes of that line already fed */
    int after_cr;    /* the last piece ended with CR: a following LF is the same line end */
    int in_record;   /* a record has begun and not ended */
    long rec_line;   /* the line where that record began */
    long nfields;    /* fields of that record so far */
    int64_t records; /* records completed */
    long done_line;  /* the last completed record: first line and number of fields */
    long done_nfields;
    uint64_t offset; /* bytes consumed from the file */
    csv_field_fn on_field;
    void *ud;
    cut_error *err; /* where callbacks report (set by reader_next) */
    int rc;         /* an error a callback raised */
};

/* Spaces are data: libcsv trims leading and trailing blanks unless told not to. */
static int csv_no_space(unsigned char c)
{
    CUT_UNUSED(c);
    return 0;
}

static void cb_field(void *p, size_t len, void *ud)
{
    csv_reader *r = ud;
    if (r->rc)
        return;
    if (r->on_field)
        r->on_field(r, r->nfields, p, len);
    r->nfields++;
}

static void cb_record(int c, void *ud)
{
    CUT_UNUSED(c);
    csv_reader *r = ud;
    r->done_line = r->rec_line;
    r->done_nfields = r->nfields;
    r->nfields = 0;
    r->in_record = 0;
    r->records++;
}

static void reader_close(csv_reader *r)
{
    if (r->fp)
        fclose(r->fp);
    if (r->parser_ready)
        csv_free(&r->parser);
    free(r->buf);
    free(r->path);
    memset(r, 0, sizeof(*r));
}

/* Opens path; a missing file is CUT_ENOTFOUND naming table. */
static int reader_open(csv_reader *r, const char *path, const char *table, cut_error *err)
{
    int rc = CUT_OK;
    memset(r, 0, sizeof(*r));
    r->line = 1;
    r->path = cut_strdup(path);
    r->buf = malloc(CSV_CHUNK);
    if (!r->path || !r->buf) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    if (csv_init(&r->parser, CSV_OPTIONS) != 0) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    r->parser_ready = 1;
    csv_set_space_func(&r->parser, csv_no_space);
    r->fp = fopen(path, "rb");
    if (!r->fp) {
        if (errno == ENOENT)
            rc = cut_error_set(err, CUT_ENOTFOUND, "table %s not found: no file %s", table, path);
        else
            rc = cut_error_set(err, CUT_EIO, "cannot open %s: %s", path, strerror(errno));
        goto done;
    }
done:
    if (rc)
        reader_close(r);
    return rc;
}

static int reader_fill(csv_reader *r, cut_error *err)
{
    size_t n = fread(r->buf, 1, CSV_CHUNK, r->fp);
    if (n == 0) {
        if (ferror(r->fp))
            return file_error(err, CUT_EIO, r->path, r->line, 0, "read failed: %s",
                              strerror(errno));
        r->eof = 1;
    }
    r->len = n;
    r->pos = 0;
    if (!r->started) {
        r->started = 1;
        /* A UTF-8 byte order mark is an encoding signature, not part of the first name. */
        if (n >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0) {
            r->pos = 3;
            r->offset = 3;
        }
    }
    return CUT_OK;
}

static int parse_error(csv_reader *r, const char *piece, size_t done)
{
    int code = csv_error(&r->parser);
    if (code == CSV_ENOMEM || code == CSV_ETOOBIG)
        return file_error(r->err, CUT_ENOMEM, r->path, r->line, 0, "out of memory for a field");
    long col = r->col + (long)done + 1;
    if (piece[done] == '"')
        return file_error(r->err, CUT_EDATA, r->path, r->line, col,
                          "malformed CSV: a quote inside an unquoted field (quote the whole "
                          "field and double the quote: \"a\"\"b\")");
    return file_error(r->err, CUT_EDATA, r->path, r->line, col,
                      "malformed CSV: text after the closing quote of a field (a quote inside "
                      "a quoted field must be doubled)");
}

/* Feeds libcsv the next piece: the buffered bytes up to and including the next CR or LF. */
static int reader_feed(csv_reader *r)
{
    const char *s = r->buf + r->pos;
    size_t avail = r->len - r->pos, n = avail;
    for (size_t i = 0; i < avail; i++) {
        if (s[i] == '\n' || s[i] == '\r') {
            n = i + 1;
            break;
        }
    }
    if (r->after_cr) {
        r->after_cr = 0;
        if (s[0] != '\n') { /* a bare CR ended the previous line */
            r->line++;
            r->col = 0;
        }
    }
    /* libcsv skips line ends between records, so only other bytes begin one. */
    if (!r->in_record && s[0] != '\n' && s[0] != '\r') {
        r->in_record = 1;
        r->rec_line = r->line;
    }
    /*
     * libcsv grows its field buffer by a fixed step; growing by the current
     * size instead keeps a multi-megabyte field from costing quadratic copying.
     */
    size_t cur = csv_get_buffer_size(&r->parser);
    csv_set_blk_size(&r->parser, cur > CSV_BLK_MIN ? cur : CSV_BLK_MIN);
    size_t done = csv_parse(&r->parser, s, n, cb_field, cb_record, r);
    if (r->rc)
        return r->rc;
    if (done != n || csv_error(&r->parser) != CSV_SUCCESS)
        return parse_error(r, s, done);
    r->pos += n;
    r->offset += n;
    if (s[n - 1] == '\n') {
        r->line++;
        r->col = 0;
    } else {
        r->after_cr = s[n - 1] == '\r';
        r->col += (long)n;
    }
    return CUT_OK;
}

/*
 * Parses until one more record is complete. Returns 1 (its fields went to
 * on_field; done_line and done_nfields describe it), 0 at the end of the
 * file, or an error.
 */
static int reader_next(csv_reader *r, cut_error *err)
{
    int64_t before = r->records;
    int rc;
    r->err = err;
    for (;;) {
        if (r->rc)
            return r->rc;
        if (r->records != before)
            return 1;
        if (r->pos < r->len) {
            rc = reader_feed(r);
            if (rc)
                return r->rc = rc;
            continue;
        }
        if (r->finished)
            return 0;
        if (!r->eof) {
            rc = reader_fill(r, err);
            if (rc)
                return r->rc = rc;
            continue;
        }
        /* End of file: the last record may lack its line end. */
        r->finished = 1;
        if (csv_fini(&r->parser, cb_field, cb_record, r) != 0)
            return r->rc = file_error(err, CUT_EDATA, r->path, r->rec_line, 0,
                                      "unterminated quoted field: the file ends inside the "
                                      "quotes of a field of the record starting on this line");
    }
}

/* ------------------------------------------------------------ the header */

typedef struct csv_header {
    char **names;
    long n, cap;
    long nul_col;     /* the first column whose name holds a NUL byte (1-based), or 0 */
    cut_encoding enc; /* of the names, as of the data (the mapping's source_encoding) */
    cut_buf utf8;     /* a name transcoded */
} csv_header;

static void header_free(csv_header *h)
{
    for (long i = 0; i < h->n; i++)
        free(h->names[i]);
    free(h->names);
    cut_buf_free(&h->utf8);
    memset(h, 0, sizeof(*h));
}

static void header_field(csv_reader *r, long idx, const char *p, size_t len)
{
    CUT_UNUSED(idx);
    csv_header *h = r->ud;
    if (h->n == h->cap) {
        long cap = h->cap ? h->cap * 2 : 16;
        char **names = realloc(h->names, sizeof(char *) * (size_t)cap);
        if (!names) {
            r->rc = cut_error_set(r->err, CUT_ENOMEM, "out of memory");
            return;
        }
        h->names = names;
        h->cap = cap;
    }
    /* A C string cannot hold the whole name: refused (read_header), never cut short. */
    if (p && !h->nul_col && memchr(p, '\0', len))
        h->nul_col = h->n + 1;
    /* Names are in the file's encoding, as its values are: the mapping (UTF-8) must be
       able to name a latin1 'café'. */
    const char *why = NULL;
    if (p && h->enc != CUT_ENC_UTF8) {
        int tr = cut_transcode_to_utf8(h->enc, p, len, &h->utf8, &why);
        if (tr == CUT_ENOMEM) {
            r->rc = cut_error_set(r->err, CUT_ENOMEM, "out of memory");
            return;
        }
        if (tr == CUT_EDATA) { /* a byte the encoding leaves undefined (cp1252 0x81) */
            r->rc = file_error(r->err, CUT_EDATA, r->path, 1, 0,
                               "column %ld of the header: its name cannot be read in the "
                               "mapping's source_encoding: %s",
                               h->n + 1, why);
            return;
        }
        if (tr == CUT_CANON_NEW) {
            p = h->utf8.p;
            len = h->utf8.len;
        }
    }
    /* An unquoted empty name arrives as NULL: for a name, it is simply empty. */
    char *name = p ? cut_strndup(p, len) : cut_strdup("");
    if (!name) {
        r->rc = cut_error_set(r->err, CUT_ENOMEM, "out of memory");
        return;
    }
    h->names[h->n++] = name;
}

/*
 * Reads the header record of an opened file into h and checks that every
 * name is non-empty, free of NUL bytes and unique (ignoring case, as SQL
 * identifiers compare).
 */
static int read_header(csv_reader *r, csv_header *h, cut_encoding enc, cut_error *err)
{
    memset(h, 0, sizeof(*h));
    h->enc = enc;
    r->on_field = header_field;
    r->ud = h;
    int rc = reader_next(r, err);
    r->on_field = NULL;
    r->ud = NULL;
    if (rc < 0)
        goto done;
    if (rc == 0) {
        rc = file_error(err, CUT_ESCHEMA, r->path, 1, 0,
                        "empty file: expected a header row naming the columns");
        goto done;
    }
    rc = CUT_OK;
    for (long i = 0; i < h->n && !rc; i++) {
        if (h->nul_col == i + 1) {
            rc = file_error(err, CUT_ESCHEMA, r->path, r->done_line, 0,
                            "column %ld of the header contains a NUL byte", i + 1);
            break;
        }
        if (!h->names[i][0]) {
            rc = file_error(err, CUT_ESCHEMA, r->path, r->done_line, 0,
                            "column %ld of the header has no name", i + 1);
            break;
        }
        for (long k = 0; k < i; k++) {
            if (strcasecmp(h->names[k], h->names[i]) == 0) {
                rc = file_error(err, CUT_ESCHEMA, r->path, r->done_line, 0,
                                "duplicate column name '%s' in the header (columns %ld and %ld; "
                                "names are compared ignoring case)",
                                h->names[i], k + 1, i + 1);
                break;
            }
        }
    }
done:
    if (rc)
        header_free(h);
    return rc;
}

/* --------------------------------------------------------- the connection */

static int csv_connect(const cut_url *url, int mode, cut_conn **out, cut_error *err)
{
    int rc = CUT_OK;
    csv_conn *c = NULL;
    *out = NULL;
    if (mode & CUT_OPEN_WRITE)
        return cut_error_set(err, CUT_EUNSUPPORTED, "csv: CSV files can only be a source");
    const char *path = url->path;
    struct stat st;
    if (!path || !*path)
        return cut_error_set(err, CUT_ECONNECT, "csv: no directory given (expected csv:DIR)");
    if (stat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return cut_error_set(err, CUT_ECONNECT, "csv: directory '%s' does not exist", path);
        return cut_error_set(err, CUT_ECONNECT, "csv: cannot open directory '%s': %s", path,
                             strerror(errno));
    }
    if (!S_ISDIR(st.st_mode))
        return cut_error_set(err, CUT_ECONNECT,
                             "csv: '%s' is not a directory (csv: takes a directory holding one "
                             "<table>.csv per table)",
                             path);
    DIR *d = opendir(path);
    if (!d)
        return cut_error_set(err, CUT_ECONNECT, "csv: cannot read directory '%s': %s", path,
                             strerror(errno));
    closedir(d);
    c = calloc(1, sizeof(*c));
    if (!c || !(c->dir = cut_strdup(path))) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    /* "dir/" and "dir" name the same files: keep messages free of "dir//t.csv". */
    for (size_t n = strlen(c->dir); n > 1 && c->dir[n - 1] == '/'; n--)
        c->dir[n - 1] = '\0';
    *out = &c->base;
done:
    if (rc && c) {
        free(c->dir);
        free(c);
    }
    return rc;
}

static void csv_disconnect(cut_conn *conn)
{
    csv_conn *c = (csv_conn *)conn;
    if (!c)
        return;
    free(c->dir);
    free(c);
}

/* Sets *path to the file of table name (caller frees). */
static int table_path(csv_conn *c, const char *name, char **path, cut_error *err)
{
    *path = NULL;
    if (!name || !*name || strchr(name, '/')) {
        return cut_error_set(err, CUT_ENOTFOUND,
                             "table '%s' not found: a CSV table name is a file name without '/'",
                             name ? name : "");
    }
    *path = strcmp(c->dir, "/") == 0 ? cut_asprintf("/%s" CSV_EXT, name)
                                     : cut_asprintf("%s/%s" CSV_EXT, c->dir, name);
    if (!*path)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    return CUT_OK;
}

static int csv_describe(cut_conn *conn, const char *name, cut_table **out, cut_error *err)
{
    csv_conn *c = (csv_conn *)conn;
    csv_reader r = {0};
    csv_header h = {0};
    cut_table *t = NULL;
    int rc = CUT_OK;
    *out = NULL;
    char *path = NULL;
    const cut_type text = {.kind = CUT_T_TEXT, .length = 0};
    rc = table_path(c, name, &path, err);
    if (rc)
        goto done;
    rc = reader_open(&r, path, name, err);
    if (rc)
        goto done;
    rc = read_header(&r, &h, (cut_encoding)c->base.names_encoding, err);
    if (rc)
        goto done;
    t = calloc(1, sizeof(*t));
    if (!t || !(t->name = cut_strdup(name))) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    for (long i = 0; i < h.n; i++) {
        int k = cut_table_add_column(t, h.names[i], "text", text);
        if (k < 0) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
    }
    *out = t;
    t = NULL;
done:
    cut_table_free(t);
    header_free(&h);
    reader_close(&r);
    free(path);
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int csv_list_tables(cut_conn *conn, char ***names, int *n, cut_error *err)
{
    csv_conn *c = (csv_conn *)conn;
    char **list = NULL;
    int count = 0, cap = 0, rc = CUT_OK;
    char *path = NULL;
    *names = NULL;
    *n = 0;
    DIR *d = opendir(c->dir);
    if (!d)
        return cut_error_set(err, CUT_EIO, "csv: cannot read directory '%s': %s", c->dir,
                             strerror(errno));
    const size_t extlen = strlen(CSV_EXT);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        /* Like the shell's *.csv: hidden files are not tables. */
        if (e->d_name[0] == '.' || len <= extlen || strcmp(e->d_name + len - extlen, CSV_EXT) != 0)
            continue;
        free(path);
        path = cut_asprintf("%s/%s", c->dir, e->d_name);
        struct stat st;
        if (!path) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            char **l = realloc(list, sizeof(char *) * (size_t)cap);
            if (!l) {
                rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
                goto done;
            }
            list = l;
        }
        if (!(list[count] = cut_strndup(e->d_name, len - extlen))) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
        count++;
    }
    if (count > 1)
        qsort(list, (size_t)count, sizeof(char *), name_cmp);
    *names = list;
    *n = count;
    list = NULL;
done:
    if (list) {
        for (int i = 0; i < count; i++)
            free(list[i]);
        free(list);
    }
    free(path);
    closedir(d);
    return rc;
}

static int csv_count_rows(cut_conn *conn, const cut_table *t, int64_t *rows, cut_error *err)
{
    csv_reader r = {0};
    int64_t n = 0;
    int rc;
    *rows = 0;
    char *path = NULL;
    rc = table_path((csv_conn *)conn, t->name, &path, err);
    if (rc == CUT_OK)
        rc = reader_open(&r, path, t->name, err);
    while (rc == CUT_OK) {
        rc = reader_next(&r, err);
        if (rc != 1)
            break;
        n++;
        rc = CUT_OK;
    }
    if (rc == 0)
        *rows = n > 0 ? n - 1 : 0; /* the first record is the header */
    reader_close(&r);
    free(path);
    return rc;
}

static int csv_estimate_rows(cut_conn *conn, const cut_table *t, int64_t *rows, cut_error *err)
{
    csv_reader r = {0};
    int64_t n = 0;
    uint64_t data_start = 0;
    struct stat st;
    int rc;
    *rows = 0;
    char *path = NULL;
    rc = table_path((csv_conn *)conn, t->name, &path, err);
    if (rc == CUT_OK)
        rc = reader_open(&r, path, t->name, err);
    if (rc)
        goto done;
    if (fstat(fileno(r.fp), &st) != 0) {
        rc = cut_error_set(err, CUT_EIO, "cannot read %s: %s", path, strerror(errno));
        goto done;
    }
    rc = reader_next(&r, err); /* the header */
    if (rc <= 0)
        goto done;
    data_start = r.offset;
    /* Sample about 64 KiB of records; a short file is simply counted. */
    while (r.offset - data_start < CSV_CHUNK && (rc = reader_next(&r, err)) == 1)
        n++;
    if (rc < 0)
        goto done;
    if (rc == 0 || n == 0) {
        *rows = n;
    } else {
        double avg = (double)(r.offset - data_start) / (double)n;
        double est = (double)((uint64_t)st.st_size - data_start) / avg;
        *rows = est < (double)n ? n : (int64_t)(est + 0.5);
    }
    rc = CUT_OK;
done:
    reader_close(&r);
    free(path);
    return rc < 0 ? rc : CUT_OK;
}

static int csv_begin_read(cut_conn *conn, cut_error *err)
{
    /* Files have no transactions: a consistent view is the caller's business. */
    CUT_UNUSED(conn);
    CUT_UNUSED(err);
    return CUT_OK;
}

static void csv_end_read(cut_conn *conn)
{
    CUT_UNUSED(conn);
}

/* --------------------------------------------------------------- scanning */

typedef struct csv_scan {
    struct cut_scan base;
    csv_reader r;
    char *table;
    long nfile;     /* fields per record, as in the header */
    int nout;       /* columns the batches carry */
    int *field_out; /* per file field: the first output column it fills, or -1 */
    int *out_first; /* per output column: the first output column of the same field */
    cut_batch *b;   /* the batch being filled */
    int failed;     /* the scan hit an error: repeat it */
    cut_error saved;
} csv_scan;

static void scan_field(csv_reader *r, long idx, const char *p, size_t len)
{
    csv_scan *s = r->ud;
    if (idx >= s->nfile || s->field_out[idx] < 0)
        return; /* an extra field is reported once the record is complete */
    int row = s->b->nrows, c = s->field_out[idx];
    if (!p) {
        cut_batch_set_null(s->b, row, c);
        return;
    }
    if (len > UINT32_MAX) {
        r->rc = file_error(r->err, CUT_EDATA, r->path, r->rec_line, 0,
                           "field %ld is larger than 4 GiB", idx + 1);
        return;
    }
    if (cut_batch_set_copy(s->b, row, c, p, len) != CUT_OK)
        r->rc = cut_error_set(r->err, CUT_ENOMEM, "out of memory");
}

static void csv_scan_close(cut_scan *scan)
{
    csv_scan *s = (csv_scan *)scan;
    if (!s)
        return;
    reader_close(&s->r);
    free(s->table);
    free(s->field_out);
    free(s->out_first);
    free(s);
}

static int csv_scan_open(cut_conn *conn, const cut_table *t, const cut_scan_opts *o, cut_scan **out,
                         cut_error *err)
{
    csv_scan *s = NULL;
    csv_header h = {0};
    char *path = NULL;
    int rc = CUT_OK;
    *out = NULL;
    if (o && (o->order || o->norder > 0 || o->has_lo || o->has_hi)) {
        rc = cut_error_set(err, CUT_EUNSUPPORTED, "CSV files cannot be read in key order");
        cut_error_set_table(err, t->name);
        return rc;
    }
    int nout = o && o->cols ? o->ncols : t->ncols;
    for (int j = 0; o && o->cols && j < nout; j++) {
        if (o->cols[j] < 0 || o->cols[j] >= t->ncols) {
            cut_error_set_table(err, t->name);
            return cut_error_set(err, CUT_EINVAL, "csv: column index %d out of range (0..%d)",
                                 o->cols[j], t->ncols - 1);
        }
    }
    s = calloc(1, sizeof(*s));
    if (!s || !(s->table = cut_strdup(t->name)) ||
        !(s->field_out = malloc(sizeof(int) * (size_t)(t->ncols ? t->ncols : 1))) ||
        !(s->out_first = malloc(sizeof(int) * (size_t)(nout ? nout : 1)))) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    s->base.drv = &cut_driver_csv;
    s->nfile = t->ncols;
    s->nout = nout;
    for (int i = 0; i < t->ncols; i++)
        s->field_out[i] = -1;
    for (int j = 0; j < nout; j++) {
        int f = o && o->cols ? o->cols[j] : j;
        if (s->field_out[f] < 0)
            s->field_out[f] = j;
        s->out_first[j] = s->field_out[f];
    }
    rc = table_path((csv_conn *)conn, t->name, &path, err);
    if (rc)
        goto done;
    rc = reader_open(&s->r, path, t->name, err);
    if (rc)
        goto done;
    rc = read_header(&s->r, &h, (cut_encoding)conn->names_encoding, err);
    if (rc)
        goto done;
    /* The batches' columns are positions in t: the file must still say the same. */
    int same = h.n == t->ncols;
    for (long i = 0; same && i < h.n; i++)
        same = strcmp(h.names[i], t->cols[i].name) == 0;
    if (!same) {
        rc = file_error(err, CUT_ESCHEMA, path, s->r.done_line, 0,
                        "the header row changed since the table was described (now %ld "
                        "columns, expected %d)",
                        h.n, t->ncols);
        goto done;
    }
    s->r.on_field = scan_field;
    s->r.ud = s;
    *out = &s->base;
    s = NULL;
done:
    csv_scan_close(s ? &s->base : NULL);
    header_free(&h);
    free(path);
    return rc;
}

static int csv_scan_next(cut_scan *scan, cut_batch *b, cut_error *err)
{
    csv_scan *s = (csv_scan *)scan;
    int rc = CUT_OK;
    if (s->failed) {
        if (err)
            *err = s->saved;
        return s->saved.code;
    }
    if (b->ncols != s->nout) {
        cut_error_set_table(err, s->table);
        return cut_error_set(err, CUT_EINVAL, "csv: batch has %d columns, the scan reads %d",
                             b->ncols, s->nout);
    }
    cut_batch_reset(b);
    s->b = b;
    while (b->nrows < b->cap) {
        rc = reader_next(&s->r, err);
        if (rc == 0)
            break;
        if (rc < 0)
            goto done;
        rc = CUT_OK;
        if (s->r.done_nfields != s->nfile) {
            rc = file_error(err, CUT_EDATA, s->r.path, s->r.done_line, 0,
                            "record has %ld fields, header has %ld", s->r.done_nfields, s->nfile);
            goto done;
        }
        cut_cell *row = cut_batch_row(b, b->nrows);
        for (int j = 0; j < s->nout; j++)
            if (s->out_first[j] != j)
                row[j] = row[s->out_first[j]]; /* a column selected twice */
        b->pos[b->nrows] = (uint64_t)s->r.done_line;
        b->nrows++;
    }
done:
    s->b = NULL;
    if (rc < 0) {
        b->nrows = 0;
        s->failed = 1;
        if (err)
            s->saved = *err;
        else
            s->saved.code = rc;
        return rc;
    }
    return CUT_OK;
}

const cut_driver cut_driver_csv = {
    .version = 1,
    .scheme = "csv",
    .name = "CSV",
    .caps = CUT_DRV_SOURCE,
    .connect = csv_connect,
    .disconnect = csv_disconnect,
    .describe = csv_describe,
    .list_tables = csv_list_tables,
    .estimate_rows = csv_estimate_rows,
    .count_rows = csv_count_rows,
    .begin_read = csv_begin_read,
    .end_read = csv_end_read,
    .scan_open = csv_scan_open,
    .scan_next = csv_scan_next,
    .scan_close = csv_scan_close,
    .load_open = NULL,
    .load_rows = NULL,
    .load_commit = NULL,
    .load_abort = NULL,
    .exec = NULL,
};
