/*
 * row.c — the arena and the batch (see row.h). Chunks are kept across resets
 * so that a batch reused for a whole table allocates only while it warms up.
 */
#include <stdlib.h>
#include <string.h>

#include "row.h"

struct cut_arena_chunk {
    cut_arena_chunk *next;
    size_t size;
    size_t used;
    max_align_t data[];
};

void cut_arena_init(cut_arena *a, size_t chunk_size)
{
    memset(a, 0, sizeof(*a));
    a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
}

static cut_arena_chunk *chunk_new(cut_arena *a, size_t need)
{
    size_t size = a->chunk_size;
    if (need > size)
        size = need;
    /* Reuse a spare chunk that is large enough. */
    for (cut_arena_chunk **pp = &a->spare; *pp; pp = &(*pp)->next) {
        if ((*pp)->size >= need) {
            cut_arena_chunk *c = *pp;
            *pp = c->next;
            c->used = 0;
            return c;
        }
    }
    cut_arena_chunk *c = malloc(sizeof(*c) + size);
    if (!c)
        return NULL;
    c->size = size;
    c->used = 0;
    a->bytes += size;
    return c;
}

void *cut_arena_alloc(cut_arena *a, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    cut_arena_chunk *c = a->head;
    if (!c || c->size - c->used < need) {
        c = chunk_new(a, need);
        if (!c)
            return NULL;
        c->next = a->head;
        a->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += need;
    return p;
}

char *cut_arena_dup(cut_arena *a, const void *p, size_t n)
{
    char *d = cut_arena_alloc(a, n + 1);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

void cut_arena_reset(cut_arena *a)
{
    /* Keep at most a handful of chunks; return oversized extras to the system. */
    cut_arena_chunk *c = a->head;
    while (c) {
        cut_arena_chunk *next = c->next;
        c->used = 0;
        c->next = a->spare;
        a->spare = c;
        c = next;
    }
    a->head = NULL;
    int kept = 0;
    for (cut_arena_chunk **pp = &a->spare; *pp;) {
        if (++kept > 8) {
            cut_arena_chunk *dead = *pp;
            *pp = dead->next;
            a->bytes -= dead->size;
            free(dead);
        } else {
            pp = &(*pp)->next;
        }
    }
}

void cut_arena_free(cut_arena *a)
{
    cut_arena_chunk *lists[2] = {a->head, a->spare};
    for (int i = 0; i < 2; i++) {
        cut_arena_chunk *c = lists[i];
        while (c) {
            cut_arena_chunk *next = c->next;
            free(c);
            c = next;
        }
    }
    a->head = a->spare = NULL;
    a->bytes = 0;
}

cut_batch *cut_batch_new(int ncols, int cap)
{
    if (ncols < 0 || cap <= 0)
        return NULL;
    cut_batch *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->ncols = ncols;
    b->cap = cap;
    size_t ncells = (size_t)cap * (size_t)(ncols ? ncols : 1);
    b->cells = calloc(ncells, sizeof(cut_cell));
    b->pos = calloc((size_t)cap, sizeof(uint64_t));
    b->aux = calloc((size_t)cap, sizeof(uint32_t));
    b->hash = calloc((size_t)cap, sizeof(cut_hash128));
    if (!b->cells || !b->pos || !b->aux || !b->hash) {
        cut_batch_free(b);
        return NULL;
    }
    cut_arena_init(&b->arena, 256 * 1024);
    return b;
}

void cut_batch_free(cut_batch *b)
{
    if (!b)
        return;
    free(b->cells);
    free(b->pos);
    free(b->aux);
    free(b->hash);
    cut_arena_free(&b->arena);
    free(b);
}

void cut_batch_reset(cut_batch *b)
{
    b->nrows = 0;
    cut_arena_reset(&b->arena);
}

int cut_batch_set_copy(cut_batch *b, int r, int c, const void *p, size_t n)
{
    char *d = cut_arena_dup(&b->arena, p, n);
    if (!d)
        return CUT_ENOMEM;
    cut_batch_set_ref(b, r, c, d, n);
    cut_batch_row(b, r)[c].flags = CUT_CELL_NUL; /* cut_arena_dup ends it with a NUL */
    return CUT_OK;
}
