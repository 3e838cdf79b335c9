/*
 * test_pipeline.c — the engine end to end on small SQLite databases built by
 * the test (lib/plan.c, lib/pipeline.c, lib/verify.c through cut_migrate and
 * cut_verify): counts, rejects and the reject file, zero dates, filters,
 * Go / No-Go with the differing keys, tables without keys, batch sizes and
 * jobs, foreign-key order, cancellation, time zones, non-empty targets; and
 * the bounded batch queue shared by the scanner and the loader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "engine.h"

/* ------------------------------------------------------------ fixture */

typedef struct fx {
    char dir[64];
    char src[128];
    char tgt[128];
    char rej[128];
    char map[128];
} fx;

static int setup_fx(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/cut_test_pipeline_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->src, sizeof(f->src), "%s/src.db", f->dir);
    snprintf(f->tgt, sizeof(f->tgt), "%s/tgt.db", f->dir);
    snprintf(f->rej, sizeof(f->rej), "%s/rejects", f->dir);
    snprintf(f->map, sizeof(f->map), "%s/map.yaml", f->dir);
    *state = f;
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

static int teardown_fx(void **state)
{
    fx *f = *state;
    remove_tree(f->dir);
    free(f);
    return 0;
}

static void sql(const char *path, const char *text)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("sql: %s: %s", text, msg ? msg : "?");
    sqlite3_close(db);
}

/* The first column of the first row, as text ("<NULL>" for NULL). */
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
    if (sqlite3_step(st) != SQLITE_ROW)
        fail_msg("query: %s: no row", text);
    const unsigned char *v = sqlite3_column_text(st, 0);
    snprintf(res, 1024, "%s", v ? (const char *)v : "<NULL>");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return res;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!hay || !strstr(hay, needle)) {
        print_error("'%s' not found in '%s'\n", needle, hay ? hay : "(null)");
        fail();
    }
}

/* Writes "source/target" + body to map.yaml and loads it. */
static cut_mapping *mapping(const fx *f, const char *body)
{
    FILE *fp = fopen(f->map, "w");
    assert_non_null(fp);
    fprintf(fp, "source: sqlite:%s\ntarget: sqlite:%s\n%s", f->src, f->tgt, body);
    fclose(fp);
    cut_mapping *m = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = cut_mapping_load(f->map, &m, &err);
    if (rc) {
        char buf[2048];
        fail_msg("mapping: %s", cut_error_format(&err, buf, sizeof(buf)));
    }
    return m;
}

static void opts(const fx *f, cut_run_opts *o)
{
    cut_run_opts_init(o);
    o->jobs = 1;
    o->reject_dir = f->rej;
    o->locate = 1;
}

static cut_result *migrate_ok(cut_mapping *m, const cut_run_opts *o)
{
    cut_result *r = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = cut_migrate(m, o, &r, &err);
    if (rc) {
        char buf[2048];
        fail_msg("migrate: %s", cut_error_format(&err, buf, sizeof(buf)));
    }
    assert_non_null(r);
    return r;
}

static cut_result *verify_ok(cut_mapping *m, const cut_run_opts *o)
{
    cut_result *r = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = cut_verify(m, o, &r, &err);
    if (rc) {
        char buf[2048];
        fail_msg("verify: %s", cut_error_format(&err, buf, sizeof(buf)));
    }
    assert_non_null(r);
    return r;
}

static const cut_table_result *tres(const cut_result *r, const char *table)
{
    for (int i = 0; i < r->ntables; i++)
        if (strcmp(r->tables[i].table, table) == 0)
            return &r->tables[i];
    fail_msg("no result for table %s", table);
    return NULL;
}

static void assert_counts_add_up(const cut_table_result *t)
{
    if (t->source_rows != t->loaded + t->filtered + t->rejected)
        fail_msg("%s: source %lld != loaded %lld + filtered %lld + rejected %lld", t->table,
                 (long long)t->source_rows, (long long)t->loaded, (long long)t->filtered,
                 (long long)t->rejected);
}

/* The reject file of a table, read whole (NULL when absent); caller frees. */
static char *rejects_of(const fx *f, const char *table)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s.rejects.jsonl", f->rej, table);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return NULL;
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

/* --------------------------------------------------- the members example */

static void make_members(const fx *f)
{
    sql(f->src, "CREATE TABLE clients (id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT,"
                " email TEXT, is_active INTEGER, born DATE, visits TEXT);"
                "INSERT INTO clients VALUES"
                " (1, ' Ada ', 'Lovelace', 'ADA@X.BE', 1, '1815-12-10', '3'),"
                " (2, 'Alan', 'Turing', 'alan@x.be', 0, '1912-06-23', '12'),"
                " (3, 'Test', 'TEST', 'test@x.be', 1, NULL, '0'),"
                " (4, 'Grace', 'Hopper', NULL, 1, '1906-12-09', '7'),"
                " (5, 'Edsger', 'Dijkstra', 'ed@x.be', 0, '1930-05-11', 'abc'),"
                " (6, 'Barbara', 'Liskov', 'bl@x.be', 1, '0000-00-00', '4'),"
                " (7, 'Donald', 'Knuth', 'dk@x.be', 1, '1938-01-10', '42');");
    sql(f->tgt, "CREATE TABLE members (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL,"
                " email TEXT NOT NULL, active BOOLEAN NOT NULL, born DATE, visits INTEGER);");
}

static const char MEMBERS_MAP[] = "options:\n"
                                  "  max_rejects: 5\n"
                                  "tables:\n"
                                  "  members:\n"
                                  "    from: clients\n"
                                  "    key: id\n"
                                  "    where: last_name IS NOT 'TEST'\n"
                                  "    columns:\n"
                                  "      id: id\n"
                                  "      full_name: trim(first_name) || ' ' || trim(last_name)\n"
                                  "      email: lower(trim(email))\n"
                                  "      active: is_active = 1\n"
                                  "      born: born\n"
                                  "      visits: visits\n";

static void test_migrate_counts_add_up_and_verify_is_go(void **state)
{
    fx *f = *state;
    make_members(f);
    cut_mapping *m = mapping(f, MEMBERS_MAP);
    cut_run_opts o;
    opts(f, &o);
    cut_result *r = migrate_ok(m, &o);
    assert_int_equal(r->ntables, 1);
    const cut_table_result *t = tres(r, "members");
    assert_int_equal(t->status, CUT_TABLE_OK);
    assert_string_equal(t->source, "clients");
    assert_int_equal(t->source_rows, 7);
    assert_int_equal(t->filtered, 1); /* id 3, a test account */
    assert_int_equal(t->rejected, 2); /* id 4: NULL e-mail; id 5: visits 'abc' */
    assert_int_equal(t->loaded, 4);
    assert_int_equal(t->zero_dates, 1); /* id 6: '0000-00-00' became NULL */
    assert_int_equal(t->expected.rows, 4);
    assert_counts_add_up(t);
    assert_non_null(t->reject_file);
    assert_string_equal(query(f->tgt, "SELECT group_concat(id) FROM (SELECT id FROM members "
                                      "ORDER BY id)"),
                        "1,2,6,7");
    assert_string_equal(query(f->tgt, "SELECT full_name || '|' || email || '|' || active || '|' "
                                      "|| born || '|' || typeof(visits) FROM members WHERE id = 1"),
                        "Ada Lovelace|ada@x.be|1|1815-12-10|integer");
    assert_string_equal(query(f->tgt, "SELECT typeof(active) || active FROM members WHERE id = 2"),
                        "integer0");
    assert_string_equal(query(f->tgt, "SELECT typeof(born) FROM members WHERE id = 6"), "null");
    cut_result_free(r);

    r = verify_ok(m, &o);
    t = tres(r, "members");
    assert_true(r->go);
    assert_int_equal(t->status, CUT_TABLE_OK);
    assert_int_equal(t->source_rows, 7);
    assert_int_equal(t->filtered, 1);
    assert_int_equal(t->rejected, 2);
    assert_int_equal(t->loaded, 4);
    assert_int_equal(t->target_rows, 4);
    assert_true(cut_digest_equal(&t->expected, &t->actual));
    assert_int_equal(t->ndiffs, 0);
    cut_result_free(r);
    cut_mapping_free(m);
}

static void test_verify_is_no_go_when_rejects_exceed_max_rejects(void **state)
{
    fx *f = *state;
    make_members(f);
    char body[2048];
    snprintf(body, sizeof(body), "%s", MEMBERS_MAP);
    memcpy(strstr(body, "max_rejects: 5"), "max_rejects: 1", 14);
    cut_mapping *m = mapping(f, body);
    cut_run_opts o;
    opts(f, &o);
    cut_result *r = migrate_ok(m, &o);
    assert_int_equal(tres(r, "members")->rejected, 2);
    cut_result_free(r);
    r = verify_ok(m, &o);
    const cut_table_result *t = tres(r, "members");
    assert_false(r->go);
    assert_int_equal(t->status, CUT_TABLE_MISMATCH);
    assert_true(cut_digest_equal(&t->expected, &t->actual)); /* the data itself is right */
    cut_result_free(r);
    cut_mapping_free(m);
}

