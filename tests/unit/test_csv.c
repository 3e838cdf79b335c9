/*
 * test_csv.c — the CSV source driver: the csv-spectrum acid tests
 * (fixtures/csv-spectrum), our own dialect cases (BOM, NULL versus "", line
 * numbers, errors), a multi-megabyte field, and a 200,000-record file read
 * with different batch sizes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver.h"
#include "util.h"

#ifndef CUT_SRCDIR
#define CUT_SRCDIR "."
#endif

#define SPECTRUM_DIR CUT_SRCDIR "/fixtures/csv-spectrum"

/* ------------------------------------------------------------ helpers */

typedef struct tmp {
    char dir[64];
} tmp;

static int setup_tmp(void **state)
{
    tmp *t = calloc(1, sizeof(*t));
    if (!t)
        return -1;
    snprintf(t->dir, sizeof(t->dir), "/tmp/cut_test_csv_XXXXXX");
    if (!mkdtemp(t->dir)) {
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int teardown_tmp(void **state)
{
    tmp *t = *state;
    remove_tree(t->dir);
    free(t);
    return 0;
}

static void write_bytes(const char *dir, const char *file, const void *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void write_str(const char *dir, const char *file, const char *s)
{
    write_bytes(dir, file, s, strlen(s));
}

/* err as the user sees it: "file:line:col: table: message". */
static const char *fmt(const cut_error *err)
{
    static char buf[2048];
    return cut_error_format(err, buf, sizeof(buf));
}

static cut_conn *connect_dir(const char *dir)
{
    char url[600];
    snprintf(url, sizeof(url), "csv:%s", dir);
    cut_error err = {0};
    cut_error_clear(&err);
    cut_conn *c = NULL;
    int rc = cut_connect(url, CUT_OPEN_READ, &c, &err);
    if (rc)
        fail_msg("connect %s: %s", url, err.msg);
    return c;
}

/* Every row of a scan, cells as NUL-terminated copies (NULL for SQL NULL). */
typedef struct rows {
    int nrows, ncols, cap;
    char **cell;
    size_t *len;
    uint64_t *pos;
} rows;

static void rows_free(rows *r)
{
    for (int i = 0; i < r->nrows * r->ncols; i++)
        free(r->cell[i]);
    free(r->cell);
    free(r->len);
    free(r->pos);
    memset(r, 0, sizeof(*r));
}

static void rows_add(rows *r, const cut_batch *b, int row)
{
    if (r->nrows == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->cell = realloc(r->cell, sizeof(char *) * (size_t)(r->cap * r->ncols + 1));
        r->len = realloc(r->len, sizeof(size_t) * (size_t)(r->cap * r->ncols + 1));
        r->pos = realloc(r->pos, sizeof(uint64_t) * (size_t)r->cap);
        assert_non_null(r->cell);
        assert_non_null(r->len);
        assert_non_null(r->pos);
    }
    const cut_cell *cells = cut_batch_crow(b, row);
    for (int j = 0; j < r->ncols; j++) {
        size_t k = (size_t)r->nrows * (size_t)r->ncols + (size_t)j;
        if (cut_cell_is_null(&cells[j])) {
            r->cell[k] = NULL;
            r->len[k] = 0;
        } else {
            r->cell[k] = malloc(cells[j].len + 1);
            assert_non_null(r->cell[k]);
            memcpy(r->cell[k], cells[j].p, cells[j].len);
            r->cell[k][cells[j].len] = '\0';
            r->len[k] = cells[j].len;
        }
    }
    r->pos[r->nrows] = b->pos[row];
    r->nrows++;
}

static const char *cell(const rows *r, int row, int col)
{
    assert_true(row < r->nrows && col < r->ncols);
    return r->cell[(size_t)row * (size_t)r->ncols + (size_t)col];
}

/*
 * Describes table and scans it with batches of cap rows. cols/ncols select
 * columns (NULL = all). Returns the first error; rows read so far stay in out.
 */
static int scan_table(cut_conn *c, const char *table, const int *cols, int ncols, int cap,
                      rows *out, cut_error *err)
{
    memset(out, 0, sizeof(*out));
    cut_error_clear(err);
    cut_table *t = NULL;
    int rc = cut_describe(c, table, &t, err);
    if (rc)
        return rc;
    cut_scan_opts o = {0};
    o.cols = cols;
    o.ncols = cols ? ncols : t->ncols;
    out->ncols = o.ncols;
    cut_scan *s = NULL;
    rc = c->drv->scan_open(c, t, &o, &s, err);
    if (rc) {
        cut_table_free(t);
        return rc;
    }
    cut_batch *b = cut_batch_new(o.ncols, cap);
    assert_non_null(b);
    for (;;) {
        rc = c->drv->scan_next(s, b, err);
        if (rc || b->nrows == 0)
            break;
        assert_true(b->nrows <= cap);
        for (int i = 0; i < b->nrows; i++)
            rows_add(out, b, i);
    }
    if (rc == CUT_OK) {
        /* The end stays the end. */
        assert_int_equal(c->drv->scan_next(s, b, err), CUT_OK);
        assert_int_equal(b->nrows, 0);
    }
    cut_batch_free(b);
    c->drv->scan_close(s);
    cut_table_free(t);
    return rc;
}

/* ------------------------------------------- a JSON reader for the spectrum */

/*
 * Just enough JSON for csv-spectrum's expected output: an array of objects
 * whose values are all strings.
 */
typedef struct jrow {
    int n;
    char *key[32];
    char *val[32];
    size_t vlen[32];
} jrow;

static void skip_ws(const char **p)
{
    while (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t')
        (*p)++;
}

static unsigned hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int c = p[i], d = 0;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            fail_msg("bad \\u escape in JSON");
        v = v * 16 + (unsigned)d;
    }
    return v;
}

static char *json_string(const char **pp, size_t *len)
{
    const char *p = *pp;
    assert_int_equal(*p, '"');
    p++;
    cut_buf b = {0};
    while (*p != '"') {
        assert_true(*p != '\0');
        if (*p != '\\') {
            cut_buf_appendc(&b, *p++);
            continue;
        }
        p++;
        static const char from[] = "\"\\/nrtbf", to[] = "\"\\/\n\r\t\b\f";
        const char *e = *p ? strchr(from, *p) : NULL;
        if (e) {
            cut_buf_appendc(&b, to[e - from]);
        } else if (*p == 'u') {
            uint32_t cp = hex4(p + 1);
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && p[1] == '\\' && p[2] == 'u') {
                uint32_t lo = hex4(p + 3);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            char enc[4];
            int n = cut_utf8_encode(cp, enc);
            cut_buf_append(&b, enc, (size_t)n);
        } else {
            fail_msg("bad escape \\%c in JSON", *p);
        }
        p++;
    }
    *pp = p + 1;
    *len = b.len;
    char *s = cut_buf_cstr(&b);
    assert_non_null(s);
    return s;
}

static jrow *json_rows(const char *text, int *nrows)
{
    const char *p = text;
    jrow *rows_out = NULL;
    int n = 0;
    skip_ws(&p);
    assert_int_equal(*p++, '[');
    skip_ws(&p);
    while (*p == '{') {
        rows_out = realloc(rows_out, sizeof(jrow) * (size_t)(n + 1));
        assert_non_null(rows_out);
        jrow *r = &rows_out[n++];
        memset(r, 0, sizeof(*r));
        p++;
        skip_ws(&p);
        while (*p == '"') {
            assert_true(r->n < 32);
            size_t klen;
            r->key[r->n] = json_string(&p, &klen);
            skip_ws(&p);
            assert_int_equal(*p++, ':');
            skip_ws(&p);
            r->val[r->n] = json_string(&p, &r->vlen[r->n]);
            r->n++;
            skip_ws(&p);
            if (*p == ',') {
                p++;
                skip_ws(&p);
            }
        }
        assert_int_equal(*p++, '}');
        skip_ws(&p);
        if (*p == ',') {
            p++;
            skip_ws(&p);
        }
    }
    assert_int_equal(*p++, ']');
    *nrows = n;
    return rows_out;
}

static void json_rows_free(jrow *r, int n)
{
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < r[i].n; k++) {
            free(r[i].key[k]);
            free(r[i].val[k]);
        }
    }
    free(r);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    cut_buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        cut_buf_append(&b, chunk, n);
    fclose(f);
    return cut_buf_cstr(&b);
}

