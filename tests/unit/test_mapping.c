/*
 * test_mapping.c — mapping files (lib/mapping.c): the parsed structure, the
 * positions kept for later messages, defaults, bare column detection, ${VAR}
 * substitution, every error with its line:col, and the file hash.
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
#include <xxhash.h>

#include "mapping.h"

/* ------------------------------------------------------------- helpers */

static cut_mapping *parse_ok(const char *text)
{
    cut_mapping *m = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = cut_mapping_parse("t.yaml", text, strlen(text), &m, &err);
    if (rc) {
        char buf[2048];
        print_error("unexpected error: %s\n", cut_error_format(&err, buf, sizeof(buf)));
    }
    assert_int_equal(rc, CUT_OK);
    assert_non_null(m);
    return m;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) {
        print_error("'%s' not found in '%s'\n", needle, hay);
        fail();
    }
}

/* Parses text, expects CUT_EMAPPING at line:col with message keywords (NULL to skip). */
static void expect_error(const char *text, long line, long col, const char *kw1, const char *kw2)
{
    cut_mapping *m = (cut_mapping *)1;
    cut_error err;
    cut_error_clear(&err);
    int rc = cut_mapping_parse("t.yaml", text, strlen(text), &m, &err);
    if (rc != CUT_EMAPPING || err.line != line || err.col != col) {
        char buf[2048];
        print_error("got %d at %ld:%ld: %s\n", rc, err.line, err.col,
                    cut_error_format(&err, buf, sizeof(buf)));
    }
    assert_int_equal(rc, CUT_EMAPPING);
    assert_null(m);
    assert_string_equal(err.file, "t.yaml");
    assert_int_equal(err.line, line);
    assert_int_equal(err.col, col);
    if (kw1)
        assert_contains(err.msg, kw1);
    if (kw2)
        assert_contains(err.msg, kw2);
}

static const char FULL[] = "source: sqlite:gym-legacy.db\n"                                /* 1 */
                           "target: sqlite:gym.db\n"                                       /* 2 */
                           "options:\n"                                                    /* 3 */
                           "  source_timezone: Europe/Brussels\n"                          /* 4 */
                           "  zero_dates: reject\n"                                        /* 5 */
                           "  dst_overlap: later\n"                                        /* 6 */
                           "  max_rejects: 5\n"                                            /* 7 */
                           "  reject_dir: rejects\n"                                       /* 8 */
                           "  batch_rows: 5000\n"                                          /* 9 */
                           "  source_encoding: cp1252\n"                                   /* 10 */
                           "lookups:\n"                                                    /* 11 */
                           "  gyms: { BRU1: Brussels Centre, ANT1: Antwerp, OLD: null }\n" /* 12 */
                           "tables:\n"                                                     /* 13 */
                           "  members:\n"                                                  /* 14 */
                           "    from: clients\n"                                           /* 15 */
                           "    key: id\n"                                                 /* 16 */
                           "    where: email IS NOT NULL\n"                                /* 17 */
                           "    max_rejects: 10\n"                                         /* 18 */
                           "    columns:\n"                                                /* 19 */
                           "      id: id\n"                                                /* 20 */
                           "      full_name: trim(first_name) || ' ' || trim(last_name)\n" /* 21 */
                           "      active: is_active = 1\n"                                 /* 22 */
                           "  bookings: {}\n"                                              /* 23 */
                           "  visits:\n"                                                   /* 24 */
                           "    key: [member_id, starts_at]\n";                            /* 25 */

/* Wraps one column value into a minimal mapping and returns the parsed column. */
static cut_mapping *parse_column(const char *value_yaml)
{
    char text[512];
    snprintf(text, sizeof(text), "tables:\n  t:\n    columns:\n      c: %s\n", value_yaml);
    cut_mapping *m = parse_ok(text);
    assert_int_equal(m->tables[0].ncols, 1);
    return m;
}

/* -------------------------------------------------------- valid files */

static void test_full_mapping_with_every_key_parses(void **state)
{
    (void)state;
    cut_mapping *m = parse_ok(FULL);
    assert_string_equal(cut_mapping_path(m), "t.yaml");
    assert_string_equal(cut_mapping_source(m), "sqlite:gym-legacy.db");
    assert_string_equal(cut_mapping_target(m), "sqlite:gym.db");

    assert_string_equal(m->opts.source_timezone, "Europe/Brussels");
    assert_int_equal(m->opts.zero_dates, CUT_ZERO_REJECT);
    assert_int_equal(m->opts.dst_overlap, CUT_DST_LATER);
    assert_int_equal(m->opts.max_rejects, 5);
    assert_string_equal(m->opts.reject_dir, "rejects");
    assert_int_equal(m->opts.batch_rows, 5000);
    assert_string_equal(m->opts.source_encoding, "cp1252");

    assert_int_equal(m->nlookups, 1);
    assert_string_equal(m->lookups[0].name, "gyms");

    assert_int_equal(cut_mapping_table_count(m), 3);
    assert_string_equal(cut_mapping_table_name(m, 0), "members");
    assert_string_equal(cut_mapping_table_name(m, 1), "bookings");
    assert_string_equal(cut_mapping_table_name(m, 2), "visits");
    assert_null(cut_mapping_table_name(m, 3));
    assert_null(cut_mapping_table_name(m, -1));

    const cut_map_table *t = &m->tables[0];
    assert_string_equal(t->target, "members");
    assert_string_equal(t->source, "clients");
    assert_int_equal(t->nkey, 1);
    assert_string_equal(t->key[0], "id");
    assert_string_equal(t->where, "email IS NOT NULL");
    assert_int_equal(t->max_rejects, 10);
    assert_int_equal(t->has_columns, 1);
    assert_int_equal(t->ncols, 3);
    assert_string_equal(t->cols[0].target, "id");
    assert_string_equal(t->cols[0].expr, "id");
    assert_string_equal(t->cols[1].target, "full_name");
    assert_string_equal(t->cols[1].expr, "trim(first_name) || ' ' || trim(last_name)");
    assert_string_equal(t->cols[2].target, "active");
    assert_string_equal(t->cols[2].expr, "is_active = 1");

    const cut_map_table *v = &m->tables[2];
    assert_int_equal(v->nkey, 2);
    assert_string_equal(v->key[0], "member_id");
    assert_string_equal(v->key[1], "starts_at");
    assert_int_equal(cut_mapping_hash(m) ? (int)strlen(cut_mapping_hash(m)) : 0, 32);
    cut_mapping_free(m);
}

