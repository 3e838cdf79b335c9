/*
 * test_sqlite.c — the SQLite driver (lib/drv_sqlite.c) through the cut_driver
 * interface: describing tables (declared type → logical type, keys, defaults,
 * foreign keys), connection errors, scans (rendering, subsets, order, key
 * ranges, batching), loads (binding by type, per-row rejects, commit, abort,
 * the non-empty check), truncate, and the row counts. Databases are temp
 * files built with sqlite3 directly and checked with it afterwards.
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
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "driver.h"

/* ------------------------------------------------------------ helpers */

typedef struct tmp {
    char dir[64];
    char db[128];
} tmp;

static int setup_tmp(void **state)
{
    tmp *t = calloc(1, sizeof(*t));
    if (!t)
        return -1;
    snprintf(t->dir, sizeof(t->dir), "/tmp/cut_test_sqlite_XXXXXX");
    if (!mkdtemp(t->dir)) {
        free(t);
        return -1;
    }
    snprintf(t->db, sizeof(t->db), "%s/t.db", t->dir);
    *state = t;
    return 0;
}

static int teardown_tmp(void **state)
{
    tmp *t = *state;
    DIR *d = opendir(t->dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char path[512];
            snprintf(path, sizeof(path), "%s/%s", t->dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(t->dir);
    free(t);
    return 0;
}

/* Runs SQL on the file directly (creating it). */
static void sql(const char *path, const char *text)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, text, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("sql: %s: %s", text, msg ? msg : "?");
    sqlite3_close(db);
}

/* The first column of the first row of a query, as text ("<NULL>" for NULL). */
static char *query(const char *path, const char *text)
{
    static char out[4][1024];
    static int slot;
    char *res = out[slot++ % 4];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, text, -1, &st, NULL) != SQLITE_OK)
        fail_msg("query: %s: %s", text, sqlite3_errmsg(db));
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW)
        fail_msg("query: %s: no row (%d: %s)", text, rc, sqlite3_errmsg(db));
    const unsigned char *v = sqlite3_column_text(st, 0);
    snprintf(res, 1024, "%s", v ? (const char *)v : "<NULL>");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return res;
}

static cut_conn *open_db(const char *path, int mode)
{
    char url[256];
    snprintf(url, sizeof(url), "sqlite:%s", path);
    cut_conn *c = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = cut_connect(url, mode, &c, &err);
    if (rc)
        fail_msg("connect %s: %s", url, err.msg);
    assert_non_null(c);
    return c;
}

static cut_table *describe(cut_conn *c, const char *name)
{
    cut_table *t = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = c->drv->describe(c, name, &t, &err);
    if (rc)
        fail_msg("describe %s: %s", name, err.msg);
    assert_non_null(t);
    return t;
}

static const cut_column *col(const cut_table *t, const char *name)
{
    int i = cut_table_column(t, name);
    if (i < 0)
        fail_msg("no column %s", name);
    return &t->cols[i];
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) {
        print_error("'%s' not found in '%s'\n", needle, hay);
        fail();
    }
}

static void assert_cell(const cut_cell *c, const char *want)
{
    if (cut_cell_is_null(c)) {
        print_error("expected '%s', got NULL\n", want);
        fail();
    }
    if (c->len != strlen(want) || memcmp(c->p, want, c->len) != 0) {
        print_error("expected '%s', got '%.*s'\n", want, (int)c->len, c->p);
        fail();
    }
}

/* Reads a whole scan into one text: rows separated by '\n', cells by '|', NULL as \N. */
static char *scan_all(cut_conn *c, const cut_table *t, const cut_scan_opts *o, int cap,
                      uint64_t *last_pos)
{
    cut_scan *s = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = c->drv->scan_open(c, t, o, &s, &err);
    if (rc)
        fail_msg("scan_open: %s", err.msg);
    int ncols = o && o->cols ? o->ncols : t->ncols;
    cut_batch *b = cut_batch_new(ncols, cap);
    cut_buf out = {0};
    uint64_t expect_pos = 1;
    for (;;) {
        rc = c->drv->scan_next(s, b, &err);
        if (rc)
            fail_msg("scan_next: %s", err.msg);
        assert_true(b->nrows <= cap);
        if (b->nrows == 0)
            break;
        for (int r = 0; r < b->nrows; r++) {
            assert_int_equal(b->pos[r], expect_pos);
            expect_pos++;
            const cut_cell *row = cut_batch_crow(b, r);
            for (int i = 0; i < ncols; i++) {
                if (i)
                    cut_buf_appendc(&out, '|');
                if (cut_cell_is_null(&row[i]))
                    cut_buf_append(&out, "\\N", 2);
                else
                    cut_buf_append(&out, row[i].p, row[i].len);
            }
            cut_buf_appendc(&out, '\n');
        }
    }
    /* The end is sticky. */
    assert_int_equal(c->drv->scan_next(s, b, &err), CUT_OK);
    assert_int_equal(b->nrows, 0);
    c->drv->scan_close(s);
    cut_batch_free(b);
    if (last_pos)
        *last_pos = expect_pos - 1;
    if (!out.p)
        return strdup("");
    return cut_buf_cstr(&out);
}

/* Rejects collected by the load callback. */
typedef struct rejs {
    int n;
    int rows[32];
    char reasons[32][256];
} rejs;

static void on_reject(void *ud, int row, const char *reason)
{
    rejs *r = ud;
    if (r->n < 32) {
        r->rows[r->n] = row;
        snprintf(r->reasons[r->n], sizeof(r->reasons[0]), "%s", reason);
    }
    r->n++;
}

/* A batch of nrows x ncols from strings (NULL pointer = SQL NULL). */
static cut_batch *batch_of(int ncols, int nrows, const char *const *vals)
{
    cut_batch *b = cut_batch_new(ncols, nrows);
    assert_non_null(b);
    for (int r = 0; r < nrows; r++)
        for (int i = 0; i < ncols; i++) {
            const char *v = vals[r * ncols + i];
            if (v)
                assert_int_equal(cut_batch_set_copy(b, r, i, v, strlen(v)), CUT_OK);
            else
                cut_batch_set_null(b, r, i);
        }
    b->nrows = nrows;
    return b;
}

/* Opens a load of every column of t, in table order. */
static cut_load *load_all(cut_conn *c, const cut_table *t, int allow_nonempty, int *cols)
{
    for (int i = 0; i < t->ncols; i++)
        cols[i] = i;
    cut_load_opts lo = {.cols = cols, .ncols = t->ncols, .allow_nonempty = allow_nonempty};
    cut_load *l = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = c->drv->load_open(c, t, &lo, &l, &err);
    if (rc)
        fail_msg("load_open: %s", err.msg);
    return l;
}

/* ------------------------------------------------------------ describe */