/* The reader above is test code too: check it on the escapes the spectrum does not use. */
static void test_json_reader_escapes(void **state)
{
    (void)state;
    int n = 0;
    jrow *r = json_rows("[{\"k\\u00e9\": \"a\\\"b\\\\c\\n\\r\\t\\u00e9\\ud83d\\ude00\"}, {}]", &n);
    assert_int_equal(n, 2);
    assert_int_equal(r[0].n, 1);
    assert_string_equal(r[0].key[0], "k\xc3\xa9");
    assert_string_equal(r[0].val[0], "a\"b\\c\n\r\t\xc3\xa9\xf0\x9f\x98\x80");
    assert_int_equal(r[1].n, 0);
    json_rows_free(r, n);
}

/* ----------------------------------------------------------- the spectrum */

static void test_csv_spectrum_matches_json(void **state)
{
    (void)state;
    cut_conn *c = connect_dir(SPECTRUM_DIR "/csvs");
    char **names = NULL;
    int ntables = 0;
    cut_error err = {0};
    assert_int_equal(c->drv->list_tables(c, &names, &ntables, &err), CUT_OK);
    assert_int_equal(ntables, 11);
    for (int i = 0; i < ntables; i++) {
        char jpath[512];
        snprintf(jpath, sizeof(jpath), "%s/json/%s.json", SPECTRUM_DIR, names[i]);
        char *json = slurp(jpath);
        int nexp = 0;
        jrow *exp = json_rows(json, &nexp);

        cut_table *t = NULL;
        assert_int_equal(cut_describe(c, names[i], &t, &err), CUT_OK);
        rows got;
        int rc = scan_table(c, names[i], NULL, 0, 1000, &got, &err);
        if (rc)
            fail_msg("%s: %s", names[i], err.msg);
        if (got.nrows != nexp)
            fail_msg("%s: %d rows, expected %d", names[i], got.nrows, nexp);
        for (int r = 0; r < nexp; r++) {
            assert_int_equal(exp[r].n, t->ncols);
            for (int k = 0; k < t->ncols; k++) {
                assert_string_equal(exp[r].key[k], t->cols[k].name);
                /*
                 * csv-spectrum writes an empty field as "" whatever its
                 * quoting; we keep unquoted-empty as SQL NULL, so for this
                 * comparison only, a NULL cell counts as "".
                 */
                const char *v = cell(&got, r, k);
                size_t vlen = got.len[(size_t)r * (size_t)got.ncols + (size_t)k];
                if (!v)
                    v = "";
                if (vlen != exp[r].vlen[k] || memcmp(v, exp[r].val[k], vlen) != 0)
                    fail_msg("%s row %d column %s: got '%s', expected '%s'", names[i], r + 1,
                             t->cols[k].name, v, exp[r].val[k]);
            }
        }
        rows_free(&got);
        cut_table_free(t);
        json_rows_free(exp, nexp);
        free(json);
        free(names[i]);
    }
    free(names);
    cut_disconnect(c);
}