static void test_positions_of_table_column_and_expression(void **state)
{
    (void)state;
    cut_mapping *m = parse_ok(FULL);
    assert_int_equal(m->source_pos.line, 1);
    assert_int_equal(m->source_pos.col, 9);
    assert_int_equal(m->target_pos.line, 2);
    assert_int_equal(m->opts.source_timezone_pos.line, 4);
    assert_int_equal(m->opts.source_timezone_pos.col, 20);
    assert_int_equal(m->opts.source_encoding_pos.line, 10);
    assert_int_equal(m->opts.source_encoding_pos.col, 20);
    assert_int_equal(m->lookups[0].pos.line, 12);
    assert_int_equal(m->lookups[0].pos.col, 3);

    const cut_map_table *t = &m->tables[0];
    assert_int_equal(t->pos.line, 14);
    assert_int_equal(t->pos.col, 3);
    assert_int_equal(t->source_pos.line, 15);
    assert_int_equal(t->source_pos.col, 11);
    assert_int_equal(t->key_pos.line, 16);
    assert_int_equal(t->key_pos.col, 10);
    assert_int_equal(t->where_pos.line, 17);
    assert_int_equal(t->where_pos.col, 12);
    assert_int_equal(t->cols[1].target_pos.line, 21);
    assert_int_equal(t->cols[1].target_pos.col, 7);
    assert_int_equal(t->cols[1].expr_pos.line, 21);
    assert_int_equal(t->cols[1].expr_pos.col, 18);

    /* A defaulted source table points at the table's name. */
    const cut_map_table *b = &m->tables[1];
    assert_int_equal(b->source_pos.line, 23);
    assert_int_equal(b->source_pos.col, 3);
    assert_int_equal(m->tables[2].key_pos.line, 25);
    assert_int_equal(m->tables[2].key_pos.col, 10);
    cut_mapping_free(m);
}

static void test_defaults_when_keys_are_absent(void **state)
{
    (void)state;
    cut_mapping *m = parse_ok("tables:\n  members: {}\n  bookings:\n");
    assert_null(cut_mapping_source(m));
    assert_null(cut_mapping_target(m));
    assert_int_equal(m->source_pos.line, 0);
    assert_null(m->opts.source_timezone);
    assert_int_equal(m->opts.zero_dates, CUT_ZERO_NULL);
    assert_int_equal(m->opts.dst_overlap, CUT_DST_REJECT);
    assert_int_equal(m->opts.max_rejects, 0);
    assert_null(m->opts.reject_dir);
    assert_int_equal(m->opts.batch_rows, 0);
    assert_null(m->opts.source_encoding);
    assert_int_equal(m->nlookups, 0);
    assert_int_equal(m->ntables, 2);
    for (int i = 0; i < 2; i++) {
        const cut_map_table *t = &m->tables[i];
        assert_string_equal(t->source, t->target);
        assert_int_equal(t->nkey, 0);
        assert_null(t->key);
        assert_null(t->where);
        assert_int_equal(t->has_columns, 0);
        assert_int_equal(t->ncols, 0);
        assert_int_equal(t->max_rejects, -1);
    }
    cut_mapping_free(m);
}

static void test_null_and_empty_urls_mean_absent(void **state)
{
    (void)state;
    cut_mapping *m = parse_ok("source: null\ntarget: ''\ntables:\n  a: {}\n");
    assert_null(cut_mapping_source(m));
    assert_null(cut_mapping_target(m));
    cut_mapping_free(m);
}

static void test_empty_options_and_lookups_are_accepted(void **state)
{
    (void)state;
    cut_mapping *m = parse_ok("options:\nlookups: {}\ntables:\n  a: {}\n");
    assert_int_equal(m->nlookups, 0);
    assert_int_equal(m->opts.batch_rows, 0);
    cut_mapping_free(m);
}

static void test_zero_dates_accepts_yaml_null_and_string_null(void **state)
{
    (void)state;
    const char *forms[] = {"null", "~", "'null'", "\"null\"", "", "Null", "!!null ''"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "options:\n  zero_dates: %s\ntables:\n  a: {}\n", forms[i]);
        cut_mapping *m = parse_ok(text);
        assert_int_equal(m->opts.zero_dates, CUT_ZERO_NULL);
        cut_mapping_free(m);
    }
}

static void test_zero_dates_reject(void **state)
{
    (void)state;
    cut_mapping *m = parse_ok("options:\n  zero_dates: reject\ntables:\n  a: {}\n");
    assert_int_equal(m->opts.zero_dates, CUT_ZERO_REJECT);
    cut_mapping_free(m);
}

static void test_dst_overlap_values(void **state)
{
    (void)state;
    const char *names[] = {"reject", "earlier", "later"};
    const cut_dst_policy want[] = {CUT_DST_REJECT, CUT_DST_EARLIER, CUT_DST_LATER};
    for (int i = 0; i < 3; i++) {
        char text[256];
        snprintf(text, sizeof(text), "options: { dst_overlap: %s }\ntables: { a: {} }\n", names[i]);
        cut_mapping *m = parse_ok(text);
        assert_int_equal(m->opts.dst_overlap, want[i]);
        cut_mapping_free(m);
    }
}

