/*
 * test_pg.c — the PostgreSQL driver (lib/drv_pg.c, lib/pg_copy.c) through the
 * cut_driver interface, against a real server: the COPY text codec, URLs and
 * connection errors (passwords redacted), pg_catalog → logical types, keys,
 * schemas and search_path, scans (every type to its canonical form, subsets,
 * order, key ranges, snapshots, read-only, early close), loads (every type
 * round-trips, row-level rejects with the server's reason, found by COPY's
 * line or by bisection), sequences, transactions, truncate, DDL, and a
 * connection lost in the middle of a load.
 *
 * Run by tests/integration/pg.sh, which starts a private server and exports
 * PG_URL (postgresql://cutover@127.0.0.1:PORT/postgres, superuser, trust).
 * Each test works in a schema of its own (put first on search_path through
 * the URL's libpq `options` parameter) and drops it afterwards.
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
#include <libpq-fe.h>

#include "driver.h"
#include "pg_copy.h"
#include "types.h"

/* ------------------------------------------------------------ helpers */

typedef struct fx {
    char schema[64];
    char url[1024]; /* PG_URL with search_path = schema, public */
    PGconn *admin;  /* plain libpq, for setup and checks */
} fx;

static int counter;

static int setup_schema(void **state)
{
    const char *base = getenv("PG_URL");
    if (!base) {
        fprintf(stderr, "PG_URL is not set: run through tests/integration/pg.sh\n");
        return -1;
    }
    fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    snprintf(f->schema, sizeof(f->schema), "cut_t%d_%d", (int)getpid(), ++counter);
    snprintf(f->url, sizeof(f->url), "%s?options=-csearch_path%%3D%s,public", base, f->schema);
    const char *keys[] = {"dbname", "application_name", NULL};
    const char *vals[] = {f->url, "cut_test_admin", NULL};
    f->admin = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(f->admin) != CONNECTION_OK) {
        fprintf(stderr, "connect: %s", PQerrorMessage(f->admin));
        PQfinish(f->admin);
        free(f);
        return -1;
    }
    char q[256];
    /* A test that fails while its load holds a lock fails its teardown too, not hangs. */
    snprintf(q, sizeof(q),
             "CREATE SCHEMA %s; SET client_min_messages = warning; SET lock_timeout = '30s'",
             f->schema);
    PGresult *r = PQexec(f->admin, q);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        PQfinish(f->admin);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown_schema(void **state)
{
    fx *f = *state;
    char q[256];
    snprintf(q, sizeof(q), "DROP SCHEMA %s CASCADE", f->schema);
    PQclear(PQexec(f->admin, q));
    PQfinish(f->admin);
    free(f);
    return 0;
}

static void sql(fx *f, const char *text)
{
    PGresult *r = PQexec(f->admin, text);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("sql: %s: %s", text, PQerrorMessage(f->admin));
    PQclear(r);
}

/* The first column of the first row of a query ("<NULL>" for NULL). */
static char *query(fx *f, const char *text)
{
    static char out[4][4096];
    static int slot;
    char *res = out[slot++ % 4];
    PGresult *r = PQexec(f->admin, text);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
        fail_msg("query: %s: %s", text, PQerrorMessage(f->admin));
    snprintf(res, 4096, "%s", PQgetisnull(r, 0, 0) ? "<NULL>" : PQgetvalue(r, 0, 0));
    PQclear(r);
    return res;
}

static cut_conn *open_url(const char *url, int mode)
{
    cut_conn *c = NULL;
    cut_error err;
    cut_error_clear(&err);
    if (cut_connect(url, mode, &c, &err))
        fail_msg("connect: %s", err.msg);
    assert_non_null(c);
    return c;
}

static cut_conn *open_pg(fx *f, int mode)
{
    return open_url(f->url, mode);
}

