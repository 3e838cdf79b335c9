/* test_util.c — UTF-8 validation, suggestions, printable values, errors, arenas, batches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "row.h"
#include "util.h"

static void test_utf8_accepts_valid_text(void **state)
{
    size_t n = 0, bad = 0;
    const char *s = "zoë 日本語 💪";
    assert_true(cut_utf8_valid(s, strlen(s), &n, &bad));
    assert_int_equal(n, 9);
}

static void test_utf8_rejects_overlong_surrogate_and_truncated(void **state)
{
    size_t bad = 99;
    assert_false(cut_utf8_valid("ab\xC0\xAF", 4, NULL, &bad));
    assert_int_equal(bad, 2);
    assert_false(cut_utf8_valid("\xED\xA0\x80", 3, NULL, &bad));
    assert_int_equal(bad, 0);
    assert_false(cut_utf8_valid("abcdefghi\xE2\x82", 11, NULL, &bad));
    assert_int_equal(bad, 9);
    assert_false(cut_utf8_valid("\xF4\x90\x80\x80", 4, NULL, &bad)); /* > U+10FFFF */
    assert_false(cut_utf8_valid("\xFF", 1, NULL, &bad));
}

static void test_utf8_encode_decode_round_trip(void **state)
{
    uint32_t cps[] = {0x41, 0xE9, 0x65E5, 0x1F4AA};
    for (size_t i = 0; i < 4; i++) {
        char buf[4];
        int n = cut_utf8_encode(cps[i], buf);
        uint32_t back;
        assert_int_equal(cut_utf8_decode((const unsigned char *)buf, (size_t)n, &back), n);
        assert_int_equal(back, cps[i]);
    }
}

static void test_suggest_names_the_nearest(void **state)
{
    const char *names[] = {"first_name", "last_name", "email", "phone", "birth_date"};
    char buf[128];
    cut_suggest("emial", names, 5, buf, sizeof(buf));
    assert_string_equal(buf, "email");
    cut_suggest("frist_name", names, 5, buf, sizeof(buf));
    assert_string_equal(buf, "first_name");
    cut_suggest("zzzzzz", names, 5, buf, sizeof(buf));
    assert_string_equal(buf, "");
}

static void test_printable_escapes_and_quotes(void **state)
{
    cut_buf b = {0};
    assert_string_equal(cut_printable("it's\n", 5, 0, 0, &b), "'it''s\\n'");
    assert_string_equal(cut_printable(NULL, 0, 1, 0, &b), "NULL");
    assert_string_equal(cut_printable("a\xFF", 2, 0, 0, &b), "'a\\xFF'");
    cut_buf_free(&b);
}

static void test_error_format_has_context(void **state)
{
    cut_error e;
    cut_error_clear(&e);
    cut_error_set(&e, CUT_EDATA, "bad value");
    cut_error_set_pos(&e, "m.yaml", 3, 7);
    cut_error_set_table(&e, "members");
    cut_error_set_column(&e, "email");
    cut_error_set_key(&e, "id=42");
    char buf[256];
    assert_string_equal(cut_error_format(&e, buf, sizeof(buf)),
                        "m.yaml:3:7: table members, column email, key id=42: bad value");
    cut_error_prefix(&e, "while %s", "loading");
    assert_string_equal(e.msg, "while loading: bad value");
}

static void test_arena_reuses_memory_after_reset(void **state)
{
    cut_arena a;
    cut_arena_init(&a, 1024);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 100; i++)
            assert_non_null(cut_arena_dup(&a, "hello world", 11));
        cut_arena_reset(&a);
    }
    size_t after = a.bytes;
    for (int i = 0; i < 100; i++)
        assert_non_null(cut_arena_dup(&a, "hello world", 11));
    assert_int_equal(a.bytes, after); /* no growth once warm */
    cut_arena_free(&a);
}

static void test_batch_cells(void **state)
{
    cut_batch *b = cut_batch_new(2, 4);
    assert_non_null(b);
    assert_int_equal(cut_batch_set_copy(b, 0, 0, "abc", 3), 0);
    cut_batch_set_null(b, 0, 1);
    b->nrows = 1;
    assert_int_equal(cut_batch_row(b, 0)[0].len, 3);
    assert_memory_equal(cut_batch_row(b, 0)[0].p, "abc", 3);
    assert_true(cut_cell_is_null(&cut_batch_row(b, 0)[1]));
    cut_batch_reset(b);
    assert_int_equal(b->nrows, 0);
    cut_batch_free(b);
    cut_batch_free(NULL);
}

static void test_json_string_escapes(void **state)
{
    cut_buf b = {0};
    cut_json_string(&b, "a\"b\\c\n\x01", 7);
    assert_string_equal(b.p, "\"a\\\"b\\\\c\\n\\u0001\"");
    cut_buf_free(&b);
}

static void test_json_string_shows_invalid_utf8_as_replacement_characters(void **state)
{
    /* 0xE8 alone is not UTF-8: written as \u00e8 it would read back as a valid 'è',
       and a rejected value would look like a good one. */
    cut_buf b = {0};
    cut_json_string(&b, "Li\xE8ge \xC3\xA8", 8);
    assert_string_equal(b.p, "\"Li\\ufffdge \xC3\xA8\"");
    cut_buf_free(&b);
}

/* A secret in a message is replaced, every time; where "***" does not fit the message
   is cut rather than left holding it. */
static void test_scrub_hides_every_occurrence_or_cuts_the_message(void **state)
{
    (void)state;
    char buf[64] = "pw Right@Pw9x and again Right@Pw9x.";
    cut_scrub(buf, sizeof(buf), "Right@Pw9x");
    assert_string_equal(buf, "pw *** and again ***.");
    char small[7] = "ab xy"; /* "ab ***y" needs 8 bytes */
    cut_scrub(small, sizeof(small), "x");
    assert_string_equal(small, "ab ");
    char same[16] = "a**b";
    cut_scrub(same, sizeof(same), "*");
    assert_string_equal(same, "a******b");
    cut_scrub(same, sizeof(same), NULL);
    cut_scrub(same, sizeof(same), "");
    assert_string_equal(same, "a******b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_accepts_valid_text),
        cmocka_unit_test(test_utf8_rejects_overlong_surrogate_and_truncated),
        cmocka_unit_test(test_utf8_encode_decode_round_trip),
        cmocka_unit_test(test_suggest_names_the_nearest),
        cmocka_unit_test(test_scrub_hides_every_occurrence_or_cuts_the_message),
        cmocka_unit_test(test_printable_escapes_and_quotes),
        cmocka_unit_test(test_error_format_has_context),
        cmocka_unit_test(test_arena_reuses_memory_after_reset),
        cmocka_unit_test(test_batch_cells),
        cmocka_unit_test(test_json_string_escapes),
        cmocka_unit_test(test_json_string_shows_invalid_utf8_as_replacement_characters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