/* An empty --tables list (an unset variable) selects nothing: verify, migrate and check
   refuse it rather than pass over zero tables, and verify never says Go. */
static void test_empty_table_selection_is_refused_and_never_go(void **state)
{
    fx *f = *state;
    make_members(f);
    cut_mapping *m = mapping(f, MEMBERS_MAP);
    cut_run_opts o;
    opts(f, &o);
    const char *none[] = {NULL};
    o.tables = none;
    cut_error err;
    cut_error_clear(&err);
    cut_result *r = NULL;
    assert_int_equal(cut_verify(m, &o, &r, &err), CUT_EINVAL);
    assert_contains(err.msg, "--tables: the list names no table");
    assert_true(!r || !r->go);
    cut_result_free(r);
    r = NULL;
    cut_error_clear(&err);
    assert_int_equal(cut_migrate(m, &o, &r, &err), CUT_EINVAL);
    cut_result_free(r);
    assert_string_equal(query(f->tgt, "SELECT count(*) FROM members"), "0");
    cut_error_clear(&err);
    assert_int_equal(cut_check(m, &o, NULL, &err), CUT_EINVAL);
    cut_mapping_free(m);
}

static void test_reject_file_has_one_json_line_per_rejected_row(void **state)
{
    fx *f = *state;
    make_members(f);
    cut_mapping *m = mapping(f, MEMBERS_MAP);
    cut_run_opts o;
    opts(f, &o);
    cut_result *r = migrate_ok(m, &o);
    char *rej = rejects_of(f, "members");
    assert_non_null(rej);
    assert_int_equal(count_lines(rej), 2);
    char *l1 = rej, *l2 = strchr(rej, '\n') + 1;
    l2[-1] = '\0';
    /* Row 4: the e-mail is NULL and the target column is NOT NULL. */
    assert_contains(l1, "\"table\":\"members\"");
    assert_contains(l1, "\"stage\":\"target\"");
    assert_contains(l1, "\"key\":\"id=4\"");
    assert_contains(l1, "\"column\":\"email\"");
    assert_contains(l1, "\"value\":null");
    assert_contains(l1, "NOT NULL");
    /* Row 5: 'abc' is not an integer. */
    assert_contains(l2, "\"table\":\"members\"");
    assert_contains(l2, "\"key\":\"id=5\"");
    assert_contains(l2, "\"column\":\"visits\"");
    assert_contains(l2, "\"value\":\"abc\"");
    assert_contains(l2, "\"reason\":\"");
    assert_contains(l2, "not a valid integer");
    char path[256];
    snprintf(path, sizeof(path), "%s/members.rejects.jsonl", f->rej);
    assert_string_equal(tres(r, "members")->reject_file, path);
    free(rej);
    cut_result_free(r);
    cut_mapping_free(m);
}

/* ------------------------------------------------ values that can't convert */