static cut_table *describe(cut_conn *c, const char *name)
{
    cut_table *t = NULL;
    cut_error err;
    cut_error_clear(&err);
    if (c->drv->describe(c, name, &t, &err))
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

/* The canonical text of a cell for type t (NULL → "\N"), appended to out. */
static void append_canon(cut_buf *out, const cut_type *t, const cut_cell *c)
{
    if (cut_cell_is_null(c)) {
        cut_buf_append(out, "\\N", 2);
        return;
    }
    cut_buf tmp = {0};
    const char *reason = NULL;
    int rc = cut_canon(t, c->p, c->len, NULL, &tmp, &reason);
    if (rc == CUT_CANON_SAME) {
        if (t->kind == CUT_T_BYTES) {
            for (uint32_t i = 0; i < c->len; i++)
                cut_buf_printf(out, "%02x", (unsigned char)c->p[i]);
        } else {
            cut_buf_append(out, c->p, c->len);
        }
    } else if (rc == CUT_CANON_NEW) {
        cut_buf_append(out, tmp.p, tmp.len);
    } else {
        fail_msg("'%.*s' is not canonical-able: %s", (int)c->len, c->p, reason ? reason : "?");
    }
    cut_buf_free(&tmp);
}

/* Reads a whole scan: rows separated by '\n', cells by '|', each in canonical form
   (bytes as hex), NULL as \N. */
static char *scan_all(cut_conn *c, const cut_table *t, const cut_scan_opts *o, int cap,
                      uint64_t *last_pos)
{
    cut_scan *s = NULL;
    cut_error err;
    cut_error_clear(&err);
    if (c->drv->scan_open(c, t, o, &s, &err))
        fail_msg("scan_open: %s", err.msg);
    int ncols = o && o->cols ? o->ncols : t->ncols;
    cut_batch *b = cut_batch_new(ncols, cap);
    cut_buf out = {0};
    uint64_t expect_pos = 1;
    for (;;) {
        if (c->drv->scan_next(s, b, &err))
            fail_msg("scan_next: %s", err.msg);
        assert_true(b->nrows <= cap);
        if (b->nrows == 0)
            break;
        for (int r = 0; r < b->nrows; r++) {
            assert_int_equal(b->pos[r], expect_pos);
            expect_pos++;
            const cut_cell *row = cut_batch_crow(b, r);
            for (int i = 0; i < ncols; i++) {
                int ci = o && o->cols ? o->cols[i] : i;
                if (i)
                    cut_buf_appendc(&out, '|');
                append_canon(&out, &t->cols[ci].type, &row[i]);
            }
            cut_buf_appendc(&out, '\n');
        }
    }
    assert_int_equal(c->drv->scan_next(s, b, &err), CUT_OK); /* the end is sticky */
    assert_int_equal(b->nrows, 0);
    c->drv->scan_close(s);
    cut_batch_free(b);
    if (last_pos)
        *last_pos = expect_pos - 1;
    if (!out.p)
        return strdup("");
    return cut_buf_cstr(&out);
}

typedef struct rejs {
    int n;
    int rows[64];
    char reasons[64][700];
} rejs;

static void on_reject(void *ud, int row, const char *reason)
{
    rejs *r = ud;
    if (r->n < 64) {
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

static cut_load *load_open(cut_conn *c, const cut_table *t, int allow_nonempty, int in_tx,
                           int *cols)
{
    for (int i = 0; i < t->ncols; i++)
        cols[i] = i;
    cut_load_opts lo = {
        .cols = cols, .ncols = t->ncols, .allow_nonempty = allow_nonempty, .in_tx = in_tx};
    cut_load *l = NULL;
    cut_error err;
    cut_error_clear(&err);
    if (c->drv->load_open(c, t, &lo, &l, &err))
        fail_msg("load_open: %s", err.msg);
    return l;
}

static void load_rows_ok(cut_conn *c, cut_load *l, const cut_batch *b, rejs *rj)
{
    cut_error err;
    cut_error_clear(&err);
    if (c->drv->load_rows(l, b, on_reject, rj, &err))
        fail_msg("load_rows: %s", err.msg);
}

static void commit_ok(cut_conn *c, cut_load *l)
{
    cut_error err;
    cut_error_clear(&err);
    if (c->drv->load_commit(l, &err))
        fail_msg("load_commit: %s", err.msg);
}

/* ------------------------------------------------------ the COPY codec */

static void test_copy_split_decodes_every_escape(void **state)
{
    (void)state;
    char line[] = "a\\tb\\nc\\\\d\\b\\f\\r\\v\t\\101\\x41\\x4a\\7x\t\\q\\\t\\N";
    cut_cell cells[3];
    const char *why = NULL;
    assert_int_equal(cut_pg_copy_split(line, strlen(line), 3, cells, &why), CUT_OK);
    assert_int_equal(cells[0].len, 11);
    assert_memory_equal(cells[0].p, "a\tb\nc\\d\b\f\r\v", 11);
    assert_int_equal(cells[1].len, 5); /* octal, hex with 2 and 1 digits */
    assert_memory_equal(cells[1].p, "AAJ\ax", 5);
    /* "\q" is a q, a backslash before a tab makes the tab data, "\N" inside a field is N */
    assert_int_equal(cells[2].len, 3);
    assert_memory_equal(cells[2].p, "q\tN", 3);
}

static void test_copy_split_nulls_empties_and_field_counts(void **state)
{
    (void)state;
    cut_cell cells[4];
    const char *why = NULL;
    char l1[] = "\\N\t\t\\\\N\tx";
    assert_int_equal(cut_pg_copy_split(l1, strlen(l1), 4, cells, &why), CUT_OK);
    assert_true(cut_cell_is_null(&cells[0]));
    assert_false(cut_cell_is_null(&cells[1]));
    assert_int_equal(cells[1].len, 0);
    assert_int_equal(cells[2].len, 2); /* \\N is a backslash and an N, not NULL */
    assert_memory_equal(cells[2].p, "\\N", 2);
    assert_int_equal(cells[3].len, 1);
    char l2[] = "a\tb";
    assert_int_equal(cut_pg_copy_split(l2, strlen(l2), 3, cells, &why), CUT_EDATA);
    assert_contains(why, "fewer");
    char l3[] = "a\tb\tc";
    assert_int_equal(cut_pg_copy_split(l3, strlen(l3), 2, cells, &why), CUT_EDATA);
    assert_contains(why, "more");
    char l4[] = "";
    assert_int_equal(cut_pg_copy_split(l4, 0, 1, cells, &why), CUT_OK);
    assert_false(cut_cell_is_null(&cells[0]));
    assert_int_equal(cells[0].len, 0);
    char l5[] = "\\Nx";
    assert_int_equal(cut_pg_copy_split(l5, strlen(l5), 1, cells, &why), CUT_OK);
    assert_int_equal(cells[0].len, 2); /* "\N" inside a longer field: an escaped N */
    assert_memory_equal(cells[0].p, "Nx", 2);
}

static void test_bytea_decodes_hex_and_escape_output(void **state)
{
    (void)state;
    char h[] = "\\x00FF0a";
    size_t n = 0;
    assert_int_equal(cut_pg_bytea_decode(h, strlen(h), &n), CUT_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(h, "\x00\xff\x0a", 3);
    char e[] = "a\\\\b\\000\\377";
    assert_int_equal(cut_pg_bytea_decode(e, strlen(e), &n), CUT_OK);
    assert_int_equal(n, 5);
    assert_memory_equal(e, "a\\b\x00\xff", 5);
    char bad1[] = "\\x0";
    assert_int_equal(cut_pg_bytea_decode(bad1, strlen(bad1), &n), CUT_EDATA);
    char bad2[] = "\\xzz";
    assert_int_equal(cut_pg_bytea_decode(bad2, strlen(bad2), &n), CUT_EDATA);
    char bad3[] = "\\9";
    assert_int_equal(cut_pg_bytea_decode(bad3, strlen(bad3), &n), CUT_EDATA);
    char empty[] = "\\x";
    assert_int_equal(cut_pg_bytea_decode(empty, 2, &n), CUT_OK);
    assert_int_equal(n, 0);
}

static void test_escape_and_split_round_trip_every_byte(void **state)
{
    (void)state;
    char v[512];
    for (int i = 0; i < 256; i++)
        v[i] = (char)i;
    for (int i = 0; i < 256; i++)
        v[256 + i] = (char)(i * 7 + 3);
    cut_buf b = {0};
    assert_int_equal(cut_pg_copy_escape(&b, v, sizeof(v)), CUT_OK);
    cut_buf_appendc(&b, '\t');
    assert_int_equal(cut_pg_copy_bytea(&b, v, 3), CUT_OK);
    assert_null(memchr(b.p, '\n', b.len));
    cut_cell cells[2];
    const char *why = NULL;
    assert_int_equal(cut_pg_copy_split(b.p, b.len, 2, cells, &why), CUT_OK);
    assert_int_equal(cells[0].len, sizeof(v));
    assert_memory_equal(cells[0].p, v, sizeof(v));
    assert_int_equal(cells[1].len, 8);
    assert_memory_equal(cells[1].p, "\\x000102", 8);
    cut_buf_free(&b);
}

/* ------------------------------------------------------------- connect */

static void test_connect_failure_is_redacted(void **state)
{
    (void)state;
    cut_conn *c = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = cut_connect("postgresql://bob:s3cretpw@127.0.0.1:1/nodb?connect_timeout=5",
                         CUT_OPEN_READ, &c, &err);
    assert_int_equal(rc, CUT_ECONNECT);
    assert_null(c);
    assert_contains(err.msg, "PostgreSQL: cannot connect to postgresql://bob:***@127.0.0.1:1/nodb");
    assert_null(strstr(err.msg, "s3cretpw"));
    /* a libpq parameter it does not know is libpq's error, still redacted */
    cut_error_clear(&err);
    rc = cut_connect("postgresql://bob:s3cretpw@127.0.0.1:1/nodb?nosuchparam=1", CUT_OPEN_READ,
                     &c, &err);
    assert_int_equal(rc, CUT_ECONNECT);
    assert_contains(err.msg, "nosuchparam");
    assert_null(strstr(err.msg, "s3cretpw"));
}

static void test_url_goes_to_libpq_as_written(void **state)
{
    fx *f = *state;
    /* The URL's options put the test schema first on search_path: unqualified names
       resolve there; a password is accepted (trust) and never shown. */
    sql(f, "CREATE TABLE only_here (id int)");
    char url[1200];
    const char *at = strchr(f->url, '@');
    snprintf(url, sizeof(url), "postgresql://cutover:pw%%40x@%s", at + 1);
    cut_conn *c = open_url(url, CUT_OPEN_READ);
    cut_table *t = describe(c, "only_here");
    assert_string_equal(t->schema, f->schema);
    cut_table_free(t);
    assert_contains(c->url->redacted, "cutover:***@");
    /* the session settings that make COPY text canonical-friendly, and the name */
    char q[256];
    snprintf(q, sizeof(q),
             "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cutover' "
             "AND backend_type = 'client backend'");
    assert_string_equal(query(f, q), "1");
    cut_disconnect(c);
}

static void test_read_connection_cannot_write(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE w (id int)");
    cut_conn *c = open_pg(f, CUT_OPEN_READ);
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->exec(c, "INSERT INTO w VALUES (1)", &err), CUT_ESERVER);
    assert_contains(err.msg, "read-only");
    cut_disconnect(c);
    assert_string_equal(query(f, "SELECT count(*) FROM w"), "0");
}

/* ------------------------------------------------------------ describe */

static void make_types_table(fx *f)
{
    sql(f, "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public");
    sql(f, "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');"
           "CREATE DOMAIN posint AS integer NOT NULL CHECK (VALUE > 0);"
           "CREATE TABLE ty (a smallint, b integer, c bigint, d numeric(8,2), e numeric,"
           " f numeric(10), g real, h double precision, i boolean, j text, k varchar(20),"
           " l char(5), m date, n time(3), o timestamp, p timestamptz(0), q bytea, r uuid,"
           " s json, t jsonb, u mood, v posint, w public.citext, x name, y integer[],"
           " z interval, aa money, ab inet, ac timetz, ad xml, ae point, af int4range,"
           " ag numeric(5,-2), ah varchar, ai bit(3), aj text[])");
}

static void test_catalog_types_map_to_logical_types(void **state)
{
    fx *f = *state;
    make_types_table(f);
    cut_conn *c = open_pg(f, CUT_OPEN_READ);
    cut_table *t = describe(c, "ty");
    assert_int_equal(t->ncols, 36);
    static const struct {
        const char *name, *native;
        cut_kind kind;
        int width, precision, scale, length;
        unsigned flags;
    } want[] = {
        {"a", "smallint", CUT_T_INT, 16, 0, 0, 0, 0},
        {"b", "integer", CUT_T_INT, 32, 0, 0, 0, 0},
        {"c", "bigint", CUT_T_INT, 64, 0, 0, 0, 0},
        {"d", "numeric(8,2)", CUT_T_NUMERIC, 0, 8, 2, 0, 0},
        {"e", "numeric", CUT_T_NUMERIC, 0, 0, -1, 0, 0},
        {"f", "numeric(10,0)", CUT_T_NUMERIC, 0, 10, 0, 0, 0},
        {"g", "real", CUT_T_FLOAT, 32, 0, 0, 0, 0},
        {"h", "double precision", CUT_T_FLOAT, 64, 0, 0, 0, 0},
        {"i", "boolean", CUT_T_BOOL, 0, 0, 0, 0, 0},
        {"j", "text", CUT_T_TEXT, 0, 0, 0, 0, CUT_TF_NO_NUL},
        {"k", "character varying(20)", CUT_T_TEXT, 0, 0, 0, 20, CUT_TF_NO_NUL},
        {"l", "character(5)", CUT_T_TEXT, 0, 0, 0, 5, CUT_TF_NO_NUL | CUT_TF_FIXED},
        {"m", "date", CUT_T_DATE, 0, 0, 0, 0, 0},
        {"n", "time(3) without time zone", CUT_T_TIME, 0, 3, 0, 0, 0},
        {"o", "timestamp without time zone", CUT_T_TIMESTAMP, 0, 6, 0, 0, 0},
        {"p", "timestamp(0) with time zone", CUT_T_TIMESTAMPTZ, 0, 0, 0, 0, 0},
        {"q", "bytea", CUT_T_BYTES, 0, 0, 0, 0, 0},
        {"r", "uuid", CUT_T_UUID, 0, 0, 0, 0, 0},
        {"s", "json", CUT_T_JSON, 0, 0, 0, 0, 0},
        {"t", "jsonb", CUT_T_JSON, 0, 0, 0, 0, 0},
        {"u", "mood", CUT_T_TEXT, 0, 0, 0, 0, CUT_TF_NO_NUL},
        {"v", "posint", CUT_T_INT, 32, 0, 0, 0, 0},
        {"w", "citext", CUT_T_TEXT, 0, 0, 0, 0, CUT_TF_NO_NUL},
        {"x", "name", CUT_T_TEXT, 0, 0, 0, 0, CUT_TF_NO_NUL},
        {"ah", "character varying", CUT_T_TEXT, 0, 0, 0, 0, CUT_TF_NO_NUL},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const cut_column *cc = col(t, want[i].name);
        if (cc->type.kind != want[i].kind || cc->type.width != want[i].width ||
            cc->type.precision != want[i].precision || cc->type.scale != want[i].scale ||
            cc->type.length != want[i].length || cc->type.flags != want[i].flags ||
            cc->unsupported || strcmp(cc->native, want[i].native) != 0)
            fail_msg("column %s (%s): kind %d width %d prec %d scale %d len %d flags %u "
                     "unsupported %d",
                     want[i].name, cc->native, cc->type.kind, cc->type.width, cc->type.precision,
                     cc->type.scale, cc->type.length, cc->type.flags, cc->unsupported);
    }
    assert_true(col(t, "v")->not_null); /* the domain's NOT NULL */
    /* Everything else is refused by name, with the type's SQL name. */
    static const char *const unsupported[][2] = {
        {"y", "integer[]"}, {"z", "interval"}, {"aa", "money"},
        {"ab", "inet"}, {"ac", "time with time zone"}, {"ad", "xml"},
        {"ae", "point"}, {"af", "int4range"}, {"ag", "numeric(5,-2)"},
        {"ai", "bit(3)"}, {"aj", "text[]"},
    };
    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
        const cut_column *cc = col(t, unsupported[i][0]);
        if (!cc->unsupported || strcmp(cc->native, unsupported[i][1]) != 0)
            fail_msg("column %s: unsupported %d native %s", unsupported[i][0], cc->unsupported,
                     cc->native);
    }
    cut_table_free(t);
    cut_disconnect(c);
}

static void test_keys_defaults_identity_and_serial(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE k (a int NOT NULL, b text NOT NULL, s serial, i bigint GENERATED "
           "ALWAYS AS IDENTITY, d date DEFAULT now(), g int GENERATED ALWAYS AS (a * 2) STORED,"
           " n int, PRIMARY KEY (b, a))");
    sql(f, "ALTER TABLE k DROP COLUMN n"); /* a dropped column leaves a hole in attnum */
    sql(f, "ALTER TABLE k ADD COLUMN z int");
    cut_conn *c = open_pg(f, CUT_OPEN_READ);
    cut_table *t = describe(c, "k");
    assert_int_equal(t->ncols, 6); /* g is generated: not data to migrate */
    assert_int_equal(cut_table_column(t, "g"), -1);
    assert_int_equal(t->npk, 2);
    assert_string_equal(t->cols[t->pk[0]].name, "b");
    assert_string_equal(t->cols[t->pk[1]].name, "a");
    assert_true(col(t, "a")->not_null);
    assert_false(col(t, "a")->has_default);
    assert_true(col(t, "s")->identity);
    assert_true(col(t, "s")->has_default);
    assert_true(col(t, "s")->not_null);
    assert_true(col(t, "i")->identity);
    assert_true(col(t, "i")->has_default);
    assert_false(col(t, "d")->identity);
    assert_true(col(t, "d")->has_default);
    assert_false(col(t, "z")->not_null);
    assert_string_equal(t->cols[5].name, "z");
    cut_table_free(t);
    cut_disconnect(c);
}

static void test_foreign_keys_are_described_in_key_order(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE parent (x int, y text, PRIMARY KEY (x, y));"
           "CREATE TABLE other (id int PRIMARY KEY);"
           "CREATE TABLE child (id int PRIMARY KEY, py text, px int, o int REFERENCES other,"
           " CONSTRAINT to_parent FOREIGN KEY (px, py) REFERENCES parent (x, y))");
    cut_conn *c = open_pg(f, CUT_OPEN_READ);
    cut_table *t = describe(c, "child");
    assert_int_equal(t->nfk, 2);
    const cut_fk *p = strcmp(t->fks[0].name, "to_parent") == 0 ? &t->fks[0] : &t->fks[1];
    const cut_fk *o = p == &t->fks[0] ? &t->fks[1] : &t->fks[0];
    assert_string_equal(p->ref_table, "parent");
    assert_int_equal(p->ncols, 2);
    assert_string_equal(t->cols[p->cols[0]].name, "px");
    assert_string_equal(p->ref_cols[0], "x");
    assert_string_equal(t->cols[p->cols[1]].name, "py");
    assert_string_equal(p->ref_cols[1], "y");
    assert_string_equal(o->ref_table, "other");
    assert_int_equal(o->ncols, 1);
    assert_string_equal(t->cols[o->cols[0]].name, "o");
    cut_table_free(t);
    cut_disconnect(c);
}

static void test_names_resolve_by_schema_search_path_and_case(void **state)
{
    fx *f = *state;
    char q[512];
    snprintf(q, sizeof(q),
             "CREATE SCHEMA %s_b; CREATE TABLE %s_b.t (v text); CREATE TABLE t (id int);"
             "CREATE TABLE \"Mixed\" (m int); CREATE TABLE \"we\"\"ird\" (\"a b\" int)",
             f->schema, f->schema);
    sql(f, q);
    cut_conn *c = open_pg(f, CUT_OPEN_READ);
    cut_table *t = describe(c, "t"); /* the first on search_path */
    assert_string_equal(t->cols[0].name, "id");
    assert_string_equal(t->schema, f->schema);
    cut_table_free(t);
    char name[128];
    snprintf(name, sizeof(name), "%s_b.t", f->schema);
    t = describe(c, name);
    assert_string_equal(t->cols[0].name, "v");
    assert_string_equal(t->name, "t");
    cut_table_free(t);
    t = describe(c, "Mixed");
    assert_string_equal(t->name, "Mixed");
    cut_table_free(t);
    t = describe(c, "mixed"); /* as PostgreSQL folds an unquoted name */
    assert_string_equal(t->name, "Mixed");
    cut_table_free(t);
    t = describe(c, "T");
    assert_string_equal(t->name, "t");
    cut_table_free(t);
    t = describe(c, "we\"ird");
    uint64_t last = 0;
    char *all = scan_all(c, t, NULL, 10, &last);
    assert_string_equal(all, "");
    free(all);
    cut_table_free(t);
    cut_table *none = (cut_table *)1;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->describe(c, "nope", &none, &err), CUT_ENOTFOUND);
    assert_null(none);
    assert_contains(err.msg, "table nope not found");
    assert_string_equal(err.table, "nope");
    snprintf(q, sizeof(q), "DROP SCHEMA %s_b CASCADE", f->schema);
    sql(f, q);
    cut_disconnect(c);
}

