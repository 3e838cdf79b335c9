/*
 * fuzz_csv.c — libFuzzer target for the CSV source driver (lib/drv_csv.c),
 * through the driver interface as the pipeline uses it.
 *
 * The driver reads files only (a csv: URL names a directory), so each input is
 * written to t.csv in a directory private to this process, created once under
 * /dev/shm when it exists (no disk I/O per run), else $TMPDIR or /tmp, and
 * removed at exit.
 *
 * Input: byte 0, bit 0 set: the file starts with 65535 - byte 1 bytes of 'P'
 * (they prefix the first header name), so that the 64 KiB read buffer ends
 * byte 1 + 1 bytes into the rest: line ends, quotes and CRLF pairs split
 * across reads are reached with small inputs. The rest of the input is the
 * rest of the file.
 *
 * Properties, besides "no crash, no leak, no undefined behaviour":
 *  - the driver agrees with a reference reader written here from docs/csv.md
 *    and libcsv's rules (strict RFC 4180, CR, LF or CRLF line ends, blank
 *    lines skipped, unquoted empty = NULL, quoted empty = '', spaces kept, a
 *    leading UTF-8 BOM dropped; header names non-empty, without NUL bytes and
 *    unique ignoring case):
 *    same header, same cells, the same line for every row, and the same
 *    failure (code, line, column) at the same place;
 *  - scanning with batches of 1 row and of 7 rows yields the same rows and
 *    the same error: a record never depends on where a batch boundary fell;
 *  - a scan of the columns (last, first, last) — reordered and repeated —
 *    gives exactly those cells of the full scan;
 *  - when the scan succeeds, count_rows equals the rows it delivered and
 *    estimate_rows succeeds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "driver.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHUNK 65536 /* the driver's read buffer (CSV_CHUNK in lib/drv_csv.c) */

static char dir[256];
static char file[300];
static cut_conn *conn;
static cut_batch *kept[3];
static int kept_cols[3];
static char *padded; /* CHUNK bytes of 'P' then the input */

