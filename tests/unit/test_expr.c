/*
 * test_expr.c — mapping expressions (lib/expr.c) and the SQL functions they
 * may call (lib/sqlfunc.c): how source cells are bound by logical type, how
 * results are rendered, the where filter, compile errors with their
 * file:line:col, the authorizer, runtime errors, and every added function.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expr.h"
#include "mapping.h"

/* ------------------------------------------------------------ helpers */

#define MAXC 16

/* A program under construction: source columns, expressions, optional where. */
typedef struct prog {
    int nsrc;
    const char *names[MAXC];
    cut_type types[MAXC];
    int nexpr;
    const char *exprs[MAXC];
    cut_pos pos[MAXC];
    const char *enames[MAXC];
    const char *where;
    cut_pos where_pos;
    const cut_mapping *m;
} prog;

static void src(prog *p, const char *name, cut_kind kind)
{
    p->names[p->nsrc] = name;
    memset(&p->types[p->nsrc], 0, sizeof(cut_type));
    p->types[p->nsrc].kind = kind;
    p->nsrc++;
}

/* Adds an expression at line 10 + index, column 7 of "map.yaml". */
static void ex(prog *p, const char *text)
{
    static const char *const cols[MAXC] = {"c0", "c1", "c2",  "c3",  "c4",  "c5",  "c6",  "c7",
                                           "c8", "c9", "c10", "c11", "c12", "c13", "c14", "c15"};
    p->exprs[p->nexpr] = text;
    p->pos[p->nexpr] = (cut_pos){10 + p->nexpr, 7};
    p->enames[p->nexpr] = cols[p->nexpr];
    p->nexpr++;
}

static void spec_of(const prog *p, cut_expr_spec *s)
{
    memset(s, 0, sizeof(*s));
    s->file = "map.yaml";
    s->table = "members";
    s->source = "clients";
    s->mapping = p->m;
    s->nsrc = p->nsrc;
    s->src_names = p->names;
    s->src_types = p->types;
    s->nexpr = p->nexpr;
    s->exprs = p->exprs;
    s->expr_pos = p->pos;
    s->expr_names = p->enames;
    s->where = p->where;
    s->where_pos = p->where_pos;
}

static cut_expr *compile_ok(const prog *p)
{
    cut_expr_spec s;
    spec_of(p, &s);
    cut_expr *e = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = cut_expr_compile(&s, &e, &err);
    if (rc) {
        char buf[2048];
        print_error("unexpected compile error: %s\n", cut_error_format(&err, buf, sizeof(buf)));
    }
    assert_int_equal(rc, CUT_OK);
    assert_non_null(e);
    return e;
}

static int compile_err(const prog *p, cut_error *err)
{
    cut_expr_spec s;
    spec_of(p, &s);
    cut_expr *e = (cut_expr *)1;
    cut_error_clear(err);
    int rc = cut_expr_compile(&s, &e, err);
    assert_null(e);
    return rc;
}

static cut_cell txt(const char *s)
{
    cut_cell c = {s, (uint32_t)strlen(s), 0};
    return c;
}

static cut_cell raw(const char *p, size_t n)
{
    cut_cell c = {p, (uint32_t)n, 0};
    return c;
}

static cut_cell nul(void)
{
    cut_cell c = {NULL, 0, CUT_CELL_NULL};
    return c;
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

static void assert_cell_null(const cut_cell *c)
{
    if (!cut_cell_is_null(c)) {
        print_error("expected NULL, got '%.*s'\n", (int)c->len, c->p);
        fail();
    }
}

/* An evaluation context: arena, output cells and message buffer. */
typedef struct run {
    cut_arena arena;
    cut_cell out[MAXC];
    cut_buf msg;
    int keep;
    int failed;
} run;

static void run_init(run *r)
{
    memset(r, 0, sizeof(*r));
    cut_arena_init(&r->arena, 4096);
}

static void run_free(run *r)
{
    cut_arena_free(&r->arena);
    cut_buf_free(&r->msg);
}

static int eval(cut_expr *e, const cut_cell *in, run *r)
{
    r->keep = -1;
    r->failed = -2;
    return cut_expr_eval(e, in, r->out, &r->arena, &r->keep, &r->failed, &r->msg);
}

static void eval_ok(cut_expr *e, const cut_cell *in, run *r)
{
    int rc = eval(e, in, r);
    if (rc)
        print_error("unexpected eval error %d: %s\n", rc, cut_buf_cstr(&r->msg));
    assert_int_equal(rc, CUT_OK);
}

/*
 * Evaluates one expression over no source columns and returns its rendering
 * (or "<NULL>"); a runtime error returns "<ERROR: message>". With a mapping
 * for lookup().
 */
static char *eval1_m(const char *text, const cut_mapping *m)
{
    prog p = {0};
    p.m = m;
    ex(&p, text);
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    char *res;
    int rc = eval(e, NULL, &r);
    if (rc == CUT_EDATA) {
        size_t n = strlen(cut_buf_cstr(&r.msg)) + 16;
        res = malloc(n);
        snprintf(res, n, "<ERROR: %s>", r.msg.p);
        assert_int_equal(r.failed, 0);
    } else {
        assert_int_equal(rc, CUT_OK);
        if (cut_cell_is_null(&r.out[0])) {
            res = strdup("<NULL>");
        } else {
            res = malloc(r.out[0].len + 1);
            memcpy(res, r.out[0].p, r.out[0].len);
            res[r.out[0].len] = '\0';
        }
    }
    run_free(&r);
    cut_expr_free(e);
    return res;
}

static char *eval1(const char *text)
{
    return eval1_m(text, NULL);
}

/* Asserts that text evaluates to want ("<NULL>" for NULL). */
static void expect1(const char *text, const char *want)
{
    char *got = eval1(text);
    if (strcmp(got, want) != 0) {
        print_error("%s: expected '%s', got '%s'\n", text, want, got);
        free(got);
        fail();
    }
    free(got);
}

/* Asserts that text fails at run time with a message containing kw. */
static void expect1_error(const char *text, const char *kw)
{
    char *got = eval1(text);
    if (strncmp(got, "<ERROR: ", 8) != 0 || !strstr(got, kw)) {
        print_error("%s: expected an error containing '%s', got '%s'\n", text, kw, got);
        free(got);
        fail();
    }
    free(got);
}

/* ----------------------------------------------- binding by logical type */

static void test_inputs_bind_with_the_storage_class_of_their_logical_type(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "i", CUT_T_INT);
    src(&p, "b", CUT_T_BOOL);
    src(&p, "n", CUT_T_NUMERIC);
    src(&p, "f", CUT_T_FLOAT);
    src(&p, "t", CUT_T_TEXT);
    src(&p, "y", CUT_T_BYTES);
    src(&p, "d", CUT_T_DATE);
    src(&p, "z", CUT_T_TEXT);
    src(&p, "ni", CUT_T_NUMERIC);
    ex(&p, "typeof(i)");
    ex(&p, "typeof(b)");
    ex(&p, "typeof(n)");
    ex(&p, "typeof(f)");
    ex(&p, "typeof(t)");
    ex(&p, "typeof(y)");
    ex(&p, "typeof(d)");
    ex(&p, "typeof(z)");
    ex(&p, "typeof(ni)");
    cut_expr *e = compile_ok(&p);
    cut_cell in[] = {txt("42"),      txt("t"),          txt("12.50"), txt("0.1"), txt("hello"),
                     raw("a\0b", 3), txt("2024-02-29"), nul(),        txt("12")};
    run r;
    run_init(&r);
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "integer");
    assert_cell(&r.out[1], "integer");
    assert_cell(&r.out[2], "real");
    assert_cell(&r.out[3], "real");
    assert_cell(&r.out[4], "text");
    assert_cell(&r.out[5], "blob");
    assert_cell(&r.out[6], "text");
    assert_cell(&r.out[7], "null");
    assert_cell(&r.out[8], "integer");
    assert_int_equal(r.keep, 1);
    run_free(&r);
    cut_expr_free(e);
}

static void test_int_input_compares_equal_to_integer_literal_and_text_to_text(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "is_active", CUT_T_INT);
    src(&p, "code", CUT_T_TEXT);
    ex(&p, "is_active = 1");
    ex(&p, "code = '1'"); /* code = 1 would never be true: refused (see below) */
    cut_expr *e = compile_ok(&p);
    cut_cell in[] = {txt("1"), txt("1")};
    run r;
    run_init(&r);
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "1");
    assert_cell(&r.out[1], "1");
    in[0] = txt("0");
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "0");
    run_free(&r);
    cut_expr_free(e);
}