static void test_list_tables_count_and_estimate(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE l1 (id int); CREATE TABLE l2 (id int);"
           "CREATE VIEW lv AS SELECT * FROM l1;"
           "INSERT INTO l1 SELECT g FROM generate_series(1, 5000) g; ANALYZE l1;"
           "INSERT INTO l1 SELECT g FROM generate_series(1, 5000) g;"
           "INSERT INTO l2 VALUES (1), (2), (3)");
    cut_conn *c = open_pg(f, CUT_OPEN_READ);
    char **names = NULL;
    int n = 0;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->list_tables(c, &names, &n, &err), CUT_OK);
    int seen1 = 0, seen2 = 0, seenv = 0;
    for (int i = 0; i < n; i++) {
        seen1 += strcmp(names[i], "l1") == 0;
        seen2 += strcmp(names[i], "l2") == 0;
        seenv += strcmp(names[i], "lv") == 0;
        free(names[i]);
    }
    free(names);
    assert_int_equal(seen1, 1);
    assert_int_equal(seen2, 1);
    assert_int_equal(seenv, 0);
    cut_table *t1 = describe(c, "l1"), *t2 = describe(c, "l2"), *tv = describe(c, "lv");
    int64_t rows = -1;
    assert_int_equal(c->drv->count_rows(c, t1, &rows, &err), CUT_OK);
    assert_int_equal(rows, 10000);
    /* analysed at 5000 rows, then doubled: the estimate follows the table's size */
    assert_int_equal(c->drv->estimate_rows(c, t1, &rows, &err), CUT_OK);
    assert_true(rows >= 9000 && rows <= 11000);
    assert_int_equal(c->drv->estimate_rows(c, t2, &rows, &err), CUT_OK); /* never analysed */
    assert_int_equal(rows, 3);
    assert_int_equal(c->drv->estimate_rows(c, tv, &rows, &err), CUT_OK); /* a view: counted */
    assert_int_equal(rows, 10000);
    cut_table_free(t1);
    cut_table_free(t2);
    cut_table_free(tv);
    cut_disconnect(c);
}

/* ---------------------------------------------------------------- scan */

static void test_scan_gives_every_type_in_canonical_form(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE v (id int PRIMARY KEY, a int2, b int4, c int8, d numeric(8,2),"
           " e numeric, g real, h double precision, i boolean, j text, k varchar(10),"
           " l char(5), m date, n time, o timestamp, p timestamptz, q bytea, r uuid,"
           " s json, t jsonb)");
    sql(f, "INSERT INTO v VALUES (1, -32768, 2147483647, -9223372036854775808, 12.5, 1.50,"
           " 0.1, 0.1, true, E'a\\tb\\nc\\\\d\\r', 'héllo', 'ab', '2024-02-29',"
           " '12:34:56.789', '2024-01-05 12:00:00.5', '2024-01-05 12:00:00+02',"
           " '\\x00ff000a5c'::bytea, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',"
           " '{\"b\": 1, \"a\": [1.0, 2]}', '{\"b\": 1, \"a\": 2}'),"
           " (2, 32767, -1, 9223372036854775807, -0.5, 'NaN', 'NaN', 'Infinity', false,"
           " '', 'x', 'abcde', 'infinity', '00:00:00', '-infinity', '1999-12-31 23:59:59.999999-08',"
           " '\\x'::bytea, '00000000-0000-0000-0000-000000000000', '[]', '\"\\u00e9\"'),"
           " (3, 0, 0, 0, 0, 'Infinity', '-Infinity', 1e300, NULL, NULL, NULL, NULL, NULL, NULL,"
           " NULL, NULL, NULL, NULL, 'null', '{}')");
    cut_conn *c = open_pg(f, CUT_OPEN_READ);
    cut_table *t = describe(c, "v");
    int order[] = {0};
    cut_scan_opts o = {.order = order, .norder = 1};
    char *all = scan_all(c, t, &o, 10, NULL);
    assert_string_equal(
        all, "1|-32768|2147483647|-9223372036854775808|12.50|1.5|0.1|0.1|t|a\tb\nc\\d\r|héllo"
             "|ab|2024-02-29|12:34:56.789|2024-01-05 12:00:00.5|2024-01-05 10:00:00+00"
             "|00ff000a5c|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|{\"a\":[1,2],\"b\":1}"
             "|{\"a\":2,\"b\":1}\n"
             "2|32767|-1|9223372036854775807|-0.50|NaN|NaN|Infinity|f||x|abcde|infinity"
             "|00:00:00|-infinity|2000-01-01 07:59:59.999999+00||"
             "00000000-0000-0000-0000-000000000000|[]|\"é\"\n"
             "3|0|0|0|0.00|Infinity|-Infinity|1e+300|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N"
             "|null|{}\n");
    free(all);
    cut_table_free(t);
    cut_disconnect(c);
}

