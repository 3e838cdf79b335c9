/* test_encoding.c — legacy single-byte source text transcoded to UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "types.h"

static void expect(cut_encoding enc, const char *in, const char *want)
{
    cut_buf out = {0};
    const char *reason = NULL;
    int rc = cut_transcode_to_utf8(enc, in, strlen(in), &out, &reason);
    if (strcmp(in, want) == 0) {
        assert_int_equal(rc, CUT_CANON_SAME);
    } else {
        assert_int_equal(rc, CUT_CANON_NEW);
        assert_string_equal(out.p, want);
    }
    cut_buf_free(&out);
}

static void test_ascii_is_the_same_in_every_encoding(void **state)
{
    expect(CUT_ENC_LATIN1, "plain ascii", "plain ascii");
    expect(CUT_ENC_CP1252, "plain ascii", "plain ascii");
    expect(CUT_ENC_UTF8, "caf\xE9", "caf\xE9"); /* utf8 declared: untouched here */
}

static void test_latin1_maps_each_byte_to_its_code_point(void **state)
{
    expect(CUT_ENC_LATIN1, "caf\xE9 cr\xE8me br\xFBl\xE9" "e", "café crème brûlée");
    expect(CUT_ENC_LATIN1, "\x80\xFF", "\xC2\x80\xC3\xBF"); /* C1 control and ÿ */
}

static void test_cp1252_maps_the_windows_range(void **state)
{
    expect(CUT_ENC_CP1252, "\x80 5, \x93quoted\x94 \x85", "€ 5, “quoted” …");
    expect(CUT_ENC_CP1252, "M\xFCller", "Müller");
}

static void test_cp1252_undefined_byte_is_an_error(void **state)
{
    cut_buf out = {0};
    const char *reason = NULL;
    assert_int_equal(cut_transcode_to_utf8(CUT_ENC_CP1252, "ab\x81", 3, &out, &reason), CUT_EDATA);
    assert_non_null(strstr(reason, "0x81"));
    assert_non_null(strstr(reason, "undefined in cp1252"));
    cut_buf_free(&out);
}

static void test_encoding_names(void **state)
{
    cut_encoding e;
    assert_int_equal(cut_encoding_parse(NULL, &e), 0);
    assert_int_equal(e, CUT_ENC_UTF8);
    assert_int_equal(cut_encoding_parse("latin1", &e), 0);
    assert_int_equal(e, CUT_ENC_LATIN1);
    assert_int_equal(cut_encoding_parse("Windows-1252", &e), 0);
    assert_int_equal(e, CUT_ENC_CP1252);
    assert_int_equal(cut_encoding_parse("ebcdic", &e), CUT_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii_is_the_same_in_every_encoding),
        cmocka_unit_test(test_latin1_maps_each_byte_to_its_code_point),
        cmocka_unit_test(test_cp1252_maps_the_windows_range),
        cmocka_unit_test(test_cp1252_undefined_byte_is_an_error),
        cmocka_unit_test(test_encoding_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
