/* test_digest.c — row hashes and table digests (DESIGN §7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "digest.h"

static cut_cell val(const char *s)
{
    cut_cell c = {s, (uint32_t)strlen(s), 0};
    return c;
}

static cut_cell null_cell(void)
{
    cut_cell c = {NULL, 0, CUT_CELL_NULL};
    return c;
}

static cut_hash128 hash2(cut_cell a, cut_cell b)
{
    cut_cell row[2] = {a, b};
    cut_buf scratch = {0};
    cut_hash128 h = cut_row_hash(row, 2, &scratch);
    cut_buf_free(&scratch);
    return h;
}

static int heq(cut_hash128 a, cut_hash128 b)
{
    return a.lo == b.lo && a.hi == b.hi;
}

static void test_digest_is_order_independent(void **state)
{
    cut_hash128 h[3] = {hash2(val("1"), val("a")), hash2(val("2"), val("b")),
                        hash2(val("3"), val("c"))};
    cut_digest d1, d2;
    cut_digest_init(&d1);
    cut_digest_init(&d2);
    for (int i = 0; i < 3; i++)
        cut_digest_add(&d1, h[i]);
    for (int i = 2; i >= 0; i--)
        cut_digest_add(&d2, h[i]);
    assert_true(cut_digest_equal(&d1, &d2));
    assert_int_equal(d1.rows, 3);
}

static void test_digest_detects_duplicated_row(void **state)
{
    /* With XOR a row present twice would cancel out; the sum must not. */
    cut_hash128 a = hash2(val("1"), val("a")), b = hash2(val("2"), val("b"));
    cut_digest one, dup;
    cut_digest_init(&one);
    cut_digest_init(&dup);
    cut_digest_add(&one, a);
    cut_digest_add(&dup, a);
    cut_digest_add(&dup, b);
    cut_digest_add(&dup, b);
    assert_false(cut_digest_equal(&one, &dup));
    /* Same count, different multiset: {a,a} vs {a,b}. */
    cut_digest aa, ab;
    cut_digest_init(&aa);
    cut_digest_init(&ab);
    cut_digest_add(&aa, a);
    cut_digest_add(&aa, a);
    cut_digest_add(&ab, a);
    cut_digest_add(&ab, b);
    assert_false(cut_digest_equal(&aa, &ab));
}

static void test_null_differs_from_empty_string(void **state)
{
    assert_false(heq(hash2(null_cell(), val("x")), hash2(val(""), val("x"))));
}

static void test_cell_boundaries_matter(void **state)
{
    assert_false(heq(hash2(val("ab"), val("c")), hash2(val("a"), val("bc"))));
    assert_false(heq(hash2(val(""), val("ab")), hash2(val("ab"), val(""))));
}

static void test_row_hash_is_deterministic(void **state)
{
    assert_true(heq(hash2(val("42"), val("zoë")), hash2(val("42"), val("zoë"))));
}

static void test_sum_carries_into_high_half(void **state)
{
    cut_digest d;
    cut_digest_init(&d);
    cut_hash128 big = {UINT64_MAX, 0};
    cut_digest_add(&d, big);
    cut_digest_add(&d, (cut_hash128){1, 0});
    assert_int_equal(d.sum.lo, 0);
    assert_int_equal(d.sum.hi, 1);
    /* Wraps modulo 2^128. */
    cut_digest w;
    cut_digest_init(&w);
    cut_digest_add(&w, (cut_hash128){UINT64_MAX, UINT64_MAX});
    cut_digest_add(&w, (cut_hash128){1, 0});
    assert_int_equal(w.sum.lo, 0);
    assert_int_equal(w.sum.hi, 0);
}

static void test_merge_equals_adding_all(void **state)
{
    cut_hash128 h[4] = {hash2(val("1"), val("a")), hash2(val("2"), val("b")),
                        hash2(val("3"), val("c")), hash2(val("4"), val("d"))};
    cut_digest all, x, y;
    cut_digest_init(&all);
    cut_digest_init(&x);
    cut_digest_init(&y);
    for (int i = 0; i < 4; i++) {
        cut_digest_add(&all, h[i]);
        cut_digest_add(i < 2 ? &x : &y, h[i]);
    }
    cut_digest_merge(&x, &y);
    assert_true(cut_digest_equal(&all, &x));
}

static void test_hex_round_trip(void **state)
{
    cut_digest d;
    cut_digest_init(&d);
    cut_digest_add(&d, (cut_hash128){0x0123456789abcdefULL, 0xfedcba9876543210ULL});
    char hex[33];
    cut_digest_hex(&d, hex);
    assert_string_equal(hex, "fedcba98765432100123456789abcdef");
    cut_hash128 back;
    assert_int_equal(cut_digest_parse_hex(hex, &back), 0);
    assert_true(heq(back, d.sum));
    assert_int_not_equal(cut_digest_parse_hex("xyz", &back), 0);
}

static void test_encoding_is_tag_length_bytes(void **state)
{
    cut_cell row[2] = {null_cell(), val("ab")};
    cut_buf enc = {0};
    assert_int_equal(cut_row_encode(row, 2, &enc), 0);
    const unsigned char want[] = {0, 1, 2, 0, 0, 0, 'a', 'b'};
    assert_int_equal(enc.len, sizeof(want));
    assert_memory_equal(enc.p, want, sizeof(want));
    cut_buf_free(&enc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest_is_order_independent),
        cmocka_unit_test(test_digest_detects_duplicated_row),
        cmocka_unit_test(test_null_differs_from_empty_string),
        cmocka_unit_test(test_cell_boundaries_matter),
        cmocka_unit_test(test_row_hash_is_deterministic),
        cmocka_unit_test(test_sum_carries_into_high_half),
        cmocka_unit_test(test_merge_equals_adding_all),
        cmocka_unit_test(test_hex_round_trip),
        cmocka_unit_test(test_encoding_is_tag_length_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
