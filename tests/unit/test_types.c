/*
 * test_types.c — the logical types and their canonical forms (types.c),
 * time zones (tz.c) and canonical JSON (json.c).
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "types.h"
#include "util.h"

static cut_buf out;
static const char *reason;

static cut_type ty(cut_kind kind)
{
    cut_type t;
    memset(&t, 0, sizeof(t));
    t.kind = kind;
    t.scale = -1;
    return t;
}

static cut_type t_int(int width, unsigned flags)
{
    cut_type t = ty(CUT_T_INT);
    t.width = width;
    t.flags = flags;
    return t;
}

static cut_type t_num(int precision, int scale)
{
    cut_type t = ty(CUT_T_NUMERIC);
    t.precision = precision;
    t.scale = scale;
    return t;
}

static cut_type t_float(int width)
{
    cut_type t = ty(CUT_T_FLOAT);
    t.width = width;
    return t;
}

static cut_type t_text(int length, unsigned flags)
{
    cut_type t = ty(CUT_T_TEXT);
    t.length = length;
    t.flags = flags;
    return t;
}

static cut_type t_time(cut_kind kind, int precision)
{
    cut_type t = ty(kind);
    t.precision = precision;
    return t;
}

/* Runs cut_canon on a C string (or len bytes) with the given options. */
#define CANON_N(t, s, n, o) cut_canon(&(t), (s), (n), (o), &out, &reason)
#define CANON(t, s)         CANON_N(t, s, strlen(s), NULL)

/* The input is already canonical: SAME, and out is not touched. */
#define EXPECT_SAME_O(t, s, o)                                                                     \
    do {                                                                                           \
        cut_buf_reset(&out);                                                                       \
        cut_buf_append(&out, "untouched", 9);                                                      \
        int rc_ = CANON_N(t, s, strlen(s), o);                                                     \
        if (rc_ != CUT_CANON_SAME)                                                                 \
            fail_msg("'%s': expected SAME, got %d (%s)", s, rc_,                                   \
                     rc_ == CUT_EDATA ? reason : cut_buf_cstr(&out));                              \
        assert_string_equal(cut_buf_cstr(&out), "untouched");                                      \
    } while (0)
#define EXPECT_SAME(t, s) EXPECT_SAME_O(t, s, NULL)

/* The input is rewritten to want (CUT_CANON_NEW). */
#define EXPECT_NEW_O(t, s, o, want)                                                                \
    do {                                                                                           \
        int rc_ = CANON_N(t, s, strlen(s), o);                                                     \
        if (rc_ != CUT_CANON_NEW)                                                                  \
            fail_msg("'%s': expected NEW '%s', got %d (%s)", s, want, rc_,                         \
                     rc_ == CUT_EDATA ? reason : "");                                              \
        assert_string_equal(cut_buf_cstr(&out), want);                                             \
    } while (0)
#define EXPECT_NEW(t, s, want) EXPECT_NEW_O(t, s, NULL, want)

/* The input is rejected with a reason containing why. */
#define EXPECT_REJECT_N(t, s, n, o, why)                                                           \
    do {                                                                                           \
        reason = NULL;                                                                             \
        int rc_ = CANON_N(t, s, n, o);                                                             \
        if (rc_ != CUT_EDATA)                                                                      \
            fail_msg("'%s': expected rejection (%s), got %d (%s)", s, why, rc_,                    \
                     cut_buf_cstr(&out));                                                          \
        assert_non_null(reason);                                                                   \
        if (!strstr(reason, why))                                                                  \
            fail_msg("'%s': reason '%s' does not say '%s'", s, reason, why);                       \
    } while (0)
#define EXPECT_REJECT_O(t, s, o, why) EXPECT_REJECT_N(t, s, strlen(s), o, why)
#define EXPECT_REJECT(t, s, why)      EXPECT_REJECT_O(t, s, NULL, why)

#define EXPECT_NULL_O(t, s, o) assert_int_equal(CANON_N(t, s, strlen(s), o), CUT_CANON_NULL)

static int teardown(void **state)
{
    (void)state;
    cut_buf_free(&out);
    return 0;
}

/* ------------------------------------------------------------ names */

static void test_kind_names_are_short_words(void **state)
{
    (void)state;
    assert_string_equal(cut_kind_name(CUT_T_INT), "int");
    assert_string_equal(cut_kind_name(CUT_T_TIMESTAMPTZ), "timestamptz");
    assert_string_equal(cut_kind_name(CUT_T_JSON), "json");
    assert_string_equal(cut_kind_name((cut_kind)99), "unknown");
}

static void test_type_format_renders_parameters(void **state)
{
    (void)state;
    char b[64];
    cut_type t = t_num(8, 2);
    assert_string_equal(cut_type_format(&t, b, sizeof(b)), "numeric(8,2)");
    t = t_num(0, -1);
    assert_string_equal(cut_type_format(&t, b, sizeof(b)), "numeric");
    t = t_text(255, 0);
    assert_string_equal(cut_type_format(&t, b, sizeof(b)), "text(255)");
    t = t_text(10, CUT_TF_FIXED);
    assert_string_equal(cut_type_format(&t, b, sizeof(b)), "char(10)");
    t = t_int(0, 0);
    assert_string_equal(cut_type_format(&t, b, sizeof(b)), "int64");
    t = t_int(32, CUT_TF_UNSIGNED);
    assert_string_equal(cut_type_format(&t, b, sizeof(b)), "uint32");
    t = t_time(CUT_T_TIMESTAMPTZ, 3);
    assert_string_equal(cut_type_format(&t, b, sizeof(b)), "timestamptz(3)");
    t = t_time(CUT_T_TIME, 9);
    assert_string_equal(cut_type_format(&t, b, sizeof(b)), "time(6)");
    t = t_float(32);
    assert_string_equal(cut_type_format(&t, b, sizeof(b)), "float32");
    t = ty(CUT_T_BYTES);
    t.length = 16;
    assert_string_equal(cut_type_format(&t, b, sizeof(b)), "bytes(16)");
    t = ty(CUT_T_UUID);
    assert_string_equal(cut_type_format(&t, b, sizeof(b)), "uuid");
}

/* ------------------------------------------------------- civil dates */