static void test_bool_t_binds_one_and_f_binds_zero(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "flag", CUT_T_BOOL);
    ex(&p, "flag");
    ex(&p, "flag = 1");
    ex(&p, "NOT flag");
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    cut_cell in[] = {txt("t")};
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "1");
    assert_cell(&r.out[1], "1");
    assert_cell(&r.out[2], "0");
    in[0] = txt("f");
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "0");
    assert_cell(&r.out[1], "0");
    assert_cell(&r.out[2], "1");
    run_free(&r);
    cut_expr_free(e);
}

static void test_numeric_input_behaves_as_a_number_in_comparisons(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "price", CUT_T_NUMERIC);
    ex(&p, "price > 10");
    ex(&p, "price < 100"); /* a TEXT value would sort after every number: 0 */
    ex(&p, "price * 2");
    ex(&p, "price + 1");
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    cut_cell in[] = {txt("12.50")};
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "1");
    assert_cell(&r.out[1], "1");
    assert_cell(&r.out[2], "25");
    assert_cell(&r.out[3], "13.5");
    in[0] = txt("7");
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "0");
    assert_cell(&r.out[1], "1");
    assert_cell(&r.out[2], "14");
    assert_cell(&r.out[3], "8");
    run_free(&r);
    cut_expr_free(e);
}

static void test_numeric_with_more_than_15_significant_digits_binds_as_text(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "amount", CUT_T_NUMERIC);
    ex(&p, "typeof(amount)");
    ex(&p, "amount");
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    cut_cell in[] = {txt("1234567890123456.78")};
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "text");
    assert_cell(&r.out[1], "1234567890123456.78"); /* no digit lost */
    in[0] = txt("NaN");
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "text");
    assert_cell(&r.out[1], "NaN");
    run_free(&r);
    cut_expr_free(e);
}

static void test_float_input_binds_as_real_and_renders_shortest_round_trip(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "f", CUT_T_FLOAT);
    ex(&p, "f + 0.2");
    ex(&p, "f");
    ex(&p, "f * 3 > 0.3");
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    cut_cell in[] = {txt("0.1")};
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "0.30000000000000004");
    assert_cell(&r.out[1], "0.1");
    assert_cell(&r.out[2], "1");
    run_free(&r);
    cut_expr_free(e);
}

static void test_text_and_bytes_inputs_keep_their_bytes(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "t", CUT_T_TEXT);
    src(&p, "y", CUT_T_BYTES);
    ex(&p, "t || '!'");
    ex(&p, "length(y)");
    ex(&p, "hex(y)");
    ex(&p, "y");
    ex(&p, "length(t)");
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    cut_cell in[] = {txt("Zoë"), raw("a\0\xff", 3)};
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "Zoë!");
    assert_cell(&r.out[1], "3");
    assert_cell(&r.out[2], "6100FF");
    assert_int_equal(r.out[3].len, 3);
    assert_memory_equal(r.out[3].p, "a\0\xff", 3);
    assert_cell(&r.out[4], "3"); /* characters, not bytes */
    run_free(&r);
    cut_expr_free(e);
}

static void test_null_input_is_sql_null(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "a", CUT_T_INT);
    src(&p, "b", CUT_T_TEXT);
    ex(&p, "a IS NULL");
    ex(&p, "b || 'x'");
    ex(&p, "coalesce(a, -1)");
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    cut_cell in[] = {nul(), nul()};
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "1");
    assert_cell_null(&r.out[1]);
    assert_cell(&r.out[2], "-1");
    run_free(&r);
    cut_expr_free(e);
}

static void test_results_render_by_storage_class(void **state)
{
    (void)state;
    expect1("-42", "-42");
    expect1("9223372036854775807", "9223372036854775807");
    expect1("1.0 / 4", "0.25");
    expect1("1.0 / 3", "0.3333333333333333");
    expect1("2.0", "2");
    expect1("'text'", "text");
    expect1("NULL", "<NULL>");
    expect1("x'414243'", "ABC");
    expect1("1e308 * 10", "Infinity");
}

static void test_concat_over_several_inputs(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "first_name", CUT_T_TEXT);
    src(&p, "last_name", CUT_T_TEXT);
    src(&p, "id", CUT_T_INT);
    ex(&p, "trim(first_name) || ' ' || trim(last_name)");
    ex(&p, "id * 10 + 1");
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    cut_cell in[] = {txt("  Ada "), txt("Lovelace  "), txt("7")};
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "Ada Lovelace");
    assert_cell(&r.out[1], "71");
    run_free(&r);
    cut_expr_free(e);
}

static void test_quoted_source_column_names_work(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "first name", CUT_T_TEXT);
    src(&p, "order", CUT_T_INT);
    src(&p, "we\"ird", CUT_T_TEXT);
    ex(&p, "\"first name\" || \"order\" || \"we\"\"ird\"");
    cut_expr *e = compile_ok(&p);
    int n = -1;
    const int *in_idx = cut_expr_inputs(e, &n);
    assert_int_equal(n, 3);
    assert_int_equal(in_idx[0], 0);
    assert_int_equal(in_idx[1], 1);
    assert_int_equal(in_idx[2], 2);
    run r;
    run_init(&r);
    cut_cell in[] = {txt("a"), txt("5"), txt("z")};
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "a5z");
    run_free(&r);
    cut_expr_free(e);
}

static void test_expression_ending_in_a_line_comment_compiles(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "id", CUT_T_INT);
    ex(&p, "id + 1 -- the next one");
    p.where = "id > 0 -- positive only";
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    cut_cell in[] = {txt("4")};
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "5");
    assert_int_equal(r.keep, 1);
    run_free(&r);
    cut_expr_free(e);
}

/* ----------------------------------------------------------------- where */

static void test_where_true_keeps_false_and_null_filter(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "email", CUT_T_TEXT);
    src(&p, "age", CUT_T_INT);
    ex(&p, "lower(email)");
    p.where = "age >= 18";
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    cut_cell in[] = {txt("A@X.BE"), txt("30")};
    eval_ok(e, in, &r);
    assert_int_equal(r.keep, 1);
    assert_cell(&r.out[0], "a@x.be");
    in[1] = txt("12");
    eval_ok(e, in, &r);
    assert_int_equal(r.keep, 0);
    in[1] = nul(); /* NULL >= 18 is NULL: not kept */
    eval_ok(e, in, &r);
    assert_int_equal(r.keep, 0);
    run_free(&r);
    cut_expr_free(e);
}

static void test_where_alone_without_expressions(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "last_name", CUT_T_TEXT);
    p.where = "last_name IS NOT 'TEST'";
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    cut_cell in[] = {txt("Smith")};
    eval_ok(e, in, &r);
    assert_int_equal(r.keep, 1);
    in[0] = txt("TEST");
    eval_ok(e, in, &r);
    assert_int_equal(r.keep, 0);
    in[0] = nul(); /* IS NOT: NULL is kept */
    eval_ok(e, in, &r);
    assert_int_equal(r.keep, 1);
    run_free(&r);
    cut_expr_free(e);
}

/* -------------------------------------------------------- compile errors */

static void test_unknown_column_points_at_it_and_suggests_nearest(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "id", CUT_T_INT);
    src(&p, "email", CUT_T_TEXT);
    src(&p, "last_name", CUT_T_TEXT);
    ex(&p, "id");
    ex(&p, "lower(trim(emial))"); /* at 11:7; 'emial' starts 11 characters in */
    cut_error err;
    int rc = compile_err(&p, &err);
    assert_int_equal(rc, CUT_EMAPPING);
    assert_int_equal(err.code, CUT_EMAPPING);
    assert_string_equal(err.file, "map.yaml");
    assert_int_equal(err.line, 11);
    assert_int_equal(err.col, 18);
    assert_string_equal(err.table, "members");
    assert_string_equal(err.column, "c1");
    assert_contains(err.msg, "unknown source column 'emial'");
    assert_contains(err.msg, "did you mean email?");
}

