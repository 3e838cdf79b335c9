/*
 * test_mysql.c — the MariaDB/MySQL driver (lib/drv_mysql.c) through the
 * cut_driver interface, against a real server: URLs and connection errors,
 * information_schema → logical types, keys, scans (dialect → canonical input,
 * unbuffered, consistent snapshot, read-only), loads by LOAD DATA LOCAL and by
 * INSERT (both paths, and the fallback when the server refuses local infile),
 * row-level rejects with the server's reason, transactions, truncate, counts.
 *
 * Run by tests/integration/mysql.sh, which starts a private server and exports
 * MYSQL_URL (mysql://root@127.0.0.1:PORT/test) and MYSQL_SOCKET. Each test works
 * in a database of its own, dropped afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver.h"
#include "types.h"

/* ------------------------------------------------------------ helpers */

typedef struct fx {
    char db[64];
    char url[512];        /* mysql://root@127.0.0.1:PORT/<db> */
    char url_insert[600]; /* the same with ?local_infile=0 */
    cut_conn *admin;      /* write connection to <db>, for setup SQL */
} fx;

static int counter;

/* Connections a test opened: closed by the teardown, so that a failed assertion leaves
   no open transaction behind to block DROP DATABASE. */
static cut_conn *opened[16];
static int nopened;

static void close_conn(cut_conn *c)
{
    for (int i = 0; i < nopened; i++)
        if (opened[i] == c) {
            opened[i] = opened[--nopened];
            break;
        }
    cut_disconnect(c);
}

/* MYSQL_URL with its database replaced by db (and a query string appended). */
static void url_for(char *out, size_t size, const char *db, const char *query)
{
    const char *base = getenv("MYSQL_URL");
    const char *slash = strrchr(base, '/');
    snprintf(out, size, "%.*s/%s%s", (int)(slash - base), base, db, query ? query : "");
}