static void test_scan_reads_raw_bytea_and_server_text(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE r (b bytea, ts timestamptz, r real, l char(4))");
    sql(f, "INSERT INTO r VALUES ('\\x00010009'::bytea, '2024-06-01 00:00:00+00', 0.1, 'ab')");
    cut_conn *c = open_pg(f, CUT_OPEN_READ);
    cut_table *t = describe(c, "r");
    cut_scan *s = NULL;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->scan_open(c, t, NULL, &s, &err), CUT_OK);
    cut_batch *b = cut_batch_new(4, 8);
    assert_int_equal(c->drv->scan_next(s, b, &err), CUT_OK);
    assert_int_equal(b->nrows, 1);
    const cut_cell *row = cut_batch_crow(b, 0);
    assert_int_equal(row[0].len, 4); /* raw bytes, NUL included */
    assert_memory_equal(row[0].p, "\x00\x01\x00\x09", 4);
    assert_int_equal(row[1].len, strlen("2024-06-01 00:00:00+00"));
    assert_memory_equal(row[1].p, "2024-06-01 00:00:00+00", row[1].len);
    assert_int_equal(row[2].len, 3); /* shortest round-trip float4 */
    assert_memory_equal(row[2].p, "0.1", 3);
    assert_int_equal(row[3].len, 4); /* char(n) as stored; cut_canon trims */
    c->drv->scan_close(s);
    cut_batch_free(b);
    cut_table_free(t);
    cut_disconnect(c);
}

static void test_scan_subset_order_key_range_and_batches(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE s (id int PRIMARY KEY, a text, b int);"
           "INSERT INTO s SELECT g, 'v' || g, 100 - g FROM generate_series(1, 10) g");
    cut_conn *c = open_pg(f, CUT_OPEN_READ);
    cut_table *t = describe(c, "s");
    int cols[] = {2, 0}, order[] = {2};
    cut_scan_opts o = {.cols = cols, .ncols = 2, .order = order, .norder = 1,
                       .key_col = 0, .has_lo = 1, .has_hi = 1, .lo = 3, .hi = 6};
    char *all = scan_all(c, t, &o, 10, NULL);
    assert_string_equal(all, "95|5\n96|4\n97|3\n");
    free(all);
    int order0[] = {0};
    cut_scan_opts o2 = {.order = order0, .norder = 1, .key_col = 0, .has_lo = 1, .lo = 9};
    all = scan_all(c, t, &o2, 1, NULL);
    assert_string_equal(all, "9|v9|91\n10|v10|90\n");
    free(all);
    cut_scan_opts o3 = {.order = order0, .norder = 1};
    uint64_t l1 = 0, l3 = 0;
    char *a = scan_all(c, t, &o3, 1, &l1), *b = scan_all(c, t, &o3, 3, &l3);
    assert_string_equal(a, b);
    assert_int_equal(l1, 10);
    assert_int_equal(l3, 10);
    free(a);
    free(b);
    cut_table_free(t);
    cut_disconnect(c);
}

static void test_read_transaction_is_a_snapshot(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE snap (id int); INSERT INTO snap VALUES (1), (2)");
    cut_conn *c = open_pg(f, CUT_OPEN_READ);
    cut_table *t = describe(c, "snap");
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->begin_read(c, &err), CUT_OK);
    int order[] = {0};
    cut_scan_opts o = {.order = order, .norder = 1};
    char *a = scan_all(c, t, &o, 10, NULL);
    sql(f, "INSERT INTO snap VALUES (3)");
    char *b = scan_all(c, t, &o, 10, NULL);
    assert_string_equal(a, "1\n2\n");
    assert_string_equal(b, "1\n2\n"); /* the same snapshot for every scan */
    /* the snapshot is exported for parallel readers */
    assert_string_equal(query(f, "SELECT count(*) FROM pg_stat_activity WHERE application_name"
                                 " = 'cutover' AND state LIKE 'idle in transaction%'"),
                        "1");
    c->drv->end_read(c);
    char *d = scan_all(c, t, &o, 10, NULL);
    assert_string_equal(d, "1\n2\n3\n");
    free(a);
    free(b);
    free(d);
    cut_table_free(t);
    cut_disconnect(c);
}

static void test_closing_a_scan_early_cancels_the_copy(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE big (id int, pad text);"
           "INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(1, 200000) g");
    cut_conn *c = open_pg(f, CUT_OPEN_READ);
    cut_table *t = describe(c, "big");
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->begin_read(c, &err), CUT_OK);
    cut_scan *s = NULL;
    assert_int_equal(c->drv->scan_open(c, t, NULL, &s, &err), CUT_OK);
    cut_batch *b = cut_batch_new(2, 100);
    assert_int_equal(c->drv->scan_next(s, b, &err), CUT_OK);
    assert_int_equal(b->nrows, 100);
    c->drv->scan_close(s);
    c->drv->end_read(c);
    /* the connection is usable again at once */
    int64_t rows = 0;
    assert_int_equal(c->drv->count_rows(c, t, &rows, &err), CUT_OK);
    assert_int_equal(rows, 200000);
    cut_batch_free(b);
    cut_table_free(t);
    cut_disconnect(c);
}

/* ---------------------------------------------------------------- load */

static void test_load_round_trips_every_type(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE lt (id int PRIMARY KEY, a int2, c int8, d numeric(8,2), e numeric,"
           " g real, h double precision, i boolean, j text, l char(5), m date, n time(3),"
           " o timestamp, p timestamptz, q bytea, r uuid, s json, t jsonb, u int4)");
    cut_conn *c = open_pg(f, CUT_OPEN_WRITE);
    cut_table *t = describe(c, "lt");
    int cols[32];
    cut_load *l = load_open(c, t, 0, 0, cols);
    static const char *const vals[] = {
        "1", "-32768", "-9223372036854775808", "12.50", "1.5", "0.1", "1e+300", "t",
        "tab\there\nnew\\line\rcr", "ab", "2024-02-29", "12:34:56.789", "2024-01-05 12:00:00.5",
        "2024-01-05 10:00:00+00", NULL, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "{\"a\":[1,2],\"b\":1}", "{\"a\":2,\"b\":\"\\\\N\"}", "7",
        "2", "32767", "0", "NaN", "Infinity", "NaN", "-Infinity", "f", "\\N", "abcde",
        "infinity", "00:00:00", "-infinity", "1999-12-31 23:59:59.999999+00", NULL,
        "00000000-0000-0000-0000-000000000000", "[]", "{}", NULL,
    };
    cut_batch *b = batch_of(19, 2, vals);
    /* bytes with NUL bytes and every special COPY character */
    cut_batch_set_copy(b, 0, 14, "\x00\\\t\n\r\x01", 6);
    cut_batch_set_copy(b, 1, 14, "", 0);
    rejs rj = {0};
    load_rows_ok(c, l, b, &rj);
    assert_int_equal(rj.n, 0);
    commit_ok(c, l);
    int order[] = {0};
    cut_scan_opts o = {.order = order, .norder = 1};
    char *all = scan_all(c, t, &o, 10, NULL);
    assert_string_equal(
        all, "1|-32768|-9223372036854775808|12.50|1.5|0.1|1e+300|t|tab\there\nnew\\line\rcr"
             "|ab|2024-02-29|12:34:56.789|2024-01-05 12:00:00.5|2024-01-05 10:00:00+00"
             "|005c090a0d01|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|{\"a\":[1,2],\"b\":1}"
             "|{\"a\":2,\"b\":\"\\\\N\"}|7\n"
             "2|32767|0|NaN|Infinity|NaN|-Infinity|f|\\N|abcde|infinity|00:00:00|-infinity"
             "|1999-12-31 23:59:59.999999+00||00000000-0000-0000-0000-000000000000|[]|{}|\\N\n");
    free(all);
    /* the text "\N" is not NULL */
    assert_string_equal(query(f, "SELECT j IS NULL FROM lt WHERE id = 2"), "f");
    assert_string_equal(query(f, "SELECT length(q) FROM lt WHERE id = 1"), "6");
    cut_batch_free(b);
    cut_table_free(t);
    cut_disconnect(c);
}

static void test_refused_rows_are_rejected_alone_with_the_reason(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE p (id int PRIMARY KEY); INSERT INTO p VALUES (1), (2);"
           "CREATE TABLE rr (id int PRIMARY KEY, name text NOT NULL, code text UNIQUE,"
           " qty int CHECK (qty >= 0), pid int REFERENCES p, v varchar(3))");
    cut_conn *c = open_pg(f, CUT_OPEN_WRITE);
    cut_table *t = describe(c, "rr");
    int cols[8];
    cut_load *l = load_open(c, t, 0, 0, cols);
    static const char *const vals[] = {
        "1", "a", "A", "1", "1", "x",     /* ok */
        "2", NULL, "B", "1", "1", "x",    /* NOT NULL */
        "3", "c", "A", "1", "1", "x",     /* UNIQUE */
        "4", "d", "D", "-1", "1", "x",    /* CHECK */
        "5", "e", "E", "5", NULL, "x",    /* ok */
        "1", "f", "F", "1", "1", "x",     /* PRIMARY KEY */
        "7", "g", "G", "1", "99", "x",    /* FOREIGN KEY (checked at the end of COPY) */
        "8", "h", "H", "abc", "1", "x",   /* not an integer */
        "9", "i", "I", "0", "2", "long",  /* too long for varchar(3) */
        "10", "j", "J", "0", "2", "ok",   /* ok */
    };
    cut_batch *b = batch_of(6, 10, vals);
    rejs rj = {0};
    load_rows_ok(c, l, b, &rj);
    commit_ok(c, l);
    assert_int_equal(rj.n, 7);
    int want[] = {1, 2, 3, 5, 6, 7, 8};
    for (int i = 0; i < 7; i++) {
        int k = -1;
        for (int j = 0; j < rj.n; j++)
            if (rj.rows[j] == want[i])
                k = j;
        if (k < 0)
            fail_msg("row %d was not rejected", want[i]);
        assert_contains(rj.reasons[k], "PostgreSQL refused the row: ");
    }
    for (int j = 0; j < rj.n; j++) {
        const char *r = rj.reasons[j];
        switch (rj.rows[j]) {
        case 1: assert_contains(r, "null value in column \"name\""); assert_contains(r, "[column name]"); break;
        case 2: assert_contains(r, "rr_code_key"); assert_contains(r, "Key (code)=(A) already exists"); break;
        case 3: assert_contains(r, "[constraint rr_qty_check]"); break;
        case 5: assert_contains(r, "rr_pkey"); break;
        case 6: assert_contains(r, "Key (pid)=(99) is not present in table \"p\""); break;
        case 7: assert_contains(r, "invalid input syntax for type integer: \"abc\""); assert_contains(r, "[column qty]"); break;
        case 8: assert_contains(r, "value too long for type character varying(3)"); break;
        }
    }
    assert_string_equal(query(f, "SELECT string_agg(id::text, ',' ORDER BY id) FROM rr"), "1,5,10");
    cut_batch_free(b);
    cut_table_free(t);
    cut_disconnect(c);
}

