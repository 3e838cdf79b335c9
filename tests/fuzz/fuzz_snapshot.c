/*
 * fuzz_snapshot.c — libFuzzer target for the .cutsnap reader (lib/snapshot.c).
 *
 * The first byte of an input picks what is fuzzed:
 *   even: the rest is a snapshot file, read with cut_snapshot_inspect(verify=1):
 *         footer, index, header, every frame checked, decompressed and decoded;
 *   odd:  the row decoder alone: byte 1 = columns - 1 (mod 16), byte 2 = rows,
 *         the rest = a data frame's content (cut_snap_decode_rows, in batches).
 * Every byte of a snapshot is checksummed, so random changes mostly stop at the
 * first checksum. The custom mutator therefore reseals most mutated files
 * (cut_snap_reseal recomputes the checksums), so that the structure checks
 * behind them are reached too.
 *
 * Build: CC=clang ./configure --enable-fuzzing --enable-sanitizers && make check
 * Run:   tests/fuzz/fuzz_snapshot -max_total_time=600 NEW_DIR $srcdir/tests/fuzz/corpus
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "snapshot.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

static int memfd = -1;
static char memfd_path[64];

static int count_rows(void *ud, cut_batch *b, cut_error *err)
{
    (void)err;
    *(int64_t *)ud += b->nrows;
    /* Touch every cell, as a loader would. */
    for (int r = 0; r < b->nrows; r++) {
        const cut_cell *c = cut_batch_crow(b, r);
        for (int i = 0; i < b->ncols; i++)
            if (!cut_cell_is_null(&c[i]) && c[i].len)
                *(int64_t *)ud += (unsigned char)c[i].p[c[i].len - 1] & 1;
    }
    return 0;
}

static void fuzz_rows(const uint8_t *data, size_t size)
{
    if (size < 2)
        return;
    int ncols = 1 + data[0] % 16;
    uint32_t nrows = data[1];
    cut_batch *b = cut_batch_new(ncols, 7);
    if (!b)
        return;
    cut_digest d;
    cut_digest_init(&d);
    cut_error err;
    cut_error_clear(&err);
    int64_t n = 0;
    cut_snap_decode_rows(data + 2, size - 2, ncols, nrows, &d, NULL, NULL, NULL, &err);
    cut_snap_decode_rows(data + 2, size - 2, ncols, nrows, NULL, b, count_rows, &n, &err);
    cut_batch_free(b);
}

static void fuzz_file(const uint8_t *data, size_t size)
{
    if (memfd < 0) {
        memfd = memfd_create("cutsnap", MFD_CLOEXEC);
        if (memfd < 0)
            abort();
        snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
    }
    if (ftruncate(memfd, 0) != 0)
        abort();
    if (size && pwrite(memfd, data, size, 0) != (ssize_t)size)
        abort();
    cut_snap_info *info = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = cut_snapshot_inspect(memfd_path, 1, &info, &err);
    /* What a reader may say: fine, damaged, not a snapshot, newer, or out of memory. */
    if (rc != CUT_OK && rc != CUT_ECORRUPT && rc != CUT_EINVAL && rc != CUT_EUNSUPPORTED &&
        rc != CUT_ENOMEM)
        abort();
    if (rc == CUT_OK && !info)
        abort();
    if (info) {
        for (int i = 0; i < info->ntables; i++)
            if (!info->tables[i].name || !info->tables[i].ddl)
                abort();
    }
    cut_snap_info_free(info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        fuzz_rows(data + 1, size - 1);
    else
        fuzz_file(data + 1, size - 1);
    return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    size = LLVMFuzzerMutate(data, size, max_size);
    /* Three times in four, a mutated file gets valid checksums again. */
    if (size > 1 && !(data[0] & 1) && seed % 4 != 0)
        cut_snap_reseal(data + 1, size - 1);
    return size;
}