static int setup_db(void **state)
{
    if (!getenv("MYSQL_URL")) {
        fprintf(stderr, "MYSQL_URL is not set: run through tests/integration/mysql.sh\n");
        return -1;
    }
    fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    snprintf(f->db, sizeof(f->db), "cut_t%d_%d", (int)getpid(), ++counter);
    cut_error err;
    cut_error_clear(&err);
    cut_conn *c = NULL;
    if (cut_connect(getenv("MYSQL_URL"), CUT_OPEN_WRITE, &c, &err)) {
        fprintf(stderr, "connect: %s\n", err.msg);
        free(f);
        return -1;
    }
    char sql[256];
    snprintf(sql, sizeof(sql), "CREATE DATABASE `%s` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
             f->db);
    int rc = c->drv->exec(c, sql, &err);
    cut_disconnect(c);
    if (rc) {
        fprintf(stderr, "create database: %s\n", err.msg);
        free(f);
        return -1;
    }
    url_for(f->url, sizeof(f->url), f->db, NULL);
    url_for(f->url_insert, sizeof(f->url_insert), f->db, "?local_infile=0");
    if (cut_connect(f->url, CUT_OPEN_WRITE, &f->admin, &err)) {
        fprintf(stderr, "connect: %s\n", err.msg);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown_db(void **state)
{
    fx *f = *state;
    char sql[128];
    cut_error err;
    while (nopened)
        close_conn(opened[0]);
    f->admin->drv->exec(f->admin, "ROLLBACK", &err);
    f->admin->drv->exec(f->admin, "SET GLOBAL local_infile = 1", &err);
    f->admin->drv->exec(f->admin, "SET SESSION lock_wait_timeout = 10", &err);
    snprintf(sql, sizeof(sql), "DROP DATABASE `%s`", f->db);
    f->admin->drv->exec(f->admin, sql, &err);
    cut_disconnect(f->admin);
    free(f);
    return 0;
}

/* Runs SQL on the admin connection; fails the test on error. */
static void sql(fx *f, const char *text)
{
    cut_error err;
    cut_error_clear(&err);
    if (f->admin->drv->exec(f->admin, text, &err))
        fail_msg("sql: %s: %s", text, err.msg);
}

static cut_conn *conn(const char *url, int mode)
{
    cut_error err;
    cut_error_clear(&err);
    cut_conn *c = NULL;
    if (cut_connect(url, mode, &c, &err))
        fail_msg("connect %s: %s", url, err.msg);
    assert_true(nopened < 16);
    opened[nopened++] = c;
    return c;
}

static cut_table *describe(cut_conn *c, const char *name)
{
    cut_error err;
    cut_error_clear(&err);
    cut_table *t = NULL;
    if (c->drv->describe(c, name, &t, &err))
        fail_msg("describe %s: %s", name, err.msg);
    return t;
}

static const cut_column *col(const cut_table *t, const char *name)
{
    int i = cut_table_column(t, name);
    if (i < 0)
        fail_msg("no column %s", name);
    return &t->cols[i];
}

/* Reads the whole table (all columns), canonicalizes every value with its own type,
   and renders rows as "v1|v2|..." lines (NULL as \N) into out. */
static void dump(cut_conn *c, const char *table, const char *order, cut_buf *out)
{
    cut_error err;
    cut_error_clear(&err);
    cut_table *t = describe(c, table);
    int oc = order ? cut_table_column(t, order) : -1;
    cut_scan_opts so;
    memset(&so, 0, sizeof(so));
    if (oc >= 0) {
        so.order = &oc;
        so.norder = 1;
    }
    cut_scan *s = NULL;
    if (c->drv->scan_open(c, t, &so, &s, &err))
        fail_msg("scan_open: %s", err.msg);
    cut_batch *b = cut_batch_new(t->ncols, 3);
    cut_buf canon = {0};
    cut_buf_reset(out);
    for (;;) {
        if (c->drv->scan_next(s, b, &err))
            fail_msg("scan_next: %s", err.msg);
        if (b->nrows == 0)
            break;
        for (int r = 0; r < b->nrows; r++) {
            const cut_cell *row = cut_batch_crow(b, r);
            for (int i = 0; i < t->ncols; i++) {
                if (i)
                    cut_buf_appendc(out, '|');
                if (cut_cell_is_null(&row[i])) {
                    cut_buf_append(out, "\\N", 2);
                    continue;
                }
                const char *reason = NULL;
                int rc = cut_canon(&t->cols[i].type, row[i].p, row[i].len, NULL, &canon, &reason);
                if (rc == CUT_CANON_SAME)
                    cut_buf_append(out, row[i].p, row[i].len);
                else if (rc == CUT_CANON_NEW)
                    cut_buf_append(out, canon.p, canon.len);
                else if (rc == CUT_CANON_NULL)
                    cut_buf_append(out, "<zero>", 6);
                else
                    cut_buf_printf(out, "<bad: %s>", reason);
            }
            cut_buf_appendc(out, '\n');
        }
    }
    c->drv->scan_close(s);
    cut_batch_free(b);
    cut_buf_free(&canon);
    cut_table_free(t);
    cut_buf_cstr(out);
}

/* A batch built from rows of '|'-separated text; "\N" is NULL. Cells are copies. */
static cut_batch *batch_of(int ncols, const char *const *rows, int nrows)
{
    cut_batch *b = cut_batch_new(ncols, nrows ? nrows : 1);
    for (int r = 0; r < nrows; r++) {
        const char *p = rows[r];
        for (int i = 0; i < ncols; i++) {
            const char *e = strchr(p, '|');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            if (n == 2 && memcmp(p, "\\N", 2) == 0)
                cut_batch_set_null(b, r, i);
            else
                assert_int_equal(cut_batch_set_copy(b, r, i, p, n), 0);
            p = e ? e + 1 : p + n;
        }
        b->nrows++;
    }
    return b;
}

typedef struct rejects {
    int n;
    int rows[64];
    char reasons[64][600];
} rejects;

static void on_reject(void *ud, int row, const char *reason)
{
    rejects *rj = ud;
    if (rj->n < 64) {
        rj->rows[rj->n] = row;
        snprintf(rj->reasons[rj->n], sizeof(rj->reasons[0]), "%s", reason);
    }
    rj->n++;
}

/* Loads b into table (all columns in table order) and commits; rejects go to rj. */
static void load(cut_conn *c, const char *table, cut_batch *b, rejects *rj)
{
    cut_error err;
    cut_error_clear(&err);
    cut_table *t = describe(c, table);
    int cols[64];
    for (int i = 0; i < t->ncols; i++)
        cols[i] = i;
    cut_load_opts lo = {.cols = cols, .ncols = t->ncols, .allow_nonempty = 0, .in_tx = 0};
    cut_load *l = NULL;
    if (c->drv->load_open(c, t, &lo, &l, &err))
        fail_msg("load_open: %s", err.msg);
    if (c->drv->load_rows(l, b, on_reject, rj, &err))
        fail_msg("load_rows: %s", err.msg);
    if (c->drv->load_commit(l, &err))
        fail_msg("load_commit: %s", err.msg);
    cut_table_free(t);
}

static int64_t count(cut_conn *c, const char *table)
{
    cut_error err;
    cut_table *t = describe(c, table);
    int64_t n = -1;
    assert_int_equal(c->drv->count_rows(c, t, &n, &err), 0);
    cut_table_free(t);
    return n;
}

/* ------------------------------------------------------------ URLs */

static void test_driver_is_registered_for_mysql_and_mariadb_urls(void **state)
{
    (void)state;
    const cut_driver *d = cut_driver_find("mysql");
    assert_non_null(d);
    assert_ptr_equal(d, &cut_driver_mysql);
    assert_true(d->caps & CUT_DRV_SOURCE);
    assert_true(d->caps & CUT_DRV_TARGET);
    assert_false(d->caps & CUT_DRV_SINGLE_WRITER);
    fx *f = *state;
    char url[600];
    snprintf(url, sizeof(url), "mariadb%s", strstr(f->url, "://"));
    cut_conn *c = conn(url, CUT_OPEN_READ);
    assert_ptr_equal(c->drv, &cut_driver_mysql);
    close_conn(c);
}

static void test_wrong_password_names_the_redacted_url_never_the_password(void **state)
{
    fx *f = *state;
    sql(f, "CREATE USER IF NOT EXISTS 'cut_pw'@'127.0.0.1' IDENTIFIED BY 'S3cret-pw'");
    char url[600], base[600];
    url_for(base, sizeof(base), f->db, NULL);
    /* mysql://root@host:port/db → mysql://cut_pw:wrong-pw-99@host:port/db */
    snprintf(url, sizeof(url), "mysql://cut_pw:wrong-pw-99@%s", strchr(base, '@') + 1);
    cut_error err;
    cut_error_clear(&err);
    cut_conn *c = NULL;
    assert_int_equal(cut_connect(url, CUT_OPEN_READ, &c, &err), CUT_ECONNECT);
    assert_non_null(strstr(err.msg, "mysql://cut_pw:***@"));
    assert_null(strstr(err.msg, "wrong-pw-99"));
    assert_non_null(strstr(err.msg, "Access denied"));
    sql(f, "DROP USER 'cut_pw'@'127.0.0.1'");
}

static void test_password_comes_from_mysql_pwd_when_the_url_has_none(void **state)
{
    fx *f = *state;
    char q[300];
    sql(f, "CREATE USER IF NOT EXISTS 'cut_env'@'127.0.0.1' IDENTIFIED BY 'from-env-7'");
    snprintf(q, sizeof(q), "GRANT ALL ON `%s`.* TO 'cut_env'@'127.0.0.1'", f->db);
    sql(f, q);
    char base[600], url[600];
    url_for(base, sizeof(base), f->db, NULL);
    snprintf(url, sizeof(url), "mysql://cut_env@%s", strchr(base, '@') + 1);
    setenv("MYSQL_PWD", "from-env-7", 1);
    cut_conn *c = conn(url, CUT_OPEN_READ);
    close_conn(c);
    setenv("MYSQL_PWD", "not-it", 1);
    cut_error err;
    cut_error_clear(&err);
    c = NULL;
    assert_int_equal(cut_connect(url, CUT_OPEN_READ, &c, &err), CUT_ECONNECT);
    assert_null(strstr(err.msg, "not-it"));
    unsetenv("MYSQL_PWD");
    sql(f, "DROP USER 'cut_env'@'127.0.0.1'");
}

static void test_socket_parameter_connects_through_the_unix_socket(void **state)
{
    fx *f = *state;
    const char *sock = getenv("MYSQL_SOCKET");
    assert_non_null(sock);
    char url[900];
    snprintf(url, sizeof(url), "mysql://root@/%s?socket=%s", f->db, sock);
    cut_conn *c = conn(url, CUT_OPEN_READ);
    sql(f, "CREATE TABLE t (id INT PRIMARY KEY)");
    assert_int_equal(count(c, "t"), 0);
    close_conn(c);
}

static void test_url_without_database_or_with_unknown_parameter_is_refused(void **state)
{
    fx *f = *state;
    cut_error err;
    cut_error_clear(&err);
    cut_conn *c = NULL;
    char url[700];
    url_for(url, sizeof(url), "", NULL);
    assert_int_equal(cut_connect(url, CUT_OPEN_READ, &c, &err), CUT_EINVAL);
    assert_non_null(strstr(err.msg, "names no database"));
    snprintf(url, sizeof(url), "%s?sslmode=require", f->url);
    assert_int_equal(cut_connect(url, CUT_OPEN_READ, &c, &err), CUT_EINVAL);
    assert_non_null(strstr(err.msg, "unknown parameter 'sslmode'"));
}

static void test_unreachable_server_is_a_connect_error(void **state)
{
    (void)state;
    cut_error err;
    cut_error_clear(&err);
    cut_conn *c = NULL;
    assert_int_equal(
        cut_connect("mysql://root:pw@127.0.0.1:1/x?connect_timeout=2", CUT_OPEN_READ, &c, &err),
        CUT_ECONNECT);
    assert_non_null(strstr(err.msg, "mysql://root:***@127.0.0.1:1/x"));
}

/* ------------------------------------------------------------ describe */

static void test_information_schema_types_map_to_logical_types(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE ty ("
           " i8 TINYINT, b1 TINYINT(1), u8 TINYINT UNSIGNED, i16 SMALLINT, i24 MEDIUMINT,"
           " u24 MEDIUMINT UNSIGNED, i32 INT, u32 INT UNSIGNED, i64 BIGINT, u64 BIGINT UNSIGNED,"
           " bit1 BIT(1), bit10 BIT(10), bit64 BIT(64), yr YEAR,"
           " dec82 DECIMAL(8,2), f32 FLOAT, f64 DOUBLE,"
           " d DATE, dt DATETIME, dt3 DATETIME(3), ts TIMESTAMP(6) NULL, tm TIME(2),"
           " c4 CHAR(4), vc VARCHAR(50), vc3 VARCHAR(10) CHARACTER SET utf8mb3,"
           " l1 VARCHAR(10) CHARACTER SET latin1, tx TEXT, lt LONGTEXT,"
           " en ENUM('a','bbb'), st SET('x','yy'),"
           " bin BINARY(16), vb VARBINARY(20), bl BLOB, js JSON, geo GEOMETRY,"
           " uu UUID)");
    cut_table *t = describe(f->admin, "ty");
    assert_int_equal(t->ncols, 36);
    const cut_column *c;
    c = col(t, "i8");
    assert_int_equal(c->type.kind, CUT_T_INT);
    assert_int_equal(c->type.width, 8);
    assert_false(c->type.flags & CUT_TF_UNSIGNED);
    c = col(t, "b1");
    assert_int_equal(c->type.kind, CUT_T_INT);
    assert_int_equal(c->type.width, 8);
    c = col(t, "u8");
    assert_int_equal(c->type.width, 8);
    assert_true(c->type.flags & CUT_TF_UNSIGNED);
    c = col(t, "i16");
    assert_int_equal(c->type.width, 16);
    c = col(t, "i24");
    assert_int_equal(c->type.width, 24);
    c = col(t, "u24");
    assert_int_equal(c->type.width, 24);
    assert_true(c->type.flags & CUT_TF_UNSIGNED);
    c = col(t, "i32");
    assert_int_equal(c->type.width, 32);
    c = col(t, "u32");
    assert_int_equal(c->type.width, 32);
    assert_true(c->type.flags & CUT_TF_UNSIGNED);
    c = col(t, "i64");
    assert_int_equal(c->type.width, 64);
    c = col(t, "u64");
    assert_int_equal(c->type.width, 64);
    assert_true(c->type.flags & CUT_TF_UNSIGNED);
    c = col(t, "bit1");
    assert_int_equal(c->type.kind, CUT_T_BOOL);
    c = col(t, "bit10");
    assert_int_equal(c->type.kind, CUT_T_INT);
    assert_int_equal(c->type.width, 16);
    assert_true(c->type.flags & CUT_TF_UNSIGNED);
    c = col(t, "bit64");
    assert_int_equal(c->type.width, 64);
    c = col(t, "yr");
    assert_int_equal(c->type.kind, CUT_T_INT);
    c = col(t, "dec82");
    assert_int_equal(c->type.kind, CUT_T_NUMERIC);
    assert_int_equal(c->type.precision, 8);
    assert_int_equal(c->type.scale, 2);
    c = col(t, "f32");
    assert_int_equal(c->type.kind, CUT_T_FLOAT);
    assert_int_equal(c->type.width, 32);
    c = col(t, "f64");
    assert_int_equal(c->type.kind, CUT_T_FLOAT);
    assert_int_equal(c->type.width, 64);
    c = col(t, "d");
    assert_int_equal(c->type.kind, CUT_T_DATE);
    c = col(t, "dt");
    assert_int_equal(c->type.kind, CUT_T_TIMESTAMP);
    assert_int_equal(c->type.precision, 0);
    c = col(t, "dt3");
    assert_int_equal(c->type.kind, CUT_T_TIMESTAMP);
    assert_int_equal(c->type.precision, 3);
    c = col(t, "ts");
    assert_int_equal(c->type.kind, CUT_T_TIMESTAMPTZ);
    assert_int_equal(c->type.precision, 6);
    c = col(t, "tm");
    assert_int_equal(c->type.kind, CUT_T_TIME);
    assert_int_equal(c->type.precision, 2);
    c = col(t, "c4");
    assert_int_equal(c->type.kind, CUT_T_TEXT);
    assert_int_equal(c->type.length, 4);
    assert_true(c->type.flags & CUT_TF_FIXED);
    c = col(t, "vc");
    assert_int_equal(c->type.length, 50);
    assert_false(c->type.flags & CUT_TF_FIXED);
    assert_false(c->type.flags & CUT_TF_BMP_ONLY);
    c = col(t, "vc3");
    assert_true(c->type.flags & CUT_TF_BMP_ONLY);
    c = col(t, "l1");
    assert_int_equal(c->type.kind, CUT_T_TEXT);
    c = col(t, "tx");
    assert_int_equal(c->type.kind, CUT_T_TEXT);
    assert_int_equal(c->type.length, 0);
    c = col(t, "lt");
    assert_int_equal(c->type.kind, CUT_T_TEXT);
    c = col(t, "en");
    assert_int_equal(c->type.kind, CUT_T_TEXT);
    assert_int_equal(c->type.length, 3);
    c = col(t, "st");
    assert_int_equal(c->type.kind, CUT_T_TEXT);
    c = col(t, "bin");
    assert_int_equal(c->type.kind, CUT_T_BYTES);
    assert_int_equal(c->type.length, 16);
    c = col(t, "vb");
    assert_int_equal(c->type.kind, CUT_T_BYTES);
    assert_int_equal(c->type.length, 20);
    c = col(t, "bl");
    assert_int_equal(c->type.kind, CUT_T_BYTES);
    assert_int_equal(c->type.length, 0);
    c = col(t, "js");
    assert_int_equal(c->type.kind, CUT_T_JSON);
    c = col(t, "geo");
    assert_true(c->unsupported);
    assert_string_equal(c->native, "geometry");
    c = col(t, "uu");
    assert_int_equal(c->type.kind, CUT_T_UUID);
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, "geo") != 0)
            assert_false(t->cols[i].unsupported);
    cut_table_free(t);
}