/* Every binary field equals what the server's own send function makes of the value. */
static void test_binary_fields_equal_the_servers_send(void **state)
{
    fx *f = *state;
    static const struct {
        unsigned oid;
        const char *fn, *type, *value;
    } cases[] = {
        {16, "boolsend", "bool", "t"}, {16, "boolsend", "bool", "f"},
        {21, "int2send", "int2", "-32768"}, {21, "int2send", "int2", "32767"}, {23, "int4send", "int4", "-2147483648"},
        {23, "int4send", "int4", "0"}, {20, "int8send", "int8", "-9223372036854775808"}, {20, "int8send", "int8", "9223372036854775807"},
        {26, "oidsend", "oid", "4294967295"},
        {700, "float4send", "float4", "0.1"}, {700, "float4send", "float4", "3.4028235e+38"}, {700, "float4send", "float4", "-Infinity"},
        {701, "float8send", "float8", "0.1"}, {701, "float8send", "float8", "1e+300"}, {701, "float8send", "float8", "NaN"},
        {701, "float8send", "float8", "-2.2250738585072014e-308"},
        {1700, "numeric_send", "numeric", "0"}, {1700, "numeric_send", "numeric(8,2)", "0.00"}, {1700, "numeric_send", "numeric(8,2)", "12.50"},
        {1700, "numeric_send", "numeric(8,2)", "-12.50"}, {1700, "numeric_send", "numeric", "10000"}, {1700, "numeric_send", "numeric", "0.0001"},
        {1700, "numeric_send", "numeric", "1234567.89"}, {1700, "numeric_send", "numeric", "-0.000012345"},
        {1700, "numeric_send", "numeric", "99999999999999999999.00000000000000000001"},
        {1700, "numeric_send", "numeric", "100000000000000000000"}, {1700, "numeric_send", "numeric", "NaN"},
        {1700, "numeric_send", "numeric(10,4)", "1.5000"}, {1700, "numeric_send", "numeric(12,0)", "123456789012"},
        {25, "textsend", "text", "tab\\there"}, {1043, "varcharsend", "varchar(5)", "abc"}, {1042, "bpcharsend", "char(4)", "abcd"},
        {114, "json_send", "json", "{\"a\":1}"}, {3802, "jsonb_send", "jsonb", "{\"a\": [1, 2]}"},
        {1082, "date_send", "date", "2000-01-01"}, {1082, "date_send", "date", "1999-12-31"}, {1082, "date_send", "date", "0001-01-01"},
        {1082, "date_send", "date", "9999-12-31"}, {1082, "date_send", "date", "2024-02-29"}, {1082, "date_send", "date", "infinity"},
        {1082, "date_send", "date", "-infinity"},
        {1083, "time_send", "time", "00:00:00"}, {1083, "time_send", "time", "12:34:56.789"}, {1083, "time_send", "time", "24:00:00"},
        {1114, "timestamp_send", "timestamp", "2024-01-05 12:00:00.5"}, {1114, "timestamp_send", "timestamp", "0001-01-01 00:00:00"},
        {1114, "timestamp_send", "timestamp", "1969-07-20 20:17:40.000001"}, {1114, "timestamp_send", "timestamp", "-infinity"},
        {1184, "timestamptz_send", "timestamptz", "2024-01-05 10:00:00+00"},
        {1184, "timestamptz_send", "timestamptz", "9999-12-31 23:59:59.999999+00"}, {1184, "timestamptz_send", "timestamptz", "infinity"},
        {2950, "uuid_send", "uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
        {17, "byteasend", "bytea", "\\x00ff5c"},
    };
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char q[512];
        snprintf(q, sizeof(q), "SELECT encode(%s('%s'::%s), 'hex')", cases[i].fn,
                 cases[i].value, cases[i].type);
        const char *want = query(f, q);
        /* our field from the value's canonical text (bytea: its raw bytes) */
        cut_cell v = {cases[i].value, (uint32_t)strlen(cases[i].value), 0};
        if (cases[i].oid == 17)
            v = (cut_cell){"\x00\xff\x5c", 3, 0};
        cut_buf b = {0};
        assert_int_equal(cut_pg_bin_field(&b, cut_pg_bin_kind(cases[i].oid), &v), CUT_OK);
        char got[1024];
        size_t k = 0;
        for (size_t j = 4; j < b.len && k + 2 < sizeof(got); j++) {
            got[k++] = hex[(unsigned char)b.p[j] >> 4];
            got[k++] = hex[(unsigned char)b.p[j] & 15];
        }
        got[k] = '\0';
        if (strcmp(got, want) != 0)
            fail_msg("%s '%s': sent %s, the server sends %s", cases[i].type, cases[i].value, got,
                     want);
        assert_int_equal(b.len - 4, (size_t)((unsigned char)b.p[2] << 8 | (unsigned char)b.p[3]));
        cut_buf_free(&b);
    }
    assert_int_equal(cut_pg_bin_kind(18), CUT_PGB_NONE); /* "char": its own binary form */
    assert_int_equal(cut_pg_bin_kind(19), CUT_PGB_NONE); /* name: truncated as text only */
}

/* What is not canonical has no binary form: the batch then goes as text. */
static void test_binary_fields_refuse_what_is_not_canonical(void **state)
{
    (void)state;
    static const struct {
        int kind;
        const char *value;
    } cases[] = {
        {CUT_PGB_INT4, "007"}, {CUT_PGB_INT4, "+7"}, {CUT_PGB_INT4, "1.5"},
        {CUT_PGB_INT4, "2147483648"}, {CUT_PGB_INT2, "32768"}, {CUT_PGB_OID, "-1"},
        {CUT_PGB_INT8, ""}, {CUT_PGB_INT8, "abc"}, {CUT_PGB_BOOL, "true"},
        {CUT_PGB_FLOAT8, " 1"}, {CUT_PGB_FLOAT8, "0x10"}, {CUT_PGB_FLOAT8, "inf"},
        {CUT_PGB_FLOAT4, "1e+39"}, {CUT_PGB_NUMERIC, "Infinity"}, {CUT_PGB_NUMERIC, "1."},
        {CUT_PGB_NUMERIC, "1e5"}, {CUT_PGB_NUMERIC, "-"}, {CUT_PGB_NUMERIC, ".5"},
        {CUT_PGB_DATE, "2024-02-30"}, {CUT_PGB_DATE, "2024-2-3"}, {CUT_PGB_DATE, "0000-01-01"},
        {CUT_PGB_TIME, "12:60:00"}, {CUT_PGB_TIME, "24:00:01"}, {CUT_PGB_TIME, "12:00:00."},
        {CUT_PGB_TIME, "12:00:00.1234567"}, {CUT_PGB_TIMESTAMP, "2024-01-05T12:00:00"},
        {CUT_PGB_TIMESTAMP, "2024-01-05 24:00:00"}, {CUT_PGB_TIMESTAMPTZ, "2024-01-05 12:00:00"},
        {CUT_PGB_TIMESTAMPTZ, "2024-01-05 12:00:00+01"}, {CUT_PGB_UUID, "A0EEBC99-9C0B-4EF8-BB6D"},
        {CUT_PGB_UUID, "a0eebc999c0b4ef8bb6d6bb9bd380a11"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cut_cell v = {cases[i].value, (uint32_t)strlen(cases[i].value), 0};
        cut_buf b = {0};
        if (cut_pg_bin_field(&b, cases[i].kind, &v) != CUT_EDATA)
            fail_msg("kind %d took '%s'", cases[i].kind, cases[i].value);
        cut_buf_free(&b);
    }
    cut_cell null = {NULL, 0, CUT_CELL_NULL};
    cut_buf b = {0};
    assert_int_equal(cut_pg_bin_field(&b, CUT_PGB_DATE, &null), CUT_OK);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.p, "\xff\xff\xff\xff", 4);
    cut_buf_free(&b);
}

static char logged[8192];
static void log_keep(void *ud, cut_log_level level, const char *line)
{
    (void)ud;
    (void)level;
    size_t n = strlen(logged);
    snprintf(logged + n, sizeof(logged) - n, "%s\n", line);
}

/* A batch of canonical values goes in binary; the rows the server refuses are named by
   their line as in text, and a non-canonical value sends its batch as text. */