static void test_source_encoding_values(void **state)
{
    (void)state;
    const char *names[] = {"utf8", "latin1", "cp1252"};
    for (int i = 0; i < 3; i++) {
        char text[256];
        snprintf(text, sizeof(text), "options: { source_encoding: %s }\ntables: { a: {} }\n",
                 names[i]);
        cut_mapping *m = parse_ok(text);
        assert_string_equal(m->opts.source_encoding, names[i]);
        cut_mapping_free(m);
    }
}

static void test_batch_rows_bounds_are_inclusive(void **state)
{
    (void)state;
    cut_mapping *m = parse_ok("options: { batch_rows: 1 }\ntables: { a: {} }\n");
    assert_int_equal(m->opts.batch_rows, 1);
    cut_mapping_free(m);
    m = parse_ok("options: { batch_rows: 1000000 }\ntables: { a: {} }\n");
    assert_int_equal(m->opts.batch_rows, 1000000);
    cut_mapping_free(m);
}

static void test_table_order_follows_the_file(void **state)
{
    (void)state;
    cut_mapping *m = parse_ok("tables:\n  zeta: {}\n  alpha: {}\n  mid: {}\n");
    assert_string_equal(cut_mapping_table_name(m, 0), "zeta");
    assert_string_equal(cut_mapping_table_name(m, 1), "alpha");
    assert_string_equal(cut_mapping_table_name(m, 2), "mid");
    assert_int_equal(cut_mapping_find_table(m, "alpha"), 1);
    assert_int_equal(cut_mapping_find_table(m, "mid"), 2);
    assert_int_equal(cut_mapping_find_table(m, "nope"), -1);
    assert_int_equal(cut_mapping_find_table(NULL, "alpha"), -1);
    cut_mapping_free(m);
}

static void test_lookups_parsed_including_null_value(void **state)
{
    (void)state;
    cut_mapping *m = parse_ok("lookups:\n"
                              "  gyms: { BRU1: Brussels Centre, ANT1: Antwerp, OLD: null }\n"
                              "  plans:\n"
                              "    1: monthly\n"
                              "    '': unknown\n"
                              "    x: ~\n"
                              "  none:\n"
                              "tables: { a: {} }\n");
    assert_int_equal(m->nlookups, 3);
    const cut_map_lookup *g = &m->lookups[0];
    assert_string_equal(g->name, "gyms");
    assert_int_equal(g->n, 3);
    assert_string_equal(g->keys[0], "BRU1");
    assert_string_equal(g->values[0], "Brussels Centre");
    assert_string_equal(g->keys[1], "ANT1");
    assert_string_equal(g->values[1], "Antwerp");
    assert_string_equal(g->keys[2], "OLD");
    assert_null(g->values[2]);
    const cut_map_lookup *p = &m->lookups[1];
    assert_int_equal(p->pos.line, 3);
    assert_int_equal(p->n, 3);
    assert_string_equal(p->keys[0], "1");
    assert_string_equal(p->values[0], "monthly");
    assert_string_equal(p->keys[1], "");
    assert_string_equal(p->values[1], "unknown");
    assert_null(p->values[2]);
    assert_string_equal(m->lookups[2].name, "none");
    assert_int_equal(m->lookups[2].n, 0);
    cut_mapping_free(m);
}

static void test_anchor_and_alias_share_columns(void **state)
{
    (void)state;
    cut_mapping *m = parse_ok("tables:\n"
                              "  members:\n"
                              "    columns: &cols\n"
                              "      id: id\n"
                              "      name: upper(name)\n"
                              "  old_members:\n"
                              "    from: members_archive\n"
                              "    columns: *cols\n");
    assert_int_equal(m->ntables, 2);
    const cut_map_table *t = &m->tables[1];
    assert_int_equal(t->ncols, 2);
    assert_string_equal(t->cols[1].expr, "upper(name)");
    /* An aliased node is the anchored one: its position is the anchor's. */
    assert_int_equal(t->cols[1].expr_pos.line, 5);
    cut_mapping_free(m);
}

/* ----------------------------------------------------- expressions, bare */

static void test_bare_plain_identifier(void **state)
{
    (void)state;
    const char *names[] = {"id", "_x", "first_name", "a1$b", "Col9"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        cut_mapping *m = parse_column(names[i]);
        assert_string_equal(m->tables[0].cols[0].expr, names[i]);
        assert_non_null(m->tables[0].cols[0].bare);
        assert_string_equal(m->tables[0].cols[0].bare, names[i]);
        cut_mapping_free(m);
    }
}

static void test_bare_quoted_sql_identifier_is_unquoted(void **state)
{
    (void)state;
    cut_mapping *m = parse_column("'\"first name\"'");
    assert_string_equal(m->tables[0].cols[0].expr, "\"first name\"");
    assert_string_equal(m->tables[0].cols[0].bare, "first name");
    cut_mapping_free(m);

    m = parse_column("'\"say \"\"hi\"\"\"'");
    assert_string_equal(m->tables[0].cols[0].expr, "\"say \"\"hi\"\"\"");
    assert_string_equal(m->tables[0].cols[0].bare, "say \"hi\"");
    cut_mapping_free(m);
}

static void test_yaml_quotes_are_not_sql_quotes(void **state)
{
    (void)state;
    cut_mapping *m = parse_column("\"trim(x)\"");
    assert_string_equal(m->tables[0].cols[0].expr, "trim(x)");
    assert_null(m->tables[0].cols[0].bare);
    cut_mapping_free(m);

    m = parse_column("\"id\"");
    assert_string_equal(m->tables[0].cols[0].expr, "id");
    assert_string_equal(m->tables[0].cols[0].bare, "id");
    cut_mapping_free(m);
}