static void test_unknown_column_in_multiline_expression_gets_line_offset(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "phone", CUT_T_TEXT);
    ex(&p, "CASE\n"
           "  WHEN phone IS NULL THEN NULL\n"
           "  ELSE '+32' || substr(phnoe, 2)\n"
           "END");
    p.pos[0] = (cut_pos){20, 9};
    cut_error err;
    assert_int_equal(compile_err(&p, &err), CUT_EMAPPING);
    assert_int_equal(err.line, 22);
    assert_int_equal(err.col, 24); /* "  ELSE '+32' || substr(" is 23 characters */
    assert_contains(err.msg, "'phnoe'");
    assert_contains(err.msg, "did you mean phone?");
}

static void test_unknown_column_after_multibyte_text_counts_characters(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "name", CUT_T_TEXT);
    ex(&p, "'é' || nmae");
    p.pos[0] = (cut_pos){3, 5};
    cut_error err;
    assert_int_equal(compile_err(&p, &err), CUT_EMAPPING);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.col, 12); /* 'é' || is 7 characters, 8 bytes */
}

static void test_unknown_column_inside_a_string_literal_is_not_the_one_pointed_at(void **state)
{
    (void)state;
    /* The word also appears in a string literal before the real reference: the
       position must be the reference's, not the literal's. */
    prog p = {0};
    src(&p, "email", CUT_T_TEXT);
    ex(&p, "'emial: ' || emial");
    p.pos[0] = (cut_pos){4, 1};
    cut_error err;
    assert_int_equal(compile_err(&p, &err), CUT_EMAPPING);
    assert_int_equal(err.line, 4);
    assert_int_equal(err.col, 14);
}

static void test_unknown_column_in_where_points_into_where(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "email", CUT_T_TEXT);
    ex(&p, "email");
    p.where = "emails IS NOT NULL";
    p.where_pos = (cut_pos){30, 12};
    cut_error err;
    assert_int_equal(compile_err(&p, &err), CUT_EMAPPING);
    assert_int_equal(err.line, 30);
    assert_int_equal(err.col, 12);
    assert_contains(err.msg, "where");
    assert_contains(err.msg, "did you mean email?");
    assert_string_equal(err.column, "");
}

static void test_unknown_column_with_no_near_name_has_no_suggestion(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "id", CUT_T_INT);
    ex(&p, "zzzzzzzz");
    cut_error err;
    assert_int_equal(compile_err(&p, &err), CUT_EMAPPING);
    assert_contains(err.msg, "unknown source column 'zzzzzzzz'");
    assert_null(strstr(err.msg, "did you mean"));
}

static void test_syntax_error_is_a_mapping_error_at_the_expression(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "id", CUT_T_INT);
    ex(&p, "id +* 2");
    cut_error err;
    assert_int_equal(compile_err(&p, &err), CUT_EMAPPING);
    assert_int_equal(err.line, 10);
    assert_int_equal(err.col, 7);
    assert_contains(err.msg, "syntax error");
    assert_string_equal(err.column, "c0");
}

static void test_unknown_function_is_a_mapping_error(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "id", CUT_T_INT);
    ex(&p, "no_such_fn(id)");
    cut_error err;
    assert_int_equal(compile_err(&p, &err), CUT_EMAPPING);
    assert_contains(err.msg, "no_such_fn");
}

static void test_two_statements_are_rejected(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "id", CUT_T_INT);
    ex(&p, "1; DROP TABLE x");
    cut_error err;
    assert_int_equal(compile_err(&p, &err), CUT_EMAPPING);
    assert_int_equal(err.line, 10);
}

static void test_statement_smuggled_past_the_closing_parenthesis_is_rejected(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "id", CUT_T_INT);
    ex(&p, "1) FROM __cutover_row; DELETE FROM __cutover_row; SELECT (1");
    cut_error err;
    assert_int_equal(compile_err(&p, &err), CUT_EMAPPING);
    assert_contains(err.msg, "single SQL expression");
    assert_int_equal(err.line, 10);
    assert_int_equal(err.col, 7);
}

static void test_two_values_for_one_column_are_rejected(void **state)
{
    (void)state;
    /* "a), (b" closes the expression's parenthesis and opens another: the check
       statement would return two columns and every later output would shift. */
    prog p = {0};
    src(&p, "a", CUT_T_TEXT);
    src(&p, "b", CUT_T_TEXT);
    ex(&p, "lower(a)), (b");
    ex(&p, "b");
    cut_error err;
    assert_int_equal(compile_err(&p, &err), CUT_EMAPPING);
    assert_contains(err.msg, "must be a single SQL expression");
    assert_int_equal(err.line, 10);
    assert_string_equal(err.column, "c0");
}

static void test_unknown_column_names_the_source_table_once(void **state)
{
    (void)state;
    /* The target table and column are the error's context; the message names the
       source table the column is missing from, and does not repeat the column. */
    prog p = {0};
    src(&p, "email", CUT_T_TEXT);
    ex(&p, "lower(emial)");
    cut_error err;
    assert_int_equal(compile_err(&p, &err), CUT_EMAPPING);
    assert_string_equal(err.table, "members");
    assert_string_equal(err.msg, "unknown source column 'emial' in table clients (did you mean email?)");
}

static void test_reading_sqlite_schema_is_allowed_and_sees_only_the_row_table(void **state)
{
    (void)state;
    /* The engine is a private in-memory database: its schema holds only the
       helper table, so reading it leaks nothing of the source or target. */
    expect1("(SELECT count(*) FROM sqlite_schema)", "1");
}

static void test_pragma_table_function_is_refused(void **state)
{
    (void)state;
    static const char *const pragmas[] = {
        "(SELECT count(*) FROM pragma_database_list)",
        "(SELECT group_concat(name) FROM pragma_table_info('__cutover_row'))",
        "(SELECT * FROM pragma_user_version(7))",
    };
    for (size_t i = 0; i < sizeof(pragmas) / sizeof(pragmas[0]); i++) {
        prog p = {0};
        src(&p, "id", CUT_T_INT);
        ex(&p, pragmas[i]);
        cut_error err;
        assert_int_equal(compile_err(&p, &err), CUT_EMAPPING);
        assert_contains(err.msg, "only expressions over the source row are allowed");
        assert_int_equal(err.line, 10);
        assert_int_equal(err.col, 7);
    }
}

static void test_load_extension_compiles_but_fails_at_run_time(void **state)
{
    (void)state;
    /* Functions are allowed by the authorizer; extension loading stays disabled. */
    expect1_error("load_extension('/nonexistent/libx.so')", "not authorized");
}

/* ------------------------------------------------------------- inputs */

static void test_inputs_report_only_referenced_source_columns(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "a", CUT_T_INT);
    src(&p, "b", CUT_T_TEXT);
    src(&p, "c", CUT_T_TEXT);
    src(&p, "d", CUT_T_INT);
    src(&p, "email", CUT_T_TEXT);
    ex(&p, "c || a");
    ex(&p, "upper(EMAIL)"); /* case-insensitive reference */
    p.where = "d > 0";
    cut_expr *e = compile_ok(&p);
    int n = -1;
    const int *in = cut_expr_inputs(e, &n);
    assert_int_equal(n, 4);
    assert_int_equal(in[0], 0);
    assert_int_equal(in[1], 2);
    assert_int_equal(in[2], 3);
    assert_int_equal(in[3], 4);
    /* Unread inputs are never looked at: an unused cell can be anything. */
    run r;
    run_init(&r);
    cut_cell cells[] = {txt("1"), {NULL, 99, 0}, txt("x"), txt("5"), txt("a@b")};
    eval_ok(e, cells, &r);
    assert_cell(&r.out[0], "x1");
    assert_cell(&r.out[1], "A@B");
    assert_int_equal(r.keep, 1);
    run_free(&r);
    cut_expr_free(e);
}

static void test_constant_expression_has_no_inputs(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "a", CUT_T_INT);
    ex(&p, "'fixed'");
    cut_expr *e = compile_ok(&p);
    int n = -1;
    cut_expr_inputs(e, &n);
    assert_int_equal(n, 0);
    run r;
    run_init(&r);
    cut_cell cells[] = {txt("1")};
    eval_ok(e, cells, &r);
    assert_cell(&r.out[0], "fixed");
    run_free(&r);
    cut_expr_free(e);
}

/* ------------------------------------------------------- runtime errors */