static void test_declared_types_map_to_logical_types(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE ty ("
               " a INTEGER, b BIGINT, c BOOLEAN, d DECIMAL(8,2), e NUMERIC, f REAL,"
               " g DOUBLE, h DATE, i DATETIME, j TIMESTAMP, k TIMESTAMPTZ, l TIME, m UUID,"
               " n JSON, o BLOB, p VARCHAR(20), q TEXT, r, s NUMERIC(10),"
               " u TIMESTAMP WITH TIME ZONE, v DOUBLE PRECISION, w tinyint)");
    cut_conn *c = open_db(t->db, CUT_OPEN_READ);
    cut_table *tb = describe(c, "ty");
    assert_int_equal(tb->ncols, 22);
    static const struct {
        const char *name;
        cut_kind kind;
        int width, precision, scale;
    } want[] = {
        {"a", CUT_T_INT, 64, 0, 0},        {"b", CUT_T_INT, 64, 0, 0},
        {"c", CUT_T_BOOL, 0, 0, 0},        {"d", CUT_T_NUMERIC, 0, 8, 2},
        {"e", CUT_T_NUMERIC, 0, 0, -1},    {"f", CUT_T_FLOAT, 64, 0, 0},
        {"g", CUT_T_FLOAT, 64, 0, 0},      {"h", CUT_T_DATE, 0, 0, 0},
        {"i", CUT_T_TIMESTAMP, 0, 6, 0},   {"j", CUT_T_TIMESTAMP, 0, 6, 0},
        {"k", CUT_T_TIMESTAMPTZ, 0, 6, 0}, {"l", CUT_T_TIME, 0, 6, 0},
        {"m", CUT_T_UUID, 0, 0, 0},        {"n", CUT_T_JSON, 0, 0, 0},
        {"o", CUT_T_BYTES, 0, 0, 0},       {"p", CUT_T_TEXT, 0, 0, 0},
        {"q", CUT_T_TEXT, 0, 0, 0},        {"r", CUT_T_TEXT, 0, 0, 0},
        {"s", CUT_T_NUMERIC, 0, 10, 0},    {"u", CUT_T_TIMESTAMPTZ, 0, 6, 0},
        {"v", CUT_T_FLOAT, 64, 0, 0},      {"w", CUT_T_INT, 64, 0, 0},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const cut_column *cc = &tb->cols[i];
        assert_string_equal(cc->name, want[i].name);
        if (cc->type.kind != want[i].kind)
            fail_msg("column %s: kind %s, wanted %s", cc->name, cut_kind_name(cc->type.kind),
                     cut_kind_name(want[i].kind));
        if (want[i].kind == CUT_T_INT || want[i].kind == CUT_T_FLOAT)
            assert_int_equal(cc->type.width, want[i].width);
        if (want[i].kind == CUT_T_NUMERIC) {
            assert_int_equal(cc->type.precision, want[i].precision);
            assert_int_equal(cc->type.scale, want[i].scale);
        }
        if (want[i].kind == CUT_T_TIMESTAMP || want[i].kind == CUT_T_TIMESTAMPTZ ||
            want[i].kind == CUT_T_TIME)
            assert_int_equal(cc->type.precision, want[i].precision);
        assert_false(cc->not_null);
        assert_false(cc->identity);
        assert_false(cc->unsupported);
    }
    assert_string_equal(col(tb, "d")->native, "DECIMAL(8,2)");
    assert_string_equal(col(tb, "p")->native, "VARCHAR(20)");
    assert_string_equal(col(tb, "r")->native, "");
    /* SQLite does not enforce lengths: the driver does not pretend it does. */
    assert_int_equal(col(tb, "p")->type.length, 0);
    assert_int_equal(tb->npk, 0);
    assert_int_equal(tb->nfk, 0);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_not_null_defaults_and_integer_primary_key(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE m (id INTEGER PRIMARY KEY, email TEXT NOT NULL,"
               " status TEXT NOT NULL DEFAULT 'new', created TEXT DEFAULT CURRENT_TIMESTAMP,"
               " note TEXT)");
    cut_conn *c = open_db(t->db, CUT_OPEN_READ);
    cut_table *tb = describe(c, "m");
    assert_string_equal(tb->name, "m");
    assert_int_equal(tb->ncols, 5);
    assert_int_equal(tb->npk, 1);
    assert_int_equal(tb->pk[0], 0);
    const cut_column *id = col(tb, "id");
    assert_true(id->identity);
    assert_true(id->has_default);
    assert_true(col(tb, "email")->not_null);
    assert_false(col(tb, "email")->has_default);
    assert_true(col(tb, "status")->not_null);
    assert_true(col(tb, "status")->has_default);
    assert_false(col(tb, "created")->not_null);
    assert_true(col(tb, "created")->has_default);
    assert_false(col(tb, "note")->not_null);
    assert_false(col(tb, "note")->has_default);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_int_primary_key_is_not_a_rowid_alias(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE a (id INT PRIMARY KEY, v TEXT);"
               "CREATE TABLE b (id integer primary key, v TEXT);");
    cut_conn *c = open_db(t->db, CUT_OPEN_READ);
    cut_table *ta = describe(c, "a");
    assert_int_equal(ta->npk, 1);
    assert_false(col(ta, "id")->identity);
    assert_false(col(ta, "id")->has_default);
    cut_table *tb = describe(c, "b");
    assert_true(col(tb, "id")->identity);
    cut_table_free(ta);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_integer_primary_key_of_without_rowid_table_is_not_identity(void **state)
{
    tmp *t = *state;
    /* Only rowid tables turn INTEGER PRIMARY KEY into an auto-assigned rowid. */
    sql(t->db, "CREATE TABLE w (id INTEGER PRIMARY KEY, v TEXT) WITHOUT ROWID");
    cut_conn *c = open_db(t->db, CUT_OPEN_READ);
    cut_table *tb = describe(c, "w");
    assert_int_equal(tb->npk, 1);
    assert_false(col(tb, "id")->identity);
    assert_false(col(tb, "id")->has_default);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_composite_primary_key_keeps_key_order(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE v (a TEXT, b INTEGER, c TEXT, PRIMARY KEY (c, a))");
    cut_conn *c = open_db(t->db, CUT_OPEN_READ);
    cut_table *tb = describe(c, "v");
    assert_int_equal(tb->npk, 2);
    assert_int_equal(tb->pk[0], 2);
    assert_int_equal(tb->pk[1], 0);
    assert_false(col(tb, "b")->identity);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_foreign_keys_are_described(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE p (id INTEGER PRIMARY KEY, x TEXT, y TEXT, UNIQUE (x, y));"
               "CREATE TABLE q (id INTEGER PRIMARY KEY);"
               "CREATE TABLE ch (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p(id),"
               "  qid INTEGER REFERENCES q, a TEXT, b TEXT,"
               "  FOREIGN KEY (a, b) REFERENCES p(x, y))");
    cut_conn *c = open_db(t->db, CUT_OPEN_READ);
    cut_table *tb = describe(c, "ch");
    assert_int_equal(tb->nfk, 3);
    int seen_pid = 0, seen_qid = 0, seen_ab = 0;
    for (int i = 0; i < tb->nfk; i++) {
        const cut_fk *fk = &tb->fks[i];
        assert_non_null(fk->name);
        if (fk->ncols == 2) {
            seen_ab = 1;
            assert_string_equal(fk->ref_table, "p");
            assert_int_equal(fk->cols[0], cut_table_column(tb, "a"));
            assert_int_equal(fk->cols[1], cut_table_column(tb, "b"));
            assert_string_equal(fk->ref_cols[0], "x");
            assert_string_equal(fk->ref_cols[1], "y");
        } else if (fk->cols[0] == cut_table_column(tb, "pid")) {
            seen_pid = 1;
            assert_int_equal(fk->ncols, 1);
            assert_string_equal(fk->ref_table, "p");
            assert_string_equal(fk->ref_cols[0], "id");
        } else {
            seen_qid = 1;
            assert_int_equal(fk->cols[0], cut_table_column(tb, "qid"));
            assert_string_equal(fk->ref_table, "q");
        }
    }
    assert_true(seen_pid && seen_qid && seen_ab);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_missing_table_is_not_found(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE present (id INTEGER)");
    cut_conn *c = open_db(t->db, CUT_OPEN_READ);
    cut_table *tb = (cut_table *)1;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->describe(c, "absent", &tb, &err), CUT_ENOTFOUND);
    assert_null(tb);
    assert_int_equal(err.code, CUT_ENOTFOUND);
    assert_string_equal(err.table, "absent");
    assert_contains(err.msg, "absent");
    /* The driver-neutral helper says the same. */
    cut_error_clear(&err);
    assert_int_equal(cut_describe(c, "absent", &tb, &err), CUT_ENOTFOUND);
    cut_disconnect(c);
}

static void test_view_can_be_described_and_scanned(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE base (id INTEGER PRIMARY KEY, name TEXT, price DECIMAL(6,2));"
               "INSERT INTO base VALUES (1, 'a', 1.5), (2, 'b', 2);"
               "CREATE VIEW v AS SELECT id, upper(name) AS uname, price FROM base");
    cut_conn *c = open_db(t->db, CUT_OPEN_READ);
    cut_table *tb = describe(c, "v");
    assert_int_equal(tb->ncols, 3);
    assert_string_equal(tb->cols[0].name, "id");
    assert_int_equal(tb->cols[0].type.kind, CUT_T_INT);
    assert_string_equal(tb->cols[1].name, "uname");
    assert_int_equal(tb->cols[2].type.kind, CUT_T_NUMERIC);
    int order[] = {0};
    cut_scan_opts o = {.order = order, .norder = 1};
    char *all = scan_all(c, tb, &o, 10, NULL);
    assert_string_equal(all, "1|A|1.5\n2|B|2\n");
    free(all);
    int64_t n = -1;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->count_rows(c, tb, &n, &err), CUT_OK);
    assert_int_equal(n, 2);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_estimate_rows_of_a_view_falls_back_to_counting(void **state)
{
    tmp *t = *state;
    /* A view has no rowid: max(rowid) is NULL there, not an error. */
    sql(t->db, "CREATE TABLE base (id INTEGER PRIMARY KEY, name TEXT);"
               "INSERT INTO base VALUES (1, 'a'), (2, 'b'), (3, 'c');"
               "CREATE VIEW v AS SELECT id, name FROM base WHERE id > 1");
    cut_conn *c = open_db(t->db, CUT_OPEN_READ);
    cut_table *tb = describe(c, "v");
    int64_t n = -1;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->estimate_rows(c, tb, &n, &err), CUT_OK);
    assert_int_equal(n, 2);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_generated_columns_are_not_described(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE g (a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL,"
               " c TEXT, d INTEGER AS (a + 1) STORED)");
    cut_conn *c = open_db(t->db, CUT_OPEN_READ);
    cut_table *tb = describe(c, "g");
    assert_int_equal(tb->ncols, 2);
    assert_string_equal(tb->cols[0].name, "a");
    assert_string_equal(tb->cols[1].name, "c");
    cut_table_free(tb);
    cut_disconnect(c);
}

/* ------------------------------------------------------------- connect */

static void test_connect_to_missing_file_names_the_path(void **state)
{
    tmp *t = *state;
    char url[256], path[200];
    snprintf(path, sizeof(path), "%s/nope.db", t->dir);
    snprintf(url, sizeof(url), "sqlite:%s", path);
    cut_conn *c = (cut_conn *)1;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_connect(url, CUT_OPEN_READ, &c, &err), CUT_ECONNECT);
    assert_null(c);
    assert_contains(err.msg, path);
    /* Connecting must not have created the file, not even for writing. */
    cut_error_clear(&err);
    assert_int_equal(cut_connect(url, CUT_OPEN_WRITE, &c, &err), CUT_ECONNECT);
    assert_int_not_equal(access(path, F_OK), 0);
}

static void test_connect_to_a_file_that_is_not_a_database_fails(void **state)
{
    tmp *t = *state;
    char path[200], url[256];
    snprintf(path, sizeof(path), "%s/junk.db", t->dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fputs("this is not an SQLite database, just text. ", f);
    fclose(f);
    snprintf(url, sizeof(url), "sqlite:%s", path);
    cut_conn *c = (cut_conn *)1;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_connect(url, CUT_OPEN_READ, &c, &err), CUT_ECONNECT);
    assert_null(c);
    assert_contains(err.msg, path);
    assert_contains(err.msg, "not a database");
}

/* A writer killed in the middle of a transaction leaves a hot journal: a read-only connect
   (check, verify, the runbook's first step after a kill -9) rolls it back and reads the last
   committed state instead of failing with "attempt to write a readonly database". */
static void test_read_connect_recovers_a_hot_journal(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE x (id INTEGER PRIMARY KEY, v BLOB);"
               "INSERT INTO x VALUES (1, zeroblob(100)), (2, zeroblob(100));");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sqlite3 *db = NULL;
        if (sqlite3_open(t->db, &db) != SQLITE_OK)
            _exit(3);
        /* A one-page cache spills the changes to the file: the journal must be kept. */
        if (sqlite3_exec(db, "PRAGMA cache_size=1; BEGIN; DELETE FROM x;"
                             "WITH RECURSIVE n(i) AS (SELECT 3 UNION ALL SELECT i + 1 FROM n "
                             "WHERE i < 3000) INSERT INTO x SELECT i, zeroblob(1000) FROM n;",
                         NULL, NULL, NULL) != SQLITE_OK)
            _exit(4);
        raise(SIGKILL); /* no COMMIT, no close: a kill -9 (which valgrind cannot trap) */
        _exit(5);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status))
        fail_msg("the writer exited with %d before its kill", WEXITSTATUS(status));
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    char journal[200];
    snprintf(journal, sizeof(journal), "%s-journal", t->db);
    struct stat st;
    assert_int_equal(stat(journal, &st), 0); /* the test made a hot journal */
    assert_true(st.st_size > 0);

    cut_conn *c = open_db(t->db, CUT_OPEN_READ);
    cut_table *x = describe(c, "x");
    int64_t rows = -1;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->count_rows(c, x, &rows, &err), CUT_OK);
    assert_int_equal(rows, 2); /* the last committed state */
    cut_table_free(x);
    cut_disconnect(c);
}

