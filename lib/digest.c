/*
 * digest.c — XXH3-128 row hashes and order-independent table digests.
 *
 * A table digest is (row count, sum of row hashes mod 2^128). Addition is
 * commutative, so rows may arrive in any order and from parallel chunks; it
 * is a sum and not an XOR so that a duplicated row changes the digest.
 */
#include <string.h>
#include <xxhash.h>

#include "digest.h"

static int put_cell(cut_buf *enc, const cut_cell *c)
{
    if (cut_cell_is_null(c))
        return cut_buf_appendc(enc, 0);
    if (cut_buf_reserve(enc, 5 + c->len))
        return CUT_ENOMEM;
    unsigned char *o = (unsigned char *)enc->p + enc->len;
    o[0] = 1;
    o[1] = (unsigned char)(c->len & 0xFF);
    o[2] = (unsigned char)((c->len >> 8) & 0xFF);
    o[3] = (unsigned char)((c->len >> 16) & 0xFF);
    o[4] = (unsigned char)((c->len >> 24) & 0xFF);
    if (c->len)
        memcpy(o + 5, c->p, c->len);
    enc->len += 5 + c->len;
    return CUT_OK;
}

int cut_row_encode(const cut_cell *cells, int n, cut_buf *enc)
{
    cut_buf_reset(enc);
    for (int i = 0; i < n; i++)
        if (put_cell(enc, &cells[i]))
            return CUT_ENOMEM;
    return CUT_OK;
}

cut_hash128 cut_row_hash(const cut_cell *cells, int n, cut_buf *scratch)
{
    cut_hash128 h = {0, 0};
    if (cut_row_encode(cells, n, scratch))
        return h; /* only on OOM; the caller's next allocation fails too */
    XXH128_hash_t x = XXH3_128bits(scratch->p, scratch->len);
    h.lo = x.low64;
    h.hi = x.high64;
    return h;
}

uint64_t cut_key_hash(const cut_cell *cells, const int *idx, int n, cut_buf *scratch)
{
    cut_buf_reset(scratch);
    for (int i = 0; i < n; i++)
        if (put_cell(scratch, &cells[idx[i]]))
            return 0;
    return XXH3_64bits(scratch->p, scratch->len);
}

void cut_digest_init(cut_digest *d)
{
    memset(d, 0, sizeof(*d));
}

void cut_digest_add(cut_digest *d, cut_hash128 h)
{
    uint64_t lo = d->sum.lo + h.lo;
    d->sum.hi += h.hi + (lo < d->sum.lo);
    d->sum.lo = lo;
    d->rows++;
}

void cut_digest_merge(cut_digest *d, const cut_digest *other)
{
    uint64_t lo = d->sum.lo + other->sum.lo;
    d->sum.hi += other->sum.hi + (lo < d->sum.lo);
    d->sum.lo = lo;
    d->rows += other->rows;
}

int cut_digest_equal(const cut_digest *a, const cut_digest *b)
{
    return a->rows == b->rows && a->sum.lo == b->sum.lo && a->sum.hi == b->sum.hi;
}

char *cut_digest_hex(const cut_digest *d, char buf[33])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++)
        buf[i] = hex[(d->sum.hi >> (60 - 4 * i)) & 15];
    for (int i = 0; i < 16; i++)
        buf[16 + i] = hex[(d->sum.lo >> (60 - 4 * i)) & 15];
    buf[32] = '\0';
    return buf;
}

int cut_digest_parse_hex(const char *hex, cut_hash128 *out)
{
    if (!hex || strlen(hex) != 32)
        return CUT_EINVAL;
    uint64_t v[2] = {0, 0};
    for (int i = 0; i < 32; i++) {
        int c = hex[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return CUT_EINVAL;
        v[i / 16] = (v[i / 16] << 4) | (uint64_t)d;
    }
    out->hi = v[0];
    out->lo = v[1];
    return CUT_OK;
}