static void test_runtime_error_names_the_failing_expression(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "id", CUT_T_INT);
    src(&p, "born", CUT_T_TEXT);
    src(&p, "phone", CUT_T_TEXT);
    ex(&p, "id");
    ex(&p, "upper(phone)");
    ex(&p, "parse_date(born, '%d/%m/%Y')");
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    cut_cell in[] = {txt("1"), txt("31/02/2024"), txt("x")};
    assert_int_equal(eval(e, in, &r), CUT_EDATA);
    assert_int_equal(r.failed, 2);
    assert_contains(cut_buf_cstr(&r.msg), "parse_date");
    assert_contains(r.msg.p, "31/02/2024");
    /* The program is usable again for the next row. */
    in[1] = txt("29/02/2024");
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "1");
    assert_cell(&r.out[1], "X");
    assert_cell(&r.out[2], "2024-02-29");
    run_free(&r);
    cut_expr_free(e);
}

static void test_runtime_error_in_first_expression_reports_index_zero(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "pat", CUT_T_TEXT);
    src(&p, "s", CUT_T_TEXT);
    ex(&p, "regexp_replace(s, pat, 'x')");
    ex(&p, "s");
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    cut_cell in[] = {txt("(unclosed"), txt("abc")};
    assert_int_equal(eval(e, in, &r), CUT_EDATA);
    assert_int_equal(r.failed, 0);
    assert_contains(cut_buf_cstr(&r.msg), "regexp_replace");
    assert_contains(r.msg.p, "invalid regular expression");
    run_free(&r);
    cut_expr_free(e);
}

static void test_runtime_error_in_where_reports_minus_one(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "d", CUT_T_TEXT);
    ex(&p, "d");
    p.where = "parse_date(d, '%Y-%m-%d') > '2000-01-01'";
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    cut_cell in[] = {txt("garbage")};
    assert_int_equal(eval(e, in, &r), CUT_EDATA);
    assert_int_equal(r.failed, -1);
    assert_contains(cut_buf_cstr(&r.msg), "parse_date");
    in[0] = txt("2020-05-01");
    eval_ok(e, in, &r);
    assert_int_equal(r.keep, 1);
    run_free(&r);
    cut_expr_free(e);
}

static void test_where_guards_expressions_of_rows_it_filters(void **state)
{
    (void)state;
    /* The filter runs first, as a WHERE clause: a row it excludes is filtered, and the
       expression that would fail on it is never evaluated. */
    prog p = {0};
    src(&p, "d", CUT_T_TEXT);
    ex(&p, "parse_date(d, '%d/%m/%Y')");
    p.where = "d <> 'n/a'";
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    cut_cell in[] = {txt("n/a")};
    assert_int_equal(eval(e, in, &r), CUT_OK);
    assert_int_equal(r.keep, 0);
    in[0] = txt("31/12/2020");
    eval_ok(e, in, &r);
    assert_int_equal(r.keep, 1);
    assert_cell(&r.out[0], "2020-12-31");
    in[0] = txt("31/02/2020");
    assert_int_equal(eval(e, in, &r), CUT_EDATA);
    assert_int_equal(r.failed, 0);
    run_free(&r);
    cut_expr_free(e);
}

static void test_rows_stream_through_filters_and_errors(void **state)
{
    (void)state;
    /* One statement serves row after row; a filtered row, an error and a kept row in
       any order each get their own answer, from their own values. */
    prog p = {0};
    src(&p, "d", CUT_T_TEXT);
    src(&p, "n", CUT_T_INT);
    ex(&p, "parse_date(d, '%d/%m/%Y')");
    ex(&p, "n * 2");
    p.where = "d <> 'n/a'";
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    static const struct {
        const char *d, *n;
        int rc, keep;
        const char *date, *twice;
    } rows[] = {
        {"01/01/2020", "1", CUT_OK, 1, "2020-01-01", "2"},
        {"n/a", "2", CUT_OK, 0, NULL, NULL},
        {"02/01/2020", "3", CUT_OK, 1, "2020-01-02", "6"},
        {"31/02/2020", "4", CUT_EDATA, 0, NULL, NULL},
        {"03/01/2020", "5", CUT_OK, 1, "2020-01-03", "10"},
        {"n/a", "6", CUT_OK, 0, NULL, NULL},
        {"n/a", "7", CUT_OK, 0, NULL, NULL},
        {"04/01/2020", "8", CUT_OK, 1, "2020-01-04", "16"},
        {"05/01/2020", "9", CUT_OK, 1, "2020-01-05", "18"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        cut_cell in[] = {txt(rows[i].d), txt(rows[i].n)};
        int rc = eval(e, in, &r);
        assert_int_equal(rc, rows[i].rc);
        if (rc)
            continue;
        assert_int_equal(r.keep, rows[i].keep);
        if (r.keep) {
            assert_cell(&r.out[0], rows[i].date);
            assert_cell(&r.out[1], rows[i].twice);
        }
    }
    run_free(&r);
    cut_expr_free(e);
}

static void test_aggregates_and_windows_see_one_row_at_a_time(void **state)
{
    (void)state;
    /* Each row is a table of its own: what counts or numbers rows sees one row. */
    prog p = {0};
    src(&p, "n", CUT_T_INT);
    ex(&p, "(SELECT count(*))");
    ex(&p, "row_number() OVER ()");
    ex(&p, "sum(n) OVER ()");
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    const char *ns[] = {"5", "7", "11"};
    for (int i = 0; i < 3; i++) {
        cut_cell in[] = {txt(ns[i])};
        eval_ok(e, in, &r);
        assert_int_equal(r.keep, 1);
        assert_cell(&r.out[0], "1");
        assert_cell(&r.out[1], "1");
        assert_cell(&r.out[2], ns[i]);
    }
    run_free(&r);
    cut_expr_free(e);
}

/* An aggregate returns its one row even when nothing passes the WHERE: a filtered row
   must still be filtered, not loaded with count 0 and max NULL. */
static void test_where_filters_a_row_whose_expressions_aggregate(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "d", CUT_T_TEXT);
    src(&p, "x", CUT_T_TEXT);
    ex(&p, "max(d)");
    ex(&p, "count(*)");
    ex(&p, "group_concat(x)");
    p.where = "x <> 'b'";
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    const char *xs[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        cut_cell in[] = {txt("2021-01-05"), txt(xs[i])};
        eval_ok(e, in, &r);
        assert_int_equal(r.keep, i != 1);
        if (r.keep) {
            assert_cell(&r.out[0], "2021-01-05");
            assert_cell(&r.out[1], "1");
            assert_cell(&r.out[2], xs[i]);
        }
    }
    run_free(&r);
    cut_expr_free(e);
}

static void memo_expect(const cut_expr *e, int on, uint64_t looks, uint64_t hits)
{
    int o;
    uint64_t l, h;
    cut_expr_memo_stats(e, &o, &l, &h);
    if (o != on || l != looks || h != hits) {
        print_error("memo: on %d, %llu looked up, %llu hits; expected %d, %llu, %llu\n", o,
                    (unsigned long long)l, (unsigned long long)h, on, (unsigned long long)looks,
                    (unsigned long long)hits);
        fail();
    }
}

static void test_rows_that_repeat_their_inputs_reuse_the_results(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "code", CUT_T_TEXT);
    src(&p, "n", CUT_T_INT);
    src(&p, "unread", CUT_T_TEXT);
    ex(&p, "upper(code) || n");
    ex(&p, "nullif(n, 2)");
    p.where = "code <> 'skip'";
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    /* code, n, unread (which no expression reads: it is not part of the key) */
    struct {
        const char *code, *n, *unread;
        int keep;
        const char *o0, *o1;
    } rows[] = {
        {"ab", "1", "x", 1, "AB1", "1"},   {"ab", "1", "y", 1, "AB1", "1"},
        {"ab", "2", "x", 1, "AB2", NULL},  {NULL, "1", "x", 0, NULL, NULL},
        {NULL, "1", "z", 0, NULL, NULL},   {"skip", "1", "x", 0, NULL, NULL},
        {"skip", "1", "x", 0, NULL, NULL}, {"ab", "2", "x", 1, "AB2", NULL},
        {"AB", "1", "x", 1, "AB1", "1"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        cut_cell in[] = {rows[i].code ? txt(rows[i].code) : nul(), txt(rows[i].n),
                         txt(rows[i].unread)};
        r.keep = -1;
        eval_ok(e, in, &r);
        assert_int_equal(r.keep, rows[i].keep);
        if (!rows[i].keep)
            continue;
        assert_cell(&r.out[0], rows[i].o0);
        if (rows[i].o1)
            assert_cell(&r.out[1], rows[i].o1);
        else
            assert_cell_null(&r.out[1]);
    }
    /* Rows 2, 5, 7 and 8 were seen before ("AB" is another value than "ab"). */
    memo_expect(e, 1, 9, 4);
    /* A result handed out from the memo is the row's own copy, in its arena. */
    cut_cell in[] = {txt("ab"), txt("1"), txt("x")};
    eval_ok(e, in, &r);
    assert_true(r.out[0].p != NULL && r.out[0].p[r.out[0].len] == '\0');
    memo_expect(e, 1, 10, 5);
    run_free(&r);
    cut_expr_free(e);
}