static void test_connect_to_a_directory_fails(void **state)
{
    tmp *t = *state;
    char url[256];
    snprintf(url, sizeof(url), "sqlite:%s", t->dir);
    cut_conn *c = (cut_conn *)1;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_connect(url, CUT_OPEN_READ, &c, &err), CUT_ECONNECT);
    assert_null(c);
    assert_contains(err.msg, "not a file");
}

/* ----------------------------------------------------------------- scan */

static void make_scan_table(const char *db)
{
    sql(db, "CREATE TABLE s (id INTEGER PRIMARY KEY, i INTEGER, r REAL, b BLOB, t TEXT, n);"
            "INSERT INTO s VALUES (1, -42, 0.1, x'00ff00', 'héllo', NULL);"
            "INSERT INTO s VALUES (2, 9223372036854775807, 100.0, x'', '', 7);"
            "INSERT INTO s VALUES (3, NULL, 1e21, NULL, 'a|b', 2.5);"
            "INSERT INTO s VALUES (4, -9223372036854775808, -2.5, x'41', NULL, 'x');"
            "INSERT INTO s VALUES (5, 'abc', 0.30000000000000004, 'text in blob', 'z', x'00');");
}

static void test_scan_renders_values_as_text(void **state)
{
    tmp *t = *state;
    make_scan_table(t->db);
    cut_conn *c = open_db(t->db, CUT_OPEN_READ);
    cut_table *tb = describe(c, "s");
    int order[] = {0};
    cut_scan_opts o = {.order = order, .norder = 1};
    cut_scan *s = NULL;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->scan_open(c, tb, &o, &s, &err), CUT_OK);
    cut_batch *b = cut_batch_new(tb->ncols, 10);
    assert_int_equal(c->drv->scan_next(s, b, &err), CUT_OK);
    assert_int_equal(b->nrows, 5);
    const cut_cell *r0 = cut_batch_crow(b, 0);
    assert_cell(&r0[0], "1");
    assert_cell(&r0[1], "-42");
    assert_cell(&r0[2], "0.1");
    assert_int_equal(r0[3].len, 3);
    assert_false(cut_cell_is_null(&r0[3]));
    assert_memory_equal(r0[3].p, "\0\xff\0", 3);
    assert_cell(&r0[4], "héllo");
    assert_true(cut_cell_is_null(&r0[5]));
    const cut_cell *r1 = cut_batch_crow(b, 1);
    assert_cell(&r1[1], "9223372036854775807");
    assert_cell(&r1[2], "100");
    assert_false(cut_cell_is_null(&r1[3])); /* an empty blob is not NULL */
    assert_int_equal(r1[3].len, 0);
    assert_false(cut_cell_is_null(&r1[4])); /* nor is an empty string */
    assert_int_equal(r1[4].len, 0);
    assert_cell(&r1[5], "7");
    const cut_cell *r2 = cut_batch_crow(b, 2);
    assert_true(cut_cell_is_null(&r2[1]));
    assert_cell(&r2[2], "1e+21");
    assert_true(cut_cell_is_null(&r2[3]));
    assert_cell(&r2[5], "2.5");
    const cut_cell *r3 = cut_batch_crow(b, 3);
    assert_cell(&r3[1], "-9223372036854775808");
    assert_cell(&r3[2], "-2.5");
    assert_cell(&r3[3], "A");
    assert_true(cut_cell_is_null(&r3[4]));
    /* Values of another storage class than the declared type are passed on as stored:
       canonicalization decides what to do with them. */
    const cut_cell *r4 = cut_batch_crow(b, 4);
    assert_cell(&r4[1], "abc");
    assert_cell(&r4[2], "0.30000000000000004");
    assert_cell(&r4[3], "text in blob");
    assert_int_equal(r4[5].len, 1);
    assert_int_equal(r4[5].p[0], '\0');
    for (int r = 0; r < 5; r++)
        assert_int_equal(b->pos[r], (uint64_t)r + 1);
    assert_int_equal(c->drv->scan_next(s, b, &err), CUT_OK);
    assert_int_equal(b->nrows, 0);
    c->drv->scan_close(s);
    cut_batch_free(b);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_scan_reads_a_column_subset_in_the_order_asked(void **state)
{
    tmp *t = *state;
    make_scan_table(t->db);
    cut_conn *c = open_db(t->db, CUT_OPEN_READ);
    cut_table *tb = describe(c, "s");
    int cols[] = {4, 0};
    int order[] = {0};
    cut_scan_opts o = {.cols = cols, .ncols = 2, .order = order, .norder = 1};
    char *all = scan_all(c, tb, &o, 10, NULL);
    assert_string_equal(all, "héllo|1\n|2\na|b|3\n\\N|4\nz|5\n");
    free(all);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_scan_orders_by_the_given_columns(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE o (id INTEGER PRIMARY KEY, grp TEXT, v INTEGER);"
               "INSERT INTO o VALUES (1, 'b', 3), (2, 'a', 2), (3, 'b', 1), (4, 'a', 9)");
    cut_conn *c = open_db(t->db, CUT_OPEN_READ);
    cut_table *tb = describe(c, "o");
    int cols[] = {0};
    int order[] = {1, 2};
    cut_scan_opts o = {.cols = cols, .ncols = 1, .order = order, .norder = 2};
    char *all = scan_all(c, tb, &o, 10, NULL);
    assert_string_equal(all, "2\n4\n3\n1\n");
    free(all);
    int order2[] = {2};
    o.order = order2;
    o.norder = 1;
    all = scan_all(c, tb, &o, 10, NULL);
    assert_string_equal(all, "3\n2\n1\n4\n");
    free(all);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_scan_key_range_is_lo_inclusive_hi_exclusive(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE k (id INTEGER PRIMARY KEY, v TEXT);"
               "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10)"
               " INSERT INTO k SELECT x, 'v' || x FROM n");
    cut_conn *c = open_db(t->db, CUT_OPEN_READ);
    cut_table *tb = describe(c, "k");
    int order[] = {0};
    cut_scan_opts o = {
        .order = order, .norder = 1, .key_col = 0, .has_lo = 1, .has_hi = 1, .lo = 3, .hi = 6};
    uint64_t last = 0;
    char *all = scan_all(c, tb, &o, 10, &last);
    assert_string_equal(all, "3|v3\n4|v4\n5|v5\n");
    assert_int_equal(last, 3); /* positions count the rows of this scan */
    free(all);
    o.has_hi = 0;
    all = scan_all(c, tb, &o, 10, NULL);
    assert_string_equal(all, "3|v3\n4|v4\n5|v5\n6|v6\n7|v7\n8|v8\n9|v9\n10|v10\n");
    free(all);
    o.has_lo = 0;
    o.has_hi = 1;
    o.hi = 3;
    all = scan_all(c, tb, &o, 10, NULL);
    assert_string_equal(all, "1|v1\n2|v2\n");
    free(all);
    o.has_lo = 1;
    o.lo = 7;
    o.hi = 7;
    all = scan_all(c, tb, &o, 10, NULL);
    assert_string_equal(all, "");
    free(all);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_scan_batches_of_1_and_3_give_the_same_rows(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE k (id INTEGER PRIMARY KEY, v TEXT, r REAL);"
               "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10)"
               " INSERT INTO k SELECT x, CASE WHEN x % 3 = 0 THEN NULL ELSE 'v' || x END,"
               " x / 10.0 FROM n");
    cut_conn *c = open_db(t->db, CUT_OPEN_READ);
    cut_table *tb = describe(c, "k");
    int order[] = {0};
    cut_scan_opts o = {.order = order, .norder = 1};
    uint64_t l1 = 0, l3 = 0, l100 = 0;
    char *a = scan_all(c, tb, &o, 1, &l1);
    char *b = scan_all(c, tb, &o, 3, &l3);
    char *d = scan_all(c, tb, &o, 100, &l100);
    assert_string_equal(a, d);
    assert_string_equal(b, d);
    assert_int_equal(l1, 10);
    assert_int_equal(l3, 10);
    assert_int_equal(l100, 10);
    assert_contains(d, "3|\\N|0.3\n");
    assert_contains(d, "10|v10|1\n");
    free(a);
    free(b);
    free(d);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_odd_table_and_column_names_are_quoted(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE \"odd \"\"name\" (\"select\" INTEGER, \"two words\" TEXT);"
               "INSERT INTO \"odd \"\"name\" VALUES (1, 'x')");
    cut_conn *c = open_db(t->db, CUT_OPEN_WRITE);
    cut_table *tb = describe(c, "odd \"name");
    assert_int_equal(tb->ncols, 2);
    assert_string_equal(tb->cols[0].name, "select");
    char *all = scan_all(c, tb, NULL, 10, NULL);
    assert_string_equal(all, "1|x\n");
    free(all);
    int cols[2];
    cut_load *l = load_all(c, tb, 1, cols);
    static const char *const vals[] = {"2", "y"};
    cut_batch *b = batch_of(2, 1, vals);
    rejs rj = {0};
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->load_rows(l, b, on_reject, &rj, &err), CUT_OK);
    assert_int_equal(c->drv->load_commit(l, &err), CUT_OK);
    assert_int_equal(rj.n, 0);
    int64_t n = 0;
    assert_int_equal(c->drv->count_rows(c, tb, &n, &err), CUT_OK);
    assert_int_equal(n, 2);
    cut_batch_free(b);
    cut_table_free(tb);
    cut_disconnect(c);
}