static void cleanup(void)
{
    for (int i = 0; i < 3; i++)
        cut_batch_free(kept[i]);
    cut_disconnect(conn);
    conn = NULL;
    free(padded);
    if (file[0])
        unlink(file);
    if (dir[0])
        rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *base = getenv("TMPDIR");
    if (access("/dev/shm", W_OK) == 0)
        base = "/dev/shm";
    snprintf(dir, sizeof(dir), "%s/cutover-fuzz-csv.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir))
        abort();
    snprintf(file, sizeof(file), "%s/t.csv", dir);
    atexit(cleanup);
    char url[300];
    snprintf(url, sizeof(url), "csv:%s", dir);
    cut_error err;
    cut_error_clear(&err);
    if (cut_connect(url, CUT_OPEN_READ, &conn, &err) != CUT_OK)
        abort();
    return 0;
}

/* --------------------------------------------------------- the reference */

enum {
    REF_OK = 0,
    REF_PARSE,
    REF_UNTERMINATED,
    REF_EMPTY,
    REF_NUL_NAME,
    REF_NONAME,
    REF_DUPNAME,
    REF_NFIELDS
};

typedef struct ref {
    cut_buf rows; /* data records, serialized as serialize() does */
    int64_t nrows;
    long ncols;     /* fields of the header */
    int error;      /* REF_* */
    long line, col; /* where, as the driver reports it */
    /* the record being read */
    cut_buf field;
    int quoted;
    cut_buf names; /* header names, NUL-separated, as C strings */
    long nul_col;  /* the first header name holding a NUL byte (1-based), or 0 */
    cut_buf rec;   /* this record's serialized cells */
    long nfields;
    long rec_line;
    int64_t nrec;
} ref;

static void put_u32(cut_buf *b, uint32_t v)
{
    if (cut_buf_append(b, &v, sizeof(v)))
        abort();
}

static void ref_field(ref *r, int null)
{
    if (r->nrec == 0) {
        /* A header name, kept as a C string: one holding a NUL byte is refused. */
        size_t n = null ? 0 : strnlen(r->field.p ? r->field.p : "", r->field.len);
        if (!null && n < r->field.len && !r->nul_col)
            r->nul_col = r->nfields + 1;
        if (cut_buf_append(&r->names, r->field.p, n) || cut_buf_appendc(&r->names, '\0'))
            abort();
    } else {
        put_u32(&r->rec, null ? UINT32_MAX : (uint32_t)r->field.len);
        if (!null && cut_buf_append(&r->rec, r->field.p, r->field.len))
            abort();
    }
    r->nfields++;
    cut_buf_reset(&r->field);
}

/* A record ended; 0, or an error that stops the reading. */
static int ref_record(ref *r)
{
    if (r->nrec++ == 0) {
        r->ncols = r->nfields;
        const char *p = r->names.p;
        for (long i = 0; i < r->ncols; i++) {
            if (r->nul_col == i + 1) {
                r->error = REF_NUL_NAME;
                break;
            }
            if (!*p) {
                r->error = REF_NONAME;
                break;
            }
            const char *q = r->names.p;
            for (long k = 0; k < i; k++, q += strlen(q) + 1) {
                if (strcasecmp(p, q) == 0) {
                    r->error = REF_DUPNAME;
                    break;
                }
            }
            if (r->error)
                break;
            p += strlen(p) + 1;
        }
        if (r->error) {
            r->line = r->rec_line;
            r->col = 0;
        }
    } else if (r->nfields != r->ncols) {
        r->error = REF_NFIELDS;
        r->line = r->rec_line;
        r->col = 0;
    } else {
        uint64_t pos = (uint64_t)r->rec_line;
        if (cut_buf_append(&r->rows, &pos, sizeof(pos)) ||
            cut_buf_append(&r->rows, r->rec.p, r->rec.len))
            abort();
        r->nrows++;
    }
    cut_buf_reset(&r->rec);
    r->nfields = 0;
    return r->error;
}

/* Reads the file's bytes p/n as the driver should. */
static void ref_read(ref *r, const char *p, size_t n)
{
    enum { ROW_NOT_BEGUN, FIELD_NOT_BEGUN, FIELD_BEGUN, FIELD_MIGHT_HAVE_ENDED } st = ROW_NOT_BEGUN;
    size_t i = 0, line_start = 0;
    long line = 1;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        i = line_start = 3;
    for (; i < n; i++) {
        char c = p[i];
        int term = c == '\n' || c == '\r';
        switch (st) {
        case ROW_NOT_BEGUN:
        case FIELD_NOT_BEGUN:
            if (st == ROW_NOT_BEGUN && !term)
                r->rec_line = line;
            if (term) {
                if (st == FIELD_NOT_BEGUN) {
                    ref_field(r, 1);
                    if (ref_record(r))
                        return;
                    st = ROW_NOT_BEGUN;
                }
            } else if (c == ',') {
                ref_field(r, 1);
                st = FIELD_NOT_BEGUN;
            } else if (c == '"') {
                r->quoted = 1;
                st = FIELD_BEGUN;
            } else {
                r->quoted = 0;
                if (cut_buf_appendc(&r->field, c))
                    abort();
                st = FIELD_BEGUN;
            }
            break;
        case FIELD_BEGUN:
            if (c == '"') {
                if (!r->quoted)
                    goto parse_error;
                st = FIELD_MIGHT_HAVE_ENDED;
            } else if (!r->quoted && (c == ',' || term)) {
                ref_field(r, 0);
                if (term) {
                    if (ref_record(r))
                        return;
                    st = ROW_NOT_BEGUN;
                } else {
                    st = FIELD_NOT_BEGUN;
                }
            } else if (cut_buf_appendc(&r->field, c)) {
                abort();
            }
            break;
        case FIELD_MIGHT_HAVE_ENDED:
            if (c == '"') { /* a doubled quote */
                if (cut_buf_appendc(&r->field, '"'))
                    abort();
                st = FIELD_BEGUN;
            } else if (c == ',' || term) {
                ref_field(r, 0);
                if (term) {
                    if (ref_record(r))
                        return;
                    st = ROW_NOT_BEGUN;
                } else {
                    st = FIELD_NOT_BEGUN;
                }
            } else {
                goto parse_error;
            }
            break;
        }
        if (c == '\n' || (c == '\r' && (i + 1 == n || p[i + 1] != '\n'))) {
            line++;
            line_start = i + 1;
        }
        continue;
    parse_error:
        r->error = REF_PARSE;
        r->line = line;
        r->col = (long)(i - line_start) + 1;
        return;
    }
    /* End of file: the last record may lack its line end. */
    if (st == FIELD_BEGUN && r->quoted) {
        r->error = REF_UNTERMINATED;
        r->line = r->rec_line;
        r->col = 0;
        return;
    }
    if (st != ROW_NOT_BEGUN) {
        ref_field(r, st == FIELD_NOT_BEGUN);
        if (ref_record(r))
            return;
    }
    if (r->nrec == 0) {
        r->error = REF_EMPTY;
        r->line = 1;
        r->col = 0;
    }
}

static void ref_free(ref *r)
{
    cut_buf_free(&r->rows);
    cut_buf_free(&r->field);
    cut_buf_free(&r->names);
    cut_buf_free(&r->rec);
}

/* ------------------------------------------------------------ the driver */

/* Appends the rows of b to s: line, then per cell UINT32_MAX for NULL, or length and bytes. */
static void serialize(cut_buf *s, const cut_batch *b)
{
    for (int r = 0; r < b->nrows; r++) {
        if (cut_buf_append(s, &b->pos[r], sizeof(b->pos[r])))
            abort();
        const cut_cell *row = cut_batch_crow(b, r);
        for (int c = 0; c < b->ncols; c++) {
            uint32_t len = cut_cell_is_null(&row[c]) ? UINT32_MAX : row[c].len;
            if (len != UINT32_MAX && !row[c].p)
                abort();
            put_u32(s, len);
            if (len != UINT32_MAX && cut_buf_append(s, row[c].p, len))
                abort();
        }
    }
}

/*
 * Batches are kept from one input to the next (one per batch size), as the
 * pipeline reuses its batches: a new 256 KiB arena per scan would make ASan
 * map and unmap memory all the time. A kept batch serves any input with at
 * most as many columns as it was made for; ncols is set to the scan's.
 */
static cut_batch *batch_for(int slot, int ncols, int cap)
{
    if (!kept[slot] || kept_cols[slot] < ncols || kept[slot]->cap != cap) {
        cut_batch_free(kept[slot]);
        kept_cols[slot] = ncols > 64 ? ncols : 64;
        kept[slot] = cut_batch_new(kept_cols[slot], cap);
        if (!kept[slot])
            abort();
    }
    kept[slot]->ncols = ncols;
    return kept[slot];
}

typedef struct scan_result {
    cut_buf rows; /* serialized */
    int64_t nrows;
    int rc;
    cut_error err;
} scan_result;

/* Scans cols (NULL: all) of t in batches of cap rows (kept batch slot) into res. */
static void scan_all(const cut_table *t, const int *cols, int ncols, int cap, int slot,
                     scan_result *res)
{
    memset(res, 0, sizeof(*res));
    cut_error_clear(&res->err);
    cut_scan_opts o;
    memset(&o, 0, sizeof(o));
    o.cols = cols;
    o.ncols = ncols;
    cut_scan *scan = NULL;
    res->rc = conn->drv->scan_open(conn, t, cols ? &o : NULL, &scan, &res->err);
    if (res->rc)
        return;
    cut_batch *b = batch_for(slot, cols ? ncols : t->ncols, cap);
    for (;;) {
        int rc = conn->drv->scan_next(scan, b, &res->err);
        if (rc) {
            /* An error repeats, and leaves no rows behind. */
            cut_error again;
            cut_error_clear(&again);
            if (b->nrows != 0 || conn->drv->scan_next(scan, b, &again) != rc ||
                strcmp(again.msg, res->err.msg) != 0)
                abort();
            res->rc = rc;
            break;
        }
        if (b->nrows == 0)
            break;
        if (b->nrows > cap)
            abort();
        serialize(&res->rows, b);
        res->nrows += b->nrows;
    }
    conn->drv->scan_close(scan);
}

static void same_error(const scan_result *a, const scan_result *b)
{
    if (a->rc != b->rc || strcmp(a->err.msg, b->err.msg) != 0 || a->err.line != b->err.line)
        abort();
}

/* The driver's error err (code rc) is the one the reference found. */
static void expect_error(const ref *r, int rc, const cut_error *err)
{
    int code = r->error == REF_PARSE || r->error == REF_UNTERMINATED || r->error == REF_NFIELDS
                   ? CUT_EDATA
                   : CUT_ESCHEMA;
    if (rc != code || err->line != r->line || err->col != r->col || !err->msg[0])
        abort();
}

/* The scan of columns (last, first, last) holds those cells of the full scan. */
static void check_selection(const cut_table *t, const scan_result *all, const scan_result *sel,
                            const int *cols)
{
    if (sel->nrows != all->nrows)
        abort();
    const char *a = all->rows.p, *s = sel->rows.p;
    const char **cell = malloc(sizeof(char *) * (size_t)t->ncols);
    uint32_t *len = malloc(sizeof(uint32_t) * (size_t)t->ncols);
    if (!cell || !len)
        abort();
    for (int64_t r = 0; r < all->nrows; r++) {
        if (memcmp(a, s, sizeof(uint64_t)) != 0)
            abort();
        a += sizeof(uint64_t);
        s += sizeof(uint64_t);
        for (int c = 0; c < t->ncols; c++) {
            memcpy(&len[c], a, sizeof(uint32_t));
            cell[c] = a;
            a += sizeof(uint32_t) + (len[c] == UINT32_MAX ? 0 : len[c]);
        }
        for (int k = 0; k < 3; k++) {
            size_t n = sizeof(uint32_t) + (len[cols[k]] == UINT32_MAX ? 0 : len[cols[k]]);
            if (memcmp(s, cell[cols[k]], n) != 0)
                abort();
            s += n;
        }
    }
    free(cell);
    free(len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    if ((data[0] & 1) && size >= 2) {
        size_t pad = CHUNK - 1 - data[1];
        if (!padded && !(padded = malloc(CHUNK + 8192)))
            abort();
        len = size - 2;
        if (len > 8192)
            return 0;
        memset(padded, 'P', pad);
        memcpy(padded + pad, data + 2, len);
        text = padded;
        len += pad;
    }
    FILE *f = fopen(file, "wb");
    if (!f || (len && fwrite(text, 1, len, f) != len) || fclose(f) != 0)
        abort();

    ref r;
    memset(&r, 0, sizeof(r));
    ref_read(&r, text, len);

    cut_error err;
    cut_error_clear(&err);
    cut_table *t = NULL;
    int rc = cut_describe(conn, "t", &t, &err);
    if (rc) {
        /* The header record is bad: the reference stopped there too. */
        if (t || r.nrec > 1 || r.error == REF_OK || r.error == REF_NFIELDS)
            abort();
        expect_error(&r, rc, &err);
        ref_free(&r);
        return 0;
    }
    if (t->ncols < 1 || t->ncols != r.ncols)
        abort();
    const char *name = r.names.p;
    for (int i = 0; i < t->ncols; i++, name += strlen(name) + 1)
        if (strcmp(t->cols[i].name, name) != 0)
            abort();

    scan_result one, seven, sel;
    scan_all(t, NULL, 0, 1, 0, &one);
    scan_all(t, NULL, 0, 7, 1, &seven);
    same_error(&one, &seven);
    if (one.rc == CUT_OK) {
        if (r.error != REF_OK)
            abort();
    } else {
        expect_error(&r, one.rc, &one.err);
    }
    if (one.nrows != r.nrows || one.rows.len != r.rows.len ||
        (r.rows.len && memcmp(one.rows.p, r.rows.p, r.rows.len) != 0))
        abort();
    if (seven.rows.len > one.rows.len ||
        (seven.rows.len && memcmp(seven.rows.p, one.rows.p, seven.rows.len) != 0))
        abort();
    if (one.rc == CUT_OK && (seven.nrows != one.nrows || seven.rows.len != one.rows.len))
        abort();

    int cols[3] = {t->ncols - 1, 0, t->ncols - 1};
    scan_all(t, cols, 3, 3, 2, &sel);
    same_error(&one, &sel);
    if (sel.rc == CUT_OK)
        check_selection(t, &one, &sel, cols);

    if (one.rc == CUT_OK) {
        int64_t n = -1;
        cut_error_clear(&err);
        if (conn->drv->count_rows(conn, t, &n, &err) != CUT_OK || n != one.nrows)
            abort();
        cut_error_clear(&err);
        if (conn->drv->estimate_rows(conn, t, &n, &err) != CUT_OK || n < 0)
            abort();
    }
    cut_buf_free(&one.rows);
    cut_buf_free(&seven.rows);
    cut_buf_free(&sel.rows);
    cut_table_free(t);
    ref_free(&r);
    return 0;
}