static void test_keywords_are_not_bare(void **state)
{
    (void)state;
    const char *kw[] = {
        "NULL", "null", "true", "FALSE", "current_date", "CURRENT_TIME", "Current_Timestamp"};
    for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++) {
        cut_mapping *m = parse_column(kw[i]);
        assert_string_equal(m->tables[0].cols[0].expr, kw[i]);
        assert_null(m->tables[0].cols[0].bare);
        cut_mapping_free(m);
    }
}

static void test_expressions_are_not_bare(void **state)
{
    (void)state;
    const char *ex[] = {"trim(x)", "a + 1", "'\"a\" || \"b\"'", "\"'lit'\"", "1x", "'\"\"'", "a.b"};
    for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
        cut_mapping *m = parse_column(ex[i]);
        assert_null(m->tables[0].cols[0].bare);
        cut_mapping_free(m);
    }
}

static void test_plain_integer_is_expression_text(void **state)
{
    (void)state;
    cut_mapping *m = parse_column("0");
    assert_string_equal(m->tables[0].cols[0].expr, "0");
    assert_null(m->tables[0].cols[0].bare);
    cut_mapping_free(m);
}

static void test_block_scalars_are_trimmed_and_kept_verbatim(void **state)
{
    (void)state;
    cut_mapping *m = parse_ok("tables:\n"
                              "  t:\n"
                              "    columns:\n"
                              "      a: |\n"
                              "        CASE WHEN x = 1\n"
                              "          THEN 'y' END\n"
                              "      b: >\n"
                              "        lower(\n"
                              "        email)\n"
                              "      c: '  id  '\n");
    const cut_map_table *t = &m->tables[0];
    assert_string_equal(t->cols[0].expr, "CASE WHEN x = 1\n  THEN 'y' END");
    assert_null(t->cols[0].bare);
    assert_string_equal(t->cols[1].expr, "lower( email)");
    assert_string_equal(t->cols[2].expr, "id");
    assert_string_equal(t->cols[2].bare, "id");
    cut_mapping_free(m);
}

/* ----------------------------------------------------------- ${VAR} */

static void test_env_variable_is_substituted(void **state)
{
    (void)state;
    setenv("CUT_TEST_SRC", "sqlite:/tmp/legacy.db", 1);
    setenv("CUT_TEST_TZ", "Europe/Paris", 1);
    cut_mapping *m = parse_ok("source: ${CUT_TEST_SRC}\n"
                              "options: { source_timezone: \"${CUT_TEST_TZ}\" }\n"
                              "tables:\n"
                              "  t:\n"
                              "    columns: { c: \"x || '${CUT_TEST_TZ}'\" }\n");
    assert_string_equal(cut_mapping_source(m), "sqlite:/tmp/legacy.db");
    assert_string_equal(m->opts.source_timezone, "Europe/Paris");
    assert_string_equal(m->tables[0].cols[0].expr, "x || 'Europe/Paris'");
    cut_mapping_free(m);
    unsetenv("CUT_TEST_SRC");
    unsetenv("CUT_TEST_TZ");
}

static void test_env_default_used_when_unset_or_empty(void **state)
{
    (void)state;
    unsetenv("CUT_TEST_UNSET");
    setenv("CUT_TEST_EMPTY", "", 1);
    setenv("CUT_TEST_ROWS", "250", 1);
    cut_mapping *m = parse_ok("source: ${CUT_TEST_UNSET:-sqlite:default.db}\n"
                              "target: ${CUT_TEST_EMPTY:-sqlite:t.db}\n"
                              "options: { batch_rows: '${CUT_TEST_ROWS:-5000}' }\n"
                              "tables: { a: { from: '${CUT_TEST_UNSET:-}a' } }\n");
    assert_string_equal(cut_mapping_source(m), "sqlite:default.db");
    assert_string_equal(cut_mapping_target(m), "sqlite:t.db");
    assert_int_equal(m->opts.batch_rows, 250);
    assert_string_equal(m->tables[0].source, "a");
    cut_mapping_free(m);
    unsetenv("CUT_TEST_EMPTY");
    unsetenv("CUT_TEST_ROWS");
}

static void test_env_unset_variable_is_error_at_node(void **state)
{
    (void)state;
    unsetenv("CUT_TEST_UNSET");
    expect_error("target: x\nsource: ${CUT_TEST_UNSET}\ntables: { a: {} }\n", 2, 9,
                 "environment variable CUT_TEST_UNSET is not set",
                 "(use ${CUT_TEST_UNSET:-default})");
}

/* A variable set but empty (export URL=$(vault read ...) that printed nothing) leaves the
   URL out; the command that needs it names the variable and where the mapping uses it. */
static void test_env_set_but_empty_url_is_named_when_needed(void **state)
{
    (void)state;
    setenv("CUT_TEST_EMPTY", "", 1);
    cut_mapping *m =
        parse_ok("source: sqlite:s.db\ntarget: ${CUT_TEST_EMPTY}\ntables: { a: {} }\n");
    assert_null(cut_mapping_target(m));
    assert_string_equal(m->target_empty_var, "CUT_TEST_EMPTY");
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_mapping_need_urls(m, CUT_NEED_SOURCE, &err), CUT_OK);
    assert_int_equal(cut_mapping_need_urls(m, CUT_NEED_SOURCE | CUT_NEED_TARGET, &err),
                     CUT_EMAPPING);
    char buf[2048];
    cut_error_format(&err, buf, sizeof(buf));
    assert_contains(buf, "t.yaml:2:9: target: environment variable CUT_TEST_EMPTY is set but "
                         "empty");
    assert_contains(buf, "--target URL");
    /* --target replaces it: nothing is missing any more. */
    assert_int_equal(cut_mapping_set_target(m, "sqlite:t.db", &err), CUT_OK);
    assert_null(m->target_empty_var);
    assert_int_equal(cut_mapping_need_urls(m, CUT_NEED_SOURCE | CUT_NEED_TARGET, &err), CUT_OK);
    cut_mapping_free(m);
    /* An empty default says "may be left out": the generic message. */
    m = parse_ok("source: ${CUT_TEST_EMPTY:-}\ntarget: sqlite:t.db\ntables: { a: {} }\n");
    assert_null(m->source_empty_var);
    cut_error_clear(&err);
    assert_int_equal(cut_mapping_need_urls(m, CUT_NEED_SOURCE | CUT_NEED_TARGET, &err),
                     CUT_EMAPPING);
    assert_contains(cut_error_format(&err, buf, sizeof(buf)),
                    "t.yaml: the mapping needs a source and a target URL");
    cut_mapping_free(m);
    unsetenv("CUT_TEST_EMPTY");
}