/* ----------------------------------------------------------------- load */

static void test_load_binds_canonical_cells_by_type(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE l (id INTEGER PRIMARY KEY, flag BOOLEAN, n INT, f REAL, y BLOB,"
               " t TEXT, d DATE, ts TIMESTAMPTZ, js JSON, u UUID)");
    cut_conn *c = open_db(t->db, CUT_OPEN_WRITE);
    cut_table *tb = describe(c, "l");
    int cols[16];
    cut_load *l = load_all(c, tb, 0, cols);
    cut_batch *b = cut_batch_new(tb->ncols, 4);
    static const char *const r0[] = {"1",          "t",
                                     "42",         "0.5",
                                     NULL,         "007",
                                     "2024-01-02", "2024-01-02 03:04:05+00",
                                     "{\"a\":1}",  "123e4567-e89b-12d3-a456-426614174000"};
    static const char *const r1[] = {
        "2", "f", "-9223372036854775808", "Infinity", NULL, "", NULL, NULL, NULL, NULL};
    for (int i = 0; i < 10; i++) {
        if (r0[i])
            cut_batch_set_copy(b, 0, i, r0[i], strlen(r0[i]));
        else
            cut_batch_set_null(b, 0, i);
        if (r1[i])
            cut_batch_set_copy(b, 1, i, r1[i], strlen(r1[i]));
        else
            cut_batch_set_null(b, 1, i);
    }
    cut_batch_set_copy(b, 0, 4, "\0\x01\xff", 3);
    cut_batch_set_copy(b, 1, 4, "", 0);
    b->nrows = 2;
    rejs rj = {0};
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->load_rows(l, b, on_reject, &rj, &err), CUT_OK);
    assert_int_equal(rj.n, 0);
    assert_int_equal(c->drv->load_commit(l, &err), CUT_OK);
    assert_string_equal(query(t->db, "SELECT typeof(flag) || ':' || flag FROM l WHERE id = 1"),
                        "integer:1");
    assert_string_equal(query(t->db, "SELECT typeof(flag) || ':' || flag FROM l WHERE id = 2"),
                        "integer:0");
    assert_string_equal(query(t->db, "SELECT typeof(n) || ':' || n FROM l WHERE id = 1"),
                        "integer:42");
    assert_string_equal(query(t->db, "SELECT n FROM l WHERE id = 2"), "-9223372036854775808");
    assert_string_equal(query(t->db, "SELECT typeof(f) || ':' || f FROM l WHERE id = 1"),
                        "real:0.5");
    assert_string_equal(query(t->db, "SELECT typeof(f) || ':' || (f > 1e308) FROM l WHERE id = 2"),
                        "real:1");
    assert_string_equal(query(t->db, "SELECT typeof(y) || ':' || hex(y) FROM l WHERE id = 1"),
                        "blob:0001FF");
    assert_string_equal(query(t->db, "SELECT typeof(y) || ':' || length(y) FROM l WHERE id = 2"),
                        "blob:0");
    assert_string_equal(query(t->db, "SELECT typeof(t) || ':' || t FROM l WHERE id = 1"),
                        "text:007");
    assert_string_equal(query(t->db, "SELECT typeof(t) FROM l WHERE id = 2"), "text");
    assert_string_equal(query(t->db, "SELECT typeof(d) || ':' || d FROM l WHERE id = 1"),
                        "text:2024-01-02");
    assert_string_equal(query(t->db, "SELECT typeof(d) FROM l WHERE id = 2"), "null");
    assert_string_equal(query(t->db, "SELECT ts FROM l WHERE id = 1"), "2024-01-02 03:04:05+00");
    assert_string_equal(query(t->db, "SELECT js FROM l WHERE id = 1"), "{\"a\":1}");
    assert_string_equal(query(t->db, "SELECT u FROM l WHERE id = 1"),
                        "123e4567-e89b-12d3-a456-426614174000");
    cut_batch_free(b);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_load_rejects_nan_with_a_reason(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE l (id INTEGER PRIMARY KEY, f DOUBLE)");
    cut_conn *c = open_db(t->db, CUT_OPEN_WRITE);
    cut_table *tb = describe(c, "l");
    int cols[2];
    cut_load *l = load_all(c, tb, 0, cols);
    static const char *const vals[] = {"1", "1.5", "2", "NaN", "3", "-Infinity"};
    cut_batch *b = batch_of(2, 3, vals);
    rejs rj = {0};
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->load_rows(l, b, on_reject, &rj, &err), CUT_OK);
    assert_int_equal(c->drv->load_commit(l, &err), CUT_OK);
    assert_int_equal(rj.n, 1);
    assert_int_equal(rj.rows[0], 1);
    assert_contains(rj.reasons[0], "NaN");
    /* A load reject has no column field: the reason names the column. */
    assert_contains(rj.reasons[0], "column f: ");
    assert_string_equal(query(t->db, "SELECT group_concat(id) FROM l"), "1,3");
    assert_string_equal(query(t->db, "SELECT f < -1e308 FROM l WHERE id = 3"), "1");
    cut_batch_free(b);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_load_rejects_integer_beyond_int64(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE l (id INTEGER PRIMARY KEY, n BIGINT)");
    cut_conn *c = open_db(t->db, CUT_OPEN_WRITE);
    cut_table *tb = describe(c, "l");
    int cols[2];
    cut_load *l = load_all(c, tb, 0, cols);
    static const char *const vals[] = {"1", "18446744073709551615", "2", "9223372036854775807"};
    cut_batch *b = batch_of(2, 2, vals);
    rejs rj = {0};
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->load_rows(l, b, on_reject, &rj, &err), CUT_OK);
    assert_int_equal(c->drv->load_commit(l, &err), CUT_OK);
    assert_int_equal(rj.n, 1);
    assert_int_equal(rj.rows[0], 0);
    assert_contains(rj.reasons[0], "64-bit");
    assert_string_equal(query(t->db, "SELECT group_concat(id) FROM l"), "2");
    cut_batch_free(b);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_load_numeric_that_sqlite_cannot_hold_exactly_is_rejected(void **state)
{
    tmp *t = *state;
    /* NUMERIC affinity turns 12345678901234567.89 into a 64-bit float: the driver must
       refuse it rather than store another number. 12.50 reads back as 12.50 and loads. */
    sql(t->db, "CREATE TABLE l (id INTEGER PRIMARY KEY, amount DECIMAL(20,2))");
    cut_conn *c = open_db(t->db, CUT_OPEN_WRITE);
    cut_table *tb = describe(c, "l");
    int cols[2];
    cut_load *l = load_all(c, tb, 0, cols);
    static const char *const vals[] = {"1", "12.50", "2", "12345678901234567.89"};
    cut_batch *b = batch_of(2, 2, vals);
    rejs rj = {0};
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->load_rows(l, b, on_reject, &rj, &err), CUT_OK);
    assert_int_equal(c->drv->load_commit(l, &err), CUT_OK);
    assert_int_equal(rj.n, 1);
    assert_int_equal(rj.rows[0], 1);
    assert_contains(rj.reasons[0], "SQLite would store '12345678901234567.89' as the number");
    assert_contains(rj.reasons[0], "amount");
    assert_string_equal(query(t->db, "SELECT group_concat(id || ':' || amount) FROM l"),
                        "1:12.5");
    cut_batch_free(b);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_load_text_that_numeric_affinity_would_change_is_rejected(void **state)
{
    tmp *t = *state;
    /* "STRING" is text to the driver but has NUMERIC affinity in SQLite, which turns a
       bound '007' into the integer 7: refused with the reason; '7' and 'x1' load as they
       read back unchanged. */
    sql(t->db, "CREATE TABLE l (id INTEGER PRIMARY KEY, code STRING)");
    cut_conn *c = open_db(t->db, CUT_OPEN_WRITE);
    cut_table *tb = describe(c, "l");
    assert_int_equal(col(tb, "code")->type.kind, CUT_T_TEXT);
    int cols[2];
    cut_load *l = load_all(c, tb, 0, cols);
    static const char *const vals[] = {"1", "007", "2", "1.50", "3", "7", "4", "x1"};
    cut_batch *b = batch_of(2, 4, vals);
    rejs rj = {0};
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->load_rows(l, b, on_reject, &rj, &err), CUT_OK);
    assert_int_equal(c->drv->load_commit(l, &err), CUT_OK);
    assert_int_equal(rj.n, 2);
    assert_int_equal(rj.rows[0], 0);
    assert_int_equal(rj.rows[1], 1);
    assert_contains(rj.reasons[0], "SQLite would store '007' as the number 7 in column code");
    int order[] = {0};
    cut_scan_opts o = {.order = order, .norder = 1};
    char *all = scan_all(c, tb, &o, 10, NULL);
    assert_string_equal(all, "3|7\n4|x1\n");
    free(all);
    cut_batch_free(b);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_constraint_violation_rejects_only_that_row(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE p (id INTEGER PRIMARY KEY);"
               "INSERT INTO p VALUES (1);"
               "CREATE TABLE c (id INTEGER PRIMARY KEY, name TEXT NOT NULL, code TEXT UNIQUE,"
               " qty INT CHECK (qty >= 0), pid INTEGER REFERENCES p(id))");
    cut_conn *c = open_db(t->db, CUT_OPEN_WRITE);
    cut_table *tb = describe(c, "c");
    int cols[5];
    cut_load *l = load_all(c, tb, 0, cols);
    static const char *const vals[] = {
        "1", "a",  "A", "1",  "1",  /* ok */
        "2", NULL, "B", "1",  "1",  /* NOT NULL */
        "3", "c",  "A", "1",  "1",  /* UNIQUE */
        "4", "d",  "D", "-1", "1",  /* CHECK */
        "5", "e",  "E", "5",  NULL, /* ok */
        "1", "f",  "F", "1",  "1",  /* PRIMARY KEY */
        "7", "g",  "G", "1",  "99", /* FOREIGN KEY */
        "8", "h",  "H", "0",  "1",  /* ok */
    };
    cut_batch *b = batch_of(5, 8, vals);
    rejs rj = {0};
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->load_rows(l, b, on_reject, &rj, &err), CUT_OK);
    assert_int_equal(c->drv->load_commit(l, &err), CUT_OK);
    assert_int_equal(rj.n, 5);
    assert_int_equal(rj.rows[0], 1);
    assert_contains(rj.reasons[0], "NOT NULL");
    assert_int_equal(rj.rows[1], 2);
    assert_contains(rj.reasons[1], "UNIQUE");
    assert_int_equal(rj.rows[2], 3);
    assert_contains(rj.reasons[2], "CHECK");
    assert_int_equal(rj.rows[3], 5);
    assert_contains(rj.reasons[3], "UNIQUE");
    assert_int_equal(rj.rows[4], 6);
    assert_contains(rj.reasons[4], "FOREIGN KEY");
    for (int i = 0; i < 5; i++)
        assert_contains(rj.reasons[i], "SQLite refused the row");
    assert_string_equal(query(t->db, "SELECT group_concat(id) FROM (SELECT id FROM c ORDER BY id)"),
                        "1,5,8");
    assert_string_equal(query(t->db, "SELECT name FROM c WHERE id = 1"), "a");
    cut_batch_free(b);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_commit_makes_rows_visible(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE l (id INTEGER PRIMARY KEY, v TEXT)");
    cut_conn *c = open_db(t->db, CUT_OPEN_WRITE);
    cut_table *tb = describe(c, "l");
    int cols[2];
    cut_load *l = load_all(c, tb, 0, cols);
    static const char *const vals[] = {"1", "a", "2", "b", "3", "c"};
    cut_batch *b = batch_of(2, 3, vals);
    rejs rj = {0};
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->load_rows(l, b, on_reject, &rj, &err), CUT_OK);
    /* Not visible to another connection before the commit. */
    assert_string_equal(query(t->db, "SELECT count(*) FROM l"), "0");
    assert_int_equal(c->drv->load_commit(l, &err), CUT_OK);
    assert_string_equal(query(t->db, "SELECT count(*) FROM l"), "3");
    assert_string_equal(query(t->db, "SELECT group_concat(v, '') FROM l"), "abc");
    cut_batch_free(b);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_abort_rolls_back_the_load(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE l (id INTEGER PRIMARY KEY, v TEXT)");
    cut_conn *c = open_db(t->db, CUT_OPEN_WRITE);
    cut_table *tb = describe(c, "l");
    int cols[2];
    cut_load *l = load_all(c, tb, 0, cols);
    static const char *const vals[] = {"1", "a", "2", "b"};
    cut_batch *b = batch_of(2, 2, vals);
    rejs rj = {0};
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->load_rows(l, b, on_reject, &rj, &err), CUT_OK);
    c->drv->load_abort(l);
    assert_string_equal(query(t->db, "SELECT count(*) FROM l"), "0");
    /* The connection is usable again: a new load of the same table works. */
    l = load_all(c, tb, 0, cols);
    assert_int_equal(c->drv->load_rows(l, b, on_reject, &rj, &err), CUT_OK);
    assert_int_equal(c->drv->load_commit(l, &err), CUT_OK);
    assert_string_equal(query(t->db, "SELECT count(*) FROM l"), "2");
    cut_batch_free(b);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_load_open_refuses_a_non_empty_table_unless_allowed(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE l (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO l VALUES (1, 'x')");
    cut_conn *c = open_db(t->db, CUT_OPEN_WRITE);
    cut_table *tb = describe(c, "l");
    int cols[] = {0, 1};
    cut_load_opts lo = {.cols = cols, .ncols = 2};
    cut_load *l = (cut_load *)1;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->load_open(c, tb, &lo, &l, &err), CUT_ESTATE);
    assert_null(l);
    assert_contains(err.msg, "not empty");
    assert_contains(err.msg, "1 rows");
    assert_string_equal(err.table, "l");
    /* The refusal left no transaction open: allowed, the load works. */
    lo.allow_nonempty = 1;
    cut_error_clear(&err);
    assert_int_equal(c->drv->load_open(c, tb, &lo, &l, &err), CUT_OK);
    static const char *const vals[] = {"2", "y"};
    cut_batch *b = batch_of(2, 1, vals);
    rejs rj = {0};
    assert_int_equal(c->drv->load_rows(l, b, on_reject, &rj, &err), CUT_OK);
    assert_int_equal(c->drv->load_commit(l, &err), CUT_OK);
    assert_string_equal(query(t->db, "SELECT count(*) FROM l"), "2");
    cut_batch_free(b);
    cut_table_free(tb);
    cut_disconnect(c);
}