static void test_keys_defaults_identity_and_generated_columns(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE parent (a INT NOT NULL, b VARCHAR(5) NOT NULL, PRIMARY KEY (b, a))");
    sql(f, "CREATE TABLE child (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
           " pa INT, pb VARCHAR(5), n INT NOT NULL DEFAULT 3, m INT NOT NULL,"
           " twice INT AS (n * 2) VIRTUAL,"
           " CONSTRAINT fk_p FOREIGN KEY (pb, pa) REFERENCES parent (b, a))");
    cut_table *p = describe(f->admin, "parent");
    assert_int_equal(p->npk, 2);
    assert_string_equal(p->cols[p->pk[0]].name, "b");
    assert_string_equal(p->cols[p->pk[1]].name, "a");
    cut_table *t = describe(f->admin, "child");
    assert_int_equal(t->ncols, 5); /* the generated column is not data */
    assert_int_equal(cut_table_column(t, "twice"), -1);
    assert_true(col(t, "id")->identity);
    assert_true(col(t, "id")->has_default);
    assert_true(col(t, "n")->has_default);
    assert_true(col(t, "n")->not_null);
    assert_false(col(t, "m")->has_default);
    assert_false(col(t, "pa")->not_null);
    assert_int_equal(t->npk, 1);
    assert_int_equal(t->nfk, 1);
    assert_string_equal(t->fks[0].name, "fk_p");
    assert_string_equal(t->fks[0].ref_table, "parent");
    assert_int_equal(t->fks[0].ncols, 2);
    assert_string_equal(t->cols[t->fks[0].cols[0]].name, "pb");
    assert_string_equal(t->fks[0].ref_cols[0], "b");
    assert_string_equal(t->fks[0].ref_cols[1], "a");
    cut_table_free(p);
    cut_table_free(t);
}

static void test_table_names_match_exactly_then_case_insensitively(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE `Album` (`AlbumId` INT PRIMARY KEY)");
    cut_table *t = describe(f->admin, "album");
    assert_string_equal(t->name, "Album");
    assert_int_equal(t->ncols, 1);
    cut_table_free(t);
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(f->admin->drv->describe(f->admin, "albums", &t, &err), CUT_ENOTFOUND);
    assert_non_null(strstr(err.msg, "albums"));
}

static void test_odd_names_are_quoted(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE `we``ird 'name` (`se``lect` INT PRIMARY KEY, `a'b` TEXT)");
    cut_conn *c = conn(f->url, CUT_OPEN_WRITE);
    cut_batch *b = batch_of(2, (const char *const[]){"1|x", "2|\\N"}, 2);
    rejects rj = {0};
    load(c, "we`ird 'name", b, &rj);
    assert_int_equal(rj.n, 0);
    cut_buf out = {0};
    dump(c, "we`ird 'name", "se`lect", &out);
    assert_string_equal(out.p, "1|x\n2|\\N\n");
    cut_buf_free(&out);
    cut_batch_free(b);
    close_conn(c);
}

/* ------------------------------------------------------------ scan */