static void test_env_dollar_dollar_is_a_literal_dollar(void **state)
{
    (void)state;
    cut_mapping *m = parse_column("\"'$${HOME}' || a$b || $$\"");
    assert_string_equal(m->tables[0].cols[0].expr, "'${HOME}' || a$b || $");
    cut_mapping_free(m);
}

static void test_env_unterminated_is_error(void **state)
{
    (void)state;
    expect_error("source: ${CUT_TEST_SRC\ntables: { a: {} }\n", 1, 9, "unterminated ${", NULL);
}

static void test_env_invalid_name_is_error(void **state)
{
    (void)state;
    expect_error("source: ${1X}\ntables: { a: {} }\n", 1, 9, "invalid ${1X}", NULL);
    expect_error("source: ${A-b}\ntables: { a: {} }\n", 1, 9, "invalid ${A-b}", NULL);
}

static void test_env_not_applied_to_keys(void **state)
{
    (void)state;
    setenv("CUT_TEST_COL", "zzz", 1);
    cut_mapping *m =
        parse_ok("tables:\n  t:\n    columns:\n      ${CUT_TEST_COL}: ${CUT_TEST_COL}\n");
    assert_string_equal(m->tables[0].cols[0].target, "${CUT_TEST_COL}");
    assert_string_equal(m->tables[0].cols[0].expr, "zzz");
    cut_mapping_free(m);
    unsetenv("CUT_TEST_COL");
}

/* -------------------------------------------------------------- errors */

static void test_unknown_table_key_suggests_columns(void **state)
{
    (void)state;
    cut_mapping *m = NULL;
    cut_error err;
    cut_error_clear(&err);
    const char *text = "tables:\n  members:\n    colums:\n      id: id\n";
    assert_int_equal(cut_mapping_parse("gym.yaml", text, strlen(text), &m, &err), CUT_EMAPPING);
    assert_string_equal(err.msg, "unknown key 'colums' in table members (did you mean columns?)");
    char buf[2048];
    assert_string_equal(cut_error_format(&err, buf, sizeof(buf)),
                        "gym.yaml:3:5: unknown key 'colums' in table members "
                        "(did you mean columns?)");
}

static void test_unknown_top_level_key_suggests(void **state)
{
    (void)state;
    expect_error("source: x\ntabels:\n  a: {}\n", 2, 1, "unknown key 'tabels' at the top level",
                 "(did you mean tables?)");
}

static void test_unknown_key_without_near_name_lists_valid_keys(void **state)
{
    (void)state;
    expect_error("zzzzzzzz: 1\ntables: { a: {} }\n", 1, 1, "unknown key 'zzzzzzzz'",
                 "(valid: source, target, options, lookups, tables)");
}

static void test_unknown_option_suggests(void **state)
{
    (void)state;
    expect_error("options:\n  max_reject: 3\ntables: { a: {} }\n", 2, 3,
                 "unknown option 'max_reject'", "did you mean max_rejects?");
}

static void test_tables_as_sequence_is_error(void **state)
{
    (void)state;
    expect_error("tables:\n  - members\n", 2, 3,
                 "tables: expected a mapping of target tables, found a sequence", NULL);
    expect_error("tables: members\n", 1, 9, "found 'members'", NULL);
}

static void test_root_not_a_mapping_is_error(void **state)
{
    (void)state;
    expect_error("- a\n- b\n", 1, 1, "at the top level, found a sequence", NULL);
}

static void test_table_value_not_a_mapping_is_error(void **state)
{
    (void)state;
    expect_error("tables:\n  members: clients\n", 2, 12,
                 "table members: expected a mapping of from, key, where", "found 'clients'");
}

static void test_missing_tables_is_error(void **state)
{
    (void)state;
    expect_error("source: a\ntarget: b\n", 1, 1, "missing tables", NULL);
}

static void test_zero_tables_is_error(void **state)
{
    (void)state;
    expect_error("source: a\ntables: {}\n", 2, 9, "tables: no tables", NULL);
    expect_error("source: a\ntables:\n", 2, 8, "tables: expected a mapping", "found nothing");
}

static void test_empty_file_is_error(void **state)
{
    (void)state;
    expect_error("", 1, 1, "empty mapping file", NULL);
    expect_error("# only a comment\n", 1, 1, "empty mapping file", NULL);
}

static void test_second_document_is_error(void **state)
{
    (void)state;
    expect_error("tables: { a: {} }\n---\ntables: { b: {} }\n", 2, 1, "more than one YAML document",
                 NULL);
}

static void test_invalid_zero_dates_value(void **state)
{
    (void)state;
    cut_mapping *m = NULL;
    cut_error err;
    cut_error_clear(&err);
    const char *text = "options:\n  zero_dates: zero\ntables: { a: {} }\n";
    assert_int_equal(cut_mapping_parse("t.yaml", text, strlen(text), &m, &err), CUT_EMAPPING);
    assert_string_equal(err.msg, "zero_dates: expected null or reject, found 'zero'");
    assert_int_equal(err.line, 2);
    assert_int_equal(err.col, 15);
}