static void test_load_of_a_column_subset_leaves_defaults(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE l (id INTEGER PRIMARY KEY, v TEXT, s TEXT NOT NULL DEFAULT 'new')");
    cut_conn *c = open_db(t->db, CUT_OPEN_WRITE);
    cut_table *tb = describe(c, "l");
    int cols[] = {1};
    cut_load_opts lo = {.cols = cols, .ncols = 1};
    cut_load *l = NULL;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->load_open(c, tb, &lo, &l, &err), CUT_OK);
    static const char *const vals[] = {"a", "b"};
    cut_batch *b = batch_of(1, 2, vals);
    rejs rj = {0};
    assert_int_equal(c->drv->load_rows(l, b, on_reject, &rj, &err), CUT_OK);
    assert_int_equal(c->drv->load_commit(l, &err), CUT_OK);
    assert_string_equal(query(t->db, "SELECT group_concat(id || v || s, ',') FROM l"),
                        "1anew,2bnew");
    cut_batch_free(b);
    cut_table_free(tb);
    cut_disconnect(c);
}

/* ------------------------------------------------------------- truncate */

static void make_family(const char *db)
{
    sql(db,
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL REFERENCES parent(id));"
        "CREATE TABLE other (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent(id));"
        "INSERT INTO parent VALUES (1), (2);"
        "INSERT INTO child VALUES (10, 1), (11, 2);");
}