static void test_scan_translates_the_dialect_to_canonical_input(void **state)
{
    fx *f = *state;
    sql(f, "SET SESSION sql_mode = ''");
    sql(f, "CREATE TABLE v (id INT PRIMARY KEY, b1 BIT(1), b10 BIT(10), b64 BIT(64),"
           " ts TIMESTAMP(3) NULL, zd DATE, zts DATETIME, f FLOAT, d DOUBLE,"
           " bin VARBINARY(10), fixed BINARY(4), js JSON, tm TIME, yr YEAR, e ENUM('x','y'),"
           " c CHAR(5), u BIGINT UNSIGNED)");
    sql(f, "INSERT INTO v VALUES (1, b'1', b'1010101010', "
           "b'1111111111111111111111111111111111111111111111111111111111111111',"
           " '2024-01-05 12:34:56.789', '0000-00-00', '2024-00-10 10:00:00', 1.2345678, 0.1,"
           " X'00FF0A5C4E', X'4142', '{\"b\": [1.0, 2], \"a\": null}', '-12:00:00', 2024, 'y',"
           " 'ab   ', 18446744073709551615)");
    sql(f, "INSERT INTO v (id, b1, f) VALUES (2, b'0', 16777217)");
    cut_conn *c = conn(f->url, CUT_OPEN_READ);
    cut_buf out = {0};
    dump(c, "v", "id", &out);
    static const char want[] =
        "1|t|682|18446744073709551615|2024-01-05 12:34:56.789+00|<zero>|<zero>|"
        "1.2345678|0.1|\x00\xff\n\\N|AB\x00\x00|{\"a\":null,\"b\":[1,2]}|"
        "<bad: time out of range: '-12:00:00'>|2024|y|ab|18446744073709551615\n"
        "2|f|\\N|\\N|\\N|\\N|\\N|1.6777216e+07|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N\n";
    if (out.len != sizeof(want) - 1 || memcmp(out.p, want, out.len) != 0)
        fail_msg("got:\n%s", out.p);
    cut_buf_free(&out);
    close_conn(c);
}

static void test_timestamp_is_read_in_utc_whatever_the_server_zone(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE z (id INT PRIMARY KEY, ts TIMESTAMP NULL)");
    /* Written from a session in another zone: the instant is what matters. */
    sql(f, "SET SESSION time_zone = '+05:00'");
    sql(f, "INSERT INTO z VALUES (1, '2024-07-01 12:00:00')");
    sql(f, "SET SESSION time_zone = '+00:00'");
    cut_conn *c = conn(f->url, CUT_OPEN_READ);
    cut_buf out = {0};
    dump(c, "z", "id", &out);
    assert_string_equal(out.p, "1|2024-07-01 07:00:00+00\n");
    cut_buf_free(&out);
    close_conn(c);
}

static void test_scan_subset_order_key_range_and_batches(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE r (id INT PRIMARY KEY, name VARCHAR(10))");
    sql(f, "INSERT INTO r VALUES (5,'e'),(1,'a'),(3,'c'),(2,'b'),(4,'d'),(6,'f')");
    cut_conn *c = conn(f->url, CUT_OPEN_READ);
    cut_table *t = describe(c, "r");
    cut_error err;
    int cols[] = {1, 0};
    int order[] = {0};
    cut_scan_opts so = {cols, 2, order, 1, 0, 1, 1, 2, 5};
    cut_scan *s = NULL;
    assert_int_equal(c->drv->scan_open(c, t, &so, &s, &err), 0);
    cut_batch *b = cut_batch_new(2, 2);
    char got[128] = "";
    int total = 0;
    for (;;) {
        assert_int_equal(c->drv->scan_next(s, b, &err), 0);
        if (!b->nrows)
            break;
        for (int r = 0; r < b->nrows; r++) {
            const cut_cell *row = cut_batch_crow(b, r);
            size_t l = strlen(got);
            snprintf(got + l, sizeof(got) - l, "%.*s%.*s ", (int)row[0].len, row[0].p,
                     (int)row[1].len, row[1].p);
            assert_int_equal(b->pos[r], (uint64_t)++total);
        }
    }
    assert_string_equal(got, "b2 c3 d4 ");
    c->drv->scan_close(s);
    cut_batch_free(b);
    cut_table_free(t);
    close_conn(c);
}

static void test_read_sees_one_snapshot_and_cannot_write(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE s (id INT PRIMARY KEY)");
    sql(f, "INSERT INTO s VALUES (1), (2)");
    cut_conn *c = conn(f->url, CUT_OPEN_READ);
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->begin_read(c, &err), 0);
    cut_buf out = {0};
    dump(c, "s", "id", &out); /* the snapshot starts here */
    sql(f, "INSERT INTO s VALUES (3)");
    dump(c, "s", "id", &out);
    assert_string_equal(out.p, "1\n2\n");
    c->drv->end_read(c);
    dump(c, "s", "id", &out);
    assert_string_equal(out.p, "1\n2\n3\n");
    /* A source session is read-only. */
    assert_int_not_equal(c->drv->exec(c, "INSERT INTO s VALUES (4)", &err), 0);
    assert_int_equal(count(f->admin, "s"), 3);
    cut_buf_free(&out);
    close_conn(c);
}

static void test_unfinished_scan_can_be_closed_and_the_connection_reused(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE big (id INT PRIMARY KEY)");
    sql(f, "INSERT INTO big SELECT seq FROM seq_1_to_20000");
    cut_conn *c = conn(f->url, CUT_OPEN_READ);
    cut_table *t = describe(c, "big");
    cut_error err;
    cut_scan *s = NULL;
    assert_int_equal(c->drv->scan_open(c, t, NULL, &s, &err), 0);
    cut_batch *b = cut_batch_new(1, 10);
    assert_int_equal(c->drv->scan_next(s, b, &err), 0);
    assert_int_equal(b->nrows, 10);
    c->drv->scan_close(s);
    assert_int_equal(count(c, "big"), 20000);
    int64_t est = 0;
    assert_int_equal(c->drv->estimate_rows(c, t, &est, &err), 0);
    assert_true(est > 10000 && est < 40000);
    cut_batch_free(b);
    cut_table_free(t);
    close_conn(c);
}

/* ------------------------------------------------------------ load */

/* Two tests of one check(fx, url): through LOAD DATA LOCAL and through INSERT
   (?local_infile=0). */
#define BOTH_PATHS(load_data_test, insert_test, check)                                             \
    static void load_data_test(void **state)                                                       \
    {                                                                                              \
        fx *f = *state;                                                                            \
        check(f, f->url);                                                                          \
    }                                                                                              \
    static void insert_test(void **state)                                                          \
    {                                                                                              \
        fx *f = *state;                                                                            \
        check(f, f->url_insert);                                                                   \
    }

static const char *const tricky[] = {
    "1|tab\there|AQID|t|5|2024-01-05 "
    "12:34:56.5+00|1.5|12.50|{\"a\":[1,2]}|2024-02-29|23:59:59|y|0.1",
    "2|line\nfeed\r\nand \\N and \\t|\\N|f|1023|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N",
    "3|\\N||t|0|1970-01-01 00:00:01+00|-0.25|-999999.99|\"\\u0000\"|0001-01-01|00:00:00|x|1e-05",
    "4|NULL|\\N|f|\\N|\\N|3.4028235e+38|0.00|[]|9999-12-31|24:00:00|\\N|-1.5e+300",
    "5||\\N|\\N|1|\\N|\\N|\\N|{}|\\N|\\N|\\N|\\N",
};

static void make_load_table(fx *f)
{
    sql(f, "CREATE TABLE ld (id INT PRIMARY KEY, s TEXT, b VARBINARY(20), flag BIT(1),"
           " bits BIT(10), ts TIMESTAMP(3) NULL, f FLOAT, n DECIMAL(8,2), j JSON, d DATE,"
           " tm TIME, e ENUM('x','y'), dd DOUBLE)");
}