static void test_invalid_option_values(void **state)
{
    (void)state;
    expect_error("options: { dst_overlap: first }\ntables: { a: {} }\n", 1, 25,
                 "dst_overlap: expected reject, earlier or later, found 'first'", NULL);
    expect_error("options: { max_rejects: -1 }\ntables: { a: {} }\n", 1, 25,
                 "max_rejects: expected an integer >= 0, found '-1'", NULL);
    expect_error("options: { max_rejects: 1e3 }\ntables: { a: {} }\n", 1, 25,
                 "max_rejects: expected an integer >= 0", NULL);
    expect_error("options: { max_rejects: 99999999999999999999 }\ntables: { a: {} }\n", 1, 25,
                 "max_rejects: expected an integer >= 0", NULL);
    expect_error("options: { batch_rows: 0 }\ntables: { a: {} }\n", 1, 24,
                 "batch_rows: expected an integer from 1 to 1000000, found '0'", NULL);
    expect_error("options: { batch_rows: 1000001 }\ntables: { a: {} }\n", 1, 24,
                 "batch_rows: expected an integer from 1 to 1000000", NULL);
    expect_error("options: { source_encoding: utf-8 }\ntables: { a: {} }\n", 1, 29,
                 "source_encoding: expected utf8, latin1 or cp1252, found 'utf-8'",
                 "(did you mean utf8?)");
    expect_error("options: { source_timezone: '' }\ntables: { a: {} }\n", 1, 29,
                 "source_timezone: expected an IANA time zone name", "found an empty string");
    expect_error("options: { reject_dir: [a] }\ntables: { a: {} }\n", 1, 24,
                 "reject_dir: expected a directory name, found a sequence", NULL);
    expect_error("options: [a]\ntables: { a: {} }\n", 1, 10, "options: expected a mapping", NULL);
    expect_error("tables:\n  a:\n    max_rejects: x\n", 3, 18,
                 "table a: max_rejects: expected an integer >= 0, found 'x'", NULL);
}

static void test_empty_expression_is_error(void **state)
{
    (void)state;
    expect_error("tables:\n  members:\n    columns:\n      full_name:\n      id: id\n", 4, 17,
                 "table members, column full_name: empty expression", NULL);
    expect_error("tables:\n  members:\n    columns:\n      full_name: \"  \"\n", 4, 18,
                 "table members, column full_name: empty expression", NULL);
    expect_error("tables:\n  members:\n    where: ''\n", 3, 12,
                 "table members: where: empty expression", NULL);
}

static void test_empty_columns_is_error(void **state)
{
    (void)state;
    expect_error("tables:\n  members:\n    columns: {}\n", 3, 14, "table members: columns is empty",
                 "remove columns:");
    expect_error("tables:\n  members:\n    columns:\n  other: {}\n", 3, 13,
                 "table members: columns is empty", NULL);
}

static void test_columns_not_a_mapping_is_error(void **state)
{
    (void)state;
    expect_error("tables:\n  members:\n    columns: [id, name]\n", 3, 14,
                 "table members: columns: expected a mapping of target column: expression",
                 "found a sequence");
}

static void test_non_scalar_column_value_is_error(void **state)
{
    (void)state;
    expect_error("tables:\n  members:\n    columns:\n      full_name: [a, b]\n", 4, 18,
                 "table members, column full_name: expected an SQL expression, found a sequence",
                 NULL);
    expect_error("tables:\n  members:\n    columns:\n      full_name:\n        a: b\n", 5, 9,
                 "found a mapping", NULL);
}

static void test_key_must_be_name_or_list(void **state)
{
    (void)state;
    expect_error("tables:\n  a:\n    key: {x: 1}\n", 3, 10,
                 "table a: key: expected a column name or a list of column names",
                 "found a mapping");
    expect_error("tables:\n  a:\n    key: []\n", 3, 10, "found an empty list", NULL);
    expect_error("tables:\n  a:\n    key: [x, [y]]\n", 3, 14, "expected a column name", NULL);
    expect_error("tables:\n  a:\n    key: [x, y, x]\n", 3, 17, "column 'x' is listed twice", NULL);
    expect_error("tables:\n  a:\n    from: null\n", 3, 11,
                 "table a: from: expected a source table name, found null", NULL);
}

static void test_duplicate_table_names_both_lines(void **state)
{
    (void)state;
    expect_error("tables:\n  members: {}\n  bookings: {}\n  members:\n    from: x\n", 4, 3,
                 "duplicate table 'members'", "(lines 2 and 4)");
}

static void test_duplicate_column_names_both_lines(void **state)
{
    (void)state;
    expect_error("tables:\n  members:\n    columns:\n      id: id\n      name: n\n      id: x\n", 6,
                 7, "duplicate column 'id' in table members", "(lines 4 and 6)");
}

static void test_duplicate_option_and_top_level_key(void **state)
{
    (void)state;
    expect_error("options:\n  max_rejects: 1\n  max_rejects: 2\ntables: { a: {} }\n", 3, 3,
                 "duplicate option 'max_rejects'", "(lines 2 and 3)");
    expect_error("source: a\ntables: { a: {} }\nsource: b\n", 3, 1,
                 "duplicate key 'source' at the top level", "(lines 1 and 3)");
    expect_error("tables:\n  a:\n    from: x\n    from: y\n", 4, 5,
                 "duplicate key 'from' in table a", "(lines 3 and 4)");
    expect_error("lookups:\n  g: {a: 1, a: 2}\ntables: { a: {} }\n", 2, 13,
                 "duplicate key 'a' in lookup g", NULL);
}

static void test_merge_key_is_rejected(void **state)
{
    (void)state;
    expect_error("tables:\n"
                 "  a:\n"
                 "    columns: &base\n"
                 "      id: id\n"
                 "  b:\n"
                 "    columns:\n"
                 "      <<: *base\n"
                 "      name: n\n",
                 7, 7, "merge keys (<<) are not supported", NULL);
}