static void test_csv_spectrum_newlines_positions(void **state)
{
    (void)state;
    cut_conn *c = connect_dir(SPECTRUM_DIR "/csvs");
    cut_error err = {0};
    rows got;
    const char *tables[] = {"newlines", "newlines_crlf"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(scan_table(c, tables[i], NULL, 0, 2, &got, &err), CUT_OK);
        assert_int_equal(got.nrows, 3);
        assert_int_equal(got.pos[0], 2);
        assert_int_equal(got.pos[1], 3);
        assert_int_equal(got.pos[2], 5); /* the record before spans lines 3 and 4 */
        rows_free(&got);
    }
    cut_disconnect(c);
}

/* -------------------------------------------------------- our own cases */

static void test_bom_is_stripped(void **state)
{
    tmp *t = *state;
    write_str(t->dir, "bom.csv", "\xEF\xBB\xBFid,name\n1,x\n");
    cut_conn *c = connect_dir(t->dir);
    cut_error err = {0};
    cut_table *tb = NULL;
    assert_int_equal(cut_describe(c, "bom", &tb, &err), CUT_OK);
    assert_int_equal(tb->ncols, 2);
    assert_string_equal(tb->cols[0].name, "id");
    assert_string_equal(tb->cols[1].name, "name");
    assert_string_equal(tb->name, "bom");
    cut_table_free(tb);
    rows got;
    assert_int_equal(scan_table(c, "bom", NULL, 0, 10, &got, &err), CUT_OK);
    assert_int_equal(got.nrows, 1);
    assert_string_equal(cell(&got, 0, 0), "1");
    assert_int_equal(got.pos[0], 2);
    rows_free(&got);
    cut_disconnect(c);
}