/* Sets cell (r, 2) to raw bytes that are not UTF-8 and hold a NUL, a tab and a backslash. */
static void put_raw_bytes(cut_batch *b, int r)
{
    static const char raw[] = {'\0', '\xff', '\t', '\\', 'N', '\n', '\xc3'};
    assert_int_equal(cut_batch_set_copy(b, r, 2, raw, sizeof(raw)), 0);
}

static void check_round_trip(fx *f, const char *url)
{
    make_load_table(f);
    cut_conn *c = conn(url, CUT_OPEN_WRITE);
    cut_batch *b = batch_of(13, tricky, 5);
    put_raw_bytes(b, 0);
    assert_int_equal(cut_batch_set_copy(b, 4, 1, "a\0b\\0", 5), 0); /* U+0000 is text too */
    rejects rj = {0};
    load(c, "ld", b, &rj);
    if (rj.n)
        fail_msg("rejected: %s", rj.reasons[0]);
    cut_buf out = {0};
    dump(c, "ld", "id", &out);
    /* What was sent comes back, canonical, byte for byte. */
    cut_buf want = {0};
    for (int r = 0; r < 5; r++) {
        const cut_cell *row = cut_batch_crow(b, r);
        for (int i = 0; i < 13; i++) {
            if (i)
                cut_buf_appendc(&want, '|');
            if (cut_cell_is_null(&row[i]))
                cut_buf_append(&want, "\\N", 2);
            else
                cut_buf_append(&want, row[i].p, row[i].len);
        }
        cut_buf_appendc(&want, '\n');
    }
    assert_int_equal(out.len, want.len);
    assert_memory_equal(out.p, want.p, want.len);
    cut_buf_free(&out);
    cut_buf_free(&want);
    cut_batch_free(b);
    close_conn(c);
}

BOTH_PATHS(test_load_data_local_round_trips_canonical_values,
           test_insert_path_round_trips_canonical_values, check_round_trip)

/* Rows the server must refuse, each next to good rows, into a strict table. */
static void check_server_rejects(fx *f, const char *url)
{
    sql(f, "CREATE TABLE p (id INT PRIMARY KEY)");
    sql(f, "INSERT INTO p VALUES (1)");
    sql(f, "CREATE TABLE rj (id INT PRIMARY KEY, s3 VARCHAR(5) CHARACTER SET utf8mb3,"
           " small TINYINT, pid INT, ascii_only VARCHAR(10) CHARACTER SET ascii,"
           " ts TIMESTAMP NULL, FOREIGN KEY (pid) REFERENCES p (id))");
    const char *rows[] = {
        "1|ok|1|1|a|\\N",
        "2|\xf0\x9f\x98\x80|1|\\N|b|\\N",                      /* 4-byte UTF-8 into utf8mb3 */
        "3|toolong|1|\\N|c|\\N",                               /* over-long string */
        "4|ok|300|\\N|d|\\N",                                  /* out of range for TINYINT */
        "1|dup|1|\\N|e|\\N",                                   /* duplicate key */
        "6|ok|1|99|f|\\N",                                     /* no such parent */
        "7|ok|1|\\N|\xc3\xa9t\xc3\xa9|\\N",                    /* not ASCII */
        "9|ok|1|\\N|i|1969-12-31 23:59:59+00",                 /* before TIMESTAMP's range */
        "8|\xc3\xa9t\xc3\xa9|-128|1|h|2038-01-19 03:14:07+00", /* fine: 3 characters, 5 bytes */
    };
    cut_conn *c = conn(url, CUT_OPEN_WRITE);
    cut_batch *b = batch_of(6, rows, 9);
    rejects rj = {0};
    load(c, "rj", b, &rj);
    assert_int_equal(rj.n, 7);
    const char *want[] = {"Incorrect string value",
                          "Data too long for column 's3'",
                          "Out of range value for column 'small'",
                          "Duplicate entry '1'",
                          "foreign key constraint fails",
                          "Incorrect string value",
                          "Incorrect datetime value: '1969-12-31 23:59:59'"};
    int want_rows[] = {1, 2, 3, 4, 5, 6, 7};
    for (int k = 0; k < 7; k++) {
        assert_int_equal(rj.rows[k], want_rows[k]);
        if (!strstr(rj.reasons[k], want[k]))
            fail_msg("row %d: reason '%s' lacks '%s'", rj.rows[k], rj.reasons[k], want[k]);
        assert_non_null(strstr(rj.reasons[k], "MariaDB refused the row: "));
    }
    cut_buf out = {0};
    dump(c, "rj", "id", &out);
    assert_string_equal(out.p,
                        "1|ok|1|1|a|\\N\n8|\xc3\xa9t\xc3\xa9|-128|1|h|2038-01-19 03:14:07+00\n");
    cut_buf_free(&out);
    cut_batch_free(b);
    close_conn(c);
}

BOTH_PATHS(test_load_data_rejects_refused_rows_with_the_server_reason,
           test_insert_path_rejects_refused_rows_with_the_server_reason, check_server_rejects)

/* YEAR takes numbers (it reads the string '0' as 2000) and refuses what it would read as
   another year; the zero dates a snapshot kept go back as they were. */
static void check_year_and_zero_dates(fx *f, const char *url)
{
    sql(f, "CREATE TABLE yz (id INT PRIMARY KEY, y YEAR, d DATE, dt DATETIME)");
    const char *rows[] = {
        "1|0|0000-00-00|2024-05-00 10:00:00", "2|1901|2024-01-01|2024-01-01 00:00:00",
        "3|2155|\\N|\\N", "4|5|\\N|\\N", "5|1900|\\N|\\N",
    };
    cut_conn *c = conn(url, CUT_OPEN_WRITE);
    cut_batch *b = batch_of(4, rows, 5);
    rejects rj = {0};
    load(c, "yz", b, &rj);
    assert_int_equal(rj.n, 2);
    assert_int_equal(rj.rows[0], 3);
    assert_string_equal(rj.reasons[0],
                        "column y: MySQL YEAR holds only 0 and 1901 to 2155 (it would read 5 "
                        "as 2005)");
    assert_int_equal(rj.rows[1], 4);
    assert_string_equal(rj.reasons[1], "column y: MySQL YEAR holds only 0 and 1901 to 2155");
    /* The values as the server holds them, as text. */
    sql(f, "CREATE TABLE yz_text AS SELECT id, CAST(y AS UNSIGNED) AS y, CAST(d AS CHAR) AS d,"
           " CAST(dt AS CHAR) AS dt FROM yz");
    cut_buf out = {0};
    dump(c, "yz_text", "id", &out);
    assert_string_equal(out.p, "1|0|0000-00-00|2024-05-00 10:00:00\n"
                               "2|1901|2024-01-01|2024-01-01 00:00:00\n3|2155|\\N|\\N\n");
    cut_buf_free(&out);
    cut_batch_free(b);
    close_conn(c);
}

BOTH_PATHS(test_load_data_sends_year_as_a_number_and_zero_dates_as_they_are,
           test_insert_path_sends_year_as_a_number_and_zero_dates_as_they_are,
           check_year_and_zero_dates)

static void test_values_mysql_cannot_hold_are_refused_before_sending(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE nh (id INT PRIMARY KEY, f DOUBLE, n DECIMAL(5,1), d DATE, b BINARY(4))");
    const char *rows[] = {
        "1|NaN|1.0|2024-01-01|\\N", "2|Infinity|\\N|\\N|\\N",        "3|1|NaN|\\N|\\N",
        "4|1|1.0|infinity|\\N",     "5|-Infinity|\\N|-infinity|\\N", "6|2|2.0|\\N|abcd",
        "7|2|2.0|\\N|abc"};
    cut_conn *c = conn(f->url, CUT_OPEN_WRITE);
    cut_batch *b = batch_of(5, rows, 7);
    rejects rj = {0};
    load(c, "nh", b, &rj);
    assert_int_equal(rj.n, 6);
    assert_non_null(strstr(rj.reasons[0], "column f: MySQL FLOAT/DOUBLE columns cannot store NaN"));
    assert_non_null(strstr(rj.reasons[2], "DECIMAL"));
    assert_non_null(strstr(rj.reasons[3], "infinity"));
    assert_int_equal(rj.rows[5], 6);
    assert_string_equal(rj.reasons[5], "column b: a 3-byte value would be padded with zero bytes by "
                                       "BINARY(4) (VARBINARY keeps it as it is)");
    assert_int_equal(count(c, "nh"), 1);
    cut_batch_free(b);
    close_conn(c);
}