static void test_a_row_that_fails_is_never_taken_from_the_memo(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "born", CUT_T_TEXT);
    ex(&p, "parse_date(born, '%d/%m/%Y')");
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    for (int i = 0; i < 2; i++) {
        cut_cell in[] = {txt("31/02/2024")};
        assert_int_equal(eval(e, in, &r), CUT_EDATA);
        assert_int_equal(r.failed, 0);
        assert_contains(cut_buf_cstr(&r.msg), "31/02/2024");
    }
    memo_expect(e, 1, 2, 0);
    run_free(&r);
    cut_expr_free(e);
}

static void test_no_memo_for_functions_that_see_other_rows_or_the_clock(void **state)
{
    (void)state;
    const char *impure[] = {"row_number() OVER ()", "count(*)",       "(SELECT upper(code))",
                            "date(code)",           "max(code, 'x')", "changes()"};
    for (size_t i = 0; i < sizeof(impure) / sizeof(impure[0]); i++) {
        prog p = {0};
        src(&p, "code", CUT_T_TEXT);
        ex(&p, "lower(code)");
        ex(&p, impure[i]);
        cut_expr *e = compile_ok(&p);
        run r;
        run_init(&r);
        cut_cell in[] = {txt("2024-01-01")};
        eval_ok(e, in, &r);
        eval_ok(e, in, &r);
        memo_expect(e, 0, 0, 0);
        run_free(&r);
        cut_expr_free(e);
    }
}

static void test_memo_stops_looking_when_rows_do_not_repeat(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "n", CUT_T_INT);
    ex(&p, "n * 2");
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    char buf[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(buf, sizeof(buf), "%d", i % 5000);
        cut_cell in[] = {txt(buf)};
        eval_ok(e, in, &r);
        snprintf(buf, sizeof(buf), "%d", (i % 5000) * 2);
        assert_cell(&r.out[0], buf);
        cut_arena_reset(&r.arena);
    }
    /* Off after the trial's 4096 rows, none of them repeated: the second pass over the
       same values evaluates them again. */
    memo_expect(e, 0, 4096, 0);
    run_free(&r);
    cut_expr_free(e);
}

static void test_memo_can_be_turned_off_for_comparisons(void **state)
{
    (void)state;
    setenv("CUTOVER_NO_MEMO", "1", 1);
    prog p = {0};
    src(&p, "code", CUT_T_TEXT);
    ex(&p, "upper(code)");
    cut_expr *e = compile_ok(&p);
    unsetenv("CUTOVER_NO_MEMO");
    run r;
    run_init(&r);
    cut_cell in[] = {txt("a")};
    eval_ok(e, in, &r);
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "A");
    memo_expect(e, 0, 0, 0);
    run_free(&r);
    cut_expr_free(e);
}

static void test_text_with_a_nul_after_it_or_inside_keeps_every_byte(void **state)
{
    (void)state;
    /* Cells a batch copied end in a NUL (CUT_CELL_NUL): SQLite reads them in place. A
       NUL inside a value keeps the bytes after it. */
    prog p = {0};
    src(&p, "s", CUT_T_TEXT);
    ex(&p, "hex(lower(s))");
    ex(&p, "length(CAST(s AS BLOB))");
    ex(&p, "s || '!'");
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    static const char plain[] = "AbC";
    cut_cell in[] = {{plain, 3, CUT_CELL_NUL}};
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "616263");
    assert_cell(&r.out[1], "3");
    assert_cell(&r.out[2], "AbC!");
    static const char inner[] = "A\0B"; /* A, NUL, B, and the literal's NUL after them */
    in[0].p = inner;
    in[0].len = 3;
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "610062");
    assert_cell(&r.out[1], "3");
    assert_int_equal(r.out[2].len, 4);
    assert_memory_equal(r.out[2].p, "A\0B!", 4);
    run_free(&r);
    cut_expr_free(e);
}

/* ------------------------------------------------------- lower / upper */

static void test_lower_and_upper_map_unicode_letters(void **state)
{
    (void)state;
    expect1("lower('ÉCOLE')", "école");
    expect1("upper('école')", "ÉCOLE");
    expect1("lower('Zoë')", "zoë");
    expect1("upper('Zoë')", "ZOË");
    expect1("upper('straße')", "STRAßE"); /* simple case mapping: ß has no one-letter upper */
    expect1("lower('STRASSE')", "strasse");
    expect1("lower('ΑΘΗΝΑ')", "αθηνα");
    expect1("lower('Hello World 123 !')", "hello world 123 !");
    expect1("upper('Hello World 123 !')", "HELLO WORLD 123 !");
    expect1("lower('')", "");
}

static void test_lower_of_null_is_null(void **state)
{
    (void)state;
    expect1("lower(NULL)", "<NULL>");
    expect1("upper(NULL)", "<NULL>");
}

static void test_lower_folds_ascii_only_in_invalid_utf8(void **state)
{
    (void)state;
    expect1("hex(lower(CAST(x'C0414243' AS TEXT)))", "C0616263");
}

/* ------------------------------------------------------------ regexps */

static void test_regexp_function_and_operator_match(void **state)
{
    (void)state;
    expect1("regexp('^a.c$', 'abc')", "1");
    expect1("regexp('^b', 'abc')", "0");
    expect1("'abc' REGEXP '^ab'", "1");
    expect1("'abc' REGEXP 'x'", "0");
    expect1("'Zoë' REGEXP '^Zo.$'", "1"); /* UTF-8 mode: ë is one character */
    expect1("NULL REGEXP 'x'", "<NULL>");
    expect1("'x' REGEXP NULL", "<NULL>");
    expect1_error("'x' REGEXP '('", "invalid regular expression");
}

static void test_regexp_pattern_from_a_column_changes_per_row(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "pat", CUT_T_TEXT);
    src(&p, "s", CUT_T_TEXT);
    ex(&p, "s REGEXP pat");
    ex(&p, "regexp_replace(s, pat, '_')");
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    cut_cell in[] = {txt("^a"), txt("abc")};
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "1");
    assert_cell(&r.out[1], "_bc");
    in[0] = txt("^b");
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "0");
    assert_cell(&r.out[1], "abc");
    in[0] = txt("c$");
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "1");
    assert_cell(&r.out[1], "ab_");
    run_free(&r);
    cut_expr_free(e);
}

static void test_regexp_replace_replaces_first_match_unless_g(void **state)
{
    (void)state;
    expect1("regexp_replace('aaa', 'a', 'b')", "baa");
    expect1("regexp_replace('aaa', 'a', 'b', 'g')", "bbb");
    expect1("regexp_replace('+32 (0)2 555 12 34', '[^0-9+]', '', 'g')", "+32025551234");
    expect1("regexp_replace('abc', 'x', 'y')", "abc");
}

static void test_regexp_replace_i_ignores_case(void **state)
{
    (void)state;
    expect1("regexp_replace('ABCabc', 'b', 'x')", "ABCaxc");
    expect1("regexp_replace('ABCabc', 'b', 'x', 'i')", "AxCabc");
    expect1("regexp_replace('ABCabc', 'b', 'x', 'gi')", "AxCaxc");
    expect1("regexp_replace('ÉCOLE école', 'é', 'e', 'gi')", "eCOLE ecole");
}

static void test_regexp_replace_flags_per_row_with_constant_pattern(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "flags", CUT_T_TEXT);
    ex(&p, "regexp_replace('aAaA', 'a', '-', flags)");
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    cut_cell in[] = {txt("g")};
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "-A-A");
    in[0] = txt("gi");
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "----");
    in[0] = txt("");
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "-AaA");
    run_free(&r);
    cut_expr_free(e);
}

/* The same call twice in a row (CASE WHEN regexp_replace(x, …) … THEN regexp_replace(x, …))
   is answered from the last result: only when subject, pattern, replacement and flags are
   all the same. */