static void test_binary_load_refuses_rows_like_text(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE p (id int PRIMARY KEY); INSERT INTO p VALUES (1), (2);"
           "CREATE TABLE rb (id int PRIMARY KEY, name text NOT NULL, code text UNIQUE,"
           " qty int CHECK (qty >= 0), pid int REFERENCES p, v varchar(3), at timestamptz,"
           " price numeric(6,2))");
    cut_conn *c = open_pg(f, CUT_OPEN_WRITE);
    cut_table *t = describe(c, "rb");
    int cols[8];
    logged[0] = '\0';
    cut_log_level lv = cut_log_get_level();
    cut_log_set_level(CUT_LOG_DEBUG);
    cut_log_set_sink(log_keep, NULL);
    cut_load *l = load_open(c, t, 0, 0, cols);
    static const char *const vals[] = {
        "1", "a", "A", "1", "1", "x", "2024-01-05 10:00:00+00", "12.50",    /* ok */
        "2", NULL, "B", "1", "1", "x", "2024-01-05 10:00:00+00", "1.00",    /* NOT NULL */
        "3", "c", "A", "1", "1", "x", "2024-01-05 10:00:00+00", "1.00",     /* UNIQUE */
        "4", "d", "D", "-1", "1", "x", "2024-01-05 10:00:00+00", "1.00",    /* CHECK */
        "5", "e", "E", "5", NULL, "x", NULL, NULL,                          /* ok */
        "1", "f", "F", "1", "1", "x", "2024-01-05 10:00:00+00", "1.00",     /* PRIMARY KEY */
        "7", "g", "G", "1", "99", "x", "2024-01-05 10:00:00+00", "1.00",    /* FOREIGN KEY */
        "9", "i", "I", "0", "2", "long", "2024-01-05 10:00:00+00", "1.00",  /* too long */
        "10", "j", "J", "0", "2", "ok", "1999-12-31 23:59:59.5+00", "-0.50", /* ok */
    };
    cut_batch *b = batch_of(8, 9, vals);
    rejs rj = {0};
    load_rows_ok(c, l, b, &rj);
    assert_int_equal(rj.n, 6);
    assert_non_null(strstr(logged, "rb loads in COPY's binary format"));
    assert_null(strstr(logged, "goes as text"));
    for (int j = 0; j < rj.n; j++) {
        const char *r = rj.reasons[j];
        switch (rj.rows[j]) {
        case 1: assert_contains(r, "null value in column \"name\""); break;
        case 2: assert_contains(r, "Key (code)=(A) already exists"); break;
        case 3: assert_contains(r, "[constraint rb_qty_check]"); break;
        case 5: assert_contains(r, "rb_pkey"); break;
        case 6: assert_contains(r, "Key (pid)=(99) is not present in table \"p\""); break;
        case 7: assert_contains(r, "value too long for type character varying(3)");
                assert_contains(r, "[column v]"); break;
        default: fail_msg("row %d was rejected: %s", rj.rows[j], r);
        }
    }
    /* a value that is not canonical: this batch goes as text, and the server judges it */
    static const char *const more[] = {
        "11", "k", "K", "007", "1", "x", "2024-01-05 10:00:00+00", "1.00",
        "12", "l", "L", "abc", "1", "x", "2024-01-05 10:00:00+00", "1.00",
    };
    cut_batch *b2 = batch_of(8, 2, more);
    rejs rj2 = {0};
    load_rows_ok(c, l, b2, &rj2);
    assert_int_equal(rj2.n, 1);
    assert_int_equal(rj2.rows[0], 1);
    assert_contains(rj2.reasons[0], "invalid input syntax for type integer: \"abc\"");
    assert_non_null(strstr(logged, "a batch of rb goes as text"));
    commit_ok(c, l);
    cut_log_set_sink(NULL, NULL);
    cut_log_set_level(lv);
    assert_string_equal(query(f, "SELECT string_agg(id || ':' || qty || ':' || coalesce(at::text, '-')"
                                 " || ':' || coalesce(price::text, '-'), ',' ORDER BY id) FROM rb"),
                        "1:1:2024-01-05 10:00:00+00:12.50,5:5:-:-,"
                        "10:0:1999-12-31 23:59:59.5+00:-0.50,11:7:2024-01-05 10:00:00+00:1.00");
    cut_batch_free(b);
    cut_batch_free(b2);
    cut_table_free(t);
    cut_disconnect(c);
}

/* An all-or-nothing load streams its batches through one COPY: a refused row fails the
   commit with its ordinal among all the rows loaded, across batches and formats; an
   abandoned load ends its COPY, and the transaction takes commands again. */
static void test_whole_load_streams_and_names_the_refused_row(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE wl (id int PRIMARY KEY, qty int CHECK (qty >= 0))");
    cut_conn *c = open_pg(f, CUT_OPEN_WRITE);
    cut_table *t = describe(c, "wl");
    cut_error err;
    cut_error_clear(&err);
    int cols[2] = {0, 1};
    cut_load_opts lo = {.cols = cols, .ncols = 2, .in_tx = 1, .whole = 1};
    static const char *const b1v[] = {"1", "1", "2", "2", "3", "3"};
    static const char *const b2v[] = {"4", "4", "5", "05", "6", "-6"}; /* "05": goes as text */
    static const char *const b3v[] = {"7", "7", "8", "8"};
    cut_batch *b1 = batch_of(2, 3, b1v), *b2 = batch_of(2, 3, b2v), *b3 = batch_of(2, 2, b3v);
    rejs rj = {0};
    /* the refused row is the 6th loaded: in the second batch, sent as text; the third
       batch goes in binary, so its COPY ends, and says so */
    assert_int_equal(c->drv->tx_begin(c, &err), CUT_OK);
    cut_load *l = NULL;
    assert_int_equal(c->drv->load_open(c, t, &lo, &l, &err), CUT_OK);
    load_rows_ok(c, l, b1, &rj);
    load_rows_ok(c, l, b2, &rj);
    assert_int_equal(c->drv->load_rows(l, b3, on_reject, &rj, &err), CUT_ESERVER);
    c->drv->load_abort(l);
    assert_int_equal(rj.n, 0);
    assert_int_equal(err.line, 6);
    assert_contains(err.msg, "row 6 of the rows loaded");
    assert_contains(err.msg, "wl_qty_check");
    c->drv->tx_rollback(c);
    /* the bad one last, all in binary: the 7th */
    static const char *const b4v[] = {"6", "6", "9", "-9"};
    cut_batch *b4 = batch_of(2, 2, b4v);
    cut_error_clear(&err);
    assert_int_equal(c->drv->tx_begin(c, &err), CUT_OK);
    assert_int_equal(c->drv->load_open(c, t, &lo, &l, &err), CUT_OK);
    load_rows_ok(c, l, b1, &rj);
    load_rows_ok(c, l, b3, &rj);
    load_rows_ok(c, l, b4, &rj);
    assert_int_equal(c->drv->load_commit(l, &err), CUT_ESERVER);
    assert_int_equal(err.line, 7);
    c->drv->tx_rollback(c);
    /* abandoned in the middle: nothing stays, and the connection goes on */
    cut_error_clear(&err);
    assert_int_equal(c->drv->tx_begin(c, &err), CUT_OK);
    assert_int_equal(c->drv->load_open(c, t, &lo, &l, &err), CUT_OK);
    load_rows_ok(c, l, b1, &rj);
    c->drv->load_abort(l);
    c->drv->tx_rollback(c);
    assert_string_equal(query(f, "SELECT count(*) FROM wl"), "0");
    /* and a good one commits every row */
    assert_int_equal(c->drv->tx_begin(c, &err), CUT_OK);
    assert_int_equal(c->drv->load_open(c, t, &lo, &l, &err), CUT_OK);
    load_rows_ok(c, l, b1, &rj);
    load_rows_ok(c, l, b3, &rj);
    commit_ok(c, l);
    assert_int_equal(c->drv->tx_commit(c, &err), CUT_OK);
    assert_string_equal(query(f, "SELECT string_agg(id::text, ',' ORDER BY id) FROM wl"),
                        "1,2,3,7,8");
    cut_batch_free(b1);
    cut_batch_free(b2);
    cut_batch_free(b3);
    cut_batch_free(b4);
    cut_table_free(t);
    cut_disconnect(c);
}

static void test_many_rejects_in_a_big_batch_keep_every_good_row(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE par (id int PRIMARY KEY);"
           "INSERT INTO par SELECT g FROM generate_series(1, 100) g;"
           "CREATE TABLE mr (id int PRIMARY KEY, n int NOT NULL, pid int REFERENCES par)");
    cut_conn *c = open_pg(f, CUT_OPEN_WRITE);
    cut_table *t = describe(c, "mr");
    int cols[4];
    cut_load *l = load_open(c, t, 0, 0, cols);
    enum { N = 3000 };
    cut_batch *b = cut_batch_new(3, N);
    int bad = 0;
    for (int r = 0; r < N; r++) {
        char v[32];
        snprintf(v, sizeof(v), "%d", r + 1);
        cut_batch_set_copy(b, r, 0, v, strlen(v));
        if (r % 97 == 5) { /* NOT NULL: COPY names the line */
            cut_batch_set_null(b, r, 1);
            bad++;
        } else {
            cut_batch_set_copy(b, r, 1, "1", 1);
        }
        if (r % 131 == 7 && r % 97 != 5) { /* FOREIGN KEY: found by bisection */
            cut_batch_set_copy(b, r, 2, "1000", 4);
            bad++;
        } else {
            snprintf(v, sizeof(v), "%d", r % 100 + 1);
            cut_batch_set_copy(b, r, 2, v, strlen(v));
        }
    }
    b->nrows = N;
    rejs rj = {0};
    load_rows_ok(c, l, b, &rj);
    commit_ok(c, l);
    assert_int_equal(rj.n, bad);
    char want[32];
    snprintf(want, sizeof(want), "%d", N - bad);
    assert_string_equal(query(f, "SELECT count(*) FROM mr"), want);
    assert_string_equal(query(f, "SELECT count(*) FROM mr WHERE (id - 1) % 97 = 5 "
                                 "OR (id - 1) % 131 = 7"),
                        "0");
    cut_batch_free(b);
    cut_table_free(t);
    cut_disconnect(c);
}

/* The OID of a constraint: a new one means it was dropped and added back. */
static char *con_oid(fx *f, const char *name)
{
    char q[256];
    snprintf(q, sizeof(q), "SELECT oid || '/' || convalidated || '/' || pg_get_constraintdef(oid) "
                           "FROM pg_constraint WHERE conname = '%s'", name);
    return query(f, q);
}

/* Loads n rows (id, pid) into fkc on c, where every 10th pid has no parent. */
static void load_children_on(cut_conn *c, int n, int abort, rejs *rj)
{
    cut_table *t = describe(c, "fkc");
    int cols[3];
    cut_load *l = load_open(c, t, 0, 0, cols);
    cut_batch *b = cut_batch_new(2, n);
    for (int r = 0; r < n; r++) {
        char v[32];
        snprintf(v, sizeof(v), "%d", r + 1);
        cut_batch_set_copy(b, r, 0, v, strlen(v));
        snprintf(v, sizeof(v), "%d", r % 10 == 3 ? 100000 + r : r % 50 + 1);
        cut_batch_set_copy(b, r, 1, v, strlen(v));
    }
    b->nrows = n;
    load_rows_ok(c, l, b, rj);
    if (abort)
        c->drv->load_abort(l);
    else
        commit_ok(c, l);
    cut_batch_free(b);
    cut_table_free(t);
}

static void load_children(fx *f, const char *url, int n, int abort, rejs *rj)
{
    cut_conn *c = open_url(url, CUT_OPEN_WRITE);
    load_children_on(c, n, abort, rj);
    cut_disconnect(c);
    (void)f;
}

static void make_fk_tables(fx *f)
{
    sql(f, "CREATE TABLE fkp (id int PRIMARY KEY); INSERT INTO fkp SELECT generate_series(1, 50);"
           "CREATE TABLE fkc (id int PRIMARY KEY, pid int CONSTRAINT fkc_pid REFERENCES fkp"
           " ON DELETE CASCADE DEFERRABLE)");
}