/* Counts the log lines that contain a text, between log_watch and log_unwatch. */
static const char *watched;
static int watched_seen;
static cut_log_level watched_old;

static void count_watched(void *ud, cut_log_level level, const char *line)
{
    (void)ud;
    (void)level;
    if (strstr(line, watched))
        watched_seen++;
}

static void log_watch(const char *text, cut_log_level level)
{
    watched = text;
    watched_seen = 0;
    watched_old = cut_log_get_level();
    cut_log_set_level(level);
    cut_log_set_sink(count_watched, NULL);
}

static int log_unwatch(void)
{
    cut_log_set_sink(NULL, NULL);
    cut_log_set_level(watched_old);
    return watched_seen;
}

static void test_server_refusing_local_infile_falls_back_to_insert(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE fb (id INT PRIMARY KEY, s VARCHAR(3))");
    sql(f, "SET GLOBAL local_infile = 0");
    log_watch("LOAD DATA LOCAL INFILE refused", CUT_LOG_INFO);
    cut_conn *c = conn(f->url, CUT_OPEN_WRITE);
    cut_batch *b = batch_of(2, (const char *const[]){"1|a", "2|long", "3|c"}, 3);
    rejects rj = {0};
    load(c, "fb", b, &rj);
    int logged = log_unwatch();
    sql(f, "SET GLOBAL local_infile = 1");
    assert_int_equal(logged, 1);
    assert_int_equal(rj.n, 1);
    assert_int_equal(rj.rows[0], 1);
    assert_non_null(strstr(rj.reasons[0], "Data too long"));
    assert_int_equal(count(c, "fb"), 2);
    cut_batch_free(b);
    close_conn(c);
}

static void test_multi_row_inserts_span_several_statements(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE many (id INT PRIMARY KEY, v INT)");
    int n = 1234;
    cut_batch *b = cut_batch_new(2, n);
    for (int r = 0; r < n; r++) {
        char num[16];
        int len = snprintf(num, sizeof(num), "%d", r + 1);
        cut_batch_set_copy(b, r, 0, num, (size_t)len);
        len = snprintf(num, sizeof(num), "%d", r == 777 ? 1000 : r % 100);
        cut_batch_set_copy(b, r, 1, num, (size_t)len);
        b->nrows++;
    }
    sql(f, "ALTER TABLE many ADD CONSTRAINT small CHECK (v < 1000)");
    cut_conn *c = conn(f->url_insert, CUT_OPEN_WRITE);
    rejects rj = {0};
    load(c, "many", b, &rj);
    assert_int_equal(rj.n, 1);
    assert_int_equal(rj.rows[0], 777);
    assert_non_null(strstr(rj.reasons[0], "small"));
    assert_int_equal(count(c, "many"), n - 1);
    cut_batch_free(b);
    close_conn(c);
}

/* Statements the server has run (every session), read through a table: the driver's
   exec returns no rows. */
static long long questions(fx *f, cut_conn *c)
{
    sql(f, "CREATE TABLE IF NOT EXISTS q (n BIGINT)");
    sql(f, "DELETE FROM q");
    sql(f, "INSERT INTO q SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
           " WHERE VARIABLE_NAME = 'QUESTIONS'");
    cut_buf out = {0};
    dump(c, "q", NULL, &out);
    long long n = atoll(out.p);
    cut_buf_free(&out);
    return n;
}

/* A batch of n rows (id, v): ids base+1.., v = 1..100 in turn, but rows bad[0..nbad) get
   1000, 1001, ... (no such parent, or over a CHECK) and row 9 NULL. */
static cut_batch *batch_with_bad(int n, int base, const int *bad, int nbad)
{
    cut_batch *b = cut_batch_new(2, n);
    for (int r = 0; r < n; r++) {
        char num[16];
        int len = snprintf(num, sizeof(num), "%d", base + r + 1);
        cut_batch_set_copy(b, r, 0, num, (size_t)len);
        int v = r % 100 + 1;
        for (int k = 0; k < nbad; k++)
            v = r == bad[k] ? 1000 + k : v;
        if (r == 9) {
            cut_batch_set_null(b, r, 1);
        } else {
            len = snprintf(num, sizeof(num), "%d", v);
            cut_batch_set_copy(b, r, 1, num, (size_t)len);
        }
        b->nrows++;
    }
    return b;
}

/* Loads b into table as load() does; returns the statements the server ran meanwhile. */
static long long load_counted(fx *f, cut_conn *c, const char *table, cut_batch *b, rejects *rj)
{
    long long q0 = questions(f, c);
    load(c, table, b, rj);
    return questions(f, c) - q0;
}

/* Three refused rows in a batch of 4,096: found by sending parts of the batch again, not
   by sending each of its rows alone (which took two statements per row: 8,190). */
static void check_sparse_rejects(fx *f, const char *url)
{
    sql(f, "CREATE TABLE sp (id INT PRIMARY KEY, v INT, CONSTRAINT below CHECK (v < 1000))");
    int n = 4096, bad[] = {100, 2000, 4095};
    cut_batch *b = batch_with_bad(n, 0, bad, 3);
    cut_conn *c = conn(url, CUT_OPEN_WRITE);
    rejects rj = {0};
    long long sent = load_counted(f, c, "sp", b, &rj);
    assert_int_equal(rj.n, 3);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(rj.rows[k], bad[k]);
        if (!strstr(rj.reasons[k], "below"))
            fail_msg("row %d: reason '%s' does not name the constraint", bad[k], rj.reasons[k]);
    }
    assert_int_equal(count(c, "sp"), n - 3);
    if (sent > 500)
        fail_msg("%lld statements to find 3 refused rows among %d", sent, n);
    cut_batch_free(b);
    close_conn(c);
}

BOTH_PATHS(test_load_data_finds_sparse_refused_rows_without_a_statement_per_row,
           test_insert_path_finds_sparse_refused_rows_without_a_statement_per_row,
           check_sparse_rejects)

/* Rows whose parent is missing, spread over a batch of 4,096: one check of the foreign
   key finds them all, with the server's words. The next batch of the load is checked
   before it is sent, and its orphans get the same words. */