static void test_days_from_civil_known_dates(void **state)
{
    (void)state;
    assert_int_equal(cut_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(cut_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(cut_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(cut_days_from_civil(1, 1, 1), -719162);
    assert_int_equal(cut_days_from_civil(9999, 12, 31), 2932896);
}

static void test_civil_from_days_round_trips(void **state)
{
    (void)state;
    for (int64_t z = -800000; z < 3000000; z += 13) {
        int64_t y;
        unsigned m, d;
        cut_civil_from_days(z, &y, &m, &d);
        assert_true(m >= 1 && m <= 12 && d >= 1 && d <= cut_days_in_month(y, m));
        assert_int_equal(cut_days_from_civil(y, m, d), z);
    }
    assert_int_equal(cut_days_in_month(2024, 2), 29);
    assert_int_equal(cut_days_in_month(1900, 2), 28);
    assert_int_equal(cut_days_in_month(2000, 2), 29);
}

/* ----------------------------------------------------------- integers */

static void test_parse_int64_is_strict(void **state)
{
    (void)state;
    int64_t v = 7;
    assert_int_equal(cut_parse_int64("123", 3, &v), 0);
    assert_int_equal(v, 123);
    assert_int_equal(cut_parse_int64("-9223372036854775808", 20, &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(cut_parse_int64("+0005", 5, &v), 0);
    assert_int_equal(v, 5);
    v = 7;
    assert_int_equal(cut_parse_int64("9223372036854775808", 19, &v), CUT_EDATA);
    assert_int_equal(cut_parse_int64("", 0, &v), CUT_EDATA);
    assert_int_equal(cut_parse_int64("-", 1, &v), CUT_EDATA);
    assert_int_equal(cut_parse_int64("1a", 2, &v), CUT_EDATA);
    assert_int_equal(cut_parse_int64(" 1", 2, &v), CUT_EDATA);
    assert_int_equal(cut_parse_int64("1.0", 3, &v), CUT_EDATA);
    assert_int_equal(v, 7);
}

static void test_int_canonical_input_is_same_and_not_copied(void **state)
{
    (void)state;
    cut_type t = t_int(64, 0);
    EXPECT_SAME(t, "0");
    EXPECT_SAME(t, "42");
    EXPECT_SAME(t, "-42");
    EXPECT_SAME(t, "9223372036854775807");
    EXPECT_SAME(t, "-9223372036854775808");
}

static void test_int_normalizes_sign_zeros_spaces_and_integral_decimals(void **state)
{
    (void)state;
    cut_type t = t_int(32, 0);
    EXPECT_NEW(t, "+42", "42");
    EXPECT_NEW(t, "007", "7");
    EXPECT_NEW(t, "-0", "0");
    EXPECT_NEW(t, "-000", "0");
    EXPECT_NEW(t, " 42\n", "42");
    EXPECT_NEW(t, "42.0", "42");
    EXPECT_NEW(t, "42.000", "42");
    EXPECT_NEW(t, "42.", "42");
    EXPECT_NEW(t, "1e3", "1000");
    EXPECT_NEW(t, "1.5e1", "15");
    EXPECT_NEW(t, "-0.0", "0");
}

static void test_int_rejects_fractions_as_not_an_integer(void **state)
{
    (void)state;
    cut_type t = t_int(64, 0);
    EXPECT_REJECT(t, "42.5", "not an integer");
    EXPECT_REJECT(t, "0.001", "not an integer");
    EXPECT_REJECT(t, "1e-1", "not an integer");
}

static void test_int_rejects_garbage(void **state)
{
    (void)state;
    cut_type t = t_int(64, 0);
    EXPECT_REJECT(t, "", "is not a valid integer");
    EXPECT_REJECT(t, "abc", "'abc' is not a valid integer");
    EXPECT_REJECT(t, "1 2", "not a valid integer");
    EXPECT_REJECT(t, "0x10", "not a valid integer");
    EXPECT_REJECT(t, "--1", "not a valid integer");
    EXPECT_REJECT(t, "1e", "not a valid integer");
    EXPECT_REJECT(t, "NaN", "not a valid integer");
    EXPECT_REJECT(t, "Infinity", "not a valid integer");
}

static void test_int_range_depends_on_width(void **state)
{
    (void)state;
    cut_type t = t_int(8, 0);
    EXPECT_SAME(t, "127");
    EXPECT_SAME(t, "-128");
    EXPECT_REJECT(t, "128", "out of range for int8");
    EXPECT_REJECT(t, "-129", "out of range for int8");
    t = t_int(16, 0);
    EXPECT_SAME(t, "32767");
    EXPECT_REJECT(t, "32768", "out of range for int16");
    EXPECT_REJECT(t, "+32768", "out of range for int16");
    t = t_int(24, 0);
    EXPECT_SAME(t, "-8388608");
    EXPECT_REJECT(t, "8388608", "out of range for int24");
    t = t_int(32, 0);
    EXPECT_SAME(t, "2147483647");
    EXPECT_SAME(t, "-2147483648");
    EXPECT_REJECT(t, "2147483648", "out of range for int32");
    EXPECT_REJECT(t, "1e10", "out of range for int32");
    t = t_int(64, 0);
    EXPECT_REJECT(t, "9223372036854775808", "out of range for int64");
    EXPECT_REJECT(t, "-9223372036854775809", "out of range for int64");
    EXPECT_REJECT(t, "100000000000000000000000", "out of range for int64");
    EXPECT_REJECT(t, "1e999999999999", "out of range for int64");
    t = t_int(0, 0); /* width 0 means 64 */
    EXPECT_SAME(t, "9223372036854775807");
    EXPECT_REJECT(t, "9223372036854775808", "out of range for int64");
}

static void test_int_unsigned_covers_full_64_bits(void **state)
{
    (void)state;
    cut_type t = t_int(64, CUT_TF_UNSIGNED);
    EXPECT_SAME(t, "18446744073709551615");
    EXPECT_NEW(t, "018446744073709551615", "18446744073709551615");
    EXPECT_REJECT(t, "18446744073709551616", "out of range for uint64");
    EXPECT_REJECT(t, "-1", "out of range for uint64");
    EXPECT_NEW(t, "-0", "0");
    t = t_int(8, CUT_TF_UNSIGNED);
    EXPECT_SAME(t, "255");
    EXPECT_REJECT(t, "256", "out of range for uint8");
    t = t_int(32, CUT_TF_UNSIGNED);
    EXPECT_SAME(t, "4294967295");
    EXPECT_REJECT(t, "4294967296", "out of range for uint32");
}

/* ------------------------------------------------------------ numeric */

static void test_numeric_canonical_input_is_same(void **state)
{
    (void)state;
    cut_type t = t_num(8, 2);
    EXPECT_SAME(t, "12.50");
    EXPECT_SAME(t, "-0.01");
    EXPECT_SAME(t, "0.00");
    EXPECT_SAME(t, "999999.99");
    EXPECT_SAME(t, "-999999.99");
    t = t_num(0, -1);
    EXPECT_SAME(t, "1.5");
    EXPECT_SAME(t, "0");
    EXPECT_SAME(t, "-3");
    EXPECT_SAME(t, "0.0015");
    EXPECT_SAME(t, "NaN");
    EXPECT_SAME(t, "Infinity");
    EXPECT_SAME(t, "-Infinity");
    t = t_num(10, 0);
    EXPECT_SAME(t, "1234567890");
}

static void test_numeric_pads_to_the_scale(void **state)
{
    (void)state;
    cut_type t = t_num(8, 2);
    EXPECT_NEW(t, "12.5", "12.50");
    EXPECT_NEW(t, "12", "12.00");
    EXPECT_NEW(t, "5.", "5.00");
    EXPECT_NEW(t, ".5", "0.50");
    EXPECT_NEW(t, "-.5", "-0.50");
    EXPECT_NEW(t, "007.10", "7.10");
    EXPECT_NEW(t, "+1", "1.00");
    EXPECT_NEW(t, " 3.1 ", "3.10");
    EXPECT_NEW(t, "1e3", "1000.00");
    EXPECT_NEW(t, "1.5E-1", "0.15");
}

static void test_numeric_rounds_half_away_from_zero(void **state)
{
    (void)state;
    cut_type t = t_num(8, 2);
    EXPECT_NEW(t, "12.345", "12.35");
    EXPECT_NEW(t, "-12.345", "-12.35");
    EXPECT_NEW(t, "12.344", "12.34");
    EXPECT_NEW(t, "0.005", "0.01");
    EXPECT_NEW(t, "-0.005", "-0.01");
    EXPECT_NEW(t, "0.004", "0.00");
    EXPECT_NEW(t, "0.0049999", "0.00");
    EXPECT_NEW(t, "9.995", "10.00");
    EXPECT_NEW(t, "0.999", "1.00");
    EXPECT_NEW(t, "1e-9", "0.00");
    EXPECT_NEW(t, "0.99999999999999999999999999999", "1.00");
    t = t_num(10, 0);
    EXPECT_NEW(t, "12.5", "13");
    EXPECT_NEW(t, "-12.5", "-13");
    EXPECT_NEW(t, "0.5", "1");
    EXPECT_NEW(t, "0.49", "0");
    t = t_num(5, -1); /* numeric(5) = numeric(5,0) */
    EXPECT_NEW(t, "12.4", "12");
}

static void test_numeric_rejects_values_beyond_precision(void **state)
{
    (void)state;
    cut_type t = t_num(8, 2);
    EXPECT_REJECT(t, "999999.995", "out of range for numeric(8,2)");
    EXPECT_REJECT(t, "1000000", "out of range for numeric(8,2)");
    EXPECT_REJECT(t, "-1e6", "out of range for numeric(8,2)");
    EXPECT_REJECT(t, "Infinity", "out of range for numeric(8,2)");
    EXPECT_NEW(t, "nan", "NaN");
    t = t_num(4, 2);
    EXPECT_REJECT(t, "99.995", "out of range for numeric(4,2)");
    EXPECT_NEW(t, "99.994", "99.99");
    t = t_num(3, 5); /* scale beyond precision: below 0.01 */
    EXPECT_SAME(t, "0.00999");
    EXPECT_REJECT(t, "0.01", "out of range for numeric(3,5)");
}

static void test_numeric_unconstrained_keeps_significant_digits_only(void **state)
{
    (void)state;
    cut_type t = t_num(0, -1);
    EXPECT_NEW(t, "1.50", "1.5");
    EXPECT_NEW(t, "2.000", "2");
    EXPECT_NEW(t, "2.", "2");
    EXPECT_NEW(t, "1e3", "1000");
    EXPECT_NEW(t, "1E+2", "100");
    EXPECT_NEW(t, "1.5e-3", "0.0015");
    EXPECT_NEW(t, "00.10", "0.1");
    EXPECT_NEW(t, ".5", "0.5");
    EXPECT_NEW(t, "+1", "1");
    EXPECT_NEW(t, "120e-1", "12");
    EXPECT_NEW(t, "0e10", "0");
    EXPECT_NEW(t, "-0.00", "0");
    EXPECT_NEW(t, "-0", "0");
    EXPECT_NEW(t, "inf", "Infinity");
    EXPECT_NEW(t, "-INF", "-Infinity");
    EXPECT_NEW(t, "+infinity", "Infinity");
    EXPECT_NEW(t, "nAn", "NaN");
}

static void test_numeric_negative_zero_has_no_sign(void **state)
{
    (void)state;
    cut_type t = t_num(8, 2);
    EXPECT_NEW(t, "-0.00", "0.00");
    EXPECT_NEW(t, "-0", "0.00");
    EXPECT_NEW(t, "-0.001", "0.00");
}

static void test_numeric_handles_arbitrary_length_without_double(void **state)
{
    (void)state;
    cut_type t = t_num(0, -1);
    EXPECT_SAME(t, "123456789012345678901234567890123456789012345");
    EXPECT_SAME(t, "-12345678901234567890123456789.123456789012345678901");
    EXPECT_NEW(t, "0.100000000000000000000000000000000000000000", "0.1");
    t = t_num(40, 10);
    EXPECT_NEW(t, "123456789012345678901234567890.123456789049",
               "123456789012345678901234567890.1234567890");
    EXPECT_NEW(t, "99999999999999999999999999999.99999999995",
               "100000000000000000000000000000.0000000000");
}

static void test_numeric_rejects_garbage_and_huge_exponents(void **state)
{
    (void)state;
    cut_type t = t_num(8, 2);
    EXPECT_REJECT(t, "12,50", "'12,50' is not a valid numeric");
    EXPECT_REJECT(t, "", "not a valid numeric");
    EXPECT_REJECT(t, "1e", "not a valid numeric");
    EXPECT_REJECT(t, "1.2.3", "not a valid numeric");
    EXPECT_REJECT(t, ".", "not a valid numeric");
    EXPECT_REJECT(t, "1 000", "not a valid numeric");
    EXPECT_REJECT(t, "$12", "not a valid numeric");
    t = t_num(0, -1);
    EXPECT_REJECT(t, "1e2000", "exponent");
    EXPECT_REJECT(t, "1e-2000", "exponent");
    char big[1002];
    big[0] = '1';
    memset(big + 1, '0', 1000);
    big[1001] = '\0';
    EXPECT_NEW(t, "1e1000", big); /* the largest exponent accepted */
}

/* ------------------------------------------------------------- floats */

static void test_format_double_is_shortest_round_trip(void **state)
{
    (void)state;
    char b[40];
    struct {
        double v;
        const char *want;
    } cases[] = {
        {0.1, "0.1"},
        {1.0 / 3, "0.3333333333333333"},
        {0.1 + 0.2, "0.30000000000000004"},
        {1e300, "1e+300"},
        {1e-5, "1e-05"},
        {1e-4, "0.0001"},
        {123456789, "123456789"},
        {1.5, "1.5"},
        {100, "100"},
        {1e15, "1e+15"},
        {123456789012345.0, "123456789012345"},
        {1e21, "1e+21"},
        {-2.5, "-2.5"},
        {-0.0, "0"},
        {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {2.5e-7, "2.5e-07"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int n = cut_format_double(cases[i].v, 64, b);
        assert_string_equal(b, cases[i].want);
        assert_int_equal(n, (int)strlen(cases[i].want));
    }
    cut_format_double(0.1, 32, b);
    assert_string_equal(b, "0.1");
    cut_format_double(1.0 / 3, 32, b);
    assert_string_equal(b, "0.33333334");
    cut_format_double(1e6, 32, b);
    assert_string_equal(b, "1e+06");
    cut_format_double(123456, 32, b);
    assert_string_equal(b, "123456");
}

/* The significant digits (no leading or trailing zeros) and the exponent of the first
   one of a decimal such as "-0.0025", "123.5", "1e+21" or "2.5e-07". */
static void sci_digits(const char *s, char *digs, int *x)
{
    int nd = 0, point = -1, lead = 0, e = 0;
    const char *p = s + (*s == '-');
    for (; *p && *p != 'e'; p++) {
        if (*p == '.') {
            point = nd + lead;
            continue;
        }
        if (*p == '0' && nd == 0) {
            lead++;
            continue;
        }
        digs[nd++] = *p;
    }
    if (*p == 'e')
        e = atoi(p + 1);
    int intlen = point < 0 ? nd + lead : point; /* digits before the point */
    while (nd > 0 && digs[nd - 1] == '0')
        nd--;
    digs[nd] = '\0';
    *x = intlen - lead - 1 + e;
}

/* The shortest digits that read back as v, the slow way: printf at 15, 16, 17 digits. */
static void shortest_by_printf(double v, char *digs, int *x)
{
    char tmp[64];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    sci_digits(tmp, digs, x);
}

/* cut_format_double finds short decimals without printf: it must give the digits printf's
   search gives, for decimals of 1 to 15 digits at every scale, and for any other double. */
static void test_format_double_matches_printf(void **state)
{
    (void)state;
    char b[40], want[32], got[32], lit[64];
    int wx, gx;
    unsigned seed = 12345;
    for (int i = 0; i < 200000; i++) {
        double v;
        seed = seed * 1103515245u + 12345u;
        if (i % 4 == 3) {
            /* any bit pattern of a normal double */
            uint64_t bits = ((uint64_t)seed << 32) ^ ((uint64_t)(seed * 2654435761u) << 7) ^ i;
            memcpy(&v, &bits, sizeof(v));
            if (!isfinite(v) || fabs(v) < DBL_MIN)
                continue;
        } else {
            /* a decimal of 1..15 digits, 0..22 of them after the point, maybe negative */
            int nd = 1 + (int)(seed % 15), k = (int)((seed >> 8) % 23);
            uint64_t m = 0;
            for (int d = 0; d < nd; d++) {
                seed = seed * 1103515245u + 12345u;
                m = m * 10 + (seed >> 16) % 10;
            }
            if (m == 0)
                m = 7;
            snprintf(lit, sizeof(lit), "%s%llue-%d", i % 2 ? "-" : "", (unsigned long long)m, k);
            v = strtod(lit, NULL);
        }
        cut_format_double(v, 64, b);
        assert_true(strtod(b, NULL) == v);
        shortest_by_printf(v, want, &wx);
        sci_digits(b, got, &gx);
        if (strcmp(want, got) != 0 || wx != gx)
            fail_msg("%.17g: cut_format_double wrote %s (digits %s, exponent %d); printf's "
                     "search gives digits %s, exponent %d", v, b, got, gx, want, wx);
    }
}

/* cut_parse_double reads back exactly what cut_format_double writes, and nothing else. */
static void test_parse_double_reads_canonical_floats_only(void **state)
{
    (void)state;
    static const double vals[] = {0.1, 1.0 / 3, 0.1 + 0.2, 1e300, 1e-5, -2.5, 5e-324,
                                  1.7976931348623157e308, 2.5e-7, 123456789012345.0};
    char b[40];
    double d;
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        int n = cut_format_double(vals[i], 64, b);
        assert_int_equal(cut_parse_double(b, (size_t)n, 64, &d), 0);
        assert_memory_equal(&d, &vals[i], sizeof(d));
    }
    /* width 32: read as a float, not a double narrowed (no double rounding) */
    float f = 1.0f / 3;
    int n = cut_format_double(f, 32, b);
    assert_int_equal(cut_parse_double(b, (size_t)n, 32, &d), 0);
    assert_true((float)d == f);
    assert_int_equal(cut_parse_double("3.4028235e+38", 13, 32, &d), 0);
    assert_true((float)d == FLT_MAX);
    assert_int_equal(cut_parse_double("NaN", 3, 64, &d), 0);
    assert_true(isnan(d));
    assert_int_equal(cut_parse_double("Infinity", 8, 64, &d), 0);
    assert_true(isinf(d) && d > 0);
    assert_int_equal(cut_parse_double("-Infinity", 9, 64, &d), 0);
    assert_true(isinf(d) && d < 0);
    static const char *const bad[] = {"", " 1", "1 ", "0x10", "inf", "nan", "1e+39", "1e999",
                                      "1,5", "12abc", "--1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int w = strcmp(bad[i], "1e+39") == 0 ? 32 : 64;
        if (cut_parse_double(bad[i], strlen(bad[i]), w, &d) != CUT_EDATA)
            fail_msg("took '%s'", bad[i]);
    }
    /* exactly len bytes: what follows is not read */
    assert_int_equal(cut_parse_double("2.5e-7xyz", 6, 64, &d), 0);
    assert_true(d == 2.5e-7);
}

static void test_float_canonical_input_is_same(void **state)
{
    (void)state;
    cut_type t = t_float(64);
    EXPECT_SAME(t, "0.1");
    EXPECT_SAME(t, "1.5");
    EXPECT_SAME(t, "123456789");
    EXPECT_SAME(t, "0.30000000000000004");
    EXPECT_SAME(t, "1e+300");
    EXPECT_SAME(t, "-2.5");
    EXPECT_SAME(t, "0");
    EXPECT_SAME(t, "NaN");
    EXPECT_SAME(t, "Infinity");
    EXPECT_SAME(t, "-Infinity");
}

static void test_float_rewrites_to_shortest_form(void **state)
{
    (void)state;
    cut_type t = t_float(64);
    EXPECT_NEW(t, "1e300", "1e+300");
    EXPECT_NEW(t, "1e-5", "1e-05");
    EXPECT_NEW(t, "0.10", "0.1");
    EXPECT_NEW(t, " 1.5 ", "1.5");
    EXPECT_NEW(t, "+1.5", "1.5");
    EXPECT_NEW(t, "1E2", "100");
    EXPECT_NEW(t, ".5", "0.5");
    EXPECT_NEW(t, "5.", "5");
    EXPECT_NEW(t, "0.1000000000000000055511151231257827021181583404541015625", "0.1");
    EXPECT_SAME(t, "1e-310"); /* subnormal: kept */
    EXPECT_NEW(t, "1.0e-310", "1e-310");
    EXPECT_NEW(t, "1000000000000000", "1e+15");
}

static void test_float_negative_zero_is_zero(void **state)
{
    (void)state;
    cut_type t = t_float(64);
    EXPECT_NEW(t, "-0", "0");
    EXPECT_NEW(t, "-0.0", "0");
    EXPECT_NEW(t, "0.000", "0");
    EXPECT_NEW(t, "-0e5", "0");
}

static void test_float_special_values_any_case(void **state)
{
    (void)state;
    cut_type t = t_float(64);
    EXPECT_NEW(t, "nan", "NaN");
    EXPECT_NEW(t, "NAN", "NaN");
    EXPECT_NEW(t, "inf", "Infinity");
    EXPECT_NEW(t, "+Infinity", "Infinity");
    EXPECT_NEW(t, "-inf", "-Infinity");
    EXPECT_NEW(t, "-INFINITY", "-Infinity");
}

static void test_float_rejects_garbage_hex_and_overflow(void **state)
{
    (void)state;
    cut_type t = t_float(64);
    EXPECT_REJECT(t, "", "not a valid float64");
    EXPECT_REJECT(t, "0x1p3", "not a valid float64");
    EXPECT_REJECT(t, "1.5abc", "not a valid float64");
    EXPECT_REJECT(t, "infinit", "not a valid float64");
    EXPECT_REJECT(t, "1,5", "not a valid float64");
    EXPECT_REJECT(t, "1e999", "out of range for float64");
    EXPECT_REJECT(t, "-1e999", "out of range for float64");
    EXPECT_REJECT(t, "1e-400", "out of range for float64");
}

static void test_float32_round_trips_at_single_precision(void **state)
{
    (void)state;
    cut_type t = t_float(32);
    EXPECT_SAME(t, "0.1");
    EXPECT_SAME(t, "3.4028235e+38");
    EXPECT_NEW(t, "0.333333333333", "0.33333334");
    EXPECT_NEW(t, "16777217", "1.6777216e+07");
    EXPECT_NEW(t, "1000000", "1e+06");
    EXPECT_SAME(t, "123456");
    EXPECT_REJECT(t, "1e39", "out of range for float32");
    EXPECT_REJECT(t, "1e-50", "out of range for float32");
}

/* ---------------------------------------------------------------- bool */

static void test_bool_accepts_common_spellings(void **state)
{
    (void)state;
    cut_type t = ty(CUT_T_BOOL);
    EXPECT_SAME(t, "t");
    EXPECT_SAME(t, "f");
    const char *yes[] = {"true", "TRUE", " yes ", "On", "1", "y", "T", "Y"};
    const char *no[] = {"false", "No", "OFF", "0", "n", "F", "\tfalse\n"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        EXPECT_NEW(t, yes[i], "t");
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        EXPECT_NEW(t, no[i], "f");
    EXPECT_REJECT(t, "2", "'2' is not a valid bool");
    EXPECT_REJECT(t, "maybe", "not a valid bool");
    EXPECT_REJECT(t, "", "not a valid bool");
    EXPECT_REJECT(t, "tru", "not a valid bool");
    EXPECT_REJECT(t, "-1", "not a valid bool");
}

/* ---------------------------------------------------------------- text */

static void test_text_valid_utf8_is_same_and_not_trimmed(void **state)
{
    (void)state;
    cut_type t = t_text(0, 0);
    EXPECT_SAME(t, "");
    EXPECT_SAME(t, "hello");
    EXPECT_SAME(t, " padded ");
    EXPECT_SAME(t, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    EXPECT_SAME(t, "line\nbreak\t");
}

static void test_text_length_counts_characters_not_bytes(void **state)
{
    (void)state;
    cut_type t = t_text(3, 0);
    EXPECT_SAME(t, "h\xC3\xA9\xC3\xA9");                    /* 3 characters, 5 bytes */
    EXPECT_SAME(t, "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"); /* 日本語 */
    EXPECT_REJECT(t, "h\xC3\xA9\xC3\xA9!", "value too long for text(3): 4 characters");
    t = t_text(10, 0);
    EXPECT_REJECT(t, "abcdefghijkl", "value too long for text(10): 12 characters");
}

static void test_text_rejects_invalid_utf8_with_offset(void **state)
{
    (void)state;
    cut_type t = t_text(0, 0);
    EXPECT_REJECT(t, "\xC0\xAF", "invalid UTF-8 at byte 0");         /* overlong '/' */
    EXPECT_REJECT(t, "ab\xED\xA0\x80", "invalid UTF-8 at byte 2");   /* surrogate U+D800 */
    EXPECT_REJECT(t, "abc\xE2\x82", "invalid UTF-8 at byte 3");      /* truncated */
    EXPECT_REJECT(t, "\xF4\x90\x80\x80", "invalid UTF-8 at byte 0"); /* > U+10FFFF */
    EXPECT_REJECT(t, "x\xFF", "invalid UTF-8 at byte 1 (0xFF)");
    EXPECT_REJECT(t, "\x80", "invalid UTF-8 at byte 0");
}

static void test_char_n_drops_trailing_blanks_only(void **state)
{
    (void)state;
    cut_type t = t_text(5, CUT_TF_FIXED);
    EXPECT_NEW(t, "ab   ", "ab");
    EXPECT_SAME(t, "ab");
    EXPECT_SAME(t, " ab");
    EXPECT_SAME(t, "ab\t");
    EXPECT_NEW(t, "     ", "");
    t = t_text(2, CUT_TF_FIXED);
    EXPECT_NEW(t, "ab      ", "ab"); /* length is checked after trimming */
    EXPECT_NEW(t, "\xC3\xA9\xC3\xA9 ", "\xC3\xA9\xC3\xA9");
    EXPECT_REJECT(t, "abc ", "value too long for char(2): 3 characters");
}

static void test_known_utf8_text_counts_characters_only_when_it_must(void **state)
{
    (void)state;
    /* cut_canon_utf8: the same answers as cut_canon for valid UTF-8. */
    static const struct {
        int length;
        unsigned flags;
        const char *in;
        int rc;
        const char *want; /* NEW: the value; EDATA: a word of the reason */
    } cases[] = {
        {3, 0, "\xC3\xA9\xC3\xA8\xC3\xA0", CUT_CANON_SAME, NULL}, /* 6 bytes, 3 characters */
        {3, 0, "\xC3\xA9\xC3\xA8\xC3\xA0x", CUT_EDATA, "(3): 4 characters"},
        {3, 0, "abc", CUT_CANON_SAME, NULL},
        {3, 0, "abcd", CUT_EDATA, "4 characters"},
        {0, 0, "\xF0\x9F\x98\x80 any length", CUT_CANON_SAME, NULL},
        {2, CUT_TF_FIXED, "\xC3\xA9\xC3\xA9   ", CUT_CANON_NEW, "\xC3\xA9\xC3\xA9"},
        {2, CUT_TF_FIXED, "abc ", CUT_EDATA, "char(2): 3 characters"},
        {0, CUT_TF_BMP_ONLY, "\xF0\x9F\x98\x80", CUT_EDATA, "4-byte UTF-8 character U+1F600"},
        {0, CUT_TF_LATIN1, "\xC4\x80", CUT_EDATA, "not representable in latin1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cut_type t = t_text(cases[i].length, cases[i].flags);
        const char *in = cases[i].in;
        for (int known = 0; known < 2; known++) {
            reason = NULL;
            cut_buf_reset(&out);
            int rc = known ? cut_canon_utf8(&t, in, strlen(in), NULL, &out, &reason)
                           : cut_canon(&t, in, strlen(in), NULL, &out, &reason);
            if (rc != cases[i].rc)
                fail_msg("case %zu (known %d): got %d, want %d", i, known, rc, cases[i].rc);
            if (rc == CUT_CANON_NEW)
                assert_string_equal(cut_buf_cstr(&out), cases[i].want);
            if (rc == CUT_EDATA && !strstr(reason, cases[i].want))
                fail_msg("case %zu: reason '%s' lacks '%s'", i, reason, cases[i].want);
        }
    }
    /* Another type goes to cut_canon. */
    cut_type n = ty(CUT_T_INT);
    assert_int_equal(cut_canon_utf8(&n, "+7", 2, NULL, &out, &reason), CUT_CANON_NEW);
    assert_string_equal(cut_buf_cstr(&out), "7");
}

static void test_text_flags_reject_what_the_engine_cannot_store(void **state)
{
    (void)state;
    cut_type t = t_text(0, CUT_TF_NO_NUL);
    EXPECT_REJECT_N(t, "a\0b", 3, NULL, "NUL byte (0x00) not allowed in PostgreSQL text");
    t = t_text(0, 0);
    assert_int_equal(CANON_N(t, "a\0b", 3, NULL), CUT_CANON_SAME);
    t = t_text(0, CUT_TF_BMP_ONLY);
    EXPECT_SAME(t, "\xE2\x82\xAC");
    EXPECT_REJECT(t, "ok \xF0\x9F\x98\x80",
                  "4-byte UTF-8 character U+1F600 not allowed in a 3-byte utf8 column");
    t = t_text(0, CUT_TF_LATIN1);
    EXPECT_SAME(t, "caf\xC3\xA9 \xC3\xBF");
    EXPECT_REJECT(t, "5 \xE2\x82\xAC", "character U+20AC not representable in latin1");
    EXPECT_REJECT(t, "\xC4\x80", "character U+0100 not representable in latin1");
}

/* --------------------------------------------------------------- bytes */

static void test_bytes_are_kept_as_is_within_length(void **state)
{
    (void)state;
    cut_type t = ty(CUT_T_BYTES);
    assert_int_equal(CANON_N(t, "\x00\xFF\x80 x ", 6, NULL), CUT_CANON_SAME);
    assert_int_equal(CANON_N(t, "", 0, NULL), CUT_CANON_SAME);
    t.length = 16;
    assert_int_equal(CANON_N(t, "0123456789abcdef", 16, NULL), CUT_CANON_SAME);
    EXPECT_REJECT(t, "0123456789abcdefghij", "value too long for bytes(16): 20 bytes");
}

/* ---------------------------------------------------------------- dates */

static void test_date_canonical_input_is_same(void **state)
{
    (void)state;
    cut_type t = ty(CUT_T_DATE);
    EXPECT_SAME(t, "2024-01-05");
    EXPECT_SAME(t, "0001-01-01");
    EXPECT_SAME(t, "9999-12-31");
    EXPECT_SAME(t, "infinity");
    EXPECT_SAME(t, "-infinity");
}

static void test_date_accepts_an_all_zero_time_part(void **state)
{
    (void)state;
    cut_type t = ty(CUT_T_DATE);
    EXPECT_NEW(t, "2024-01-05 00:00:00", "2024-01-05");
    EXPECT_NEW(t, "2024-01-05T00:00:00.000", "2024-01-05");
    EXPECT_NEW(t, "2024-01-05 00:00", "2024-01-05");
    EXPECT_NEW(t, " 2024-01-05\n", "2024-01-05");
    EXPECT_NEW(t, "INFINITY", "infinity");
    EXPECT_NEW(t, "-Infinity", "-infinity");
}

static void test_date_rejects_a_time_of_day(void **state)
{
    (void)state;
    cut_type t = ty(CUT_T_DATE);
    EXPECT_REJECT(t, "2024-01-05 12:00:00", "date has a time of day");
    EXPECT_REJECT(t, "2024-01-05 00:00:00.001", "date has a time of day");
}

static void test_date_validates_the_calendar(void **state)
{
    (void)state;
    cut_type t = ty(CUT_T_DATE);
    EXPECT_SAME(t, "2024-02-29");
    EXPECT_SAME(t, "2000-02-29");
    EXPECT_REJECT(t, "2023-02-29", "no such date '2023-02-29'");
    EXPECT_REJECT(t, "1900-02-29", "no such date");
    EXPECT_REJECT(t, "2024-04-31", "no such date");
    EXPECT_REJECT(t, "2024-13-01", "no such date");
    EXPECT_REJECT(t, "2024-1-5", "not a valid date");
    EXPECT_REJECT(t, "20240105", "not a valid date");
    EXPECT_REJECT(t, "2024/01/05", "not a valid date");
    EXPECT_REJECT(t, "", "not a valid date");
    EXPECT_REJECT(t, "2024-01-05Z", "not a valid date");
    EXPECT_REJECT(t, "2024-01-05 junk", "not a valid date");
}

static void test_date_zero_dates_become_null_by_default(void **state)
{
    (void)state;
    cut_type t = ty(CUT_T_DATE);
    cut_canon_opts o = {NULL, CUT_ZERO_NULL, CUT_DST_REJECT, 0};
    assert_int_equal(CANON(t, "0000-00-00"), CUT_CANON_NULL);
    EXPECT_NULL_O(t, "0000-00-00", &o);
    EXPECT_NULL_O(t, "2024-00-00", &o);
    EXPECT_NULL_O(t, "2024-05-00", &o);
    EXPECT_NULL_O(t, "0000-00-00 00:00:00", &o);
}

static void test_date_zero_dates_rejected_when_asked(void **state)
{
    (void)state;
    cut_type t = ty(CUT_T_DATE);
    cut_canon_opts o = {NULL, CUT_ZERO_REJECT, CUT_DST_REJECT, 0};
    EXPECT_REJECT_O(t, "0000-00-00", &o, "zero date '0000-00-00'");
    EXPECT_REJECT_O(t, "2024-05-00", &o, "zero date '2024-05-00'");
}

/* exact (values read back from a target): padding and spelling are still canonical,
   but a digit the type would round away is a different value. */
static void test_exact_refuses_what_the_type_would_round(void **state)
{
    (void)state;
    cut_canon_opts o = {NULL, CUT_ZERO_NULL, CUT_DST_REJECT, 1};
    cut_type n = t_num(10, 2);
    EXPECT_NEW_O(n, "12.3", &o, "12.30");
    EXPECT_NEW_O(n, "12.3500", &o, "12.35");
    EXPECT_NEW_O(n, "1.2e1", &o, "12.00");
    EXPECT_REJECT_O(n, "12.345", &o, "'12.345' has more fractional digits than numeric(10,2) keeps");
    EXPECT_REJECT_O(n, "0.001", &o, "'0.001' has more fractional digits than numeric(10,2) keeps");
    EXPECT_NEW(n, "12.345", "12.35"); /* without exact: rounded, as a source value is */
    cut_type un = t_num(0, -1);
    EXPECT_SAME_O(un, "12.345", &o);
    cut_type ts = t_time(CUT_T_TIMESTAMP, 6);
    EXPECT_NEW_O(ts, "2024-01-01T12:00:00.1234560", &o, "2024-01-01 12:00:00.123456");
    EXPECT_REJECT_O(ts, "2024-01-01 12:00:00.1234567", &o,
                    "'2024-01-01 12:00:00.1234567' has more fractional digits than timestamp(6) "
                    "keeps");
    cut_type tz3 = t_time(CUT_T_TIMESTAMPTZ, 3), t0 = t_time(CUT_T_TIME, 0);
    EXPECT_REJECT_O(tz3, "2024-01-01 12:00:00.1239+00", &o,
                    "'2024-01-01 12:00:00.1239+00' has more fractional digits than timestamptz(3) "
                    "keeps");
    EXPECT_REJECT_O(t0, "12:00:00.5", &o, "'12:00:00.5' has more fractional digits than time(0) keeps");
    EXPECT_SAME_O(t0, "12:00:00", &o);
}

/* ---------------------------------------------------------------- times */

static void test_time_canonical_input_is_same(void **state)
{
    (void)state;
    cut_type t = t_time(CUT_T_TIME, 6);
    EXPECT_SAME(t, "12:34:56");
    EXPECT_SAME(t, "12:34:56.5");
    EXPECT_SAME(t, "00:00:00");
    EXPECT_SAME(t, "24:00:00");
    EXPECT_SAME(t, "23:59:59.999999");
}

static void test_time_accepts_short_forms(void **state)
{
    (void)state;
    cut_type t = t_time(CUT_T_TIME, 6);
    EXPECT_NEW(t, "12:34", "12:34:00");
    EXPECT_NEW(t, "1:02:03", "01:02:03");
    EXPECT_NEW(t, " 12:34:56.500 ", "12:34:56.5");
    EXPECT_NEW(t, "12:34:56.000000", "12:34:56");
}

static void test_time_rounds_half_up_to_precision(void **state)
{
    (void)state;
    cut_type t = t_time(CUT_T_TIME, 0);
    EXPECT_NEW(t, "12:34:56.5", "12:34:57");
    EXPECT_NEW(t, "12:34:56.4", "12:34:56");
    EXPECT_NEW(t, "12:59:59.5", "13:00:00");
    t = t_time(CUT_T_TIME, 3);
    EXPECT_NEW(t, "12:34:56.12345", "12:34:56.123");
    EXPECT_NEW(t, "12:34:56.1235", "12:34:56.124");
    EXPECT_NEW(t, "12:34:56.9996", "12:34:57");
    t = t_time(CUT_T_TIME, 6);
    EXPECT_NEW(t, "23:59:59.9999995", "24:00:00");
    EXPECT_NEW(t, "10:00:00.1234564", "10:00:00.123456");
    t = t_time(CUT_T_TIME, -1); /* out-of-range precision means 6 */
    EXPECT_NEW(t, "10:00:00.1234565", "10:00:00.123457");
}

static void test_time_rejects_out_of_range(void **state)
{
    (void)state;
    cut_type t = t_time(CUT_T_TIME, 6);
    EXPECT_REJECT(t, "24:00:01", "time out of range");
    EXPECT_REJECT(t, "24:00:00.5", "time out of range");
    EXPECT_REJECT(t, "25:00:00", "time out of range");
    EXPECT_REJECT(t, "-01:00:00", "time out of range");
    EXPECT_REJECT(t, "838:59:59", "time out of range");
    EXPECT_REJECT(t, "12:60:00", "not a valid time");
    EXPECT_REJECT(t, "12:00:61", "not a valid time");
    EXPECT_REJECT(t, "12", "not a valid time");
    EXPECT_REJECT(t, "12:00:00.", "not a valid time");
    EXPECT_REJECT(t, "12:00:00+01", "not a valid time");
    EXPECT_REJECT(t, "", "not a valid time");
}

/* ----------------------------------------------------------- timestamps */

static void test_timestamp_canonical_input_is_same(void **state)
{
    (void)state;
    cut_type t = t_time(CUT_T_TIMESTAMP, 6);
    EXPECT_SAME(t, "2024-01-05 12:34:56");
    EXPECT_SAME(t, "2024-01-05 12:34:56.123456");
    EXPECT_SAME(t, "0001-01-01 00:00:00");
    EXPECT_SAME(t, "infinity");
}

static void test_timestamp_accepts_lenient_forms(void **state)
{
    (void)state;
    cut_type t = t_time(CUT_T_TIMESTAMP, 6);
    EXPECT_NEW(t, "2024-01-05T12:34:56", "2024-01-05 12:34:56");
    EXPECT_NEW(t, "2024-01-05", "2024-01-05 00:00:00");
    EXPECT_NEW(t, "2024-01-05 12:34", "2024-01-05 12:34:00");
    EXPECT_NEW(t, "2024-01-05 12:34:56.100", "2024-01-05 12:34:56.1");
    EXPECT_NEW(t, "2024-01-05 9:05:00", "2024-01-05 09:05:00");
    EXPECT_NEW(t, "2024-01-05 24:00:00", "2024-01-06 00:00:00");
    EXPECT_NEW(t, " 2024-01-05 12:00:00 ", "2024-01-05 12:00:00");
    EXPECT_NEW(t, "-INFINITY", "-infinity");
}

static void test_timestamp_rounding_carries_into_the_next_day(void **state)
{
    (void)state;
    cut_type t = t_time(CUT_T_TIMESTAMP, 6);
    EXPECT_NEW(t, "2024-12-31 23:59:59.9999995", "2025-01-01 00:00:00");
    EXPECT_NEW(t, "2024-01-05 12:00:00.0000004", "2024-01-05 12:00:00");
    t = t_time(CUT_T_TIMESTAMP, 0);
    EXPECT_NEW(t, "2024-02-28 23:59:59.5", "2024-02-29 00:00:00");
    EXPECT_NEW(t, "2023-02-28 23:59:59.5", "2023-03-01 00:00:00");
    EXPECT_NEW(t, "2024-01-05 12:00:00.4999", "2024-01-05 12:00:00");
    t = t_time(CUT_T_TIMESTAMP, 3);
    EXPECT_NEW(t, "2024-01-05 12:00:00.0004", "2024-01-05 12:00:00");
    EXPECT_NEW(t, "2024-01-05 12:00:00.1235", "2024-01-05 12:00:00.124");
    t = t_time(CUT_T_TIMESTAMP, 6);
    EXPECT_REJECT(t, "9999-12-31 23:59:59.9999999", "timestamp out of range");
}

static void test_timestamp_rejects_a_non_utc_zone_offset(void **state)
{
    (void)state;
    cut_type t = t_time(CUT_T_TIMESTAMP, 6);
    const char *why = "time zone offset other than UTC in a timestamp without time zone";
    EXPECT_REJECT(t, "2024-01-05 12:00:00+01:00", why);
    EXPECT_REJECT(t, "2024-01-05 12:00:00-05", why);
    EXPECT_REJECT(t, "2024-01-05T12:00:00+0100", why);
}

static void test_timestamp_takes_a_utc_instant_as_its_utc_wall_time(void **state)
{
    (void)state;
    /* A canonical timestamptz (ending in +00) bound for a timestamp column. */
    cut_type t = t_time(CUT_T_TIMESTAMP, 6);
    EXPECT_NEW(t, "2024-01-05 12:00:00+00", "2024-01-05 12:00:00");
    EXPECT_NEW(t, "2024-01-05 12:00:00Z", "2024-01-05 12:00:00");
    EXPECT_NEW(t, "2024-01-05 12:00:00.25 UTC", "2024-01-05 12:00:00.25");
}

static void test_timestamp_zero_dates_follow_the_policy(void **state)
{
    (void)state;
    cut_type t = t_time(CUT_T_TIMESTAMP, 0);
    cut_canon_opts rej = {NULL, CUT_ZERO_REJECT, CUT_DST_REJECT, 0};
    EXPECT_NULL_O(t, "0000-00-00 00:00:00", NULL);
    EXPECT_NULL_O(t, "2024-05-00 10:00:00", NULL);
    EXPECT_REJECT_O(t, "0000-00-00 00:00:00", &rej, "zero date '0000-00-00 00:00:00'");
    cut_type tz = t_time(CUT_T_TIMESTAMPTZ, 0);
    EXPECT_NULL_O(tz, "0000-00-00 00:00:00", NULL);
}

static void test_timestamp_rejects_invalid_values(void **state)
{
    (void)state;
    cut_type t = t_time(CUT_T_TIMESTAMP, 6);
    EXPECT_REJECT(t, "2024-02-30 00:00:00", "no such date");
    EXPECT_REJECT(t, "2024-01-05 12:60:00", "not a valid timestamp");
    EXPECT_REJECT(t, "2024-01-05 25:00:00", "not a valid timestamp");
    EXPECT_REJECT(t, "2024-01-05X12:00", "not a valid timestamp");
    EXPECT_REJECT(t, "2024-01-05T", "not a valid timestamp");
    EXPECT_REJECT(t, "yesterday", "not a valid timestamp");
}

/* ---------------------------------------------------------- timestamptz */

static void test_timestamptz_canonical_input_is_same(void **state)
{
    (void)state;
    cut_type t = t_time(CUT_T_TIMESTAMPTZ, 6);
    EXPECT_SAME(t, "2024-01-05 12:34:56+00");
    EXPECT_SAME(t, "2024-01-05 12:34:56.25+00");
    EXPECT_SAME(t, "infinity");
    EXPECT_NEW(t, "Infinity", "infinity");
}

static void test_timestamptz_offsets_convert_to_utc(void **state)
{
    (void)state;
    cut_type t = t_time(CUT_T_TIMESTAMPTZ, 6);
    EXPECT_NEW(t, "2024-01-05 12:00:00+01", "2024-01-05 11:00:00+00");
    EXPECT_NEW(t, "2024-01-05 12:00:00+01:00", "2024-01-05 11:00:00+00");
    EXPECT_NEW(t, "2024-01-05T12:00:00+0100", "2024-01-05 11:00:00+00");
    EXPECT_NEW(t, "2024-01-05T12:00:00Z", "2024-01-05 12:00:00+00");
    EXPECT_NEW(t, "2024-01-05T12:00:00z", "2024-01-05 12:00:00+00");
    EXPECT_NEW(t, "2024-01-05 12:00:00 UTC", "2024-01-05 12:00:00+00");
    EXPECT_NEW(t, "2024-01-05 12:00:00-05", "2024-01-05 17:00:00+00");
    EXPECT_NEW(t, "2024-01-05 12:00:00.5+05:30", "2024-01-05 06:30:00.5+00");
    EXPECT_NEW(t, "2024-01-01 00:30:00+01", "2023-12-31 23:30:00+00");
    EXPECT_NEW(t, "2024-01-01 00:30:00 +01:00", "2023-12-31 23:30:00+00");
    EXPECT_NEW(t, "1900-01-01 00:00:00+00:17:30", "1899-12-31 23:42:30+00");
    EXPECT_REJECT(t, "2024-01-05 12:00:00+25", "not a valid timestamptz");
    EXPECT_REJECT(t, "2024-01-05 12:00:00 Europe/Brussels", "not a valid timestamptz");
}

static void test_timestamptz_rounds_before_converting(void **state)
{
    (void)state;
    cut_type t = t_time(CUT_T_TIMESTAMPTZ, 0);
    EXPECT_NEW(t, "2024-01-05 00:59:59.5+01", "2024-01-05 00:00:00+00");
    EXPECT_NEW(t, "2024-01-01 00:59:59.9+01", "2024-01-01 00:00:00+00");
}

static void test_timestamptz_naive_values_default_to_utc(void **state)
{
    (void)state;
    cut_type t = t_time(CUT_T_TIMESTAMPTZ, 6);
    EXPECT_NEW(t, "2024-01-05 12:00:00", "2024-01-05 12:00:00+00");
    EXPECT_NEW(t, "2024-01-05", "2024-01-05 00:00:00+00");
}

static cut_tz *open_zone(const char *name)
{
    cut_tz *tz = NULL;
    cut_error err;
    cut_error_clear(&err);
    if (cut_tz_open(name, &tz, &err) != 0)
        return NULL;
    return tz;
}

static void test_timestamptz_naive_values_read_in_source_zone(void **state)
{
    (void)state;
    cut_tz *tz = open_zone("Europe/Brussels");
    if (!tz)
        skip();
    cut_type t = t_time(CUT_T_TIMESTAMPTZ, 6);
    cut_canon_opts o = {tz, CUT_ZERO_NULL, CUT_DST_REJECT, 0};
    EXPECT_NEW_O(t, "2024-07-01 12:00:00", &o, "2024-07-01 10:00:00+00");
    EXPECT_NEW_O(t, "2024-01-15 12:00:00", &o, "2024-01-15 11:00:00+00");
    EXPECT_NEW_O(t, "2024-01-01 00:30:00.25", &o, "2023-12-31 23:30:00.25+00");
    /* An explicit offset wins over the source zone. */
    EXPECT_SAME_O(t, "2024-07-01 12:00:00+00", &o);
    EXPECT_REJECT_O(t, "2024-03-31 02:30:00", &o,
                    "nonexistent local time (DST gap) in Europe/Brussels");
    EXPECT_REJECT_O(t, "2024-10-27 02:30:00", &o,
                    "ambiguous local time (DST overlap) in Europe/Brussels");
    o.dst_overlap = CUT_DST_EARLIER;
    EXPECT_NEW_O(t, "2024-10-27 02:30:00", &o, "2024-10-27 00:30:00+00");
    o.dst_overlap = CUT_DST_LATER;
    EXPECT_NEW_O(t, "2024-10-27 02:30:00", &o, "2024-10-27 01:30:00+00");
    cut_tz_free(tz);
}

/* ----------------------------------------------------------------- uuid */

static void test_uuid_accepts_common_spellings(void **state)
{
    (void)state;
    cut_type t = ty(CUT_T_UUID);
    const char *want = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
    EXPECT_SAME(t, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    EXPECT_NEW(t, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", want);
    EXPECT_NEW(t, "a0eebc999c0b4ef8bb6d6bb9bd380a11", want);
    EXPECT_NEW(t, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", want);
    EXPECT_NEW(t, " {A0EEBC999C0B4EF8BB6D6BB9BD380A11} ", want);
    EXPECT_NEW(t, "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", want);
}

static void test_uuid_reads_16_raw_bytes_as_binary(void **state)
{
    (void)state;
    cut_type t = ty(CUT_T_UUID);
    const char raw[16] = {'\xa0', '\xee', '\xbc', '\x99', '\x9c', '\x0b', '\x4e', '\xf8',
                          '\xbb', '\x6d', '\x6b', '\xb9', '\xbd', '\x38', '\x0a', '\x11'};
    assert_int_equal(CANON_N(t, raw, 16, NULL), CUT_CANON_NEW);
    assert_string_equal(cut_buf_cstr(&out), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    const char zeros[16] = {0};
    assert_int_equal(CANON_N(t, zeros, 16, NULL), CUT_CANON_NEW);
    assert_string_equal(cut_buf_cstr(&out), "00000000-0000-0000-0000-000000000000");
}

static void test_uuid_rejects_malformed(void **state)
{
    (void)state;
    cut_type t = ty(CUT_T_UUID);
    EXPECT_REJECT(t, "", "not a valid uuid");
    EXPECT_REJECT(t, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "not a valid uuid");
    EXPECT_REJECT(t, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111", "not a valid uuid");
    EXPECT_REJECT(t, "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "not a valid uuid");
    EXPECT_REJECT(t, "-a0eebc999c0b4ef8bb6d6bb9bd380a11", "not a valid uuid");
    EXPECT_REJECT(t, "a0eebc99--9c0b4ef8bb6d6bb9bd380a11", "not a valid uuid");
    EXPECT_REJECT(t, "0123456789abcdef", "not a valid uuid"); /* 16 hex chars: text */
}

/* ----------------------------------------------------------------- json */

/* JSON is written into out even when the input turns out canonical. */
#define JSON_SAME(s)                                                                               \
    do {                                                                                           \
        int rc_ = CANON(tj, s);                                                                    \
        if (rc_ != CUT_CANON_SAME)                                                                 \
            fail_msg("'%s': expected SAME, got %d (%s)", s, rc_,                                   \
                     rc_ == CUT_EDATA ? reason : cut_buf_cstr(&out));                              \
    } while (0)
#define JSON_NEW(s, want)   EXPECT_NEW(tj, s, want)
#define JSON_REJECT(s, why) EXPECT_REJECT(tj, s, why)

static void test_json_canonical_input_is_same(void **state)
{
    (void)state;
    cut_type tj = ty(CUT_T_JSON);
    JSON_SAME("{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"x\"}}");
    JSON_SAME("[]");
    JSON_SAME("{}");
    JSON_SAME("\"just a string\"");
    JSON_SAME("-1.5");
    JSON_SAME("null");
}

static void test_json_sorts_keys_by_bytes(void **state)
{
    (void)state;
    cut_type tj = ty(CUT_T_JSON);
    JSON_NEW("{\"b\":1,\"a\":2}", "{\"a\":2,\"b\":1}");
    JSON_NEW("{\"ab\":1,\"a\":2,\"B\":3}", "{\"B\":3,\"a\":2,\"ab\":1}");
    JSON_NEW("{\"z\":{\"y\":1,\"x\":[{\"q\":1,\"p\":2}]},\"a\":0}",
             "{\"a\":0,\"z\":{\"x\":[{\"p\":2,\"q\":1}],\"y\":1}}");
    /* Escaped keys sort by their decoded bytes: '\n' (0x0A) < '"' (0x22) < 'A'. */
    JSON_NEW("{\"A\":1,\"\\\"\":2,\"\\n\":3}", "{\"\\n\":3,\"\\\"\":2,\"A\":1}");
    JSON_NEW("{\"\\u00e9\":1,\"e\":2}", "{\"e\":2,\"\xC3\xA9\":1}");
}

static void test_json_duplicate_keys_last_one_wins(void **state)
{
    (void)state;
    cut_type tj = ty(CUT_T_JSON);
    JSON_NEW("{\"a\":1,\"a\":2}", "{\"a\":2}");
    JSON_NEW("{\"a\":1,\"b\":0,\"a\":3}", "{\"a\":3,\"b\":0}");
    JSON_NEW("{\"a\":{\"x\":1},\"a\":[1],\"a\":\"last\"}", "{\"a\":\"last\"}");
    JSON_NEW("{\"\\u0061\":1,\"a\":2}", "{\"a\":2}");
}

static void test_json_drops_insignificant_whitespace(void **state)
{
    (void)state;
    cut_type tj = ty(CUT_T_JSON);
    JSON_NEW(" { \"a\" : [ 1 , 2 ] ,\n\t\"b\"\r\n: \"x y\" } ", "{\"a\":[1,2],\"b\":\"x y\"}");
    JSON_NEW("[ ]", "[]");
    JSON_NEW("{ }", "{}");
}

static void test_json_escapes_minimally(void **state)
{
    (void)state;
    cut_type tj = ty(CUT_T_JSON);
    JSON_NEW("\"\\u0041\\/\\t\"", "\"A/\\t\"");
    JSON_NEW("\"\\u00e9\"", "\"\xC3\xA9\"");
    JSON_NEW("\"\\ud83d\\ude00\"", "\"\xF0\x9F\x98\x80\"");
    JSON_NEW("\"\\u001F\\u0008\\u000C\\u000a\\u000D\"", "\"\\u001f\\b\\f\\n\\r\"");
    JSON_NEW("\"\\u0022\\u005c\"", "\"\\\"\\\\\"");
    JSON_SAME("\"\\\"\\\\\"");
    JSON_SAME("\"caf\xC3\xA9 \xF0\x9F\x98\x80 \x7F\"");
    JSON_SAME("\"\\u0000\"");
}

static void test_json_numbers_normalize_like_numeric(void **state)
{
    (void)state;
    cut_type tj = ty(CUT_T_JSON);
    JSON_NEW("1.0", "1");
    JSON_NEW("1e2", "100");
    JSON_NEW("-0", "0");
    JSON_NEW("-0.0e5", "0");
    JSON_NEW("1.50", "1.5");
    JSON_NEW("-12.5e-1", "-1.25");
    JSON_NEW("[1E+2,2.50,0.0]", "[100,2.5,0]");
    JSON_SAME("0.1");
    JSON_SAME("123456789012345678901234567890");
    JSON_REJECT("1e2000", "exponent");
}

static void test_json_rejects_invalid_documents(void **state)
{
    (void)state;
    cut_type tj = ty(CUT_T_JSON);
    JSON_REJECT("", "empty document");
    JSON_REJECT("{", "invalid JSON at byte 1");
    JSON_REJECT("{\"a\":}", "unexpected character");
    JSON_REJECT("{\"a\" 1}", "expected ':' after an object key");
    JSON_REJECT("{\"a\":1,}", "expected a string key");
    JSON_REJECT("[1,]", "unexpected character");
    JSON_REJECT("[1 2]", "expected ',' or ']'");
    JSON_REJECT("{'a':1}", "expected a string key");
    JSON_REJECT("01", "unexpected data after the value");
    JSON_REJECT("1.", "digits expected after '.'");
    JSON_REJECT(".5", "unexpected character");
    JSON_REJECT("+1", "unexpected character");
    JSON_REJECT("1e", "digits expected in the exponent");
    JSON_REJECT("tru", "unexpected character");
    JSON_REJECT("nul", "unexpected character");
    JSON_REJECT("NaN", "unexpected character");
    JSON_REJECT("[1] x", "invalid JSON at byte 4: unexpected data after the value");
    JSON_REJECT("\"\\ud800\"", "lone surrogate \\uD800");
    JSON_REJECT("\"\\ud800\\u0041\"", "lone surrogate \\uD800");
    JSON_REJECT("\"\\udc00\"", "lone surrogate \\uDC00");
    JSON_REJECT("\"a\x01\"", "unescaped control character");
    JSON_REJECT("\"\xC0\xAF\"", "invalid UTF-8");
    JSON_REJECT("\"\xED\xA0\x80\"", "invalid UTF-8");
    JSON_REJECT("\"abc", "unterminated string");
    JSON_REJECT("\"\\x\"", "invalid escape");
    JSON_REJECT("\"\\u12G4\"", "invalid \\u escape");
    JSON_REJECT("{\"a\":1}}", "unexpected data after the value");
}

static void test_json_nesting_is_limited_to_256(void **state)
{
    (void)state;
    cut_type tj = ty(CUT_T_JSON);
    char doc[600];
    for (int depth = 256; depth <= 257; depth++) {
        memset(doc, '[', (size_t)depth);
        memset(doc + depth, ']', (size_t)depth);
        doc[2 * depth] = '\0';
        if (depth == 256)
            JSON_SAME(doc);
        else
            JSON_REJECT(doc, "nesting deeper than 256 levels");
    }
}

static void test_json_sorts_large_objects(void **state)
{
    (void)state;
    cut_buf in = {0}, want = {0};
    cut_buf_appendc(&in, '{');
    cut_buf_appendc(&want, '{');
    for (int i = 0; i < 2000; i++) {
        cut_buf_printf(&in, "%s\"k%04d\":[%d]", i ? "," : "", 1999 - i, i);
        cut_buf_printf(&want, "%s\"k%04d\":[%d]", i ? "," : "", i, 1999 - i);
    }
    cut_buf_appendc(&in, '}');
    cut_buf_appendc(&want, '}');
    assert_int_equal(cut_json_canon(in.p, in.len, &out, &reason), 0);
    assert_int_equal(out.len, want.len);
    assert_memory_equal(out.p, want.p, want.len);
    cut_buf_free(&in);
    cut_buf_free(&want);
}

/* ------------------------------------------------------------ time zones */

/* Local wall time → UTC, both as "YYYY-MM-DD HH:MM:SS" epoch seconds. */
static int64_t secs(int y, unsigned m, unsigned d, int hh, int mm)
{
    return cut_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60;
}

static void expect_utc(const cut_tz *tz, int64_t local, cut_dst_policy pol, int64_t want)
{
    int64_t utc = 0;
    const char *why = NULL;
    int rc = cut_tz_local_to_utc(tz, local, pol, &utc, &why);
    if (rc)
        fail_msg("local %lld: %s", (long long)local, why ? why : "?");
    assert_int_equal(utc, want);
}

static void test_tz_brussels_summer_and_winter(void **state)
{
    (void)state;
    cut_tz *tz = open_zone("Europe/Brussels");
    if (!tz)
        skip();
    assert_string_equal(cut_tz_name(tz), "Europe/Brussels");
    expect_utc(tz, secs(2024, 7, 1, 12, 0), CUT_DST_REJECT, secs(2024, 7, 1, 10, 0));
    expect_utc(tz, secs(2024, 1, 15, 12, 0), CUT_DST_REJECT, secs(2024, 1, 15, 11, 0));
    assert_int_equal(cut_tz_utc_offset(tz, secs(2024, 7, 1, 10, 0)), 7200);
    assert_int_equal(cut_tz_utc_offset(tz, secs(2024, 1, 15, 10, 0)), 3600);
    cut_tz_free(tz);
}

static void test_tz_brussels_gap_is_rejected(void **state)
{
    (void)state;
    cut_tz *tz = open_zone("Europe/Brussels");
    if (!tz)
        skip();
    int64_t utc = 0;
    const char *why = NULL;
    assert_int_equal(cut_tz_local_to_utc(tz, secs(2024, 3, 31, 2, 30), CUT_DST_EARLIER, &utc, &why),
                     CUT_EDATA);
    assert_string_equal(why, "nonexistent local time (DST gap) in Europe/Brussels");
    /* Either side of the gap is fine. */
    expect_utc(tz, secs(2024, 3, 31, 1, 59), CUT_DST_REJECT, secs(2024, 3, 31, 0, 59));
    expect_utc(tz, secs(2024, 3, 31, 3, 0), CUT_DST_REJECT, secs(2024, 3, 31, 1, 0));
    cut_tz_free(tz);
}

static void test_tz_brussels_overlap_follows_policy(void **state)
{
    (void)state;
    cut_tz *tz = open_zone("Europe/Brussels");
    if (!tz)
        skip();
    int64_t local = secs(2024, 10, 27, 2, 30), utc = 0;
    const char *why = NULL;
    assert_int_equal(cut_tz_local_to_utc(tz, local, CUT_DST_REJECT, &utc, &why), CUT_EDATA);
    assert_string_equal(why, "ambiguous local time (DST overlap) in Europe/Brussels");
    expect_utc(tz, local, CUT_DST_EARLIER, secs(2024, 10, 27, 0, 30));
    expect_utc(tz, local, CUT_DST_LATER, secs(2024, 10, 27, 1, 30));
    expect_utc(tz, secs(2024, 10, 27, 3, 0), CUT_DST_REJECT, secs(2024, 10, 27, 2, 0));
    cut_tz_free(tz);
}

/* local_to_utc by its definition: every offset a zone could use (-12 h to +14 h, in
   quarter hours) gives a candidate u = local - o, valid when o is in force at u. */
static int ref_local_to_utc(const cut_tz *tz, int64_t local, int64_t *first, int64_t *last)
{
    int found = 0;
    for (int32_t o = -12 * 3600; o <= 14 * 3600; o += 900) {
        int64_t u = local - o;
        if (cut_tz_utc_offset(tz, u) != o)
            continue;
        if (!found || u < *first)
            *first = u;
        if (!found || u > *last)
            *last = u;
        found = 1;
    }
    return found;
}

static void check_zone_against_definition(const char *name)
{
    cut_tz *tz = open_zone(name);
    if (!tz)
        skip();
    static const unsigned windows[][2] = {{3, 20}, {9, 25}, {10, 20}};
    int64_t n = 0, gaps = 0, overlaps = 0;
    for (int y = 2000; y <= 2030; y++) {
        for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
            int64_t start = secs(y, windows[w][0], windows[w][1], 0, 0);
            for (int64_t l = start; l < start + 20 * 86400; l += 1800) {
                int64_t first = 0, last = 0, e = 0, t = 0;
                int ok = ref_local_to_utc(tz, l, &first, &last);
                int rc_e = cut_tz_local_to_utc(tz, l, CUT_DST_EARLIER, &e, NULL);
                int rc_l = cut_tz_local_to_utc(tz, l, CUT_DST_LATER, &t, NULL);
                if (!ok) {
                    gaps++;
                    assert_int_equal(rc_e, CUT_EDATA);
                    assert_int_equal(rc_l, CUT_EDATA);
                    continue;
                }
                if (rc_e || rc_l || e != first || t != last)
                    fail_msg("%s, local %lld: got %d/%lld, %d/%lld; want %lld, %lld", name,
                             (long long)l, rc_e, (long long)e, rc_l, (long long)t,
                             (long long)first, (long long)last);
                overlaps += first != last;
                n++;
            }
        }
    }
    /* Far from the table's ends too: before 1900 and after 2037 (the footer rule). */
    for (int64_t l = secs(1850, 1, 1, 0, 0); l < secs(2100, 1, 1, 0, 0); l += 97 * 3600 + 13 * 60) {
        int64_t first = 0, last = 0, e = 0;
        if (ref_local_to_utc(tz, l, &first, &last) &&
            cut_tz_local_to_utc(tz, l, CUT_DST_EARLIER, &e, NULL) == 0)
            assert_int_equal(e, first);
        n++;
    }
    assert_true(gaps > 0 && overlaps > 0 && n > 1000);
    cut_tz_free(tz);
}

static void test_tz_local_to_utc_agrees_with_its_definition(void **state)
{
    (void)state;
    check_zone_against_definition("Europe/Brussels");
    check_zone_against_definition("Australia/Sydney");
    check_zone_against_definition("America/New_York");
}

static void test_tz_far_future_uses_footer_rule(void **state)
{
    (void)state;
    cut_tz *tz = open_zone("Europe/Brussels");
    if (!tz)
        skip();
    expect_utc(tz, secs(2090, 7, 1, 12, 0), CUT_DST_REJECT, secs(2090, 7, 1, 10, 0));
    expect_utc(tz, secs(2090, 1, 15, 12, 0), CUT_DST_REJECT, secs(2090, 1, 15, 11, 0));
    /* 2090-03-26 is the last Sunday of March. */
    int64_t utc;
    assert_int_equal(cut_tz_local_to_utc(tz, secs(2090, 3, 26, 2, 30), CUT_DST_REJECT, &utc, NULL),
                     CUT_EDATA);
    cut_tz_free(tz);
}

static void test_tz_new_york_and_sydney(void **state)
{
    (void)state;
    cut_tz *ny = open_zone("America/New_York"), *syd = open_zone("Australia/Sydney");
    if (!ny || !syd) {
        cut_tz_free(ny);
        cut_tz_free(syd);
        skip();
    }
    expect_utc(ny, secs(2024, 7, 1, 12, 0), CUT_DST_REJECT, secs(2024, 7, 1, 16, 0));
    expect_utc(ny, secs(2024, 1, 15, 12, 0), CUT_DST_REJECT, secs(2024, 1, 15, 17, 0));
    int64_t utc;
    /* 2024-03-10 02:30 does not exist in New York; 2024-11-03 01:30 happens twice. */
    assert_int_equal(cut_tz_local_to_utc(ny, secs(2024, 3, 10, 2, 30), CUT_DST_LATER, &utc, NULL),
                     CUT_EDATA);
    expect_utc(ny, secs(2024, 11, 3, 1, 30), CUT_DST_EARLIER, secs(2024, 11, 3, 5, 30));
    expect_utc(ny, secs(2024, 11, 3, 1, 30), CUT_DST_LATER, secs(2024, 11, 3, 6, 30));
    /* Southern hemisphere: summer time in January, standard time in July. */
    expect_utc(syd, secs(2024, 1, 15, 12, 0), CUT_DST_REJECT, secs(2024, 1, 15, 1, 0));
    expect_utc(syd, secs(2024, 7, 1, 12, 0), CUT_DST_REJECT, secs(2024, 7, 1, 2, 0));
    expect_utc(syd, secs(2090, 1, 15, 12, 0), CUT_DST_REJECT, secs(2090, 1, 15, 1, 0));
    expect_utc(syd, secs(2090, 7, 1, 12, 0), CUT_DST_REJECT, secs(2090, 7, 1, 2, 0));
    /* 2024-10-06 02:30 is skipped in Sydney. */
    assert_int_equal(cut_tz_local_to_utc(syd, secs(2024, 10, 6, 2, 30), CUT_DST_LATER, &utc, NULL),
                     CUT_EDATA);
    cut_tz_free(ny);
    cut_tz_free(syd);
}

static void test_tz_utc_works_without_tzdata(void **state)
{
    (void)state;
    const char *old = getenv("TZDIR");
    char *saved = old ? strdup(old) : NULL;
    setenv("TZDIR", "/nonexistent/zoneinfo", 1);
    const char *names[] = {"UTC", "Etc/UTC", "Z"};
    for (size_t i = 0; i < 3; i++) {
        cut_tz *tz = open_zone(names[i]);
        assert_non_null(tz);
        assert_string_equal(cut_tz_name(tz), names[i]);
        expect_utc(tz, secs(2024, 3, 31, 2, 30), CUT_DST_REJECT, secs(2024, 3, 31, 2, 30));
        assert_int_equal(cut_tz_utc_offset(tz, 0), 0);
        cut_tz_free(tz);
    }
    assert_null(open_zone("Europe/Brussels"));
    if (saved) {
        setenv("TZDIR", saved, 1);
        free(saved);
    } else {
        unsetenv("TZDIR");
    }
    /* NULL is UTC too. */
    expect_utc(NULL, 12345, CUT_DST_REJECT, 12345);
    assert_string_equal(cut_tz_name(NULL), "UTC");
}

static void test_tz_unknown_or_unsafe_names_are_rejected(void **state)
{
    (void)state;
    const char *bad[] = {
        "Mars/Olympus", "../etc/passwd", "/etc/passwd", "Europe/../../etc/passwd", "",
        "Europe",       "zone.tab"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cut_tz *tz = (cut_tz *)1;
        cut_error err;
        cut_error_clear(&err);
        assert_int_equal(cut_tz_open(bad[i], &tz, &err), CUT_EINVAL);
        assert_null(tz);
        char want[128];
        snprintf(want, sizeof(want), "unknown time zone '%s'", bad[i]);
        if (strncmp(err.msg, want, strlen(want)) != 0)
            fail_msg("'%s': message '%s'", bad[i], err.msg);
    }
    cut_tz_free(NULL);
}

/*
 * Writes a TZif version 2 file with no transitions and only a footer rule,
 * as zic -b slim does for zones whose rules have not changed, so that every
 * conversion goes through the POSIX TZ string.
 */
static void write_footer_only_zone(const char *dir, const char *name, int32_t utoff,
                                   const char *footer)
{
    unsigned char hdr[44] = {'T', 'Z', 'i', 'f', '2'};
    hdr[39] = 1; /* typecnt */
    hdr[43] = 4; /* charcnt */
    unsigned char data[10] = {(unsigned char)(utoff >> 24),
                              (unsigned char)(utoff >> 16),
                              (unsigned char)(utoff >> 8),
                              (unsigned char)utoff,
                              0,
                              0,
                              'S',
                              'T',
                              'D',
                              0};
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(hdr, 1, sizeof(hdr), f);
    fwrite(data, 1, sizeof(data), f);
    fwrite(hdr, 1, sizeof(hdr), f);
    fwrite(data, 1, sizeof(data), f);
    fprintf(f, "\n%s\n", footer);
    fclose(f);
}

static void test_tz_footer_rule_forms(void **state)
{
    (void)state;
    char dir[] = "/tmp/cut_tz_XXXXXX";
    assert_non_null(mkdtemp(dir));
    write_footer_only_zone(dir, "Mrule", 3600, "CET-1CEST,M3.5.0,M10.5.0/3");
    write_footer_only_zone(dir, "Jrule", 3600, "XST-1XDT,J60/2,J300/2");
    write_footer_only_zone(dir, "Nrule", 3600, "XST-1XDT,59/2,299/2");
    write_footer_only_zone(dir, "South", 36000, "AEST-10AEDT,M10.1.0,M4.1.0/3");
    write_footer_only_zone(dir, "Fixed", -18000, "<-05>5");
    const char *old = getenv("TZDIR");
    char *saved = old ? strdup(old) : NULL;
    setenv("TZDIR", dir, 1);

    cut_tz *m = open_zone("Mrule"), *jz = open_zone("Jrule"), *nz = open_zone("Nrule");
    cut_tz *s = open_zone("South"), *fx = open_zone("Fixed");
    assert_non_null(m);
    assert_non_null(jz);
    assert_non_null(nz);
    assert_non_null(s);
    assert_non_null(fx);
    int64_t utc;
    /* Mm.w.d: same answers as the full Europe/Brussels file. */
    expect_utc(m, secs(2024, 7, 1, 12, 0), CUT_DST_REJECT, secs(2024, 7, 1, 10, 0));
    expect_utc(m, secs(2024, 1, 15, 12, 0), CUT_DST_REJECT, secs(2024, 1, 15, 11, 0));
    assert_int_equal(cut_tz_local_to_utc(m, secs(2024, 3, 31, 2, 30), 0, &utc, NULL), CUT_EDATA);
    expect_utc(m, secs(2024, 10, 27, 2, 30), CUT_DST_EARLIER, secs(2024, 10, 27, 0, 30));
    expect_utc(m, secs(2024, 10, 27, 2, 30), CUT_DST_LATER, secs(2024, 10, 27, 1, 30));
    /* Jn skips Feb 29: J60 is March 1 in a leap year too. */
    assert_int_equal(cut_tz_local_to_utc(jz, secs(2024, 3, 1, 2, 30), 0, &utc, NULL), CUT_EDATA);
    expect_utc(jz, secs(2024, 2, 29, 2, 30), CUT_DST_REJECT, secs(2024, 2, 29, 1, 30));
    /* n counts from 0 and includes Feb 29: day 59 is Feb 29 in 2024, March 1 in 2023. */
    assert_int_equal(cut_tz_local_to_utc(nz, secs(2024, 2, 29, 2, 30), 0, &utc, NULL), CUT_EDATA);
    assert_int_equal(cut_tz_local_to_utc(nz, secs(2023, 3, 1, 2, 30), 0, &utc, NULL), CUT_EDATA);
    /* Southern rule: DST across the new year. */
    expect_utc(s, secs(2024, 1, 15, 12, 0), CUT_DST_REJECT, secs(2024, 1, 15, 1, 0));
    expect_utc(s, secs(2024, 7, 1, 12, 0), CUT_DST_REJECT, secs(2024, 7, 1, 2, 0));
    assert_int_equal(cut_tz_local_to_utc(s, secs(2024, 10, 6, 2, 30), 0, &utc, NULL), CUT_EDATA);
    expect_utc(s, secs(2024, 4, 7, 2, 30), CUT_DST_EARLIER, secs(2024, 4, 6, 15, 30));
    expect_utc(s, secs(2024, 4, 7, 2, 30), CUT_DST_LATER, secs(2024, 4, 6, 16, 30));
    /* Quoted name, no DST. */
    expect_utc(fx, secs(2024, 7, 1, 12, 0), CUT_DST_REJECT, secs(2024, 7, 1, 17, 0));

    cut_tz_free(m);
    cut_tz_free(jz);
    cut_tz_free(nz);
    cut_tz_free(s);
    cut_tz_free(fx);
    const char *files[] = {"Mrule", "Jrule", "Nrule", "South", "Fixed"};
    for (size_t i = 0; i < 5; i++) {
        char path[600];
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    if (saved) {
        setenv("TZDIR", saved, 1);
        free(saved);
    } else {
        unsetenv("TZDIR");
    }
}

/* ------------------------------------------------------------- others */

static void test_reason_is_written_into_out(void **state)
{
    (void)state;
    cut_type t = t_int(16, 0);
    const char *r = NULL;
    assert_int_equal(cut_canon(&t, "70000", 5, NULL, &out, &r), CUT_EDATA);
    assert_ptr_equal(r, out.p);
    assert_string_equal(r, "'70000' is out of range for int16");
    /* reason may be NULL. */
    assert_int_equal(cut_canon(&t, "70000", 5, NULL, &out, NULL), CUT_EDATA);
}

static void test_unknown_kind_passes_through(void **state)
{
    (void)state;
    cut_type t = ty(CUT_T_UNKNOWN);
    EXPECT_SAME(t, " anything \xFF");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names_are_short_words),
        cmocka_unit_test(test_type_format_renders_parameters),
        cmocka_unit_test(test_days_from_civil_known_dates),
        cmocka_unit_test(test_civil_from_days_round_trips),
        cmocka_unit_test(test_parse_int64_is_strict),
        cmocka_unit_test(test_int_canonical_input_is_same_and_not_copied),
        cmocka_unit_test(test_int_normalizes_sign_zeros_spaces_and_integral_decimals),
        cmocka_unit_test(test_int_rejects_fractions_as_not_an_integer),
        cmocka_unit_test(test_int_rejects_garbage),
        cmocka_unit_test(test_int_range_depends_on_width),
        cmocka_unit_test(test_int_unsigned_covers_full_64_bits),
        cmocka_unit_test(test_numeric_canonical_input_is_same),
        cmocka_unit_test(test_numeric_pads_to_the_scale),
        cmocka_unit_test(test_numeric_rounds_half_away_from_zero),
        cmocka_unit_test(test_numeric_rejects_values_beyond_precision),
        cmocka_unit_test(test_numeric_unconstrained_keeps_significant_digits_only),
        cmocka_unit_test(test_numeric_negative_zero_has_no_sign),
        cmocka_unit_test(test_numeric_handles_arbitrary_length_without_double),
        cmocka_unit_test(test_numeric_rejects_garbage_and_huge_exponents),
        cmocka_unit_test(test_format_double_is_shortest_round_trip),
        cmocka_unit_test(test_format_double_matches_printf),
        cmocka_unit_test(test_parse_double_reads_canonical_floats_only),
        cmocka_unit_test(test_float_canonical_input_is_same),
        cmocka_unit_test(test_float_rewrites_to_shortest_form),
        cmocka_unit_test(test_float_negative_zero_is_zero),
        cmocka_unit_test(test_float_special_values_any_case),
        cmocka_unit_test(test_float_rejects_garbage_hex_and_overflow),
        cmocka_unit_test(test_float32_round_trips_at_single_precision),
        cmocka_unit_test(test_bool_accepts_common_spellings),
        cmocka_unit_test(test_text_valid_utf8_is_same_and_not_trimmed),
        cmocka_unit_test(test_text_length_counts_characters_not_bytes),
        cmocka_unit_test(test_text_rejects_invalid_utf8_with_offset),
        cmocka_unit_test(test_char_n_drops_trailing_blanks_only),
        cmocka_unit_test(test_known_utf8_text_counts_characters_only_when_it_must),
        cmocka_unit_test(test_text_flags_reject_what_the_engine_cannot_store),
        cmocka_unit_test(test_bytes_are_kept_as_is_within_length),
        cmocka_unit_test(test_date_canonical_input_is_same),
        cmocka_unit_test(test_date_accepts_an_all_zero_time_part),
        cmocka_unit_test(test_date_rejects_a_time_of_day),
        cmocka_unit_test(test_date_validates_the_calendar),
        cmocka_unit_test(test_date_zero_dates_become_null_by_default),
        cmocka_unit_test(test_date_zero_dates_rejected_when_asked),
        cmocka_unit_test(test_exact_refuses_what_the_type_would_round),
        cmocka_unit_test(test_time_canonical_input_is_same),
        cmocka_unit_test(test_time_accepts_short_forms),
        cmocka_unit_test(test_time_rounds_half_up_to_precision),
        cmocka_unit_test(test_time_rejects_out_of_range),
        cmocka_unit_test(test_timestamp_canonical_input_is_same),
        cmocka_unit_test(test_timestamp_accepts_lenient_forms),
        cmocka_unit_test(test_timestamp_rounding_carries_into_the_next_day),
        cmocka_unit_test(test_timestamp_rejects_a_non_utc_zone_offset),
        cmocka_unit_test(test_timestamp_takes_a_utc_instant_as_its_utc_wall_time),
        cmocka_unit_test(test_timestamp_zero_dates_follow_the_policy),
        cmocka_unit_test(test_timestamp_rejects_invalid_values),
        cmocka_unit_test(test_timestamptz_canonical_input_is_same),
        cmocka_unit_test(test_timestamptz_offsets_convert_to_utc),
        cmocka_unit_test(test_timestamptz_rounds_before_converting),
        cmocka_unit_test(test_timestamptz_naive_values_default_to_utc),
        cmocka_unit_test(test_timestamptz_naive_values_read_in_source_zone),
        cmocka_unit_test(test_uuid_accepts_common_spellings),
        cmocka_unit_test(test_uuid_reads_16_raw_bytes_as_binary),
        cmocka_unit_test(test_uuid_rejects_malformed),
        cmocka_unit_test(test_json_canonical_input_is_same),
        cmocka_unit_test(test_json_sorts_keys_by_bytes),
        cmocka_unit_test(test_json_duplicate_keys_last_one_wins),
        cmocka_unit_test(test_json_drops_insignificant_whitespace),
        cmocka_unit_test(test_json_escapes_minimally),
        cmocka_unit_test(test_json_numbers_normalize_like_numeric),
        cmocka_unit_test(test_json_rejects_invalid_documents),
        cmocka_unit_test(test_json_nesting_is_limited_to_256),
        cmocka_unit_test(test_json_sorts_large_objects),
        cmocka_unit_test(test_tz_brussels_summer_and_winter),
        cmocka_unit_test(test_tz_brussels_gap_is_rejected),
        cmocka_unit_test(test_tz_brussels_overlap_follows_policy),
        cmocka_unit_test(test_tz_far_future_uses_footer_rule),
        cmocka_unit_test(test_tz_local_to_utc_agrees_with_its_definition),
        cmocka_unit_test(test_tz_new_york_and_sydney),
        cmocka_unit_test(test_tz_utc_works_without_tzdata),
        cmocka_unit_test(test_tz_unknown_or_unsafe_names_are_rejected),
        cmocka_unit_test(test_tz_footer_rule_forms),
        cmocka_unit_test(test_reason_is_written_into_out),
        cmocka_unit_test(test_unknown_kind_passes_through),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
