/*
 * row.h — cells, batches and the arena that backs them (internal).
 *
 * A batch is a block of up to `cap` rows of `ncols` cells, row-major. Cells
 * point into the batch's arena, or into the memory of the batch it was
 * derived from (`src`), which then lives as long as this batch. Batches are
 * reset and reused, so the steady state allocates nothing per cell.
 */
#ifndef CUT_ROW_H
#define CUT_ROW_H

#include <stddef.h>
#include <stdint.h>

#include "cutover.h"

/* A value: NULL when flags has CUT_CELL_NULL; otherwise len bytes at p, not NUL-terminated
   unless flags has CUT_CELL_NUL (a NUL byte follows them: cut_batch_set_copy's cells). */
enum { CUT_CELL_NULL = 1, CUT_CELL_NUL = 2 };

typedef struct cut_cell {
    const char *p;
    uint32_t len;
    uint32_t flags;
} cut_cell;

static inline int cut_cell_is_null(const cut_cell *c) { return (c->flags & CUT_CELL_NULL) != 0; }

/* Bump allocator in chunks; reset keeps the memory for the next batch. */
typedef struct cut_arena_chunk cut_arena_chunk;
typedef struct cut_arena {
    cut_arena_chunk *head;  /* chunk being filled */
    cut_arena_chunk *spare; /* chunks kept by reset */
    size_t chunk_size;
    size_t bytes; /* total allocated from the system */
} cut_arena;

void cut_arena_init(cut_arena *a, size_t chunk_size);
void *cut_arena_alloc(cut_arena *a, size_t n);        /* NULL on OOM */
char *cut_arena_dup(cut_arena *a, const void *p, size_t n); /* adds a NUL after n bytes */
void cut_arena_reset(cut_arena *a);
void cut_arena_free(cut_arena *a);

typedef struct cut_batch cut_batch;
struct cut_batch {
    int ncols;
    int nrows;
    int cap;
    cut_cell *cells;  /* cap * ncols */
    uint64_t *pos;    /* per row: source position (CSV line of the record, else row ordinal) */
    uint32_t *aux;    /* per row, free for the pipeline's use (mapped: the scan row index) */
    cut_hash128 *hash; /* per row hash, filled by the mapper */
    cut_arena arena;
    cut_batch *src; /* batch whose memory cells may reference; released with this one */
    cut_batch *next; /* free-list / queue link */
};

cut_batch *cut_batch_new(int ncols, int cap);
void cut_batch_free(cut_batch *b);
/* Empties the batch (nrows = 0, arena reset); does not touch src. */
void cut_batch_reset(cut_batch *b);
static inline cut_cell *cut_batch_row(cut_batch *b, int r) { return b->cells + (size_t)r * b->ncols; }
static inline const cut_cell *cut_batch_crow(const cut_batch *b, int r)
{
    return b->cells + (size_t)r * b->ncols;
}
/* Sets cell (r,c) to a copy of p/n in the arena. Returns 0 or CUT_ENOMEM. */
int cut_batch_set_copy(cut_batch *b, int r, int c, const void *p, size_t n);
static inline void cut_batch_set_ref(cut_batch *b, int r, int c, const void *p, size_t n)
{
    cut_cell *x = cut_batch_row(b, r) + c;
    x->p = (const char *)p;
    x->len = (uint32_t)n;
    x->flags = 0;
}
static inline void cut_batch_set_null(cut_batch *b, int r, int c)
{
    cut_cell *x = cut_batch_row(b, r) + c;
    x->p = NULL;
    x->len = 0;
    x->flags = CUT_CELL_NULL;
}

#endif