static void check_orphans(fx *f, const char *url)
{
    sql(f, "CREATE TABLE par (id INT PRIMARY KEY)");
    sql(f, "INSERT INTO par SELECT seq FROM seq_1_to_100");
    sql(f, "CREATE TABLE kid (id INT PRIMARY KEY, pid INT, CONSTRAINT kid_par FOREIGN KEY (pid)"
           " REFERENCES par (id))");
    int n = 4096, bad[] = {7, 1500, 1501, 4095};
    cut_batch *b = batch_with_bad(n, 0, bad, 4);
    cut_conn *c = conn(url, CUT_OPEN_WRITE);
    rejects rj = {0};
    long long sent = load_counted(f, c, "kid", b, &rj);
    assert_int_equal(rj.n, 4);
    for (int k = 0; k < 4; k++) {
        assert_int_equal(rj.rows[k], bad[k]);
        if (!strstr(rj.reasons[k], "MariaDB refused the row: Cannot add or update a child row: "
                                   "a foreign key constraint fails") ||
            !strstr(rj.reasons[k], "CONSTRAINT `kid_par`"))
            fail_msg("row %d: reason '%s'", bad[k], rj.reasons[k]);
    }
    assert_int_equal(count(c, "kid"), n - 4);
    if (sent > 40)
        fail_msg("%lld statements to find 4 orphans among %d", sent, n);
    /* Two batches in one load: the second one's orphans are found before sending. */
    sql(f, "DELETE FROM kid");
    cut_batch *b2 = batch_with_bad(n, n, (const int[]){0, 1, 2, 3}, 4);
    cut_error err;
    cut_error_clear(&err);
    cut_table *t = describe(c, "kid");
    int cols[] = {0, 1};
    cut_load_opts lo = {.cols = cols, .ncols = 2};
    cut_load *l = NULL;
    rejects rj2 = {0};
    assert_int_equal(c->drv->load_open(c, t, &lo, &l, &err), 0);
    assert_int_equal(c->drv->load_rows(l, b, on_reject, &rj2, &err), 0);
    assert_int_equal(rj2.n, 4);
    rj2.n = 0;
    assert_int_equal(c->drv->load_rows(l, b2, on_reject, &rj2, &err), 0);
    assert_int_equal(c->drv->load_commit(l, &err), 0);
    assert_int_equal(rj2.n, 4);
    for (int k = 0; k < 4; k++) {
        assert_int_equal(rj2.rows[k], k);
        assert_string_equal(rj2.reasons[k], rj.reasons[0]);
    }
    assert_int_equal(count(c, "kid"), 2 * n - 8);
    cut_table_free(t);
    cut_batch_free(b2);
    cut_batch_free(b);
    close_conn(c);
}

BOTH_PATHS(test_load_data_finds_orphans_by_the_foreign_keys_check,
           test_insert_path_finds_orphans_by_the_foreign_keys_check, check_orphans)

/* A key the check cannot read (JSON_TABLE has no ENUM column): its orphans are found by
   parts all the same, in the server's words, and the other rows are loaded. */
static void test_orphans_are_found_without_the_check_when_it_cannot_run(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE pe (e ENUM('a','b','c') PRIMARY KEY)");
    sql(f, "INSERT INTO pe VALUES ('a'), ('b')");
    sql(f, "CREATE TABLE ke (id INT PRIMARY KEY, e ENUM('a','b','c'), CONSTRAINT ke_pe "
           "FOREIGN KEY (e) REFERENCES pe (e))");
    int n = 100;
    cut_batch *b = cut_batch_new(2, n);
    for (int r = 0; r < n; r++) {
        char num[16];
        int len = snprintf(num, sizeof(num), "%d", r + 1);
        cut_batch_set_copy(b, r, 0, num, (size_t)len);
        cut_batch_set_copy(b, r, 1, r == 10 || r == 70 ? "c" : r % 2 ? "a" : "b", 1);
        b->nrows++;
    }
    cut_conn *c = conn(f->url, CUT_OPEN_WRITE);
    rejects rj = {0};
    log_watch("the rows foreign key ke_pe refuses are found by parts", CUT_LOG_DEBUG);
    load(c, "ke", b, &rj);
    assert_int_equal(log_unwatch(), 1);
    assert_int_equal(rj.n, 2);
    assert_int_equal(rj.rows[0], 10);
    assert_int_equal(rj.rows[1], 70);
    for (int k = 0; k < 2; k++)
        if (!strstr(rj.reasons[k], "foreign key constraint fails") ||
            !strstr(rj.reasons[k], "CONSTRAINT `ke_pe`"))
            fail_msg("row %d: reason '%s'", rj.rows[k], rj.reasons[k]);
    assert_int_equal(count(c, "ke"), n - 2);
    cut_batch_free(b);
    close_conn(c);
}

/* A load that waits too long for a row lock fails as a transient conflict (CUT_ERETRY):
   the server undid its work, and migrate runs such a task again. */
static void check_lock_timeout_is_transient(fx *f, const char *url)
{
    sql(f, "CREATE TABLE lt (id INT PRIMARY KEY)");
    sql(f, "START TRANSACTION");
    sql(f, "INSERT INTO lt VALUES (2)"); /* holds the key until the rollback */
    cut_conn *c = conn(url, CUT_OPEN_WRITE);
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->exec(c, "SET SESSION innodb_lock_wait_timeout = 1", &err), 0);
    cut_table *t = describe(c, "lt");
    int cols[] = {0};
    cut_load_opts lo = {.cols = cols, .ncols = 1, .allow_nonempty = 1};
    cut_load *l = NULL;
    cut_batch *b = batch_of(1, (const char *const[]){"1", "2", "3"}, 3);
    rejects rj = {0};
    assert_int_equal(c->drv->load_open(c, t, &lo, &l, &err), 0);
    int rc = c->drv->load_rows(l, b, on_reject, &rj, &err);
    if (rc != CUT_ERETRY)
        fail_msg("load_rows: %d (%s), wanted CUT_ERETRY", rc, err.msg);
    assert_non_null(strstr(err.msg, "Lock wait timeout exceeded"));
    c->drv->load_abort(l);
    sql(f, "ROLLBACK");
    cut_table_free(t);
    cut_batch_free(b);
    close_conn(c);
}

BOTH_PATHS(test_load_data_lock_timeout_is_a_transient_conflict,
           test_insert_lock_timeout_is_a_transient_conflict, check_lock_timeout_is_transient)

static void test_load_open_refuses_non_empty_and_non_transactional_tables(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE ne (id INT PRIMARY KEY)");
    sql(f, "INSERT INTO ne VALUES (1)");
    sql(f, "CREATE TABLE my (id INT PRIMARY KEY) ENGINE=MyISAM");
    cut_conn *c = conn(f->url, CUT_OPEN_WRITE);
    cut_error err;
    cut_error_clear(&err);
    cut_table *t = describe(c, "ne");
    int cols[] = {0};
    cut_load_opts lo = {.cols = cols, .ncols = 1, .allow_nonempty = 0, .in_tx = 0};
    cut_load *l = NULL;
    assert_int_equal(c->drv->load_open(c, t, &lo, &l, &err), CUT_ESTATE);
    assert_non_null(strstr(err.msg, "not empty (1 rows)"));
    lo.allow_nonempty = 1;
    assert_int_equal(c->drv->load_open(c, t, &lo, &l, &err), 0);
    c->drv->load_abort(l);
    cut_table_free(t);
    t = describe(c, "my");
    assert_int_equal(c->drv->load_open(c, t, &lo, &l, &err), CUT_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "MyISAM"));
    cut_table_free(t);
    close_conn(c);
}

static void test_abort_rolls_back_and_commit_moves_auto_increment(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE ai (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, v VARCHAR(5))");
    cut_conn *c = conn(f->url, CUT_OPEN_WRITE);
    cut_error err;
    cut_error_clear(&err);
    cut_table *t = describe(c, "ai");
    int cols[] = {0, 1};
    cut_load_opts lo = {.cols = cols, .ncols = 2, .allow_nonempty = 0, .in_tx = 0};
    cut_batch *b = batch_of(2, (const char *const[]){"0|zero", "41|a", "7|b"}, 3);
    cut_load *l = NULL;
    rejects rj = {0};
    assert_int_equal(c->drv->load_open(c, t, &lo, &l, &err), 0);
    assert_int_equal(c->drv->load_rows(l, b, on_reject, &rj, &err), 0);
    c->drv->load_abort(l);
    assert_int_equal(count(c, "ai"), 0);
    assert_int_equal(c->drv->load_open(c, t, &lo, &l, &err), 0);
    assert_int_equal(c->drv->load_rows(l, b, on_reject, &rj, &err), 0);
    assert_int_equal(c->drv->load_commit(l, &err), 0);
    assert_int_equal(rj.n, 0);
    sql(f, "INSERT INTO ai (v) VALUES ('next')");
    cut_buf out = {0};
    dump(c, "ai", "id", &out);
    /* An explicit id 0 is data (NO_AUTO_VALUE_ON_ZERO), and the next id follows the max. */
    assert_string_equal(out.p, "0|zero\n7|b\n41|a\n42|next\n");
    cut_buf_free(&out);
    cut_batch_free(b);
    cut_table_free(t);
    close_conn(c);
}

