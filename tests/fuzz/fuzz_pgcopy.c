/*
 * fuzz_pgcopy.c — libFuzzer target for the PostgreSQL COPY text codec
 * (lib/pg_copy.c), which drv_pg.c uses to read (COPY TO) and load (COPY FROM).
 *
 * The first byte picks the mode and the number of columns (1 + bits 1..3):
 *   even: the rest is one COPY text row as the server sends it (without its
 *         newline), split by cut_pg_copy_split into that many cells; each cell
 *         is also decoded as bytea text (cut_pg_bytea_decode);
 *   odd:  the rest describes cells, each as a header byte (bit 0: NULL, bit 1:
 *         bytea) then a length byte and that many bytes; they are encoded as
 *         drv_pg's loader does (encode_batch: \N, cut_pg_copy_bytea,
 *         cut_pg_copy_escape, tab-separated), parsed back as a scan does, and
 *         bytea cells decoded.
 *
 * Properties, besides "no crash, no leak, no undefined behaviour":
 *  - a split row has cells inside the line, each no longer than the field it
 *    came from, NULL cells without bytes; a decoded bytea is no longer than its text;
 *  - a split row, escaped again and split again, gives the same cells;
 *  - encode then parse is the identity: same NULLs, same bytes, same count.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pg_copy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_COLS 8

typedef struct cell_in {
    int null, bytea;
    const uint8_t *p;
    size_t len;
} cell_in;

/* Writes one row as drv_pg's encode_batch does, without the final newline. */
static void encode_row(cut_buf *b, const cell_in *cells, int n)
{
    cut_buf_reset(b);
    for (int i = 0; i < n; i++) {
        int rc;
        if (i && cut_buf_appendc(b, '\t'))
            abort();
        if (cells[i].null)
            rc = cut_buf_append(b, "\\N", 2);
        else if (cells[i].bytea)
            rc = cut_pg_copy_bytea(b, (const char *)cells[i].p, cells[i].len);
        else
            rc = cut_pg_copy_escape(b, (const char *)cells[i].p, cells[i].len);
        if (rc)
            abort();
    }
    if (memchr(b->p, '\n', b->len) || memchr(b->p, '\r', b->len))
        abort(); /* a raw line end would end the row early */
}

static void fuzz_split(const uint8_t *data, size_t size, int ncols)
{
    char *line = malloc(size ? size : 1);
    if (!line)
        abort();
    memcpy(line, data, size);
    cut_cell cells[MAX_COLS];
    const char *why = NULL;
    int rc = cut_pg_copy_split(line, size, ncols, cells, &why);
    if (rc != CUT_OK) {
        if (rc != CUT_EDATA || !why || !*why)
            abort();
        free(line);
        return;
    }
    cell_in again_in[MAX_COLS];
    for (int i = 0; i < ncols; i++) {
        const cut_cell *c = &cells[i];
        if (cut_cell_is_null(c)) {
            if (c->p || c->len)
                abort();
        } else if (c->p < line || c->p + c->len > line + size) {
            abort();
        }
        again_in[i].null = cut_cell_is_null(c);
        again_in[i].bytea = 0;
        again_in[i].p = (const uint8_t *)c->p;
        again_in[i].len = c->len;
    }
    /* Escaped again and split again: the same cells. */
    cut_buf enc = {0};
    encode_row(&enc, again_in, ncols);
    cut_cell back[MAX_COLS];
    if (cut_pg_copy_split(enc.p, enc.len, ncols, back, &why) != CUT_OK)
        abort();
    for (int i = 0; i < ncols; i++) {
        if (cut_cell_is_null(&back[i]) != again_in[i].null || back[i].len != again_in[i].len ||
            (back[i].len && memcmp(back[i].p, again_in[i].p, back[i].len) != 0))
            abort();
    }
    /* Every non-NULL cell read as bytea text, on a copy of exactly its length. */
    for (int i = 0; i < ncols; i++) {
        if (cut_cell_is_null(&cells[i]))
            continue;
        char *p = malloc(cells[i].len ? cells[i].len : 1);
        if (!p)
            abort();
        memcpy(p, cells[i].p, cells[i].len);
        size_t out = SIZE_MAX;
        rc = cut_pg_bytea_decode(p, cells[i].len, &out);
        if (rc != CUT_OK && rc != CUT_EDATA)
            abort();
        if (rc == CUT_OK && out > cells[i].len)
            abort();
        free(p);
    }
    cut_buf_free(&enc);
    free(line);
}

static void fuzz_roundtrip(const uint8_t *data, size_t size, int ncols)
{
    cell_in in[MAX_COLS];
    size_t at = 0;
    for (int i = 0; i < ncols; i++) {
        uint8_t h = at < size ? data[at++] : 1;
        size_t len = at < size ? data[at++] : 0;
        if (len > size - at)
            len = size - at;
        in[i].null = h & 1;
        in[i].bytea = (h >> 1) & 1;
        in[i].p = data + at;
        in[i].len = in[i].null ? 0 : len;
        at += in[i].len;
    }
    cut_buf enc = {0};
    encode_row(&enc, in, ncols);
    /* The scan reads each row into memory of its own, exactly as long as the row. */
    char *line = malloc(enc.len ? enc.len : 1);
    if (!line)
        abort();
    memcpy(line, enc.p, enc.len);
    cut_cell cells[MAX_COLS];
    const char *why = NULL;
    if (cut_pg_copy_split(line, enc.len, ncols, cells, &why) != CUT_OK)
        abort();
    for (int i = 0; i < ncols; i++) {
        if (cut_cell_is_null(&cells[i]) != in[i].null)
            abort();
        if (in[i].null)
            continue;
        size_t len = cells[i].len;
        if (in[i].bytea && cut_pg_bytea_decode((char *)cells[i].p, cells[i].len, &len) != CUT_OK)
            abort();
        if (len != in[i].len || (len && memcmp(cells[i].p, in[i].p, len) != 0))
            abort();
    }
    free(line);
    cut_buf_free(&enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int ncols = 1 + ((data[0] >> 1) & 7);
    if (data[0] & 1)
        fuzz_roundtrip(data + 1, size - 1, ncols);
    else
        fuzz_split(data + 1, size - 1, ncols);
    return 0;
}