static void test_regexp_replace_repeated_call_is_the_same_call(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "s", CUT_T_TEXT);
    src(&p, "r", CUT_T_TEXT);
    ex(&p, "regexp_replace(s, '[^0-9]', '', 'g') || '|' || regexp_replace(s, '[^0-9]', '', 'g')");
    ex(&p, "regexp_replace(s, '[^0-9]', r, 'g') || '|' || regexp_replace(s, '[^0-9]', 'x', 'g')");
    ex(&p, "regexp_replace(s, '[^0-9]', '') || '|' || regexp_replace(s, '[^0-9]', '', 'g')");
    ex(&p, "regexp_replace(s, '[0-9]', '', 'g') || '|' || regexp_replace(s, '[^0-9]', '', 'g')");
    ex(&p, "regexp_replace(s, 'A', '', 'g') || '|' || regexp_replace(s, 'A', '', 'gi')");
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    cut_cell in[] = {txt("a1 b2 A3"), txt("-")};
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "123|123");
    assert_cell(&r.out[1], "-1--2--3|x1xx2xx3");
    assert_cell(&r.out[2], "1 b2 A3|123");
    assert_cell(&r.out[3], "a b A|123");
    assert_cell(&r.out[4], "a1 b2 3|1 b2 3");
    in[0] = txt("9 z");
    in[1] = txt("");
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "9|9");
    assert_cell(&r.out[1], "9|9xx");
    assert_cell(&r.out[2], "9z|9");
    assert_cell(&r.out[3], " z|9");
    assert_cell(&r.out[4], "9 z|9 z");
    in[0] = txt("");
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "|");
    run_free(&r);
    cut_expr_free(e);
}

/* regexp_replace(x, '[class]', '', 'g') deletes the class's bytes without PCRE2's
   substitution; the same pattern in a group goes through it: both agree, beyond ASCII,
   on NUL bytes and on invalid UTF-8 (which PCRE2 leaves in place). */
static void test_regexp_replace_of_one_class_agrees_with_pcre2(void **state)
{
    (void)state;
    static const char *const classes[] = {"[^0-9+]", "[ .()-]", "[a-c]", "[^a-z]"};
    prog p = {0};
    src(&p, "s", CUT_T_TEXT);
    char texts[8][64];
    for (int i = 0; i < 4; i++) {
        snprintf(texts[2 * i], sizeof(texts[0]), "regexp_replace(s, '%s', '', 'g')", classes[i]);
        snprintf(texts[2 * i + 1], sizeof(texts[0]), "regexp_replace(s, '(?:%s)', '', 'g')",
                 classes[i]);
        ex(&p, texts[2 * i]);
        ex(&p, texts[2 * i + 1]);
    }
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    static const char nul[] = "a1\0b2";
    static const char bad[] = "\xff"
                              "1c\xfe"
                              "2";
    cut_cell subjects[] = {txt("+32 (0)4 123.45-67"),
                           txt("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 1a2b3c"),
                           txt(""),
                           raw(nul, sizeof(nul) - 1),
                           raw(bad, sizeof(bad) - 1),
                           txt("abc")};
    for (size_t k = 0; k < sizeof(subjects) / sizeof(subjects[0]); k++) {
        eval_ok(e, &subjects[k], &r);
        for (int i = 0; i < 4; i++) {
            const cut_cell *a = &r.out[2 * i], *b = &r.out[2 * i + 1];
            if (a->len != b->len || memcmp(a->p, b->p, a->len) != 0) {
                print_error("subject %zu, %s: '%.*s' against '%.*s'\n", k, classes[i], (int)a->len,
                            a->p, (int)b->len, b->p);
                fail();
            }
        }
        if (k == 0) {
            assert_cell(&r.out[0], "+320412345"
                                   "67");
            assert_cell(&r.out[2], "+3204123"
                                   "4567");
        }
        if (k == 1) {
            assert_cell(&r.out[0], "123");
            assert_cell(&r.out[4], "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 123");
            assert_cell(&r.out[6], "abc");
        }
        if (k == 4)
            assert_cell(&r.out[0], "\xff"
                                   "1\xfe"
                                   "2"); /* invalid bytes stay, as in PCRE2 */
    }
    run_free(&r);
    cut_expr_free(e);
}

static void test_regexp_replace_backrefs_and_whole_match(void **state)
{
    (void)state;
    expect1("regexp_replace('John Smith', '(\\w+) (\\w+)', '\\2, \\1')", "Smith, John");
    expect1("regexp_replace('abc', 'b', '[\\&]')", "a[b]c");
    expect1("regexp_replace('a1b2', '([a-z])([0-9])', '\\2\\1', 'g')", "1a2b");
}

static void test_regexp_replace_unset_optional_group_gives_empty_text(void **state)
{
    (void)state;
    /* PostgreSQL substitutes an empty string for a group that did not take part
       in the match ("(\\+)?" on a number without a sign). */
    expect1("regexp_replace('32', '^(\\+)?([0-9]+)$', '[\\1]\\2')", "[]32");
    expect1("regexp_replace('+32', '^(\\+)?([0-9]+)$', '[\\1]\\2')", "[+]32");
}

static void test_regexp_replace_keeps_dollar_and_backslash_literal(void **state)
{
    (void)state;
    expect1("regexp_replace('price 10', '([0-9]+)', '$\\1')", "price $10");
    expect1("regexp_replace('a', 'a', '$0 $1 ${1}')", "$0 $1 ${1}");
    expect1("regexp_replace('a/b', '/', '\\\\')", "a\\b");
}

static void test_regexp_replace_output_longer_than_input(void **state)
{
    (void)state;
    char sql[512], want[2048];
    char s[101];
    memset(s, 'a', 100);
    s[100] = '\0';
    snprintf(sql, sizeof(sql), "regexp_replace('%s', 'a', 'XXXXXXXXXX', 'g')", s);
    memset(want, 'X', 1000);
    want[1000] = '\0';
    expect1(sql, want);
}

static void test_regexp_replace_errors(void **state)
{
    (void)state;
    expect1_error("regexp_replace('abc', '(', 'x')", "invalid regular expression");
    expect1_error("regexp_replace('abc', 'b', 'x', 'z')", "unknown flag 'z'");
    expect1("regexp_replace(NULL, 'b', 'x')", "<NULL>");
    expect1("regexp_replace('abc', NULL, 'x')", "<NULL>");
    expect1("regexp_replace('abc', 'b', NULL)", "<NULL>");
}

/* ----------------------------------------------------------- split_part */

static void test_split_part_counts_from_either_end(void **state)
{
    (void)state;
    expect1("split_part('a,b,c', ',', 1)", "a");
    expect1("split_part('a,b,c', ',', 2)", "b");
    expect1("split_part('a,b,c', ',', 3)", "c");
    expect1("split_part('a,b,c', ',', -1)", "c");
    expect1("split_part('a,b,c', ',', -3)", "a");
    expect1("split_part('a::b::c', '::', -2)", "b");
    expect1("split_part('a,,c', ',', 2)", "");
}

static void test_split_part_out_of_range_is_empty(void **state)
{
    (void)state;
    expect1("split_part('a,b,c', ',', 4)", "");
    expect1("split_part('a,b,c', ',', -4)", "");
    expect1("split_part('', ',', 1)", "");
    expect1("split_part('abc', ',', 1)", "abc");
    expect1("split_part('abc', ',', 2)", "");
}

static void test_split_part_zero_position_is_an_error(void **state)
{
    (void)state;
    expect1_error("split_part('a,b', ',', 0)", "must not be zero");
}

static void test_split_part_empty_delimiter_returns_whole_string_for_1_and_minus_1(void **state)
{
    (void)state;
    expect1("split_part('abc', '', 1)", "abc");
    expect1("split_part('abc', '', -1)", "abc");
    expect1("split_part('abc', '', 2)", "");
    expect1("split_part(NULL, ',', 1)", "<NULL>");
}

/* ----------------------------------------------------------- parse_date */

static void test_parse_date_with_day_month_year(void **state)
{
    (void)state;
    expect1("parse_date('25/12/2023', '%d/%m/%Y')", "2023-12-25");
    expect1("parse_date('1/2/2024', '%d/%m/%Y')", "2024-02-01");
    expect1("parse_date('29/02/2024', '%d/%m/%Y')", "2024-02-29");
    expect1("parse_date('2024-03', '%Y-%m')", "2024-03-01");
    expect1("parse_date('25/12/2023  ', '%d/%m/%Y')", "2023-12-25");
    expect1("parse_date(NULL, '%d/%m/%Y')", "<NULL>");
}