static void test_caller_transaction_spans_truncate_and_loads(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE pa (id INT PRIMARY KEY)");
    sql(f, "CREATE TABLE ch (id INT PRIMARY KEY, pid INT NOT NULL, FOREIGN KEY (pid) "
           "REFERENCES pa (id))");
    sql(f, "INSERT INTO pa VALUES (1), (2)");
    sql(f, "INSERT INTO ch VALUES (10, 1)");
    cut_conn *c = conn(f->url, CUT_OPEN_WRITE);
    cut_error err;
    cut_error_clear(&err);
    cut_table *pa = describe(c, "pa"), *ch = describe(c, "ch");
    cut_table *order[] = {ch, pa};
    assert_int_equal(c->drv->tx_begin(c, &err), 0);
    assert_int_equal(c->drv->truncate(c, order, 2, &err), 0);
    int cols[] = {0};
    cut_load_opts lo = {.cols = cols, .ncols = 1, .allow_nonempty = 0, .in_tx = 1};
    cut_load *l = NULL;
    cut_batch *b = batch_of(1, (const char *const[]){"5"}, 1);
    rejects rj = {0};
    assert_int_equal(c->drv->load_open(c, pa, &lo, &l, &err), 0);
    assert_int_equal(c->drv->load_rows(l, b, on_reject, &rj, &err), 0);
    assert_int_equal(c->drv->load_commit(l, &err), 0);
    /* Not committed: another session still sees the old rows. */
    assert_int_equal(count(f->admin, "pa"), 2);
    c->drv->tx_rollback(c);
    assert_int_equal(count(f->admin, "pa"), 2);
    assert_int_equal(count(f->admin, "ch"), 1);
    /* The same, committed. */
    assert_int_equal(c->drv->tx_begin(c, &err), 0);
    assert_int_equal(c->drv->truncate(c, order, 2, &err), 0);
    assert_int_equal(c->drv->load_open(c, pa, &lo, &l, &err), 0);
    assert_int_equal(c->drv->load_rows(l, b, on_reject, &rj, &err), 0);
    assert_int_equal(c->drv->load_commit(l, &err), 0);
    assert_int_equal(c->drv->tx_commit(c, &err), 0);
    assert_int_equal(count(f->admin, "pa"), 1);
    assert_int_equal(count(f->admin, "ch"), 0);
    /* A second load into a table emptied once is refused when it is not empty. */
    assert_int_equal(c->drv->tx_begin(c, &err), 0);
    assert_int_equal(c->drv->truncate(c, order, 2, &err), 0);
    assert_int_equal(c->drv->load_open(c, pa, &lo, &l, &err), 0);
    assert_int_equal(c->drv->load_rows(l, b, on_reject, &rj, &err), 0);
    assert_int_equal(c->drv->load_commit(l, &err), 0);
    assert_int_not_equal(c->drv->load_open(c, pa, &lo, &l, &err), 0);
    assert_non_null(strstr(err.msg, "is not empty (1 rows)"));
    c->drv->tx_rollback(c);
    /* Both tables of a foreign key emptied together: in any order, without the checks. */
    sql(f, "INSERT INTO ch VALUES (11, 5)");
    cut_table *reverse[] = {pa, ch};
    assert_int_equal(c->drv->truncate(c, reverse, 2, &err), 0);
    assert_int_equal(count(f->admin, "pa"), 0);
    assert_int_equal(count(f->admin, "ch"), 0);
    /* A parent whose child is not emptied with it keeps the checks: refused, nothing
       changes. */
    sql(f, "INSERT INTO pa VALUES (5)");
    sql(f, "INSERT INTO ch VALUES (11, 5)");
    assert_int_not_equal(c->drv->truncate(c, &pa, 1, &err), 0);
    assert_non_null(strstr(err.msg, "cannot empty the target tables"));
    assert_int_equal(count(f->admin, "pa"), 1);
    assert_int_equal(count(f->admin, "ch"), 1);
    cut_batch_free(b);
    cut_table_free(pa);
    cut_table_free(ch);
    close_conn(c);
}

static void test_ddl_list_tables_and_exec(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE b2 (id INT PRIMARY KEY)");
    sql(f, "CREATE TABLE a1 (id INT PRIMARY KEY, note VARCHAR(9) NOT NULL)");
    cut_conn *c = conn(f->url, CUT_OPEN_READ);
    cut_error err;
    char **names = NULL;
    int n = 0;
    assert_int_equal(c->drv->list_tables(c, &names, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "a1");
    assert_string_equal(names[1], "b2");
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    cut_table *t = describe(c, "a1");
    cut_buf ddl = {0};
    assert_int_equal(c->drv->ddl(c, t, &ddl, &err), 0);
    assert_non_null(strstr(cut_buf_cstr(&ddl), "CREATE TABLE `a1`"));
    assert_non_null(strstr(ddl.p, "`note` varchar(9) NOT NULL"));
    assert_int_equal(ddl.p[ddl.len - 1], ';');
    cut_buf_free(&ddl);
    cut_table_free(t);
    assert_int_equal(c->drv->exec(c, "SELECT nosuchfunction()", &err), CUT_ESERVER);
    assert_non_null(strstr(err.msg, "MariaDB"));
    close_conn(c);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_db, teardown_db)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_driver_is_registered_for_mysql_and_mariadb_urls),
        T(test_wrong_password_names_the_redacted_url_never_the_password),
        T(test_password_comes_from_mysql_pwd_when_the_url_has_none),
        T(test_socket_parameter_connects_through_the_unix_socket),
        T(test_url_without_database_or_with_unknown_parameter_is_refused),
        T(test_unreachable_server_is_a_connect_error),
        T(test_information_schema_types_map_to_logical_types),
        T(test_keys_defaults_identity_and_generated_columns),
        T(test_table_names_match_exactly_then_case_insensitively),
        T(test_odd_names_are_quoted),
        T(test_scan_translates_the_dialect_to_canonical_input),
        T(test_timestamp_is_read_in_utc_whatever_the_server_zone),
        T(test_scan_subset_order_key_range_and_batches),
        T(test_read_sees_one_snapshot_and_cannot_write),
        T(test_unfinished_scan_can_be_closed_and_the_connection_reused),
        T(test_load_data_local_round_trips_canonical_values),
        T(test_insert_path_round_trips_canonical_values),
        T(test_load_data_rejects_refused_rows_with_the_server_reason),
        T(test_insert_path_rejects_refused_rows_with_the_server_reason),
        T(test_load_data_finds_sparse_refused_rows_without_a_statement_per_row),
        T(test_insert_path_finds_sparse_refused_rows_without_a_statement_per_row),
        T(test_load_data_finds_orphans_by_the_foreign_keys_check),
        T(test_insert_path_finds_orphans_by_the_foreign_keys_check),
        T(test_orphans_are_found_without_the_check_when_it_cannot_run),
        T(test_load_data_lock_timeout_is_a_transient_conflict),
        T(test_insert_lock_timeout_is_a_transient_conflict),
        T(test_load_data_sends_year_as_a_number_and_zero_dates_as_they_are),
        T(test_insert_path_sends_year_as_a_number_and_zero_dates_as_they_are),
        T(test_values_mysql_cannot_hold_are_refused_before_sending),
        T(test_server_refusing_local_infile_falls_back_to_insert),
        T(test_multi_row_inserts_span_several_statements),
        T(test_load_open_refuses_non_empty_and_non_transactional_tables),
        T(test_abort_rolls_back_and_commit_moves_auto_increment),
        T(test_caller_transaction_spans_truncate_and_loads),
        T(test_ddl_list_tables_and_exec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
