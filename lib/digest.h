/*
 * digest.h — row hashing over the canonical encoding (internal).
 *
 * Encoding of a row for hashing (DESIGN §7, docs/digest.md): for each cell in
 * column order, one tag byte (0 = NULL, 1 = value) and, for a value, its
 * length as 4 bytes little-endian followed by the canonical bytes. The tag
 * and the length make NULL differ from '' and ("ab","c") differ from ("a","bc").
 */
#ifndef CUT_DIGEST_H
#define CUT_DIGEST_H

#include "cutover.h"
#include "row.h"

/* Appends the encoding of cells[0..n) to enc (which is reset first). */
int cut_row_encode(const cut_cell *cells, int n, cut_buf *enc);
/* XXH3-128 of the row's encoding; scratch is a caller-owned buffer reused across rows. */
cut_hash128 cut_row_hash(const cut_cell *cells, int n, cut_buf *scratch);
/* 64-bit hash of the key cells (same encoding), for bucketing rows by key. */
uint64_t cut_key_hash(const cut_cell *cells, const int *idx, int n, cut_buf *scratch);

#endif