/* Migrates t(id, v) with rows 1 and 3 holding good1/good3 and row 2 holding bad. */
static char *migrate_one_bad(const fx *f, const char *tgt_type, const char *good1, const char *bad,
                             const char *good3, const cut_table_result **out, cut_result **res)
{
    char s[1024];
    sql(f->src, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    snprintf(s, sizeof(s), "INSERT INTO t VALUES (1, '%s'), (2, '%s'), (3, '%s')", good1, bad,
             good3);
    sql(f->src, s);
    snprintf(s, sizeof(s), "CREATE TABLE t (id INTEGER PRIMARY KEY, v %s)", tgt_type);
    sql(f->tgt, s);
    cut_mapping *m = mapping(f, "options: {max_rejects: 10}\ntables:\n  t: {}\n");
    cut_run_opts o;
    opts(f, &o);
    *res = migrate_ok(m, &o);
    *out = tres(*res, "t");
    assert_counts_add_up(*out);
    cut_mapping_free(m);
    return rejects_of(f, "t");
}

static void test_text_that_is_not_an_integer_is_rejected(void **state)
{
    fx *f = *state;
    const cut_table_result *t;
    cut_result *r;
    char *rej = migrate_one_bad(f, "INTEGER", "1", "abc", "3", &t, &r);
    assert_int_equal(t->loaded, 2);
    assert_int_equal(t->rejected, 1);
    assert_int_equal(count_lines(rej), 1);
    assert_contains(rej, "\"table\":\"t\"");
    assert_contains(rej, "\"key\":\"id=2\"");
    assert_contains(rej, "\"column\":\"v\"");
    assert_contains(rej, "\"value\":\"abc\"");
    assert_contains(rej, "not a valid integer");
    assert_string_equal(query(f->tgt, "SELECT group_concat(v) FROM t"), "1,3");
    free(rej);
    cut_result_free(r);
}

static void test_impossible_date_is_rejected(void **state)
{
    fx *f = *state;
    const cut_table_result *t;
    cut_result *r;
    char *rej = migrate_one_bad(f, "DATE", "2023-02-28", "2023-02-30", "2024-02-29", &t, &r);
    assert_int_equal(t->loaded, 2);
    assert_int_equal(t->rejected, 1);
    assert_int_equal(count_lines(rej), 1);
    assert_contains(rej, "\"key\":\"id=2\"");
    assert_contains(rej, "\"value\":\"2023-02-30\"");
    assert_contains(rej, "no such date");
    free(rej);
    cut_result_free(r);
}

static void test_long_text_into_sqlite_varchar_is_loaded_whole(void **state)
{
    fx *f = *state;
    /* SQLite does not enforce VARCHAR(n), and the driver describes it as text
       without a length: nothing to reject. */
    char big[301];
    memset(big, 'x', 300);
    big[300] = '\0';
    const cut_table_result *t;
    cut_result *r;
    char *rej = migrate_one_bad(f, "VARCHAR(10)", "short", big, "ok", &t, &r);
    assert_int_equal(t->loaded, 3);
    assert_int_equal(t->rejected, 0);
    assert_null(rej);
    assert_string_equal(query(f->tgt, "SELECT length(v) FROM t WHERE id = 2"), "300");
    cut_result_free(r);
}

static void test_invalid_utf8_text_is_rejected(void **state)
{
    fx *f = *state;
    sql(f->src, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                "INSERT INTO t VALUES (1, 'ok'), (2, CAST(x'41FF42' AS TEXT))");
    sql(f->tgt, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    cut_mapping *m = mapping(f, "options: {max_rejects: 10}\ntables:\n  t: {}\n");
    cut_run_opts o;
    opts(f, &o);
    cut_result *r = migrate_ok(m, &o);
    const cut_table_result *t = tres(r, "t");
    assert_int_equal(t->loaded, 1);
    assert_int_equal(t->rejected, 1);
    char *rej = rejects_of(f, "t");
    assert_contains(rej, "\"stage\":\"source\"");
    assert_contains(rej, "\"key\":\"id=2\"");
    assert_contains(rej, "invalid UTF-8");
    free(rej);
    cut_result_free(r);
    cut_mapping_free(m);
}

static void test_failing_expression_rejects_the_row_at_mapping_stage(void **state)
{
    fx *f = *state;
    sql(f->src, "CREATE TABLE t (id INTEGER PRIMARY KEY, d TEXT);"
                "INSERT INTO t VALUES (1, '25/12/2023'), (2, '31/02/2024'), (3, NULL)");
    sql(f->tgt, "CREATE TABLE t (id INTEGER PRIMARY KEY, d DATE)");
    cut_mapping *m = mapping(f, "options: {max_rejects: 10}\n"
                                "tables:\n"
                                "  t:\n"
                                "    columns:\n"
                                "      id: id\n"
                                "      d: parse_date(d, '%d/%m/%Y')\n");
    cut_run_opts o;
    opts(f, &o);
    cut_result *r = migrate_ok(m, &o);
    const cut_table_result *t = tres(r, "t");
    assert_int_equal(t->loaded, 2);
    assert_int_equal(t->rejected, 1);
    char *rej = rejects_of(f, "t");
    assert_int_equal(count_lines(rej), 1);
    assert_contains(rej, "\"stage\":\"mapping\"");
    assert_contains(rej, "\"key\":\"id=2\"");
    assert_contains(rej, "\"column\":\"d\"");
    assert_contains(rej, "expression failed");
    assert_contains(rej, "parse_date");
    assert_string_equal(query(f->tgt, "SELECT d FROM t WHERE id = 1"), "2023-12-25");
    assert_string_equal(query(f->tgt, "SELECT typeof(d) FROM t WHERE id = 3"), "null");
    free(rej);
    cut_result_free(r);
    cut_result *v = verify_ok(m, &o);
    assert_true(v->go);
    cut_result_free(v);
    cut_mapping_free(m);
}

static void test_null_into_not_null_target_column_is_rejected(void **state)
{
    fx *f = *state;
    sql(f->src, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                "INSERT INTO t VALUES (1, 'a'), (2, NULL), (3, 'c')");
    sql(f->tgt, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    cut_mapping *m = mapping(f, "options: {max_rejects: 1}\ntables:\n  t: {}\n");
    cut_run_opts o;
    opts(f, &o);
    cut_result *r = migrate_ok(m, &o);
    const cut_table_result *t = tres(r, "t");
    assert_int_equal(t->loaded, 2);
    assert_int_equal(t->rejected, 1);
    char *rej = rejects_of(f, "t");
    assert_contains(rej, "\"key\":\"id=2\"");
    assert_contains(rej, "\"column\":\"v\"");
    assert_contains(rej, "\"value\":null");
    assert_contains(rej, "NULL value for a NOT NULL column");
    free(rej);
    cut_result_free(r);
    cut_result *v = verify_ok(m, &o);
    assert_true(v->go);
    assert_int_equal(tres(v, "t")->rejected, 1);
    cut_result_free(v);
    cut_mapping_free(m);
}

/* --------------------------------------------------------- zero dates */

static void make_zero_dates(const fx *f)
{
    sql(f->src, "CREATE TABLE p (id INTEGER PRIMARY KEY, born DATE, seen DATETIME);"
                "INSERT INTO p VALUES (1, '2000-01-01', '2020-01-01 10:00:00'),"
                " (2, '0000-00-00', '2020-01-02 10:00:00'),"
                " (3, '1999-12-31', '0000-00-00 00:00:00')");
    sql(f->tgt, "CREATE TABLE p (id INTEGER PRIMARY KEY, born DATE, seen TIMESTAMP)");
}

static void test_zero_date_becomes_null_and_is_counted(void **state)
{
    fx *f = *state;
    make_zero_dates(f);
    cut_mapping *m = mapping(f, "tables:\n  p: {}\n");
    cut_run_opts o;
    opts(f, &o);
    cut_result *r = migrate_ok(m, &o);
    const cut_table_result *t = tres(r, "p");
    assert_int_equal(t->loaded, 3);
    assert_int_equal(t->rejected, 0);
    assert_int_equal(t->zero_dates, 2);
    assert_string_equal(query(f->tgt, "SELECT typeof(born) FROM p WHERE id = 2"), "null");
    assert_string_equal(query(f->tgt, "SELECT typeof(seen) FROM p WHERE id = 3"), "null");
    assert_string_equal(query(f->tgt, "SELECT born FROM p WHERE id = 1"), "2000-01-01");
    cut_result_free(r);
    cut_result *v = verify_ok(m, &o);
    assert_true(v->go);
    assert_int_equal(tres(v, "p")->zero_dates, 2);
    cut_result_free(v);
    cut_mapping_free(m);
}

/* A row whose zero date became NULL but which is rejected or filtered all the same is
   not counted: none of its NULLs reached the target. */
static void test_zero_dates_of_rows_not_loaded_are_not_counted(void **state)
{
    fx *f = *state;
    make_zero_dates(f);
    sql(f->src, "INSERT INTO p VALUES (4, '0000-00-00', 'not a time'),"
                " (5, '0000-00-00', '2020-01-05 10:00:00')");
    cut_mapping *m = mapping(f, "options: {max_rejects: 5}\ntables:\n  p:\n    where: id <> 5\n");
    cut_run_opts o;
    opts(f, &o);
    cut_result *r = migrate_ok(m, &o);
    const cut_table_result *t = tres(r, "p");
    assert_int_equal(t->loaded, 3);
    assert_int_equal(t->rejected, 1);
    assert_int_equal(t->filtered, 1);
    assert_int_equal(t->zero_dates, 2);
    cut_result_free(r);
    cut_result *v = verify_ok(m, &o);
    assert_int_equal(tres(v, "p")->zero_dates, 2);
    cut_result_free(v);
    cut_mapping_free(m);
}

static void test_zero_dates_reject_option_rejects_the_row(void **state)
{
    fx *f = *state;
    make_zero_dates(f);
    cut_mapping *m =
        mapping(f, "options: {zero_dates: reject, max_rejects: 2}\ntables:\n  p: {}\n");
    cut_run_opts o;
    opts(f, &o);
    cut_result *r = migrate_ok(m, &o);
    const cut_table_result *t = tres(r, "p");
    assert_int_equal(t->loaded, 1);
    assert_int_equal(t->rejected, 2);
    assert_int_equal(t->zero_dates, 0);
    char *rej = rejects_of(f, "p");
    assert_int_equal(count_lines(rej), 2);
    assert_contains(rej, "\"key\":\"id=2\"");
    assert_contains(rej, "\"column\":\"born\"");
    assert_contains(rej, "\"key\":\"id=3\"");
    assert_contains(rej, "\"column\":\"seen\"");
    assert_contains(rej, "zero date");
    free(rej);
    cut_result_free(r);
    cut_mapping_free(m);
}

/* ------------------------------------------------------------- filters */

static void test_filtered_rows_are_counted_not_loaded(void **state)
{
    fx *f = *state;
    sql(f->src, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER);"
                "INSERT INTO t VALUES (1, 5), (2, 50), (3, NULL), (4, 500)");
    sql(f->tgt, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
    cut_mapping *m = mapping(f, "tables:\n  t:\n    where: v > 10\n");
    cut_run_opts o;
    opts(f, &o);
    cut_result *r = migrate_ok(m, &o);
    const cut_table_result *t = tres(r, "t");
    assert_int_equal(t->source_rows, 4);
    assert_int_equal(t->filtered, 2); /* 5, and NULL */
    assert_int_equal(t->loaded, 2);
    assert_int_equal(t->rejected, 0);
    assert_null(t->reject_file);
    assert_string_equal(query(f->tgt, "SELECT group_concat(id) FROM t"), "2,4");
    cut_result_free(r);
    cut_result *v = verify_ok(m, &o);
    assert_true(v->go);
    assert_int_equal(tres(v, "t")->filtered, 2);
    cut_result_free(v);
    cut_mapping_free(m);
}

/* ------------------------------------------------------------- No-Go */

static void test_verify_names_changed_missing_and_extra_keys(void **state)
{
    fx *f = *state;
    make_members(f);
    cut_mapping *m = mapping(f, MEMBERS_MAP);
    cut_run_opts o;
    opts(f, &o);
    cut_result *r = migrate_ok(m, &o);
    cut_result_free(r);
    sql(f->tgt, "UPDATE members SET email = 'x@y.z' WHERE id = 2;"
                "UPDATE members SET born = NULL WHERE id = 7;"
                "DELETE FROM members WHERE id = 1;"
                "INSERT INTO members VALUES (99, 'Nobody', 'n@x.be', 0, NULL, 1);");
    r = verify_ok(m, &o);
    assert_false(r->go);
    const cut_table_result *t = tres(r, "members");
    assert_int_equal(t->status, CUT_TABLE_MISMATCH);
    assert_false(cut_digest_equal(&t->expected, &t->actual));
    assert_int_equal(t->loaded, 4);
    assert_int_equal(t->target_rows, 4);
    assert_int_equal(t->diff_missing, 1);
    assert_int_equal(t->diff_extra, 1);
    assert_int_equal(t->diff_changed, 2);
    assert_int_equal(t->ndiffs, 4);
    /* Sorted by key: id=1, id=2, id=7, id=99. */
    assert_int_equal(t->diffs[0].kind, CUT_DIFF_MISSING);
    assert_string_equal(t->diffs[0].key, "id=1");
    assert_int_equal(t->diffs[1].kind, CUT_DIFF_CHANGED);
    assert_string_equal(t->diffs[1].key, "id=2");
    assert_int_equal(t->diffs[1].ncols, 1);
    assert_string_equal(t->diffs[1].cols[0].column, "email");
    assert_string_equal(t->diffs[1].cols[0].expected, "'alan@x.be'");
    assert_string_equal(t->diffs[1].cols[0].actual, "'x@y.z'");
    assert_int_equal(t->diffs[2].kind, CUT_DIFF_CHANGED);
    assert_string_equal(t->diffs[2].key, "id=7");
    assert_int_equal(t->diffs[2].ncols, 1);
    assert_string_equal(t->diffs[2].cols[0].column, "born");
    assert_string_equal(t->diffs[2].cols[0].expected, "'1938-01-10'");
    assert_null(t->diffs[2].cols[0].actual);
    assert_int_equal(t->diffs[3].kind, CUT_DIFF_EXTRA);
    assert_string_equal(t->diffs[3].key, "id=99");
    cut_result_free(r);
    cut_mapping_free(m);
}

static void test_source_encoding_transcodes_legacy_text(void **state)
{
    fx *f = *state;
    /* A latin1 CSV export: invalid UTF-8 as it is, readable once transcoded. */
    char csvdir[160], path[200];
    snprintf(csvdir, sizeof(csvdir), "%s/csv", f->dir);
    mkdir(csvdir, 0777);
    snprintf(path, sizeof(path), "%s/people.csv", csvdir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("id,name\n1,Zo\xEB\n2,caf\xE9\n3,plain\n", fp);
    fclose(fp);
    sql(f->tgt, "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)");
    fp = fopen(f->map, "w");
    assert_non_null(fp);
    fprintf(fp, "source: csv:%s\ntarget: sqlite:%s\ntables:\n  people: {}\n", csvdir, f->tgt);
    fclose(fp);
    cut_mapping *m = NULL;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_mapping_load(f->map, &m, &err), CUT_OK);
    cut_run_opts o;
    opts(f, &o);
    /* As UTF-8 the two non-ASCII names are rejected, with the byte offset. */
    cut_result *r = migrate_ok(m, &o);
    assert_int_equal(tres(r, "people")->rejected, 2);
    char *rej = rejects_of(f, "people");
    assert_contains(rej, "invalid UTF-8 at byte 2");
    free(rej);
    cut_result_free(r);
    cut_mapping_free(m);
    /* Declared latin1, they load as UTF-8 and verify is Go. */
    fp = fopen(f->map, "w");
    fprintf(fp,
            "source: csv:%s\ntarget: sqlite:%s\noptions: {source_encoding: latin1}\n"
            "tables:\n  people: {}\n",
            csvdir, f->tgt);
    fclose(fp);
    assert_int_equal(cut_mapping_load(f->map, &m, &err), CUT_OK);
    o.truncate = 1;
    r = migrate_ok(m, &o);
    assert_int_equal(tres(r, "people")->rejected, 0);
    assert_int_equal(tres(r, "people")->loaded, 3);
    cut_result_free(r);
    assert_string_equal(query(f->tgt, "SELECT group_concat(name, '|') FROM people"),
                        "Zoë|café|plain");
    r = verify_ok(m, &o);
    assert_true(r->go);
    cut_result_free(r);
    cut_mapping_free(m);
}

/* A table of n rows (id 1..n), every 97th row rejected (a text visits value). */
static void make_chunk_table(const fx *f, int n)
{
    sql(f->src, "CREATE TABLE nums (id INTEGER PRIMARY KEY, v TEXT)");
    sql(f->tgt, "CREATE TABLE nums (id INTEGER PRIMARY KEY, v INTEGER)");
    char stmt[400];
    snprintf(stmt, sizeof(stmt),
             "INSERT INTO nums WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c "
             "WHERE i < %d) SELECT i, CASE WHEN i %% 97 = 0 THEN 'x' || i ELSE CAST(i * 3 AS TEXT) "
             "END FROM c",
             n);
    sql(f->src, stmt);
}

typedef struct chunk_log {
    int n;
    cut_chunk c[64];
    int skip_from, skip_to; /* is_done: chunks outside [skip_from, skip_to] are done */
} chunk_log;

static void log_done(void *ud, const cut_chunk *c)
{
    chunk_log *l = ud;
    if (l->n < 64)
        l->c[l->n++] = *c;
}

static int log_is_done(void *ud, cut_chunk *c)
{
    chunk_log *l = ud;
    if (c->index >= l->skip_from && c->index <= l->skip_to)
        return 0;
    for (int i = 0; i < l->n; i++) {
        const cut_chunk *d = &l->c[i];
        if (d->index == c->index && d->count == c->count && d->lo == c->lo && d->hi == c->hi &&
            d->has_lo == c->has_lo && d->has_hi == c->has_hi) {
            const char *table = c->table;
            *c = *d;
            c->table = table;
            return 1;
        }
    }
    return 0;
}

static void test_chunked_migration_equals_whole_table_migration(void **state)
{
    fx *f = *state;
    make_chunk_table(f, 2000);
    cut_mapping *m = mapping(f, "options: {max_rejects: 100}\ntables:\n  nums: {}\n");
    cut_run_opts o;
    opts(f, &o);
    o.chunk_rows = -1;
    cut_result *whole = migrate_ok(m, &o);
    assert_counts_add_up(tres(whole, "nums"));
    assert_int_equal(tres(whole, "nums")->rejected, 20);
    /* The same rows as 8 chunks of ~250, loaded by 3 workers. */
    o.chunk_rows = 250;
    o.jobs = 3;
    o.truncate = 1;
    chunk_log log = {0};
    log.skip_from = log.skip_to = -1;
    cut_chunk_hooks hooks = {&log, NULL, log_done};
    o.chunks = &hooks;
    cut_result *chunked = migrate_ok(m, &o);
    const cut_table_result *a = tres(whole, "nums"), *b = tres(chunked, "nums");
    assert_int_equal(log.n, 8);
    assert_int_equal(b->source_rows, 2000);
    assert_int_equal(b->loaded, a->loaded);
    assert_int_equal(b->rejected, a->rejected);
    assert_true(cut_digest_equal(&a->expected, &b->expected));
    assert_string_equal(query(f->tgt, "SELECT count(*) FROM nums"), "1980");
    /* The report names the chunks' reject files together (chunk 0 may have none). */
    assert_non_null(b->reject_file);
    assert_non_null(strstr(b->reject_file, "nums.part-*.rejects.jsonl"));
    /* Rejects of every chunk are found by verify. */
    cut_result *v = verify_ok(m, &o);
    assert_true(v->go);
    assert_int_equal(tres(v, "nums")->rejected, 20);
    cut_result_free(v);
    cut_result_free(whole);
    cut_result_free(chunked);
    cut_mapping_free(m);
}

/* Keys from INT64_MIN to INT64_MAX: the chunks' bounds are computed without overflow
   (UBSan stops the sanitizer build at a signed overflow), and every row is loaded once. */
static void test_chunks_over_the_whole_int64_range(void **state)
{
    fx *f = *state;
    make_chunk_table(f, 600);
    sql(f->src, "UPDATE nums SET id = -9223372036854775807 - 1 WHERE id = 1");
    sql(f->src, "UPDATE nums SET id = 9223372036854775807 WHERE id = 600");
    sql(f->src, "UPDATE nums SET id = -id * 1000000000000 WHERE id BETWEEN 2 AND 300");
    cut_mapping *m = mapping(f, "options: {max_rejects: 100}\ntables:\n  nums: {}\n");
    cut_run_opts o;
    opts(f, &o);
    o.chunk_rows = 50;
    o.jobs = 2;
    chunk_log log = {0};
    log.skip_from = log.skip_to = -1;
    cut_chunk_hooks hooks = {&log, NULL, log_done};
    o.chunks = &hooks;
    cut_result *r = migrate_ok(m, &o);
    assert_int_equal(log.n, 12);
    for (int i = 0; i < log.n; i++) /* ordered, non-empty ranges */
        assert_true(!log.c[i].has_lo || !log.c[i].has_hi || log.c[i].lo < log.c[i].hi);
    assert_int_equal(tres(r, "nums")->source_rows, 600);
    assert_counts_add_up(tres(r, "nums"));
    assert_string_equal(query(f->tgt, "SELECT count(*) FROM nums"), "594");
    assert_string_equal(query(f->tgt, "SELECT min(id) || ' ' || max(id) FROM nums"),
                        "-9223372036854775808 9223372036854775807");
    cut_result_free(r);
    cut_mapping_free(m);
}

static void test_resumed_chunks_reload_only_unfinished_ranges_without_duplicates(void **state)
{
    fx *f = *state;
    make_chunk_table(f, 2000);
    cut_mapping *m = mapping(f, "options: {max_rejects: 100}\ntables:\n  nums: {}\n");
    cut_run_opts o;
    opts(f, &o);
    o.chunk_rows = 250;
    chunk_log log = {0};
    log.skip_from = log.skip_to = -1;
    cut_chunk_hooks hooks = {&log, log_is_done, log_done};
    o.chunks = &hooks;
    cut_result *first = migrate_ok(m, &o);
    cut_digest want = tres(first, "nums")->expected;
    cut_result_free(first);
    assert_int_equal(log.n, 8);
    /* As if chunks 2 and 3 had not committed: their rows are gone (or half there). */
    const cut_chunk *c2 = NULL, *c3 = NULL;
    for (int i = 0; i < log.n; i++) {
        if (log.c[i].index == 2)
            c2 = &log.c[i];
        if (log.c[i].index == 3)
            c3 = &log.c[i];
    }
    assert_non_null(c2);
    assert_non_null(c3);
    char stmt[200];
    snprintf(stmt, sizeof(stmt), "DELETE FROM nums WHERE id >= %lld AND id < %lld",
             (long long)c2->lo, (long long)c3->hi);
    sql(f->tgt, stmt);
    /* a stale row in chunk 3's range: reloading the chunk must replace it */
    snprintf(stmt, sizeof(stmt), "INSERT INTO nums VALUES (%lld, 999999)", (long long)c3->lo + 1);
    sql(f->tgt, stmt);
    log.skip_from = 2;
    log.skip_to = 3;
    int before = log.n;
    cut_result *r = migrate_ok(m, &o);
    assert_int_equal(log.n, before + 2); /* only chunks 2 and 3 ran */
    const cut_table_result *t = tres(r, "nums");
    assert_int_equal(t->source_rows, 2000);
    assert_int_equal(t->loaded + t->rejected + t->filtered, 2000);
    assert_true(cut_digest_equal(&t->expected, &want));
    assert_string_equal(query(f->tgt, "SELECT count(*) FROM nums"), "1980");
    assert_string_equal(query(f->tgt, "SELECT count(*) FROM nums WHERE v = 999999"), "0");
    cut_result *v = verify_ok(m, &o);
    assert_true(v->go);
    cut_result_free(v);
    cut_result_free(r);
    cut_mapping_free(m);
}

static void test_verify_without_locate_gives_no_diffs(void **state)
{
    fx *f = *state;
    make_members(f);
    cut_mapping *m = mapping(f, MEMBERS_MAP);
    cut_run_opts o;
    opts(f, &o);
    cut_result_free(migrate_ok(m, &o));
    sql(f->tgt, "UPDATE members SET visits = visits + 1 WHERE id = 6");
    o.locate = 0;
    cut_result *r = verify_ok(m, &o);
    assert_false(r->go);
    assert_int_equal(tres(r, "members")->status, CUT_TABLE_MISMATCH);
    assert_int_equal(tres(r, "members")->ndiffs, 0);
    cut_result_free(r);
    cut_mapping_free(m);
}

static void test_target_value_of_the_wrong_type_shows_as_changed(void **state)
{
    fx *f = *state;
    make_members(f);
    cut_mapping *m = mapping(f, MEMBERS_MAP);
    cut_run_opts o;
    opts(f, &o);
    cut_result_free(migrate_ok(m, &o));
    sql(f->tgt, "UPDATE members SET visits = 'lots' WHERE id = 7");
    cut_result *r = verify_ok(m, &o);
    assert_false(r->go);
    const cut_table_result *t = tres(r, "members");
    assert_int_equal(t->diff_changed, 1);
    assert_string_equal(t->diffs[0].key, "id=7");
    assert_string_equal(t->diffs[0].cols[0].column, "visits");
    assert_string_equal(t->diffs[0].cols[0].expected, "'42'");
    assert_string_equal(t->diffs[0].cols[0].actual, "'lots'");
    cut_result_free(r);
    cut_mapping_free(m);
}

/* ---------------------------------------------------- tables without keys */

static void make_logs(const fx *f)
{
    sql(f->src, "CREATE TABLE logs (msg TEXT, n INTEGER);"
                "INSERT INTO logs VALUES ('a', 1), ('a', 1), ('b', 2)");
    sql(f->tgt, "CREATE TABLE logs (msg TEXT, n INTEGER)");
}

static void test_duplicate_rows_without_key_are_all_loaded_and_verify_is_go(void **state)
{
    fx *f = *state;
    make_logs(f);
    cut_mapping *m = mapping(f, "tables:\n  logs: {}\n");
    cut_run_opts o;
    opts(f, &o);
    cut_result *r = migrate_ok(m, &o);
    assert_int_equal(tres(r, "logs")->loaded, 3);
    assert_int_equal(tres(r, "logs")->expected.rows, 3);
    cut_result_free(r);
    assert_string_equal(query(f->tgt, "SELECT count(*) FROM logs WHERE msg = 'a'"), "2");
    r = verify_ok(m, &o);
    assert_true(r->go);
    cut_result_free(r);
    cut_mapping_free(m);
}

static void test_deleting_one_of_two_identical_rows_is_no_go(void **state)
{
    fx *f = *state;
    make_logs(f);
    cut_mapping *m = mapping(f, "tables:\n  logs: {}\n");
    cut_run_opts o;
    opts(f, &o);
    cut_result_free(migrate_ok(m, &o));
    sql(f->tgt, "DELETE FROM logs WHERE rowid = (SELECT min(rowid) FROM logs WHERE msg = 'a')");
    cut_result *r = verify_ok(m, &o);
    assert_false(r->go);
    const cut_table_result *t = tres(r, "logs");
    assert_int_equal(t->status, CUT_TABLE_MISMATCH);
    assert_int_equal(t->loaded, 3);
    assert_int_equal(t->target_rows, 2);
    assert_int_equal(t->diff_missing, 1);
    assert_int_equal(t->diff_extra, 0);
    assert_int_equal(t->ndiffs, 1);
    assert_int_equal(t->diffs[0].kind, CUT_DIFF_MISSING);
    assert_contains(t->diffs[0].key, "'a'");
    cut_result_free(r);
    cut_mapping_free(m);
}

static void test_duplicating_a_row_without_key_is_no_go(void **state)
{
    fx *f = *state;
    make_logs(f);
    cut_mapping *m = mapping(f, "tables:\n  logs: {}\n");
    cut_run_opts o;
    opts(f, &o);
    cut_result_free(migrate_ok(m, &o));
    sql(f->tgt, "INSERT INTO logs VALUES ('b', 2)");
    cut_result *r = verify_ok(m, &o);
    assert_false(r->go);
    assert_int_equal(tres(r, "logs")->diff_extra, 1);
    cut_result_free(r);
    cut_mapping_free(m);
}

static void test_row_refused_at_load_in_table_without_key_counts_as_reject_in_verify(void **state)
{
    fx *f = *state;
    /* The target refuses the second 'a' (UNIQUE). migrate allows one reject,
       so verify must see the same: one reject, Go. */
    sql(f->src, "CREATE TABLE logs (msg TEXT, n INTEGER);"
                "INSERT INTO logs VALUES ('a', 1), ('a', 2), ('b', 3)");
    sql(f->tgt, "CREATE TABLE logs (msg TEXT UNIQUE, n INTEGER)");
    cut_mapping *m = mapping(f, "options: {max_rejects: 1}\ntables:\n  logs: {}\n");
    cut_run_opts o;
    opts(f, &o);
    cut_result *r = migrate_ok(m, &o);
    assert_int_equal(tres(r, "logs")->loaded, 2);
    assert_int_equal(tres(r, "logs")->rejected, 1);
    cut_result_free(r);
    r = verify_ok(m, &o);
    const cut_table_result *t = tres(r, "logs");
    assert_int_equal(t->rejected, 1);
    assert_int_equal(t->loaded, 2);
    assert_true(r->go);
    cut_result_free(r);
    cut_mapping_free(m);
}

static void test_row_refused_at_load_is_a_reject_in_verify(void **state)
{
    fx *f = *state;
    sql(f->src, "CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT);"
                "INSERT INTO u VALUES (1, 'a@x'), (2, 'b@x'), (3, 'a@x')");
    sql(f->tgt, "CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT UNIQUE)");
    cut_mapping *m = mapping(f, "options: {max_rejects: 1}\ntables:\n  u: {}\n");
    cut_run_opts o;
    opts(f, &o);
    cut_result *r = migrate_ok(m, &o);
    const cut_table_result *t = tres(r, "u");
    assert_int_equal(t->loaded, 2);
    assert_int_equal(t->rejected, 1);
    assert_int_equal(t->expected.rows, 2);
    assert_counts_add_up(t);
    char *rej = rejects_of(f, "u");
    assert_contains(rej, "\"stage\":\"load\"");
    assert_contains(rej, "\"key\":\"id=3\"");
    assert_contains(rej, "UNIQUE");
    free(rej);
    cut_result_free(r);
    r = verify_ok(m, &o);
    t = tres(r, "u");
    assert_true(r->go);
    assert_int_equal(t->rejected, 1);
    assert_int_equal(t->loaded, 2);
    assert_true(cut_digest_equal(&t->expected, &t->actual));
    cut_result_free(r);
    cut_mapping_free(m);
}

static void test_load_reject_with_long_text_key_marks_only_that_row(void **state)
{
    fx *f = *state;
    /* Keys longer than the 64 bytes a rendered key keeps: the three keys differ
       only after byte 70, and only the third row is refused by the target. */
    char p[71], s[1024];
    memset(p, 'k', 70);
    p[70] = '\0';
    snprintf(s, sizeof(s),
             "CREATE TABLE u (code TEXT PRIMARY KEY, email TEXT);"
             "INSERT INTO u VALUES ('%s1', 'a@x'), ('%s2', 'b@x'), ('%s3', 'a@x')",
             p, p, p);
    sql(f->src, s);
    sql(f->tgt, "CREATE TABLE u (code TEXT PRIMARY KEY, email TEXT UNIQUE)");
    cut_mapping *m = mapping(f, "options: {max_rejects: 1}\ntables:\n  u: {}\n");
    cut_run_opts o;
    opts(f, &o);
    cut_result *r = migrate_ok(m, &o);
    assert_int_equal(tres(r, "u")->loaded, 2);
    assert_int_equal(tres(r, "u")->rejected, 1);
    cut_result_free(r);
    r = verify_ok(m, &o);
    const cut_table_result *t = tres(r, "u");
    assert_int_equal(t->rejected, 1);
    assert_int_equal(t->loaded, 2);
    assert_true(r->go);
    cut_result_free(r);
    cut_mapping_free(m);
}

static void test_unusable_reject_directory_fails_before_anything_is_loaded(void **state)
{
    fx *f = *state;
    /* A reject that cannot be written would be a row lost: the directory is created
       (with its parents) and checked before any table loads. */
    sql(f->src, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                "INSERT INTO t VALUES (1, '1'), (2, 'abc'), (3, '3')");
    sql(f->tgt, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
    cut_mapping *m = mapping(f, "options: {max_rejects: 10}\ntables:\n  t: {}\n");
    cut_run_opts o;
    opts(f, &o);
    char file[256], bad[300];
    snprintf(file, sizeof(file), "%s/a-file", f->dir);
    sql(file, "CREATE TABLE x (y)"); /* a regular file where a directory is needed */
    snprintf(bad, sizeof(bad), "%s/sub/dir", file);
    o.reject_dir = bad;
    cut_result *r = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = cut_migrate(m, &o, &r, &err);
    assert_int_equal(rc, CUT_EIO);
    assert_contains(err.msg, "reject directory");
    assert_null(r);
    assert_string_equal(query(f->tgt, "SELECT count(*) FROM t"), "0");
    /* A nested directory that does not exist yet is created. */
    snprintf(bad, sizeof(bad), "%s/new/nested/rejects", f->dir);
    o.reject_dir = bad;
    cut_error_clear(&err);
    assert_int_equal(cut_migrate(m, &o, &r, &err), CUT_OK);
    assert_int_equal(tres(r, "t")->rejected, 1);
    assert_string_equal(query(f->tgt, "SELECT count(*) FROM t"), "2");
    cut_result_free(r);
    cut_mapping_free(m);
}

static void test_where_may_read_a_column_that_is_not_mapped(void **state)
{
    fx *f = *state;
    sql(f->src, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, deleted INTEGER);"
                "INSERT INTO t VALUES (1, 'a', 0), (2, 'b', 1), (3, 'c', 0)");
    sql(f->tgt, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    cut_mapping *m = mapping(f, "tables:\n  t:\n    where: deleted = 0\n");
    cut_run_opts o;
    opts(f, &o);
    cut_result *r = migrate_ok(m, &o);
    assert_int_equal(tres(r, "t")->filtered, 1);
    assert_int_equal(tres(r, "t")->loaded, 2);
    cut_result_free(r);
    assert_string_equal(query(f->tgt, "SELECT group_concat(v, '') FROM t"), "ac");
    r = verify_ok(m, &o);
    assert_true(r->go);
    cut_result_free(r);
    cut_mapping_free(m);
}

/* Detects two progress callbacks running at the same time. */
typedef struct prog_ctx {
    pthread_mutex_t mu;
    int inside, overlap, calls, done;
} prog_ctx;

static void on_progress(void *ud, const cut_progress *p)
{
    prog_ctx *c = ud;
    pthread_mutex_lock(&c->mu);
    if (c->inside++)
        c->overlap = 1;
    c->calls++;
    c->done += p->done;
    pthread_mutex_unlock(&c->mu);
    struct timespec ts = {0, 30 * 1000 * 1000};
    nanosleep(&ts, NULL);
    pthread_mutex_lock(&c->mu);
    c->inside--;
    pthread_mutex_unlock(&c->mu);
}

static void test_progress_callbacks_are_serialised_during_verify(void **state)
{
    fx *f = *state;
    char s[4096] = "", t[4096] = "", body[1024] = "tables:\n";
    for (int i = 0; i < 8; i++) {
        char one[256];
        snprintf(one, sizeof(one),
                 "CREATE TABLE t%d (id INTEGER PRIMARY KEY, v TEXT);"
                 "INSERT INTO t%d VALUES (1, 'a'), (2, 'b');",
                 i, i);
        strcat(s, one);
        snprintf(one, sizeof(one), "CREATE TABLE t%d (id INTEGER PRIMARY KEY, v TEXT);", i);
        strcat(t, one);
        snprintf(one, sizeof(one), "  t%d: {}\n", i);
        strcat(body, one);
    }
    sql(f->src, s);
    sql(f->tgt, t);
    cut_mapping *m = mapping(f, body);
    cut_run_opts o;
    opts(f, &o);
    cut_result_free(migrate_ok(m, &o));
    prog_ctx c = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0};
    o.jobs = 8; /* verify runs jobs / 2 tables at once */
    o.progress = on_progress;
    o.progress_ud = &c;
    cut_result *r = verify_ok(m, &o);
    assert_true(r->go);
    assert_int_equal(c.done, 8);
    assert_false(c.overlap);
    cut_result_free(r);
    cut_mapping_free(m);
}

/* ------------------------------------------------ batches, jobs, FK order */

static void make_numbers(const fx *f, int n)
{
    char s[1024];
    snprintf(s, sizeof(s),
             "CREATE TABLE nums (id INTEGER PRIMARY KEY, sq INTEGER, txt TEXT, r REAL);"
             "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %d)"
             " INSERT INTO nums SELECT x, x * x, CASE WHEN x %% 5 = 0 THEN NULL ELSE 'n' || x END,"
             " x / 8.0 FROM c;"
             "CREATE TABLE tags (id INTEGER PRIMARY KEY, tag TEXT);"
             "INSERT INTO tags VALUES (1, 'red'), (2, 'green'), (3, 'blue');"
             "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);"
             "INSERT INTO notes VALUES (1, 'héllo'), (2, ''), (3, NULL);",
             n);
    sql(f->src, s);
    sql(f->tgt, "CREATE TABLE nums (id INTEGER PRIMARY KEY, sq INTEGER, txt TEXT, r REAL);"
                "CREATE TABLE tags (id INTEGER PRIMARY KEY, tag TEXT);"
                "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);");
}

static const char NUMS_MAP[] = "tables:\n"
                               "  nums:\n"
                               "    columns:\n"
                               "      id: id\n"
                               "      sq: sq + 1\n"
                               "      txt: upper(txt)\n"
                               "      r: r\n"
                               "  tags: {}\n"
                               "  notes: {}\n";

static void test_batch_sizes_1_7_and_4096_give_equal_digests(void **state)
{
    fx *f = *state;
    make_numbers(f, 50);
    cut_mapping *m = mapping(f, NUMS_MAP);
    static const int sizes[] = {1, 7, 4096};
    cut_digest first;
    cut_digest_init(&first);
    for (int i = 0; i < 3; i++) {
        cut_run_opts o;
        opts(f, &o);
        o.batch_rows = sizes[i];
        o.truncate = 1;
        cut_result *r = migrate_ok(m, &o);
        const cut_table_result *t = tres(r, "nums");
        assert_int_equal(t->source_rows, 50);
        assert_int_equal(t->loaded, 50);
        if (i == 0)
            first = t->expected;
        else if (!cut_digest_equal(&first, &t->expected))
            fail_msg("batch_rows %d gives another digest", sizes[i]);
        cut_result_free(r);
        r = verify_ok(m, &o);
        assert_true(r->go);
        assert_true(cut_digest_equal(&first, &tres(r, "nums")->actual));
        cut_result_free(r);
        assert_string_equal(query(f->tgt, "SELECT count(*) FROM nums"), "50");
    }
    assert_string_equal(query(f->tgt, "SELECT sq || txt || r FROM nums WHERE id = 3"), "10N30.375");
    cut_mapping_free(m);
}

static void test_jobs_1_and_4_give_equal_results(void **state)
{
    fx *f = *state;
    make_numbers(f, 30);
    cut_mapping *m = mapping(f, NUMS_MAP);
    cut_result *res[2][2]; /* [jobs 1, jobs 4][migrate, verify] */
    static const int jobs[] = {1, 4};
    for (int j = 0; j < 2; j++) {
        cut_run_opts o;
        opts(f, &o);
        o.jobs = jobs[j];
        o.truncate = 1;
        res[j][0] = migrate_ok(m, &o);
        res[j][1] = verify_ok(m, &o);
        assert_true(res[j][1]->go);
    }
    for (int k = 0; k < 2; k++) {
        assert_int_equal(res[0][k]->ntables, 3);
        assert_int_equal(res[1][k]->ntables, 3);
        for (int i = 0; i < 3; i++) {
            const cut_table_result *a = &res[0][k]->tables[i];
            const cut_table_result *b = tres(res[1][k], a->table);
            assert_int_equal(a->status, b->status);
            assert_int_equal(a->source_rows, b->source_rows);
            assert_int_equal(a->loaded, b->loaded);
            assert_int_equal(a->rejected, b->rejected);
            assert_true(cut_digest_equal(&a->expected, &b->expected));
            if (k == 1)
                assert_true(cut_digest_equal(&a->actual, &b->actual));
        }
    }
    for (int j = 0; j < 2; j++)
        for (int k = 0; k < 2; k++)
            cut_result_free(res[j][k]);
    cut_mapping_free(m);
}

static void test_child_listed_before_parent_loads_after_it(void **state)
{
    fx *f = *state;
    sql(f->src, "CREATE TABLE gyms (code TEXT PRIMARY KEY, name TEXT);"
                "CREATE TABLE clients (id INTEGER PRIMARY KEY, gym TEXT);"
                "CREATE TABLE bookings (id INTEGER PRIMARY KEY, client_id INTEGER, gym TEXT);"
                "INSERT INTO gyms VALUES ('BRU', 'Brussels'), ('ANT', 'Antwerp');"
                "INSERT INTO clients VALUES (1, 'BRU'), (2, 'ANT');"
                "INSERT INTO bookings VALUES (10, 1, 'BRU'), (11, 2, 'ANT'), (12, 1, 'ANT');");
    sql(f->tgt,
        "CREATE TABLE gyms (code TEXT PRIMARY KEY, name TEXT);"
        "CREATE TABLE members (id INTEGER PRIMARY KEY, gym TEXT NOT NULL REFERENCES gyms(code));"
        "CREATE TABLE bookings (id INTEGER PRIMARY KEY,"
        " member_id INTEGER NOT NULL REFERENCES members(id),"
        " gym TEXT NOT NULL REFERENCES gyms(code));");
    cut_mapping *m = mapping(f, "tables:\n"
                                "  bookings:\n"
                                "    columns: {id: id, member_id: client_id, gym: gym}\n"
                                "  members:\n"
                                "    from: clients\n"
                                "  gyms: {}\n");
    cut_run_opts o;
    opts(f, &o);
    cut_result *r = migrate_ok(m, &o);
    assert_int_equal(r->ntables, 3);
    assert_int_equal(tres(r, "gyms")->loaded, 2);
    assert_int_equal(tres(r, "members")->loaded, 2);
    assert_int_equal(tres(r, "bookings")->loaded, 3);
    assert_int_equal(tres(r, "bookings")->rejected, 0);
    assert_int_equal(tres(r, "members")->rejected, 0);
    cut_result_free(r);
    /* Again with --truncate: children are emptied first, then all reload. */
    o.truncate = 1;
    r = migrate_ok(m, &o);
    assert_int_equal(tres(r, "bookings")->loaded, 3);
    cut_result_free(r);
    r = verify_ok(m, &o);
    assert_true(r->go);
    cut_result_free(r);
    cut_mapping_free(m);
}

/* ------------------------------------------------------------- cancel */

static void test_cancel_set_before_migrate_gives_eintr_and_no_rows(void **state)
{
    fx *f = *state;
    make_numbers(f, 20);
    cut_mapping *m = mapping(f, NUMS_MAP);
    cut_run_opts o;
    opts(f, &o);
    volatile sig_atomic_t cancel = 1;
    o.cancel = &cancel;
    cut_result *r = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = cut_migrate(m, &o, &r, &err);
    assert_int_equal(rc, CUT_EINTR);
    assert_int_equal(err.code, CUT_EINTR);
    if (r) {
        for (int i = 0; i < r->ntables; i++) {
            assert_int_not_equal(r->tables[i].status, CUT_TABLE_OK);
            assert_int_equal(r->tables[i].loaded, 0);
        }
        cut_result_free(r);
    }
    assert_string_equal(query(f->tgt, "SELECT count(*) FROM nums"), "0");
    assert_string_equal(query(f->tgt, "SELECT count(*) FROM tags"), "0");
    assert_string_equal(query(f->tgt, "SELECT count(*) FROM notes"), "0");
    /* The target is left usable: the same migration without the flag works. */
    cancel = 0;
    r = migrate_ok(m, &o);
    assert_int_equal(tres(r, "nums")->loaded, 20);
    cut_result_free(r);
    cut_mapping_free(m);
}

/* --------------------------------------------------------- time zones */

static void test_source_timezone_turns_naive_datetime_into_utc(void **state)
{
    fx *f = *state;
    sql(f->src, "CREATE TABLE ev (id INTEGER PRIMARY KEY, at DATETIME);"
                "INSERT INTO ev VALUES (1, '2024-07-01 12:00:00'), (2, '2024-01-15 12:00:00'),"
                " (3, '2024-03-31 02:30:00'), (4, '2024-10-27 01:30:00.25')");
    sql(f->tgt, "CREATE TABLE ev (id INTEGER PRIMARY KEY, at TIMESTAMPTZ)");
    cut_mapping *m = mapping(f, "options:\n"
                                "  source_timezone: Europe/Brussels\n"
                                "  max_rejects: 1\n"
                                "tables:\n"
                                "  ev: {}\n");
    cut_run_opts o;
    opts(f, &o);
    cut_result *r = migrate_ok(m, &o);
    const cut_table_result *t = tres(r, "ev");
    assert_int_equal(t->loaded, 3);
    assert_int_equal(t->rejected, 1);
    assert_string_equal(query(f->tgt, "SELECT at FROM ev WHERE id = 1"), "2024-07-01 10:00:00+00");
    assert_string_equal(query(f->tgt, "SELECT at FROM ev WHERE id = 2"), "2024-01-15 11:00:00+00");
    assert_string_equal(query(f->tgt, "SELECT at FROM ev WHERE id = 4"),
                        "2024-10-26 23:30:00.25+00");
    char *rej = rejects_of(f, "ev");
    assert_contains(rej, "\"key\":\"id=3\""); /* 02:30 does not exist that night */
    assert_contains(rej, "DST gap");
    free(rej);
    cut_result_free(r);
    r = verify_ok(m, &o);
    assert_true(r->go);
    cut_result_free(r);
    cut_mapping_free(m);
}

/* ------------------------------------------------- non-empty targets */

static void test_migrate_refuses_non_empty_target_without_truncate(void **state)
{
    fx *f = *state;
    sql(f->src, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                "INSERT INTO t VALUES (1, 'a'), (2, 'b')");
    sql(f->tgt, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                "INSERT INTO t VALUES (7, 'old')");
    cut_mapping *m = mapping(f, "tables:\n  t: {}\n");
    cut_run_opts o;
    opts(f, &o);
    cut_result *r = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = cut_migrate(m, &o, &r, &err);
    assert_int_equal(rc, CUT_ESTATE);
    assert_contains(err.msg, "not empty");
    assert_contains(err.msg, "truncate");
    assert_string_equal(err.table, "t");
    if (r) {
        assert_int_equal(tres(r, "t")->status, CUT_TABLE_FAILED);
        assert_contains(tres(r, "t")->error, "not empty");
        cut_result_free(r);
    }
    assert_string_equal(query(f->tgt, "SELECT group_concat(id) FROM t"), "7");
    o.truncate = 1;
    r = migrate_ok(m, &o);
    assert_int_equal(tres(r, "t")->loaded, 2);
    cut_result_free(r);
    assert_string_equal(
        query(f->tgt, "SELECT group_concat(id) FROM (SELECT id FROM t ORDER BY id)"), "1,2");
    r = verify_ok(m, &o);
    assert_true(r->go);
    cut_result_free(r);
    cut_mapping_free(m);
}

/* --------------------------------------------------------------- queue */

static cut_batch *tagged(int id)
{
    cut_batch *b = cut_batch_new(1, 1);
    assert_non_null(b);
    b->pos[0] = (uint64_t)id;
    return b;
}

static void test_queue_pops_in_push_order_and_close_drains_then_null(void **state)
{
    (void)state;
    cut_queue q;
    cut_queue_init(&q);
    for (int i = 0; i < 3; i++)
        cut_queue_push(&q, tagged(i));
    assert_int_equal(q.n, 3);
    cut_queue_close(&q);
    for (int i = 0; i < 3; i++) {
        cut_batch *b = cut_queue_pop(&q);
        assert_non_null(b);
        assert_int_equal(b->pos[0], i);
        assert_null(b->next);
        cut_batch_free(b);
    }
    assert_null(cut_queue_pop(&q));
    assert_null(cut_queue_pop(&q));
    assert_int_equal(q.n, 0);
    cut_queue_destroy(&q);
}

static void test_queue_abort_returns_null_at_once_with_batches_queued(void **state)
{
    (void)state;
    cut_queue q;
    cut_queue_init(&q);
    for (int i = 0; i < 3; i++)
        cut_queue_push(&q, tagged(i));
    cut_queue_abort(&q);
    assert_null(cut_queue_pop(&q));
    assert_int_equal(q.n, 3);
    cut_queue_destroy(&q); /* frees the three batches still queued */
}

typedef struct qctx {
    cut_queue *q;
    int n;
    int got;
    int in_order;
    cut_batch *last;
} qctx;

static void *producer(void *arg)
{
    qctx *c = arg;
    for (int i = 0; i < c->n; i++) {
        cut_queue_push(c->q, tagged(i));
        if (i % 97 == 0)
            sched_yield();
    }
    cut_queue_close(c->q);
    return NULL;
}

static void *consumer(void *arg)
{
    qctx *c = arg;
    c->in_order = 1;
    cut_batch *b;
    while ((b = cut_queue_pop(c->q)) != NULL) {
        if (b->pos[0] != (uint64_t)c->got)
            c->in_order = 0;
        c->got++;
        cut_batch_free(b);
    }
    return NULL;
}

static void test_queue_between_two_threads_keeps_order_and_ends_on_close(void **state)
{
    (void)state;
    cut_queue q;
    cut_queue_init(&q);
    qctx c = {&q, 2000, 0, 0, NULL};
    pthread_t tp, tc;
    assert_int_equal(pthread_create(&tc, NULL, consumer, &c), 0);
    assert_int_equal(pthread_create(&tp, NULL, producer, &c), 0);
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    assert_int_equal(c.got, 2000);
    assert_true(c.in_order);
    cut_queue_destroy(&q);
}

static void *pop_once(void *arg)
{
    qctx *c = arg;
    c->last = cut_queue_pop(c->q);
    c->got = 1;
    return NULL;
}

static void test_queue_abort_wakes_a_blocked_pop(void **state)
{
    (void)state;
    cut_queue q;
    cut_queue_init(&q);
    qctx c = {&q, 0, 0, 0, (cut_batch *)1};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, pop_once, &c), 0);
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    cut_queue_abort(&q);
    pthread_join(t, NULL);
    assert_int_equal(c.got, 1);
    assert_null(c.last);
    cut_queue_destroy(&q);
}

static void test_queue_close_wakes_a_blocked_pop(void **state)
{
    (void)state;
    cut_queue q;
    cut_queue_init(&q);
    qctx c = {&q, 0, 0, 0, (cut_batch *)1};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, pop_once, &c), 0);
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    cut_queue_close(&q);
    pthread_join(t, NULL);
    assert_int_equal(c.got, 1);
    assert_null(c.last);
    cut_queue_destroy(&q);
}