static void test_truncate_empties_children_first_in_one_transaction(void **state)
{
    tmp *t = *state;
    make_family(t->db);
    cut_conn *c = open_db(t->db, CUT_OPEN_WRITE);
    cut_table *p = describe(c, "parent"), *ch = describe(c, "child");
    cut_table *tabs[] = {ch, p};
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->truncate(c, tabs, 2, &err), CUT_OK);
    assert_string_equal(query(t->db, "SELECT count(*) FROM parent"), "0");
    assert_string_equal(query(t->db, "SELECT count(*) FROM child"), "0");
    cut_table_free(p);
    cut_table_free(ch);
    cut_disconnect(c);
}

static void test_truncate_fails_cleanly_when_another_table_references_them(void **state)
{
    tmp *t = *state;
    make_family(t->db);
    sql(t->db, "INSERT INTO other VALUES (100, 1)");
    cut_conn *c = open_db(t->db, CUT_OPEN_WRITE);
    cut_table *p = describe(c, "parent"), *ch = describe(c, "child");
    cut_table *tabs[] = {ch, p};
    cut_error err;
    cut_error_clear(&err);
    int rc = c->drv->truncate(c, tabs, 2, &err);
    assert_int_equal(rc, CUT_ESERVER);
    assert_contains(err.msg, "cannot empty");
    assert_contains(err.msg, "FOREIGN KEY");
    assert_string_equal(err.table, "parent");
    /* One transaction: the child table emptied first is back. */
    assert_string_equal(query(t->db, "SELECT count(*) FROM child"), "2");
    assert_string_equal(query(t->db, "SELECT count(*) FROM parent"), "2");
    /* And the connection still works. */
    sql(t->db, "DELETE FROM other");
    cut_error_clear(&err);
    assert_int_equal(c->drv->truncate(c, tabs, 2, &err), CUT_OK);
    assert_string_equal(query(t->db, "SELECT count(*) FROM parent"), "0");
    cut_table_free(p);
    cut_table_free(ch);
    cut_disconnect(c);
}

