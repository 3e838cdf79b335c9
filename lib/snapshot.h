/*
 * snapshot.h — internals of the .cutsnap format (lib/snapshot.c) that the
 * unit tests and the fuzzer reach: the format's constants, the row decoder,
 * and resealing an in-memory image after a deliberate change.
 * The format itself is specified in docs/snapshot-format.md.
 */
#ifndef CUT_SNAPSHOT_H
#define CUT_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "cutover.h"
#include "row.h"

#define CUT_SNAP_VERSION 1
#define CUT_SNAP_MAGIC_HEADER 0x184D2A5Cu /* skippable frame magics */
#define CUT_SNAP_MAGIC_INDEX 0x184D2A5Du
#define CUT_SNAP_MAGIC_FOOTER 0x184D2A5Eu
#define CUT_SNAP_FOOTER_SIZE 64
#define CUT_SNAP_FRAME_LIMIT (4u << 20)       /* rows per data frame: at most 4 MiB... */
#define CUT_SNAP_MAX_FRAME_RAW (1u << 30)     /* ...unless one row is larger; never above 1 GiB */
#define CUT_SNAP_MAX_HEADER (64u << 20)
#define CUT_SNAP_MAX_INDEX (256u << 20)
#define CUT_SNAP_MAX_TABLES 65536
#define CUT_SNAP_MAX_COLS 4096
#define CUT_SNAP_INDEX_FRAME_SIZE 44 /* bytes of one frame entry in the index */

/*
 * Decodes the content of one data frame: ncols columns of exactly nrows cells
 * each, in the row encoding, column after column, nothing left over (the whole
 * structure is checked before the first row is handed on). When digest is not
 * NULL, adds each row's hash (XXH3-128 of its cells side by side) to it. When
 * b is not NULL, hands the rows to fn in batches of b (b->ncols == ncols); the
 * cells point into p, which must stay valid while fn runs. Returns 0,
 * CUT_ECORRUPT with the column, row and byte of the problem in err, or fn's
 * error.
 */
typedef int (*cut_snap_batch_fn)(void *ud, cut_batch *b, cut_error *err);
int cut_snap_decode_rows(const unsigned char *p, size_t len, int ncols, uint32_t nrows,
                         cut_digest *digest, cut_batch *b, cut_snap_batch_fn fn, void *ud,
                         cut_error *err);

/*
 * Recomputes every checksum of the snapshot image buf/len in place — each
 * data frame's XXH64 in the index, the header's checksum and the index's copy
 * of it, the index checksum, the file length and the footer checksum — as far
 * as the structure can be followed. For tests that change a field on purpose
 * (a future version) and for the fuzzer's mutator. Returns 0 when the image
 * was resealed entirely, -1 when its structure stopped the walk (what could be
 * fixed was fixed).
 */
int cut_snap_reseal(unsigned char *buf, size_t len);

#endif