static void test_parse_date_with_time_fields_gives_a_timestamp(void **state)
{
    (void)state;
    expect1("parse_date('25/12/2023 14:05:09', '%d/%m/%Y %H:%M:%S')", "2023-12-25 14:05:09");
    expect1("parse_date('25/12/2023 14:05', '%d/%m/%Y %H:%M')", "2023-12-25 14:05:00");
    expect1("parse_date('2023-12-25T07:08:09', '%Y-%m-%dT%T')", "2023-12-25 07:08:09");
    /* Every time conversion counts, a literal %% does not. */
    expect1("parse_date('2021-03-05 01:02:03 PM', '%Y-%m-%d %r')", "2021-03-05 13:02:03");
    expect1("parse_date('2021-03-05 10:11:12', '%Y-%m-%d %X')", "2021-03-05 10:11:12");
    expect1("parse_date('2021-03-05 %H', '%Y-%m-%d %%H')", "2021-03-05");
}

/* What strptime would read differently elsewhere, or drop, is refused by its format. */
static void test_parse_date_refuses_epoch_and_offsets(void **state)
{
    (void)state;
    expect1_error("parse_date('1700000000', '%s')", "datetime(x, 'unixepoch')");
    expect1_error("parse_date('2021-03-05 10:00:00+0200', '%Y-%m-%d %H:%M:%S%z')",
                  "would read a UTC offset and drop it");
    expect1_error("parse_date('2021-03-05 23:59:60', '%Y-%m-%d %H:%M:%S')", "does not match");
}

static void test_parse_date_invalid_day_is_an_error(void **state)
{
    (void)state;
    expect1_error("parse_date('31/02/2024', '%d/%m/%Y')", "does not match");
    expect1_error("parse_date('29/02/2023', '%d/%m/%Y')", "does not match");
    expect1_error("parse_date('hello', '%d/%m/%Y')", "'hello'");
    expect1_error("parse_date('25/12/2023x', '%d/%m/%Y')", "does not match");
    expect1_error("parse_date('25/13/2023', '%d/%m/%Y')", "does not match");
}

/* --------------------------------------------------------------- lookup */

static const char LOOKUP_YAML[] = "lookups:\n"
                                  "  gyms: { BRU1: Brussels Centre, ANT1: Antwerp, OLD: null }\n"
                                  "  codes:\n"
                                  "    1: one\n"
                                  "    '': blank\n"
                                  "tables:\n"
                                  "  t: {}\n";

static cut_mapping *lookup_mapping(void)
{
    cut_mapping *m = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = cut_mapping_parse("lk.yaml", LOOKUP_YAML, strlen(LOOKUP_YAML), &m, &err);
    if (rc)
        print_error("mapping: %s\n", err.msg);
    assert_int_equal(rc, CUT_OK);
    return m;
}

static void expect_lookup(const cut_mapping *m, const char *text, const char *want)
{
    char *got = eval1_m(text, m);
    if (strcmp(got, want) != 0 && !(strncmp(want, "<ERROR", 6) == 0 && strstr(got, want + 7))) {
        print_error("%s: expected '%s', got '%s'\n", text, want, got);
        free(got);
        fail();
    }
    free(got);
}

static void test_lookup_hit_miss_and_null(void **state)
{
    (void)state;
    cut_mapping *m = lookup_mapping();
    expect_lookup(m, "lookup('gyms', 'BRU1')", "Brussels Centre");
    expect_lookup(m, "lookup('gyms', 'ANT1')", "Antwerp");
    expect_lookup(m, "lookup('gyms', 'GHE1')", "<NULL>");
    expect_lookup(m, "lookup('gyms', 'bru1')", "<NULL>"); /* keys are exact */
    expect_lookup(m, "lookup('gyms', NULL)", "<NULL>");
    expect_lookup(m, "lookup('gyms', 'OLD')", "<NULL>"); /* a YAML null value */
    expect_lookup(m, "lookup('codes', '')", "blank");
    cut_mapping_free(m);
}

static void test_lookup_integer_key_matches_text_key(void **state)
{
    (void)state;
    cut_mapping *m = lookup_mapping();
    prog p = {0};
    p.m = m;
    src(&p, "code", CUT_T_INT);
    ex(&p, "lookup('codes', code)");
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    cut_cell in[] = {txt("1")};
    eval_ok(e, in, &r);
    assert_cell(&r.out[0], "one");
    in[0] = txt("2");
    eval_ok(e, in, &r);
    assert_cell_null(&r.out[0]);
    run_free(&r);
    cut_expr_free(e);
    cut_mapping_free(m);
}

/* More source columns than SQLite lets a table have: said in the mapping's words. */
static void test_too_many_source_columns_for_expressions_is_a_mapping_error(void **state)
{
    (void)state;
    enum { N = 2001 };
    static char names[N][8];
    static const char *np[N];
    static cut_type types[N];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "c%d", i);
        np[i] = names[i];
        types[i].kind = CUT_T_TEXT;
    }
    const char *exprs[] = {"upper(c1)"};
    cut_pos pos[] = {{12, 7}};
    cut_expr_spec s;
    memset(&s, 0, sizeof(s));
    s.file = "map.yaml";
    s.table = "wide";
    s.source = "wide";
    s.nsrc = N;
    s.src_names = np;
    s.src_types = types;
    s.nexpr = 1;
    s.exprs = exprs;
    s.expr_pos = pos;
    cut_expr *e = NULL;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_expr_compile(&s, &e, &err), CUT_EMAPPING);
    assert_null(e);
    assert_contains(err.msg, "source table wide has 2001 columns, more than expressions can see");
    assert_contains(err.msg, "copy its columns by name");
    assert_int_equal(err.line, 12);
}

/* The helper table the slow path fills with a failing row is empty again afterwards: a
   subquery over it cannot carry that row's values into the next one. */
static void test_a_failed_row_never_reaches_the_next(void **state)
{
    (void)state;
    prog p = {0};
    src(&p, "x", CUT_T_TEXT);
    ex(&p, "parse_date(x, '%Y')");
    ex(&p, "(SELECT max(x) FROM __cutover_row)");
    cut_expr *e = compile_ok(&p);
    run r;
    run_init(&r);
    cut_cell bad[] = {txt("not a year")};
    int keep = 0, failed = -1;
    assert_int_equal(cut_expr_eval(e, bad, r.out, &r.arena, &keep, &failed, &r.msg), CUT_EDATA);
    assert_int_equal(failed, 0);
    cut_cell good[] = {txt("2020")};
    eval_ok(e, good, &r);
    assert_cell(&r.out[0], "2020-01-01");
    assert_true(cut_cell_is_null(&r.out[1]));
    run_free(&r);
    cut_expr_free(e);
}

/* A text column compared with a number gives one result for every row (a CSV's columns
   are all text): refused where it is written, with the ways to write it. */
static void test_text_compared_with_a_number_is_a_compile_error(void **state)
{
    (void)state;
    static const struct {
        const char *expr, *shown;
        int col; /* offset of the comparison in the expression */
    } bad[] = {
        {"is_active = 1", "`is_active = 1`", 0},
        {"CASE WHEN amt > 10 THEN 'big' END", "`amt > 10`", 10},
        {"coalesce(code, 'x') = 'y' OR code IN (1, 2)", "`code IN (1`", 29},
        {"code NOT BETWEEN -1 AND 3", "`code NOT BETWEEN -1`", 0},
        {"CASE code WHEN 1 THEN 'a' END", "`code WHEN 1`", 5},
        {"10 <= amt", "`10 <= amt`", 0},
        {"\"amt\" <> 0.5", "`\"amt\" <> 0.5`", 0},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        prog p = {0};
        src(&p, "is_active", CUT_T_TEXT);
        src(&p, "amt", CUT_T_TEXT);
        src(&p, "code", CUT_T_TEXT);
        ex(&p, bad[i].expr);
        cut_error err;
        if (compile_err(&p, &err) != CUT_EMAPPING)
            fail_msg("'%s' compiled", bad[i].expr);
        assert_contains(err.msg, bad[i].shown);
        assert_contains(err.msg, "compares text with a number and gives the same result for every row");
        assert_contains(err.msg, "CAST(");
        assert_int_equal(err.line, 10);
        assert_int_equal(err.col, 7 + bad[i].col);
    }
    /* The ways to write it, numbers that are numbers, and text with text. */
    static const char *const good[] = {
        "CAST(is_active AS INTEGER) = 1", "is_active = '1'", "length(code) > 3",
        "amt + 0 > 10", "n = 1", "n IN (1, 2)", "CASE n WHEN 1 THEN code END",
        "substr(code, 1, 2) = '12'", "'10' = code", "(SELECT 1 WHERE 2 > 1)", "-- code = 1\n n",
        "'code = 1'"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        prog p = {0};
        src(&p, "is_active", CUT_T_TEXT);
        src(&p, "amt", CUT_T_TEXT);
        src(&p, "code", CUT_T_TEXT);
        src(&p, "n", CUT_T_INT);
        ex(&p, good[i]);
        cut_expr_free(compile_ok(&p));
    }
    /* In where: too. */
    prog p = {0};
    src(&p, "amt", CUT_T_TEXT);
    ex(&p, "amt");
    p.where = "amt > 10";
    p.where_pos = (cut_pos){4, 12};
    cut_error err;
    assert_int_equal(compile_err(&p, &err), CUT_EMAPPING);
    assert_contains(err.msg, "where: amt is text in clients");
    assert_int_equal(err.line, 4);
    assert_int_equal(err.col, 12);
}