static void test_queue_pop_blocked_receives_a_later_push(void **state)
{
    (void)state;
    cut_queue q;
    cut_queue_init(&q);
    qctx c = {&q, 0, 0, 0, NULL};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, pop_once, &c), 0);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    cut_queue_push(&q, tagged(41));
    pthread_join(t, NULL);
    assert_non_null(c.last);
    assert_int_equal(c.last->pos[0], 41);
    cut_batch_free(c.last);
    cut_queue_destroy(&q);
}

/* A reject line still in the stdio buffer when the disk is full fails only when flushed:
   the sync before the commit must report it, with the reason, so that the table is not
   committed without the record of its rejected row. */
static void test_reject_file_sync_reports_a_full_disk(void **state)
{
    (void)state;
    if (access("/dev/full", W_OK) != 0)
        skip();
    cut_map_table mt;
    memset(&mt, 0, sizeof(mt));
    mt.target = "t";
    cut_tplan tp;
    memset(&tp, 0, sizeof(tp));
    tp.mt = &mt;
    cut_batch *b = cut_batch_new(1, 1);
    assert_non_null(b);
    b->pos[0] = 7;
    b->nrows = 1;
    cut_reject_file rf;
    cut_reject_file_init(&rf, strdup("/dev/full"));
    cut_reject rj = {"source", "price", NULL, "'12,50' is not a valid numeric", NULL};
    cut_reject_write(&rf, &tp, b, 0, &rj);
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_reject_file_sync(&rf, &err), CUT_EIO);
    assert_contains(err.msg, "cannot write reject file /dev/full");
    assert_contains(err.msg, "No space left on device");
    cut_error_clear(&err);
    assert_int_equal(cut_reject_file_close(&rf, &err), CUT_EIO);
    cut_batch_free(b);
}