static void test_truncate_parent_before_child_fails_and_changes_nothing(void **state)
{
    tmp *t = *state;
    make_family(t->db);
    cut_conn *c = open_db(t->db, CUT_OPEN_WRITE);
    cut_table *p = describe(c, "parent"), *ch = describe(c, "child");
    cut_table *tabs[] = {p, ch};
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->truncate(c, tabs, 2, &err), CUT_ESERVER);
    assert_string_equal(query(t->db, "SELECT count(*) FROM child"), "2");
    assert_string_equal(query(t->db, "SELECT count(*) FROM parent"), "2");
    cut_table_free(p);
    cut_table_free(ch);
    cut_disconnect(c);
}

/* --------------------------------------------------------------- counts */

static void test_list_tables_skips_internal_tables_and_views(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE zeta (id INTEGER PRIMARY KEY AUTOINCREMENT);"
               "CREATE TABLE alpha (id INTEGER);"
               "CREATE VIEW vw AS SELECT * FROM alpha;"
               "CREATE INDEX ix ON alpha(id);"
               "INSERT INTO zeta DEFAULT VALUES;");
    cut_conn *c = open_db(t->db, CUT_OPEN_READ);
    char **names = NULL;
    int n = -1;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->list_tables(c, &names, &n, &err), CUT_OK);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "alpha");
    assert_string_equal(names[1], "zeta");
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    cut_disconnect(c);
}