static void test_big_load_checks_foreign_keys_per_batch_and_puts_them_back(void **state)
{
    fx *f = *state;
    make_fk_tables(f);
    char before[4096];
    snprintf(before, sizeof(before), "%s", con_oid(f, "fkc_pid"));
    rejs rj = {0};
    cut_conn *c = open_pg(f, CUT_OPEN_WRITE);
    load_children_on(c, 3000, 0, &rj);
    /* the check it prepared for the load is gone with the load */
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->exec(c, "PREPARE cut_fk_1 AS SELECT 1", &err), CUT_OK);
    cut_disconnect(c);
    assert_int_equal(rj.n, 300);
    assert_int_equal(rj.rows[0], 3);
    assert_string_equal(rj.reasons[0],
                        "PostgreSQL refused the row: insert or update on table \"fkc\" violates "
                        "foreign key constraint \"fkc_pid\"; Key (pid)=(100003) is not present in "
                        "table \"fkp\". [constraint fkc_pid]");
    assert_string_equal(query(f, "SELECT count(*) FROM fkc"), "2700");
    /* added back: a new OID, validated, the same definition */
    const char *after = con_oid(f, "fkc_pid");
    assert_string_not_equal(after, before);
    assert_string_equal(strchr(after, '/'), strchr(before, '/'));
    assert_contains(after, "/true/FOREIGN KEY (pid) REFERENCES fkp(id) ON DELETE CASCADE DEFERRABLE");
    /* and it works */
    PGresult *r = PQexec(f->admin, "INSERT INTO fkc VALUES (999999, 4242)");
    assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
    PQclear(r);
}

static void test_foreign_keys_keep_their_triggers_when_told_or_small(void **state)
{
    fx *f = *state;
    make_fk_tables(f);
    char before[4096], url[1200];
    snprintf(before, sizeof(before), "%s", con_oid(f, "fkc_pid"));
    /* cutover.defer_foreign_keys = off, here through the URL's options */
    snprintf(url, sizeof(url), "%s%%20-ccutover.defer_foreign_keys%%3Doff", f->url);
    rejs rj = {0};
    load_children(f, url, 3000, 0, &rj);
    assert_string_equal(con_oid(f, "fkc_pid"), before);
    /* the same rows refused, in the same words */
    assert_int_equal(rj.n, 300);
    assert_int_equal(rj.rows[0], 3);
    assert_contains(rj.reasons[0], "PostgreSQL refused the row: insert or update on table "
                                   "\"fkc\" violates foreign key constraint \"fkc_pid\"; Key "
                                   "(pid)=(100003) is not present in table \"fkp\".");
    assert_contains(rj.reasons[0], "[constraint fkc_pid]");
    assert_string_equal(query(f, "SELECT count(*) FROM fkc"), "2700");
    /* The trigger names no row; the keys' check finds the 300 at once: the batch is sent
       twice (3000 rows refused, then the 2700 others), not bisected (51,000 rows sent). */
    assert_true(atoi(query(f, "SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = "
                              "'fkc'")) <= 5700);
    /* a small first batch keeps them too */
    sql(f, "TRUNCATE fkc");
    memset(&rj, 0, sizeof(rj));
    load_children(f, f->url, 100, 0, &rj);
    assert_int_equal(rj.n, 10);
    assert_string_equal(con_oid(f, "fkc_pid"), before);
}

/* Every row refused by a foreign key kept as a trigger (the parent table is empty): one
   query finds them, the load does not send the batch again for each of them. */
static void test_rows_refused_by_a_trigger_are_found_by_the_keys_check(void **state)
{
    fx *f = *state;
    make_fk_tables(f);
    sql(f, "TRUNCATE fkp CASCADE");
    char url[1200];
    snprintf(url, sizeof(url), "%s%%20-ccutover.defer_foreign_keys%%3Doff", f->url);
    rejs rj = {0};
    load_children(f, url, 3000, 0, &rj);
    assert_int_equal(rj.n, 3000);
    assert_int_equal(rj.rows[0], 0);
    assert_string_equal(rj.reasons[0],
                        "PostgreSQL refused the row: insert or update on table \"fkc\" violates "
                        "foreign key constraint \"fkc_pid\"; Key (pid)=(1) is not present in "
                        "table \"fkp\". [constraint fkc_pid]");
    assert_string_equal(query(f, "SELECT count(*) FROM fkc"), "0");
    assert_string_equal(query(f, "SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = "
                                 "'fkc'"),
                        "3000");
}

/* A role that may write the child but not read the parent: the trigger checks as the
   parent's owner, the load's own check cannot run. The refused rows are found by
   bisection, in the trigger's words, and every other row is loaded. */
static void test_rows_refused_by_a_trigger_when_the_parent_is_not_readable(void **state)
{
    fx *f = *state;
    make_fk_tables(f);
    char q[512];
    snprintf(q, sizeof(q),
             "DO $$ BEGIN CREATE ROLE cut_noparent LOGIN; EXCEPTION WHEN duplicate_object "
             "THEN NULL; END $$; GRANT USAGE ON SCHEMA %s TO cut_noparent; "
             "GRANT SELECT, INSERT ON %s.fkc TO cut_noparent",
             f->schema, f->schema);
    sql(f, q);
    char url[1200];
    const char *at = strchr(f->url, '@');
    snprintf(url, sizeof(url), "postgresql://cut_noparent@%s", at + 1);
    rejs rj = {0};
    load_children(f, url, 3000, 0, &rj);
    assert_int_equal(rj.n, 300);
    assert_int_equal(rj.rows[0], 3);
    assert_string_equal(rj.reasons[0],
                        "PostgreSQL refused the row: insert or update on table \"fkc\" violates "
                        "foreign key constraint \"fkc_pid\"; Key (pid)=(100003) is not present in "
                        "table \"fkp\". [constraint fkc_pid]");
    assert_string_equal(query(f, "SELECT count(*) FROM fkc"), "2700");
    snprintf(q, sizeof(q),
             "REVOKE ALL ON %s.fkc FROM cut_noparent; REVOKE USAGE ON SCHEMA %s "
             "FROM cut_noparent",
             f->schema, f->schema);
    sql(f, q);
}

static void test_aborted_load_leaves_foreign_keys_untouched(void **state)
{
    fx *f = *state;
    make_fk_tables(f);
    char before[4096];
    snprintf(before, sizeof(before), "%s", con_oid(f, "fkc_pid"));
    rejs rj = {0};
    load_children(f, f->url, 3000, 1, &rj);
    assert_string_equal(con_oid(f, "fkc_pid"), before);
    assert_string_equal(query(f, "SELECT count(*) FROM fkc"), "0");
}

static void test_commit_moves_identity_and_serial_sequences(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE sq (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
           " s bigserial, v text);"
           "CREATE TABLE sq0 (id serial PRIMARY KEY, v text);"
           "CREATE TABLE sqd (id int GENERATED BY DEFAULT AS IDENTITY (INCREMENT BY -1"
           " START WITH -1 MAXVALUE -1) PRIMARY KEY);"
           "SELECT nextval('sq0_id_seq'), nextval('sq0_id_seq')");
    cut_conn *c = open_pg(f, CUT_OPEN_WRITE);
    cut_table *t = describe(c, "sq");
    int cols[4];
    cut_load *l = load_open(c, t, 0, 0, cols);
    static const char *const vals[] = {"41", "7", "a", "5", "1000", "b"};
    cut_batch *b = batch_of(3, 2, vals);
    rejs rj = {0};
    load_rows_ok(c, l, b, &rj);
    commit_ok(c, l);
    sql(f, "INSERT INTO sq (v) VALUES ('next')");
    assert_string_equal(query(f, "SELECT id || '/' || s FROM sq WHERE v = 'next'"), "42/1001");
    cut_batch_free(b);
    cut_table_free(t);
    /* an empty load leaves a used sequence where it was: never back, as a value it gave
       out may be in use elsewhere (and a rollback would not undo the setval) */
    t = describe(c, "sq0");
    l = load_open(c, t, 0, 0, cols);
    commit_ok(c, l);
    sql(f, "INSERT INTO sq0 (v) VALUES ('first')");
    assert_string_equal(query(f, "SELECT id FROM sq0"), "3");
    cut_table_free(t);
    /* a descending sequence goes below the smallest key */
    t = describe(c, "sqd");
    l = load_open(c, t, 0, 0, cols);
    static const char *const dv[] = {"-5", "-2"};
    b = batch_of(1, 2, dv);
    load_rows_ok(c, l, b, &rj);
    commit_ok(c, l);
    sql(f, "INSERT INTO sqd DEFAULT VALUES");
    assert_string_equal(query(f, "SELECT min(id) FROM sqd"), "-6");
    cut_batch_free(b);
    cut_table_free(t);
    cut_disconnect(c);
}

static void test_abort_rolls_back_the_load(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE ab (id int)");
    cut_conn *c = open_pg(f, CUT_OPEN_WRITE);
    cut_table *t = describe(c, "ab");
    int cols[1];
    cut_load *l = load_open(c, t, 0, 0, cols);
    static const char *const vals[] = {"1", "2"};
    cut_batch *b = batch_of(1, 2, vals);
    rejs rj = {0};
    load_rows_ok(c, l, b, &rj);
    c->drv->load_abort(l);
    assert_string_equal(query(f, "SELECT count(*) FROM ab"), "0");
    cut_batch_free(b);
    cut_table_free(t);
    cut_disconnect(c);
}

static void test_non_empty_target_is_refused_unless_allowed(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE ne (id int, v text DEFAULT 'dflt'); INSERT INTO ne VALUES (1), (2), (3)");
    cut_conn *c = open_pg(f, CUT_OPEN_WRITE);
    cut_table *t = describe(c, "ne");
    int cols[] = {0};
    cut_load_opts lo = {.cols = cols, .ncols = 1};
    cut_load *l = (cut_load *)1;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->load_open(c, t, &lo, &l, &err), CUT_ESTATE);
    assert_contains(err.msg, "target table ne is not empty (3 rows); use --truncate");
    assert_string_equal(err.table, "ne");
    lo.allow_nonempty = 1;
    assert_int_equal(c->drv->load_open(c, t, &lo, &l, &err), CUT_OK);
    static const char *const vals[] = {"4"};
    cut_batch *b = batch_of(1, 1, vals);
    rejs rj = {0};
    load_rows_ok(c, l, b, &rj);
    commit_ok(c, l);
    assert_string_equal(query(f, "SELECT v FROM ne WHERE id = 4"), "dflt"); /* unmapped: default */
    cut_batch_free(b);
    cut_table_free(t);
    cut_disconnect(c);
}