/* A reject file that could be written syncs without error. */
static void test_reject_file_sync_of_a_written_file_is_ok(void **state)
{
    fx *f = *state;
    cut_map_table mt;
    memset(&mt, 0, sizeof(mt));
    mt.target = "t";
    cut_tplan tp;
    memset(&tp, 0, sizeof(tp));
    tp.mt = &mt;
    cut_batch *b = cut_batch_new(1, 1);
    assert_non_null(b);
    b->pos[0] = 3;
    b->nrows = 1;
    char path[256];
    assert_int_equal(mkdir(f->rej, 0700), 0);
    snprintf(path, sizeof(path), "%s/t.rejects.jsonl", f->rej);
    cut_reject_file rf;
    cut_reject_file_init(&rf, strdup(path));
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_reject_file_sync(&rf, &err), CUT_OK); /* nothing written yet */
    cut_reject rj = {"source", "price", NULL, "bad", NULL};
    cut_reject_write(&rf, &tp, b, 0, &rj);
    assert_int_equal(cut_reject_file_sync(&rf, &err), CUT_OK);
    assert_int_equal(cut_reject_file_close(&rf, &err), CUT_OK);
    char *text = rejects_of(f, "t");
    assert_contains(text, "\"line\":3");
    free(text);
    cut_batch_free(b);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_fx, teardown_fx)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_migrate_counts_add_up_and_verify_is_go),
        T(test_verify_is_no_go_when_rejects_exceed_max_rejects),
        T(test_empty_table_selection_is_refused_and_never_go),
        T(test_reject_file_has_one_json_line_per_rejected_row),
        T(test_reject_file_sync_reports_a_full_disk),
        T(test_reject_file_sync_of_a_written_file_is_ok),
        T(test_text_that_is_not_an_integer_is_rejected),
        T(test_impossible_date_is_rejected),
        T(test_long_text_into_sqlite_varchar_is_loaded_whole),
        T(test_invalid_utf8_text_is_rejected),
        T(test_failing_expression_rejects_the_row_at_mapping_stage),
        T(test_null_into_not_null_target_column_is_rejected),
        T(test_zero_date_becomes_null_and_is_counted),
        T(test_zero_dates_of_rows_not_loaded_are_not_counted),
        T(test_zero_dates_reject_option_rejects_the_row),
        T(test_filtered_rows_are_counted_not_loaded),
        T(test_verify_names_changed_missing_and_extra_keys),
        T(test_source_encoding_transcodes_legacy_text),
        T(test_chunked_migration_equals_whole_table_migration),
        T(test_chunks_over_the_whole_int64_range),
        T(test_resumed_chunks_reload_only_unfinished_ranges_without_duplicates),
        T(test_verify_without_locate_gives_no_diffs),
        T(test_target_value_of_the_wrong_type_shows_as_changed),
        T(test_duplicate_rows_without_key_are_all_loaded_and_verify_is_go),
        T(test_deleting_one_of_two_identical_rows_is_no_go),
        T(test_duplicating_a_row_without_key_is_no_go),
        T(test_row_refused_at_load_in_table_without_key_counts_as_reject_in_verify),
        T(test_row_refused_at_load_is_a_reject_in_verify),
        T(test_load_reject_with_long_text_key_marks_only_that_row),
        T(test_unusable_reject_directory_fails_before_anything_is_loaded),
        T(test_where_may_read_a_column_that_is_not_mapped),
        T(test_progress_callbacks_are_serialised_during_verify),
        T(test_batch_sizes_1_7_and_4096_give_equal_digests),
        T(test_jobs_1_and_4_give_equal_results),
        T(test_child_listed_before_parent_loads_after_it),
        T(test_cancel_set_before_migrate_gives_eintr_and_no_rows),
        T(test_source_timezone_turns_naive_datetime_into_utc),
        T(test_migrate_refuses_non_empty_target_without_truncate),
        T(test_queue_pops_in_push_order_and_close_drains_then_null),
        T(test_queue_abort_returns_null_at_once_with_batches_queued),
        T(test_queue_between_two_threads_keeps_order_and_ends_on_close),
        T(test_queue_abort_wakes_a_blocked_pop),
        T(test_queue_close_wakes_a_blocked_pop),
        T(test_queue_pop_blocked_receives_a_later_push),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