static void test_columns_are_text_without_key(void **state)
{
    tmp *t = *state;
    write_str(t->dir, "t.csv", "a,b\n");
    cut_conn *c = connect_dir(t->dir);
    cut_error err = {0};
    cut_table *tb = NULL;
    assert_int_equal(cut_describe(c, "t", &tb, &err), CUT_OK);
    for (int i = 0; i < tb->ncols; i++) {
        assert_int_equal(tb->cols[i].type.kind, CUT_T_TEXT);
        assert_int_equal(tb->cols[i].type.length, 0);
        assert_string_equal(tb->cols[i].native, "text");
        assert_int_equal(tb->cols[i].not_null, 0);
    }
    assert_int_equal(tb->npk, 0);
    int64_t n = -1;
    assert_int_equal(c->drv->count_rows(c, tb, &n, &err), CUT_OK);
    assert_int_equal(n, 0);
    assert_int_equal(c->drv->estimate_rows(c, tb, &n, &err), CUT_OK);
    assert_int_equal(n, 0);
    assert_int_equal(c->drv->begin_read(c, &err), CUT_OK);
    c->drv->end_read(c);
    assert_null(c->drv->exec);
    assert_null(c->drv->load_open);
    assert_int_equal(c->drv->caps, CUT_DRV_SOURCE);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_null_versus_empty_string(void **state)
{
    tmp *t = *state;
    write_str(t->dir, "t.csv", "a,b,c\n,\"\",x\n1,2,\n\"\",,\n");
    cut_conn *c = connect_dir(t->dir);
    cut_error err = {0};
    rows got;
    assert_int_equal(scan_table(c, "t", NULL, 0, 10, &got, &err), CUT_OK);
    assert_int_equal(got.nrows, 3);
    assert_null(cell(&got, 0, 0));
    assert_string_equal(cell(&got, 0, 1), "");
    assert_string_equal(cell(&got, 0, 2), "x");
    assert_string_equal(cell(&got, 1, 1), "2");
    assert_null(cell(&got, 1, 2));
    assert_string_equal(cell(&got, 2, 0), "");
    assert_null(cell(&got, 2, 1));
    assert_null(cell(&got, 2, 2));
    rows_free(&got);
    cut_disconnect(c);
}

static void test_quote_escapes_and_spaces(void **state)
{
    tmp *t = *state;
    write_str(t->dir, "t.csv",
              "a,b\n\"he said \"\"hi\"\"\",\"\"\"\"\n  padded ,\" quoted \"\n\"x,y\",\"\"\"\"\"\"\n"
              "last,no newline");
    cut_conn *c = connect_dir(t->dir);
    cut_error err = {0};
    rows got;
    assert_int_equal(scan_table(c, "t", NULL, 0, 10, &got, &err), CUT_OK);
    assert_int_equal(got.nrows, 4);
    assert_string_equal(cell(&got, 0, 0), "he said \"hi\"");
    assert_string_equal(cell(&got, 0, 1), "\"");
    assert_string_equal(cell(&got, 1, 0), "  padded "); /* spaces are data */
    assert_string_equal(cell(&got, 1, 1), " quoted ");
    assert_string_equal(cell(&got, 2, 0), "x,y");
    assert_string_equal(cell(&got, 2, 1), "\"\"");
    assert_string_equal(cell(&got, 3, 1), "no newline");
    assert_int_equal(got.pos[3], 5);
    rows_free(&got);
    cut_disconnect(c);
}

static void test_multiline_record_positions(void **state)
{
    tmp *t = *state;
    /* Line 3 starts a record that spans lines 3-5; blank lines are skipped but counted. */
    write_str(t->dir, "lf.csv", "a,b\n1,x\n2,\"line1\nline2\nline3\"\n\n\n3,y\n");
    write_str(t->dir, "crlf.csv", "a,b\r\n1,x\r\n2,\"line1\r\nline2\r\nline3\"\r\n\r\n\r\n3,y\r\n");
    write_str(t->dir, "cr.csv", "a,b\r1,x\r2,\"line1\rline2\rline3\"\r\r\r3,y");
    const char *tables[] = {"lf", "crlf", "cr"};
    const char *nl[] = {"\n", "\r\n", "\r"};
    cut_conn *c = connect_dir(t->dir);
    cut_error err = {0};
    for (int i = 0; i < 3; i++) {
        rows got;
        assert_int_equal(scan_table(c, tables[i], NULL, 0, 1, &got, &err), CUT_OK);
        assert_int_equal(got.nrows, 3);
        assert_int_equal(got.pos[0], 2);
        assert_int_equal(got.pos[1], 3);
        assert_int_equal(got.pos[2], 8);
        char expect[64];
        snprintf(expect, sizeof(expect), "line1%sline2%sline3", nl[i], nl[i]);
        assert_string_equal(cell(&got, 1, 1), expect);
        assert_string_equal(cell(&got, 2, 1), "y");
        rows_free(&got);
    }
    cut_disconnect(c);
}

static void test_wrong_field_count_names_the_line(void **state)
{
    tmp *t = *state;
    write_str(t->dir, "short.csv", "a,b\n1,2\n\"multi\nline\",2\n3\n4,5\n");
    write_str(t->dir, "long.csv", "a,b\r\n1,2\r\n3,4,5\r\n");
    cut_conn *c = connect_dir(t->dir);
    cut_error err = {0};
    rows got;
    assert_int_equal(scan_table(c, "short", NULL, 0, 100, &got, &err), CUT_EDATA);
    assert_non_null(strstr(fmt(&err), "short.csv:5: record has 1 fields, header has 2"));
    assert_int_equal(err.line, 5);
    assert_non_null(strstr(err.file, "short.csv"));
    assert_string_equal(err.msg, "record has 1 fields, header has 2");
    rows_free(&got);
    assert_int_equal(scan_table(c, "long", NULL, 0, 1, &got, &err), CUT_EDATA);
    assert_non_null(strstr(fmt(&err), "long.csv:3: record has 3 fields, header has 2"));
    assert_int_equal(err.line, 3);
    assert_int_equal(got.nrows, 1); /* the good record before it was delivered */
    rows_free(&got);
    cut_disconnect(c);
}

static void test_unterminated_quote_at_eof(void **state)
{
    tmp *t = *state;
    write_str(t->dir, "t.csv", "a,b\n1,2\n3,\"never\nclosed\n");
    cut_conn *c = connect_dir(t->dir);
    cut_error err = {0};
    rows got;
    assert_int_equal(scan_table(c, "t", NULL, 0, 100, &got, &err), CUT_EDATA);
    assert_non_null(strstr(fmt(&err), "t.csv:3: unterminated quoted field"));
    assert_non_null(strstr(err.msg, "unterminated quoted field"));
    assert_int_equal(err.line, 3);
    rows_free(&got);
    cut_table tb = {.name = "t"};
    int64_t n;
    assert_int_equal(c->drv->count_rows(c, &tb, &n, &err), CUT_EDATA);
    cut_disconnect(c);
}

static void test_stray_quote_is_an_error(void **state)
{
    tmp *t = *state;
    write_str(t->dir, "after.csv", "a,b\n1,\"x\"y\n");
    write_str(t->dir, "inside.csv", "a,b\n1,2\nab\"c,d\n");
    cut_conn *c = connect_dir(t->dir);
    cut_error err = {0};
    rows got;
    assert_int_equal(scan_table(c, "after", NULL, 0, 100, &got, &err), CUT_EDATA);
    assert_non_null(strstr(fmt(&err), "after.csv:2:6: malformed CSV"));
    assert_int_equal(err.line, 2);
    assert_int_equal(err.col, 6);
    rows_free(&got);
    assert_int_equal(scan_table(c, "inside", NULL, 0, 100, &got, &err), CUT_EDATA);
    assert_non_null(strstr(fmt(&err), "inside.csv:3:3: malformed CSV"));
    assert_non_null(strstr(err.msg, "unquoted field"));
    rows_free(&got);
    /* Spaces are data, so a quote after a space is inside an unquoted field. */
    write_str(t->dir, "spaced.csv", "a,b\n1, \"x\"\n");
    assert_int_equal(scan_table(c, "spaced", NULL, 0, 100, &got, &err), CUT_EDATA);
    assert_non_null(strstr(fmt(&err), "spaced.csv:2:4:"));
    rows_free(&got);
    cut_disconnect(c);
}

static void test_bad_headers(void **state)
{
    tmp *t = *state;
    write_str(t->dir, "dup.csv", "id,Name,x,NAME\n1,2,3,4\n");
    write_str(t->dir, "noname.csv", "a,,c\n");
    write_str(t->dir, "quoted_empty.csv", "a,\"\"\n");
    write_str(t->dir, "empty.csv", "");
    write_str(t->dir, "blank.csv", "\n\r\n");
    cut_conn *c = connect_dir(t->dir);
    cut_error err = {0};
    cut_table *tb = NULL;
    assert_int_equal(cut_describe(c, "dup", &tb, &err), CUT_ESCHEMA);
    assert_null(tb);
    assert_non_null(strstr(fmt(&err), "dup.csv:1: duplicate column name"));
    assert_non_null(strstr(err.msg, "'NAME'"));
    assert_non_null(strstr(err.msg, "columns 2 and 4"));
    assert_int_equal(err.line, 1);
    assert_non_null(strstr(err.file, "dup.csv"));
    assert_int_equal(cut_describe(c, "noname", &tb, &err), CUT_ESCHEMA);
    assert_non_null(strstr(fmt(&err), "noname.csv:1: column 2 of the header has no name"));
    assert_int_equal(cut_describe(c, "quoted_empty", &tb, &err), CUT_ESCHEMA);
    assert_non_null(strstr(err.msg, "column 2"));
    assert_int_equal(cut_describe(c, "empty", &tb, &err), CUT_ESCHEMA);
    assert_non_null(strstr(err.msg, "empty"));
    assert_int_equal(cut_describe(c, "blank", &tb, &err), CUT_ESCHEMA);
    cut_disconnect(c);
}

/*
 * A name holding a NUL byte used to be cut short at it ("a\0b" became column
 * "a", and "x\0y,x\0z" a duplicate 'x'): refused, naming the column. Found
 * writing the reference reader of tests/fuzz/fuzz_csv.c (corpus-csv/regress-nul-name).
 */
static void test_nul_byte_in_header_name_is_refused(void **state)
{
    tmp *t = *state;
    static const char nul[] = "id,\"a\0b\",c\n1,2,3\n", lead[] = "\0x\n1\n",
                      data[] = "a,b\n\0,\"x\0\"\n";
    write_bytes(t->dir, "nul.csv", nul, sizeof(nul) - 1);
    write_bytes(t->dir, "lead.csv", lead, sizeof(lead) - 1);
    write_bytes(t->dir, "data.csv", data, sizeof(data) - 1);
    cut_conn *c = connect_dir(t->dir);
    cut_error err = {0};
    cut_table *tb = NULL;
    assert_int_equal(cut_describe(c, "nul", &tb, &err), CUT_ESCHEMA);
    assert_null(tb);
    assert_non_null(strstr(fmt(&err), "nul.csv:1: column 2 of the header contains a NUL byte"));
    assert_int_equal(cut_describe(c, "lead", &tb, &err), CUT_ESCHEMA);
    assert_non_null(strstr(err.msg, "column 1 of the header contains a NUL byte"));
    /* In the data, NUL bytes stay data. */
    assert_int_equal(cut_describe(c, "data", &tb, &err), CUT_OK);
    assert_int_equal(tb->ncols, 2);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_missing_table_and_directory(void **state)
{
    tmp *t = *state;
    cut_conn *c = connect_dir(t->dir);
    cut_error err = {0};
    cut_table *tb = NULL;
    assert_int_equal(cut_describe(c, "nope", &tb, &err), CUT_ENOTFOUND);
    char expect[256];
    snprintf(expect, sizeof(expect), "table nope not found: no file %s/nope.csv", t->dir);
    assert_string_equal(err.msg, expect);
    assert_int_equal(cut_describe(c, "../etc/passwd", &tb, &err), CUT_ENOTFOUND);
    assert_int_equal(cut_describe(c, "", &tb, &err), CUT_ENOTFOUND);
    cut_disconnect(c);

    char url[128];
    snprintf(url, sizeof(url), "csv:%s/absent", t->dir);
    c = (cut_conn *)(uintptr_t)1;
    assert_int_equal(cut_connect(url, CUT_OPEN_READ, &c, &err), CUT_ECONNECT);
    assert_null(c);
    snprintf(expect, sizeof(expect), "csv: directory '%s/absent' does not exist", t->dir);
    assert_string_equal(err.msg, expect);

    write_str(t->dir, "file.csv", "a\n");
    snprintf(url, sizeof(url), "csv:%s/file.csv", t->dir);
    assert_int_equal(cut_connect(url, CUT_OPEN_READ, &c, &err), CUT_ECONNECT);
    assert_non_null(strstr(err.msg, "not a directory"));

    snprintf(url, sizeof(url), "csv:%s", t->dir);
    assert_int_equal(cut_connect(url, CUT_OPEN_WRITE, &c, &err), CUT_EUNSUPPORTED);
}

static void test_list_tables_sorted(void **state)
{
    tmp *t = *state;
    write_str(t->dir, "zeta.csv", "a\n");
    write_str(t->dir, "Alpha.csv", "a\n");
    write_str(t->dir, "mid.csv", "a\n");
    write_str(t->dir, "notes.txt", "x\n");
    write_str(t->dir, ".hidden.csv", "a\n");
    write_str(t->dir, "upper.CSV", "a\n");
    write_str(t->dir, ".csv", "a\n");
    char sub[128];
    snprintf(sub, sizeof(sub), "%s/dir.csv", t->dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    /* A trailing slash in the URL changes nothing. */
    char dir[128];
    snprintf(dir, sizeof(dir), "%s/", t->dir);
    cut_conn *c = connect_dir(dir);
    char **names = NULL;
    int n = 0;
    cut_error err = {0};
    assert_int_equal(c->drv->list_tables(c, &names, &n, &err), CUT_OK);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "Alpha");
    assert_string_equal(names[1], "mid");
    assert_string_equal(names[2], "zeta");
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    cut_table *tb = NULL;
    assert_int_equal(cut_describe(c, "nope", &tb, &err), CUT_ENOTFOUND);
    char expect[256];
    snprintf(expect, sizeof(expect), "no file %s/nope.csv", t->dir);
    assert_non_null(strstr(err.msg, expect));
    cut_disconnect(c);
}

static void test_column_selection(void **state)
{
    tmp *t = *state;
    write_str(t->dir, "t.csv", "a,b,c\n1,2,3\n4,,6\n");
    cut_conn *c = connect_dir(t->dir);
    cut_error err = {0};
    rows got;
    int cols[] = {2, 0, 2, 1};
    assert_int_equal(scan_table(c, "t", cols, 4, 1, &got, &err), CUT_OK);
    assert_int_equal(got.nrows, 2);
    assert_string_equal(cell(&got, 0, 0), "3");
    assert_string_equal(cell(&got, 0, 1), "1");
    assert_string_equal(cell(&got, 0, 2), "3");
    assert_string_equal(cell(&got, 0, 3), "2");
    assert_null(cell(&got, 1, 3));
    rows_free(&got);

    cut_table *tb = NULL;
    assert_int_equal(cut_describe(c, "t", &tb, &err), CUT_OK);
    cut_scan *s = NULL;
    int order[] = {0};
    cut_scan_opts o = {.order = order, .norder = 1};
    assert_int_equal(c->drv->scan_open(c, tb, &o, &s, &err), CUT_EUNSUPPORTED);
    assert_string_equal(err.msg, "CSV files cannot be read in key order");
    cut_scan_opts range = {.key_col = 0, .has_lo = 1, .lo = 5};
    assert_int_equal(c->drv->scan_open(c, tb, &range, &s, &err), CUT_EUNSUPPORTED);
    int bad[] = {3};
    cut_scan_opts badcol = {.cols = bad, .ncols = 1};
    assert_int_equal(c->drv->scan_open(c, tb, &badcol, &s, &err), CUT_EINVAL);

    /* A header that changed after describe is refused rather than misread. */
    write_str(t->dir, "t.csv", "a,c\n1,2\n");
    assert_int_equal(c->drv->scan_open(c, tb, NULL, &s, &err), CUT_ESCHEMA);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_five_megabyte_field(void **state)
{
    tmp *t = *state;
    const size_t big = 5u * 1024 * 1024;
    cut_buf f = {0}, want = {0};
    cut_buf_append(&f, "id,note\n1,\"", 11);
    for (size_t i = 0; want.len < big; i++) {
        /* Commas, doubled quotes and line ends throughout the field. */
        const char *piece = i % 97 == 0 ? "\"\"" : i % 89 == 0 ? "\n" : i % 7 == 0 ? "," : "abc";
        const char *plain = i % 97 == 0 ? "\"" : piece;
        cut_buf_append(&f, piece, strlen(piece));
        cut_buf_append(&want, plain, strlen(plain));
    }
    size_t newlines = 0;
    for (size_t i = 0; i < want.len; i++)
        newlines += want.p[i] == '\n';
    cut_buf_append(&f, "\"\n2,small\n", 10);
    write_bytes(t->dir, "big.csv", f.p, f.len);
    cut_conn *c = connect_dir(t->dir);
    cut_error err = {0};
    rows got;
    assert_int_equal(scan_table(c, "big", NULL, 0, 1000, &got, &err), CUT_OK);
    assert_int_equal(got.nrows, 2);
    assert_int_equal(got.len[1], want.len);
    assert_memory_equal(cell(&got, 0, 1), want.p, want.len);
    assert_string_equal(cell(&got, 1, 1), "small");
    assert_int_equal(got.pos[0], 2);
    assert_int_equal(got.pos[1], 3 + newlines);
    rows_free(&got);
    cut_buf_free(&f);
    cut_buf_free(&want);
    cut_disconnect(c);
}

/* Row i of the generated file: id, a name, and a note that needs quoting now and then. */
static void gen_row(int i, cut_buf *b)
{
    if (i % 1000 == 0)
        cut_buf_printf(b, "%d,name %d,\"note, with \"\"quotes\"\"\nand a line\"\n", i, i);
    else if (i % 10 == 0)
        cut_buf_printf(b, "%d,name %d,\n", i, i);
    else
        cut_buf_printf(b, "%d,name %d,n%d\n", i, i, i * 7);
}

static void check_row(const cut_cell *cells, int i)
{
    char id[32], name[32], note[64];
    snprintf(id, sizeof(id), "%d", i);
    snprintf(name, sizeof(name), "name %d", i);
    assert_int_equal(cells[0].len, strlen(id));
    assert_memory_equal(cells[0].p, id, strlen(id));
    assert_int_equal(cells[1].len, strlen(name));
    assert_memory_equal(cells[1].p, name, strlen(name));
    if (i % 10 == 0 && i % 1000 != 0) {
        assert_true(cut_cell_is_null(&cells[2]));
        return;
    }
    if (i % 1000 == 0)
        snprintf(note, sizeof(note), "note, with \"quotes\"\nand a line");
    else
        snprintf(note, sizeof(note), "n%d", i * 7);
    assert_false(cut_cell_is_null(&cells[2]));
    assert_int_equal(cells[2].len, strlen(note));
    assert_memory_equal(cells[2].p, note, strlen(note));
}

static void test_two_hundred_thousand_records(void **state)
{
    tmp *t = *state;
    const int nrec = 200000;
    cut_buf f = {0};
    cut_buf_append(&f, "id,name,note\n", 13);
    for (int i = 0; i < nrec; i++)
        gen_row(i, &f);
    write_bytes(t->dir, "gen.csv", f.p, f.len);
    cut_buf_free(&f);

    cut_conn *c = connect_dir(t->dir);
    cut_error err = {0};
    cut_table *tb = NULL;
    assert_int_equal(cut_describe(c, "gen", &tb, &err), CUT_OK);
    int64_t n = 0;
    assert_int_equal(c->drv->count_rows(c, tb, &n, &err), CUT_OK);
    assert_int_equal(n, nrec);
    assert_int_equal(c->drv->estimate_rows(c, tb, &n, &err), CUT_OK);
    /* A sample of the first 64 KiB, where the numbers are shorter: only roughly right. */
    assert_true(n > nrec / 2 && n < nrec * 2);

    const int caps[] = {1000, 7, 1};
    for (size_t k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
        cut_scan *s = NULL;
        assert_int_equal(c->drv->scan_open(c, tb, NULL, &s, &err), CUT_OK);
        cut_batch *b = cut_batch_new(3, caps[k]);
        int seen = 0;
        uint64_t line = 2;
        size_t max_arena = 0;
        for (;;) {
            assert_int_equal(c->drv->scan_next(s, b, &err), CUT_OK);
            if (b->nrows == 0)
                break;
            assert_true(b->nrows <= caps[k]);
            /* Full batches until the last one. */
            if (seen + b->nrows < nrec)
                assert_int_equal(b->nrows, caps[k]);
            for (int r = 0; r < b->nrows; r++, seen++) {
                check_row(cut_batch_row(b, r), seen);
                assert_int_equal(b->pos[r], line);
                line += seen % 1000 == 0 ? 2 : 1;
            }
            if (b->arena.bytes > max_arena)
                max_arena = b->arena.bytes;
        }
        assert_int_equal(seen, nrec);
        /* Memory is per batch, not per file. */
        assert_true(max_arena <= 1024 * 1024);
        cut_batch_free(b);
        c->drv->scan_close(s);
    }
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_estimate_of_a_large_file(void **state)
{
    tmp *t = *state;
    cut_buf f = {0};
    cut_buf_append(&f, "k,v\n", 4);
    for (int i = 0; i < 50000; i++)
        cut_buf_printf(&f, "%d,value-%05d\n", i, i);
    write_bytes(t->dir, "e.csv", f.p, f.len);
    cut_buf_free(&f);
    cut_conn *c = connect_dir(t->dir);
    cut_error err = {0};
    cut_table *tb = NULL;
    assert_int_equal(cut_describe(c, "e", &tb, &err), CUT_OK);
    int64_t n = 0;
    assert_int_equal(c->drv->estimate_rows(c, tb, &n, &err), CUT_OK);
    assert_true(n > 45000 && n < 55000);
    cut_table_free(tb);
    cut_disconnect(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_reader_escapes),
        cmocka_unit_test(test_csv_spectrum_matches_json),
        cmocka_unit_test(test_csv_spectrum_newlines_positions),
        cmocka_unit_test_setup_teardown(test_bom_is_stripped, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_columns_are_text_without_key, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_null_versus_empty_string, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_quote_escapes_and_spaces, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_multiline_record_positions, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_wrong_field_count_names_the_line, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup_teardown(test_unterminated_quote_at_eof, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_stray_quote_is_an_error, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_bad_headers, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_nul_byte_in_header_name_is_refused, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup_teardown(test_missing_table_and_directory, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_list_tables_sorted, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_column_selection, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_five_megabyte_field, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_two_hundred_thousand_records, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_estimate_of_a_large_file, setup_tmp, teardown_tmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