static void test_non_scalar_key_is_error(void **state)
{
    (void)state;
    expect_error("tables:\n  ? [a, b]\n  : {}\n", 2, 5, "expected a table name",
                 "found a sequence");
}

static void test_nul_in_value_is_error(void **state)
{
    (void)state;
    expect_error("tables:\n  a:\n    from: \"x\\0y\"\n", 3, 11, "NUL character", NULL);
}

static void test_lookup_errors(void **state)
{
    (void)state;
    expect_error("lookups: [a]\ntables: { a: {} }\n", 1, 10, "lookups: expected a mapping", NULL);
    expect_error("lookups:\n  g: [a]\ntables: { a: {} }\n", 2, 6,
                 "lookup g: expected a mapping of key: value, found a sequence", NULL);
    expect_error("lookups:\n  g: { k: [a] }\ntables: { a: {} }\n", 2, 11,
                 "lookup g, key 'k': expected a scalar value", NULL);
}

static void test_yaml_syntax_error_position(void **state)
{
    (void)state;
    /* A tab cannot indent YAML. */
    expect_error("tables:\n  a:\n\tfrom: x\n", 3, 1, "invalid YAML", "cannot start any token");
    /* An unterminated quote runs to the end of the stream. */
    expect_error("tables:\n  a:\n    from: \"clients\n", 4, 1, "invalid YAML",
                 "while scanning a quoted scalar at line 3, column 11");
    /* A key at a bad indentation inside a block mapping. */
    expect_error("tables:\n  a: {}\n b: {}\n", 3, 2, "invalid YAML", NULL);
    expect_error("tables: *nope\n", 1, 9, "invalid YAML", "undefined alias");
}

static void test_invalid_utf8_is_error_with_position(void **state)
{
    (void)state;
    expect_error("tables:\n  a:\n    from: \xff\n", 3, 11, "invalid YAML", "UTF-8");
}

/* -------------------------------------------------------------- hash */

static void test_hash_is_stable_and_matches_xxh3_128(void **state)
{
    (void)state;
    cut_mapping *a = parse_ok(FULL), *b = parse_ok(FULL);
    assert_string_equal(cut_mapping_hash(a), cut_mapping_hash(b));
    XXH128_hash_t h = XXH3_128bits(FULL, strlen(FULL));
    char want[33];
    snprintf(want, sizeof(want), "%016llx%016llx", (unsigned long long)h.high64,
             (unsigned long long)h.low64);
    assert_string_equal(cut_mapping_hash(a), want);
    cut_mapping_free(a);
    cut_mapping_free(b);
}

static void test_hash_differs_when_a_byte_changes(void **state)
{
    (void)state;
    char text[sizeof(FULL)];
    memcpy(text, FULL, sizeof(FULL));
    cut_mapping *a = parse_ok(text);
    char *p = strstr(text, "5000");
    p[0] = '6';
    cut_mapping *b = parse_ok(text);
    assert_string_not_equal(cut_mapping_hash(a), cut_mapping_hash(b));
    /* Bytes, not meaning: a trailing comment changes the hash too. */
    char commented[sizeof(FULL) + 16];
    snprintf(commented, sizeof(commented), "%s# note\n", FULL);
    cut_mapping *c = parse_ok(commented);
    assert_string_not_equal(cut_mapping_hash(a), cut_mapping_hash(c));
    cut_mapping_free(c);
    cut_mapping_free(a);
    cut_mapping_free(b);
}

/* ------------------------------------------------------ load and setters */

static void test_load_reads_file_and_keeps_path(void **state)
{
    (void)state;
    char path[] = "/tmp/test_mapping_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, FULL, strlen(FULL)), (ssize_t)strlen(FULL));
    close(fd);
    cut_mapping *m = NULL, *p = parse_ok(FULL);
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_mapping_load(path, &m, &err), CUT_OK);
    assert_string_equal(cut_mapping_path(m), path);
    assert_string_equal(cut_mapping_hash(m), cut_mapping_hash(p));
    assert_int_equal(cut_mapping_table_count(m), 3);
    cut_mapping_free(m);
    cut_mapping_free(p);
    unlink(path);
}

static void test_load_error_in_file_names_the_file(void **state)
{
    (void)state;
    char path[] = "/tmp/test_mapping_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "tables:\n  a:\n    colums: {}\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    cut_mapping *m = NULL;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_mapping_load(path, &m, &err), CUT_EMAPPING);
    assert_null(m);
    assert_string_equal(err.file, path);
    assert_int_equal(err.line, 3);
    unlink(path);
}

static void test_load_missing_file_is_io_error(void **state)
{
    (void)state;
    cut_mapping *m = NULL;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_mapping_load("/nonexistent/gym.yaml", &m, &err), CUT_EIO);
    assert_null(m);
    assert_string_equal(err.msg,
                        "cannot read mapping /nonexistent/gym.yaml: No such file or directory");
}

static void test_load_of_a_url_does_not_show_its_password(void **state)
{
    (void)state;
    /* `cutover check postgresql://…` by mistake: the message quotes the argument. */
    cut_mapping *m = NULL;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_mapping_load("postgresql://app:Zebra-9431@db/legacy", &m, &err), CUT_EIO);
    assert_string_equal(err.msg, "cannot read mapping postgresql://app:***@db/legacy: "
                                 "No such file or directory");
}

static void test_load_directory_is_io_error(void **state)
{
    (void)state;
    cut_mapping *m = NULL;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_mapping_load("/tmp", &m, &err), CUT_EIO);
    assert_contains(err.msg, "cannot read mapping /tmp: ");
}