static void test_lookup_unknown_name_is_a_compile_error_with_a_suggestion(void **state)
{
    (void)state;
    cut_mapping *m = lookup_mapping();
    prog p = {0};
    p.m = m;
    ex(&p, "coalesce(lookup('gym', 'BRU1'), '?')");
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(compile_err(&p, &err), CUT_EMAPPING);
    assert_contains(err.msg, "unknown lookup 'gym'");
    assert_contains(err.msg, "did you mean gyms?");
    assert_int_equal(err.col, p.pos[0].col + 9); /* points at lookup( */
    /* A name computed at run time is checked when it is evaluated. */
    char *got = eval1_m("lookup('gy' || 'mz', 'BRU1')", m);
    assert_contains(got, "<ERROR: ");
    assert_contains(got, "unknown lookup 'gymz'");
    assert_contains(got, "gyms, codes");
    free(got);
    got = eval1_m("lookup(NULL, 'BRU1')", m);
    assert_contains(got, "must not be NULL");
    free(got);
    cut_mapping_free(m);
    /* Without a mapping there is nothing to look up. */
    prog q = {0};
    ex(&q, "lookup('gyms', 'x')");
    cut_error_clear(&err);
    assert_int_equal(compile_err(&q, &err), CUT_EMAPPING);
    assert_contains(err.msg, "no lookups");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inputs_bind_with_the_storage_class_of_their_logical_type),
        cmocka_unit_test(test_int_input_compares_equal_to_integer_literal_and_text_to_text),
        cmocka_unit_test(test_bool_t_binds_one_and_f_binds_zero),
        cmocka_unit_test(test_numeric_input_behaves_as_a_number_in_comparisons),
        cmocka_unit_test(test_numeric_with_more_than_15_significant_digits_binds_as_text),
        cmocka_unit_test(test_float_input_binds_as_real_and_renders_shortest_round_trip),
        cmocka_unit_test(test_text_and_bytes_inputs_keep_their_bytes),
        cmocka_unit_test(test_null_input_is_sql_null),
        cmocka_unit_test(test_results_render_by_storage_class),
        cmocka_unit_test(test_concat_over_several_inputs),
        cmocka_unit_test(test_quoted_source_column_names_work),
        cmocka_unit_test(test_expression_ending_in_a_line_comment_compiles),
        cmocka_unit_test(test_where_true_keeps_false_and_null_filter),
        cmocka_unit_test(test_where_alone_without_expressions),
        cmocka_unit_test(test_unknown_column_points_at_it_and_suggests_nearest),
        cmocka_unit_test(test_unknown_column_in_multiline_expression_gets_line_offset),
        cmocka_unit_test(test_unknown_column_after_multibyte_text_counts_characters),
        cmocka_unit_test(test_unknown_column_inside_a_string_literal_is_not_the_one_pointed_at),
        cmocka_unit_test(test_unknown_column_in_where_points_into_where),
        cmocka_unit_test(test_unknown_column_with_no_near_name_has_no_suggestion),
        cmocka_unit_test(test_syntax_error_is_a_mapping_error_at_the_expression),
        cmocka_unit_test(test_unknown_function_is_a_mapping_error),
        cmocka_unit_test(test_two_statements_are_rejected),
        cmocka_unit_test(test_statement_smuggled_past_the_closing_parenthesis_is_rejected),
        cmocka_unit_test(test_two_values_for_one_column_are_rejected),
        cmocka_unit_test(test_unknown_column_names_the_source_table_once),
        cmocka_unit_test(test_reading_sqlite_schema_is_allowed_and_sees_only_the_row_table),
        cmocka_unit_test(test_pragma_table_function_is_refused),
        cmocka_unit_test(test_load_extension_compiles_but_fails_at_run_time),
        cmocka_unit_test(test_inputs_report_only_referenced_source_columns),
        cmocka_unit_test(test_constant_expression_has_no_inputs),
        cmocka_unit_test(test_runtime_error_names_the_failing_expression),
        cmocka_unit_test(test_runtime_error_in_first_expression_reports_index_zero),
        cmocka_unit_test(test_runtime_error_in_where_reports_minus_one),
        cmocka_unit_test(test_where_guards_expressions_of_rows_it_filters),
        cmocka_unit_test(test_rows_stream_through_filters_and_errors),
        cmocka_unit_test(test_aggregates_and_windows_see_one_row_at_a_time),
        cmocka_unit_test(test_where_filters_a_row_whose_expressions_aggregate),
        cmocka_unit_test(test_rows_that_repeat_their_inputs_reuse_the_results),
        cmocka_unit_test(test_a_row_that_fails_is_never_taken_from_the_memo),
        cmocka_unit_test(test_no_memo_for_functions_that_see_other_rows_or_the_clock),
        cmocka_unit_test(test_memo_stops_looking_when_rows_do_not_repeat),
        cmocka_unit_test(test_memo_can_be_turned_off_for_comparisons),
        cmocka_unit_test(test_text_with_a_nul_after_it_or_inside_keeps_every_byte),
        cmocka_unit_test(test_lower_and_upper_map_unicode_letters),
        cmocka_unit_test(test_lower_of_null_is_null),
        cmocka_unit_test(test_lower_folds_ascii_only_in_invalid_utf8),
        cmocka_unit_test(test_regexp_function_and_operator_match),
        cmocka_unit_test(test_regexp_pattern_from_a_column_changes_per_row),
        cmocka_unit_test(test_regexp_replace_replaces_first_match_unless_g),
        cmocka_unit_test(test_regexp_replace_i_ignores_case),
        cmocka_unit_test(test_regexp_replace_flags_per_row_with_constant_pattern),
        cmocka_unit_test(test_regexp_replace_repeated_call_is_the_same_call),
        cmocka_unit_test(test_regexp_replace_of_one_class_agrees_with_pcre2),
        cmocka_unit_test(test_regexp_replace_backrefs_and_whole_match),
        cmocka_unit_test(test_regexp_replace_unset_optional_group_gives_empty_text),
        cmocka_unit_test(test_regexp_replace_keeps_dollar_and_backslash_literal),
        cmocka_unit_test(test_regexp_replace_output_longer_than_input),
        cmocka_unit_test(test_regexp_replace_errors),
        cmocka_unit_test(test_split_part_counts_from_either_end),
        cmocka_unit_test(test_split_part_out_of_range_is_empty),
        cmocka_unit_test(test_split_part_zero_position_is_an_error),
        cmocka_unit_test(test_split_part_empty_delimiter_returns_whole_string_for_1_and_minus_1),
        cmocka_unit_test(test_parse_date_with_day_month_year),
        cmocka_unit_test(test_parse_date_with_time_fields_gives_a_timestamp),
        cmocka_unit_test(test_parse_date_refuses_epoch_and_offsets),
        cmocka_unit_test(test_parse_date_invalid_day_is_an_error),
        cmocka_unit_test(test_lookup_hit_miss_and_null),
        cmocka_unit_test(test_lookup_integer_key_matches_text_key),
        cmocka_unit_test(test_lookup_unknown_name_is_a_compile_error_with_a_suggestion),
        cmocka_unit_test(test_text_compared_with_a_number_is_a_compile_error),
        cmocka_unit_test(test_a_failed_row_never_reaches_the_next),
        cmocka_unit_test(test_too_many_source_columns_for_expressions_is_a_mapping_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