static void test_truncate_and_explicit_transactions(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE tp (id int PRIMARY KEY); CREATE TABLE tc (id int REFERENCES tp);"
           "CREATE TABLE tx (id int REFERENCES tp);"
           "INSERT INTO tp VALUES (1); INSERT INTO tc VALUES (1); INSERT INTO tx VALUES (1)");
    cut_conn *c = open_pg(f, CUT_OPEN_WRITE);
    cut_table *tp = describe(c, "tp"), *tc = describe(c, "tc");
    cut_table *both[] = {tc, tp};
    cut_error err;
    cut_error_clear(&err);
    /* tx, outside the list, still references tp: refused, nothing emptied */
    assert_int_equal(c->drv->truncate(c, both, 2, &err), CUT_ESERVER);
    assert_contains(err.msg, "cannot empty the target tables");
    assert_contains(err.msg, "tx");
    assert_string_equal(query(f, "SELECT count(*) FROM tc"), "1");
    sql(f, "DROP TABLE tx");
    assert_int_equal(c->drv->truncate(c, both, 2, &err), CUT_OK);
    assert_string_equal(query(f, "SELECT count(*) FROM tp"), "0");
    /* several loads in one transaction: nothing is visible until the commit */
    assert_int_equal(c->drv->tx_begin(c, &err), CUT_OK);
    int cols[1];
    cut_load *l = load_open(c, tp, 0, 1, cols);
    static const char *const v1[] = {"1", "2"};
    cut_batch *b = batch_of(1, 2, v1);
    rejs rj = {0};
    load_rows_ok(c, l, b, &rj);
    commit_ok(c, l);
    l = load_open(c, tc, 0, 1, cols);
    load_rows_ok(c, l, b, &rj);
    commit_ok(c, l);
    assert_string_equal(query(f, "SELECT count(*) FROM tc"), "0");
    assert_int_equal(c->drv->tx_commit(c, &err), CUT_OK);
    assert_string_equal(query(f, "SELECT count(*) FROM tc"), "2");
    /* and a rolled back one leaves nothing, the truncate included */
    assert_int_equal(c->drv->tx_begin(c, &err), CUT_OK);
    assert_int_equal(c->drv->truncate(c, both, 2, &err), CUT_OK);
    c->drv->tx_rollback(c);
    assert_string_equal(query(f, "SELECT count(*) FROM tc"), "2");
    /* a transaction the server aborted does not pass for committed */
    assert_int_equal(c->drv->tx_begin(c, &err), CUT_OK);
    assert_int_equal(c->drv->exec(c, "SELECT 1/0", &err), CUT_ESERVER);
    assert_int_equal(c->drv->tx_commit(c, &err), CUT_ESERVER);
    assert_contains(err.msg, "rolled back");
    cut_batch_free(b);
    cut_table_free(tp);
    cut_table_free(tc);
    cut_disconnect(c);
}

static void test_ddl_rebuilds_an_equivalent_table(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE src (id bigint GENERATED ALWAYS AS IDENTITY, \"Name\" varchar(40)"
           " NOT NULL DEFAULT 'x', price numeric(8,2), at timestamptz(3), g int GENERATED"
           " ALWAYS AS (id * 2) STORED, PRIMARY KEY (\"Name\", id))");
    cut_conn *c = open_pg(f, CUT_OPEN_WRITE);
    cut_table *t = describe(c, "src");
    cut_buf ddl = {0};
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->ddl(c, t, &ddl, &err), CUT_OK);
    const char *d = cut_buf_cstr(&ddl);
    assert_contains(d, "\"id\" bigint GENERATED ALWAYS AS IDENTITY NOT NULL");
    assert_contains(d, "\"Name\" character varying(40) DEFAULT 'x'::character varying NOT NULL");
    assert_contains(d, "\"price\" numeric(8,2)");
    assert_contains(d, "\"at\" timestamp(3) with time zone");
    assert_contains(d, "GENERATED ALWAYS AS ((id * 2)) STORED");
    assert_contains(d, "PRIMARY KEY (\"Name\", id)");
    /* it runs: dropped and created again from it, the table describes the same */
    sql(f, "DROP TABLE src");
    if (c->drv->exec(c, d, &err))
        fail_msg("%s: %s", d, err.msg);
    cut_table *t2 = describe(c, "src");
    assert_int_equal(t2->ncols, t->ncols);
    for (int i = 0; i < t->ncols; i++) {
        assert_string_equal(t2->cols[i].name, t->cols[i].name);
        assert_string_equal(t2->cols[i].native, t->cols[i].native);
        assert_int_equal(t2->cols[i].not_null, t->cols[i].not_null);
        assert_int_equal(t2->cols[i].identity, t->cols[i].identity);
        assert_int_equal(t2->cols[i].has_default, t->cols[i].has_default);
    }
    assert_int_equal(t2->npk, 2);
    assert_string_equal(query(f, "SELECT count(*) FROM pg_attribute WHERE attrelid = 'src'::regclass "
                                 "AND attname = 'g' AND attgenerated = 's'"),
                        "1");
    cut_buf_free(&ddl);
    cut_table_free(t);
    cut_table_free(t2);
    cut_disconnect(c);
}

static void test_lost_connection_during_a_load_is_fatal_and_names_the_table(void **state)
{
    fx *f = *state;
    sql(f, "CREATE TABLE lost (id int)");
    cut_conn *c = open_pg(f, CUT_OPEN_WRITE);
    cut_table *t = describe(c, "lost");
    int cols[1];
    cut_load *l = load_open(c, t, 0, 0, cols);
    static const char *const vals[] = {"1", "2"};
    cut_batch *b = batch_of(1, 2, vals);
    rejs rj = {0};
    load_rows_ok(c, l, b, &rj);
    query(f, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
             "WHERE application_name = 'cutover'");
    usleep(200 * 1000);
    cut_error err;
    cut_error_clear(&err);
    int rc = c->drv->load_rows(l, b, on_reject, &rj, &err);
    assert_int_equal(rc, CUT_ECONNECT);
    assert_int_equal(rj.n, 0); /* not blamed on the rows */
    assert_string_equal(err.table, "lost");
    assert_contains(err.msg, "table lost");
    c->drv->load_abort(l);
    assert_string_equal(query(f, "SELECT count(*) FROM lost"), "0");
    cut_batch_free(b);
    cut_table_free(t);
    cut_disconnect(c);
}

static void test_exec_reports_the_server_error(void **state)
{
    fx *f = *state;
    cut_conn *c = open_pg(f, CUT_OPEN_WRITE);
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(c->drv->exec(c, "CREATE TABLE e1 (id int); CREATE TABLE e2 (id int)", &err),
                     CUT_OK);
    assert_int_equal(c->drv->exec(c, "SELECT * FROM no_such_table", &err), CUT_ESERVER);
    assert_contains(err.msg, "PostgreSQL: running a statement: relation \"no_such_table\" does "
                             "not exist");
    cut_disconnect(c);
}

static void test_driver_is_registered_with_its_capabilities(void **state)
{
    (void)state;
    const cut_driver *d = cut_driver_find("postgresql");
    assert_ptr_equal(d, &cut_driver_pg);
    assert_int_equal(d->version, 1);
    assert_string_equal(d->name, "PostgreSQL");
    assert_true(d->caps & CUT_DRV_SOURCE);
    assert_true(d->caps & CUT_DRV_TARGET);
    assert_false(d->caps & CUT_DRV_SINGLE_WRITER);
    cut_url *u = NULL;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_url_parse("postgres://x@h/db", &u, &err), CUT_OK);
    assert_ptr_equal(cut_driver_find(u->scheme), &cut_driver_pg);
    cut_url_free(u);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_schema, teardown_schema)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_split_decodes_every_escape),
        cmocka_unit_test(test_copy_split_nulls_empties_and_field_counts),
        cmocka_unit_test(test_bytea_decodes_hex_and_escape_output),
        cmocka_unit_test(test_escape_and_split_round_trip_every_byte),
        cmocka_unit_test(test_binary_fields_refuse_what_is_not_canonical),
        cmocka_unit_test(test_connect_failure_is_redacted),
        cmocka_unit_test(test_driver_is_registered_with_its_capabilities),
        T(test_url_goes_to_libpq_as_written),
        T(test_read_connection_cannot_write),
        T(test_catalog_types_map_to_logical_types),
        T(test_keys_defaults_identity_and_serial),
        T(test_foreign_keys_are_described_in_key_order),
        T(test_names_resolve_by_schema_search_path_and_case),
        T(test_list_tables_count_and_estimate),
        T(test_scan_gives_every_type_in_canonical_form),
        T(test_scan_reads_raw_bytea_and_server_text),
        T(test_scan_subset_order_key_range_and_batches),
        T(test_read_transaction_is_a_snapshot),
        T(test_closing_a_scan_early_cancels_the_copy),
        T(test_load_round_trips_every_type),
        T(test_refused_rows_are_rejected_alone_with_the_reason),
        T(test_binary_fields_equal_the_servers_send),
        T(test_binary_load_refuses_rows_like_text),
        T(test_whole_load_streams_and_names_the_refused_row),
        T(test_many_rejects_in_a_big_batch_keep_every_good_row),
        T(test_big_load_checks_foreign_keys_per_batch_and_puts_them_back),
        T(test_foreign_keys_keep_their_triggers_when_told_or_small),
        T(test_rows_refused_by_a_trigger_are_found_by_the_keys_check),
        T(test_rows_refused_by_a_trigger_when_the_parent_is_not_readable),
        T(test_aborted_load_leaves_foreign_keys_untouched),
        T(test_commit_moves_identity_and_serial_sequences),
        T(test_abort_rolls_back_the_load),
        T(test_non_empty_target_is_refused_unless_allowed),
        T(test_truncate_and_explicit_transactions),
        T(test_ddl_rebuilds_an_equivalent_table),
        T(test_lost_connection_during_a_load_is_fatal_and_names_the_table),
        T(test_exec_reports_the_server_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