static void test_count_rows_is_exact_and_estimate_is_close(void **state)
{
    tmp *t = *state;
    sql(t->db, "CREATE TABLE k (id INTEGER PRIMARY KEY, v TEXT);"
               "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 100)"
               " INSERT INTO k SELECT x, 'v' FROM n;"
               "DELETE FROM k WHERE id % 10 = 0;"
               "CREATE TABLE e (id INTEGER);"
               "CREATE TABLE w (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;"
               "INSERT INTO w VALUES ('a', 'x'), ('b', 'y'), ('c', 'z');");
    cut_conn *c = open_db(t->db, CUT_OPEN_READ);
    cut_table *k = describe(c, "k"), *e = describe(c, "e"), *w = describe(c, "w");
    cut_error err;
    cut_error_clear(&err);
    int64_t n = -1;
    assert_int_equal(c->drv->count_rows(c, k, &n, &err), CUT_OK);
    assert_int_equal(n, 90);
    n = -1;
    assert_int_equal(c->drv->estimate_rows(c, k, &n, &err), CUT_OK);
    assert_true(n >= 90 && n <= 100);
    n = -1;
    assert_int_equal(c->drv->count_rows(c, e, &n, &err), CUT_OK);
    assert_int_equal(n, 0);
    n = -1;
    assert_int_equal(c->drv->estimate_rows(c, e, &n, &err), CUT_OK);
    assert_int_equal(n, 0);
    /* No rowid: the estimate falls back to counting. */
    n = -1;
    assert_int_equal(c->drv->estimate_rows(c, w, &n, &err), CUT_OK);
    assert_int_equal(n, 3);
    assert_int_equal(err.code, 0);
    cut_table_free(k);
    cut_table_free(e);
    cut_table_free(w);
    cut_disconnect(c);
}

static void test_driver_is_registered_with_its_capabilities(void **state)
{
    (void)state;
    const cut_driver *d = cut_driver_find("sqlite");
    assert_ptr_equal(d, &cut_driver_sqlite);
    assert_int_equal(d->version, 1);
    assert_true(d->caps & CUT_DRV_SOURCE);
    assert_true(d->caps & CUT_DRV_TARGET);
    assert_true(d->caps & CUT_DRV_SINGLE_WRITER);
    assert_non_null(d->exec);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_tmp, teardown_tmp)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_declared_types_map_to_logical_types),
        T(test_not_null_defaults_and_integer_primary_key),
        T(test_int_primary_key_is_not_a_rowid_alias),
        T(test_integer_primary_key_of_without_rowid_table_is_not_identity),
        T(test_composite_primary_key_keeps_key_order),
        T(test_foreign_keys_are_described),
        T(test_missing_table_is_not_found),
        T(test_view_can_be_described_and_scanned),
        T(test_estimate_rows_of_a_view_falls_back_to_counting),
        T(test_generated_columns_are_not_described),
        T(test_connect_to_missing_file_names_the_path),
        T(test_connect_to_a_file_that_is_not_a_database_fails),
        T(test_read_connect_recovers_a_hot_journal),
        T(test_connect_to_a_directory_fails),
        T(test_scan_renders_values_as_text),
        T(test_scan_reads_a_column_subset_in_the_order_asked),
        T(test_scan_orders_by_the_given_columns),
        T(test_scan_key_range_is_lo_inclusive_hi_exclusive),
        T(test_scan_batches_of_1_and_3_give_the_same_rows),
        T(test_odd_table_and_column_names_are_quoted),
        T(test_load_binds_canonical_cells_by_type),
        T(test_load_rejects_nan_with_a_reason),
        T(test_load_rejects_integer_beyond_int64),
        T(test_load_numeric_that_sqlite_cannot_hold_exactly_is_rejected),
        T(test_load_text_that_numeric_affinity_would_change_is_rejected),
        T(test_constraint_violation_rejects_only_that_row),
        T(test_commit_makes_rows_visible),
        T(test_abort_rolls_back_the_load),
        T(test_load_open_refuses_a_non_empty_table_unless_allowed),
        T(test_load_of_a_column_subset_leaves_defaults),
        T(test_truncate_empties_children_first_in_one_transaction),
        T(test_truncate_fails_cleanly_when_another_table_references_them),
        T(test_truncate_parent_before_child_fails_and_changes_nothing),
        T(test_list_tables_skips_internal_tables_and_views),
        T(test_count_rows_is_exact_and_estimate_is_close),
        T(test_driver_is_registered_with_its_capabilities),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