static void test_set_source_and_target_replace_urls(void **state)
{
    (void)state;
    cut_mapping *m = parse_ok(FULL);
    cut_error err;
    cut_error_clear(&err);
    char url[] = "postgresql://app@db/gym";
    assert_int_equal(cut_mapping_set_target(m, url, &err), CUT_OK);
    url[0] = 'X'; /* the mapping keeps its own copy */
    assert_string_equal(cut_mapping_target(m), "postgresql://app@db/gym");
    assert_int_equal(m->target_pos.line, 0);
    assert_int_equal(cut_mapping_set_source(m, "sqlite:other.db", &err), CUT_OK);
    assert_string_equal(cut_mapping_source(m), "sqlite:other.db");
    assert_int_equal(cut_mapping_set_source(m, NULL, &err), CUT_EINVAL);
    assert_int_equal(cut_mapping_set_source(NULL, "x", &err), CUT_EINVAL);
    cut_mapping_free(m);

    m = parse_ok("tables: { a: {} }\n");
    assert_int_equal(cut_mapping_set_source(m, "sqlite:s.db", &err), CUT_OK);
    assert_string_equal(cut_mapping_source(m), "sqlite:s.db");
    cut_mapping_free(m);
}

static void test_free_null_and_accessors_on_null(void **state)
{
    (void)state;
    cut_mapping_free(NULL);
    assert_null(cut_mapping_path(NULL));
    assert_null(cut_mapping_hash(NULL));
    assert_int_equal(cut_mapping_table_count(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_mapping_with_every_key_parses),
        cmocka_unit_test(test_positions_of_table_column_and_expression),
        cmocka_unit_test(test_defaults_when_keys_are_absent),
        cmocka_unit_test(test_null_and_empty_urls_mean_absent),
        cmocka_unit_test(test_empty_options_and_lookups_are_accepted),
        cmocka_unit_test(test_zero_dates_accepts_yaml_null_and_string_null),
        cmocka_unit_test(test_zero_dates_reject),
        cmocka_unit_test(test_dst_overlap_values),
        cmocka_unit_test(test_source_encoding_values),
        cmocka_unit_test(test_batch_rows_bounds_are_inclusive),
        cmocka_unit_test(test_table_order_follows_the_file),
        cmocka_unit_test(test_lookups_parsed_including_null_value),
        cmocka_unit_test(test_anchor_and_alias_share_columns),
        cmocka_unit_test(test_bare_plain_identifier),
        cmocka_unit_test(test_bare_quoted_sql_identifier_is_unquoted),
        cmocka_unit_test(test_yaml_quotes_are_not_sql_quotes),
        cmocka_unit_test(test_keywords_are_not_bare),
        cmocka_unit_test(test_expressions_are_not_bare),
        cmocka_unit_test(test_plain_integer_is_expression_text),
        cmocka_unit_test(test_block_scalars_are_trimmed_and_kept_verbatim),
        cmocka_unit_test(test_env_variable_is_substituted),
        cmocka_unit_test(test_env_default_used_when_unset_or_empty),
        cmocka_unit_test(test_env_unset_variable_is_error_at_node),
        cmocka_unit_test(test_env_set_but_empty_url_is_named_when_needed),
        cmocka_unit_test(test_env_dollar_dollar_is_a_literal_dollar),
        cmocka_unit_test(test_env_unterminated_is_error),
        cmocka_unit_test(test_env_invalid_name_is_error),
        cmocka_unit_test(test_env_not_applied_to_keys),
        cmocka_unit_test(test_unknown_table_key_suggests_columns),
        cmocka_unit_test(test_unknown_top_level_key_suggests),
        cmocka_unit_test(test_unknown_key_without_near_name_lists_valid_keys),
        cmocka_unit_test(test_unknown_option_suggests),
        cmocka_unit_test(test_tables_as_sequence_is_error),
        cmocka_unit_test(test_root_not_a_mapping_is_error),
        cmocka_unit_test(test_table_value_not_a_mapping_is_error),
        cmocka_unit_test(test_missing_tables_is_error),
        cmocka_unit_test(test_zero_tables_is_error),
        cmocka_unit_test(test_empty_file_is_error),
        cmocka_unit_test(test_second_document_is_error),
        cmocka_unit_test(test_invalid_zero_dates_value),
        cmocka_unit_test(test_invalid_option_values),
        cmocka_unit_test(test_empty_expression_is_error),
        cmocka_unit_test(test_empty_columns_is_error),
        cmocka_unit_test(test_columns_not_a_mapping_is_error),
        cmocka_unit_test(test_non_scalar_column_value_is_error),
        cmocka_unit_test(test_key_must_be_name_or_list),
        cmocka_unit_test(test_duplicate_table_names_both_lines),
        cmocka_unit_test(test_duplicate_column_names_both_lines),
        cmocka_unit_test(test_duplicate_option_and_top_level_key),
        cmocka_unit_test(test_merge_key_is_rejected),
        cmocka_unit_test(test_non_scalar_key_is_error),
        cmocka_unit_test(test_nul_in_value_is_error),
        cmocka_unit_test(test_lookup_errors),
        cmocka_unit_test(test_yaml_syntax_error_position),
        cmocka_unit_test(test_invalid_utf8_is_error_with_position),
        cmocka_unit_test(test_hash_is_stable_and_matches_xxh3_128),
        cmocka_unit_test(test_hash_differs_when_a_byte_changes),
        cmocka_unit_test(test_load_reads_file_and_keeps_path),
        cmocka_unit_test(test_load_error_in_file_names_the_file),
        cmocka_unit_test(test_load_missing_file_is_io_error),
        cmocka_unit_test(test_load_of_a_url_does_not_show_its_password),
        cmocka_unit_test(test_load_directory_is_io_error),
        cmocka_unit_test(test_set_source_and_target_replace_urls),
        cmocka_unit_test(test_free_null_and_accessors_on_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
