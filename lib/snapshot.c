/*
 * snapshot.c — .cutsnap snapshots (docs/snapshot-format.md): the writer, the
 * reader, inspect, and the verified restore.
 *
 * Writing: pipeline.c's scanner thread reads a table and canonicalizes its
 * rows as verify reads a target (cut_stream_target); this thread encodes the
 * rows into frames of at most 4 MiB; a writer thread compresses each frame
 * with libzstd's workers and appends it to FILE.tmp-PID. The index and the
 * footer follow, then fsync and rename.
 *
 * Reading: the footer, index and header are checked (structure and XXH64)
 * before anything else is believed; then a reader thread reads, checks and
 * decompresses a table's frames in order while this thread decodes the rows,
 * hashes them and hands them on (inspect --verify, restore).
 *
 * Frames circulate in pools of FRAME_POOL buffers between two threads, so
 * memory is a few frames whatever the size of the tables.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include "digest.h"
#include "driver.h"
#include "engine.h"
#include "snapshot.h"
#include "util.h"

#define FRAME_POOL 3
#define ZSTD_MAGIC 0xFD2FB528u

static const char HEADER_MAGIC[8] = {'C', 'U', 'T', 'S', 'N', 'A', 'P', 'H'};
static const char INDEX_MAGIC[8] = {'C', 'U', 'T', 'S', 'N', 'A', 'P', 'I'};
static const char FOOTER_MAGIC[8] = {'C', 'U', 'T', 'S', 'N', 'A', 'P', 'F'};

/* ------------------------------------------------------ little endian */

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const unsigned char *p)
{
    return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* Serialisation into a cut_buf; each returns 0 or CUT_ENOMEM. */
static int w_u8(cut_buf *b, unsigned v)
{
    return cut_buf_appendc(b, (char)(unsigned char)v);
}

static int w_u32(cut_buf *b, uint32_t v)
{
    unsigned char x[4];
    put_le32(x, v);
    return cut_buf_append(b, x, 4);
}

static int w_u64(cut_buf *b, uint64_t v)
{
    unsigned char x[8];
    put_le64(x, v);
    return cut_buf_append(b, x, 8);
}

static int w_str(cut_buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > UINT32_MAX)
        return CUT_EINVAL;
    if (w_u32(b, (uint32_t)n))
        return CUT_ENOMEM;
    return cut_buf_append(b, s ? s : "", n);
}

/* A bounds-checked cursor over a frame's payload: reads past the end set bad. */
typedef struct cursor {
    const unsigned char *p;
    size_t len, pos;
    int bad; /* a read went past the end, or a string held a NUL */
    int oom;
} cursor;

static size_t c_left(const cursor *c)
{
    return c->bad ? 0 : c->len - c->pos;
}

static uint32_t c_u32(cursor *c)
{
    if (c_left(c) < 4) {
        c->bad = 1;
        return 0;
    }
    uint32_t v = get_le32(c->p + c->pos);
    c->pos += 4;
    return v;
}

static uint64_t c_u64(cursor *c)
{
    if (c_left(c) < 8) {
        c->bad = 1;
        return 0;
    }
    uint64_t v = get_le64(c->p + c->pos);
    c->pos += 8;
    return v;
}

static unsigned c_u8(cursor *c)
{
    if (c_left(c) < 1) {
        c->bad = 1;
        return 0;
    }
    return c->p[c->pos++];
}

/* A string as a new C string (NULL when bad or out of memory). */
static char *c_str(cursor *c)
{
    uint32_t n = c_u32(c);
    if (c->bad || n > c_left(c) || memchr(c->p + c->pos, 0, n)) {
        c->bad = 1;
        return NULL;
    }
    char *s = cut_strndup((const char *)c->p + c->pos, n);
    if (!s)
        c->oom = 1;
    c->pos += n;
    return s;
}

/* ------------------------------------------------ a small pointer queue */

/* Frames pass between two threads through these; capacity >= the pool size. */
typedef struct pqueue {
    pthread_mutex_t mu; /* guards every field below */
    pthread_cond_t cv;
    void *item[FRAME_POOL + 1];
    int head, n;
    int closed;  /* no more pushes: pop drains, then returns NULL */
    int aborted; /* pop returns NULL at once */
} pqueue;

static void pq_init(pqueue *q)
{
    memset(q, 0, sizeof(*q));
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
}

static void pq_destroy(pqueue *q)
{
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
}

static void pq_push(pqueue *q, void *x)
{
    pthread_mutex_lock(&q->mu);
    q->item[(q->head + q->n) % (FRAME_POOL + 1)] = x;
    q->n++;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

static void *pq_pop(pqueue *q)
{
    pthread_mutex_lock(&q->mu);
    while (!q->n && !q->closed && !q->aborted)
        pthread_cond_wait(&q->cv, &q->mu);
    void *x = NULL;
    if (!q->aborted && q->n) {
        x = q->item[q->head];
        q->head = (q->head + 1) % (FRAME_POOL + 1);
        q->n--;
    }
    pthread_mutex_unlock(&q->mu);
    return x;
}

static void pq_close(pqueue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

static void pq_abort(pqueue *q)
{
    pthread_mutex_lock(&q->mu);
    q->aborted = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

/* ------------------------------------------------------------ file I/O */

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads exactly n bytes at off; -1 with errno on error, -2 at end of file. */
static int pread_all(int fd, void *p, size_t n, uint64_t off)
{
    char *c = p;
    while (n) {
        ssize_t r = pread(fd, c, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            return -2;
        c += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* ----------------------------------------------------------- the model */

typedef struct snap_frame {
    uint64_t off;
    uint32_t stored, raw, rows;
    uint64_t xxh; /* XXH64 of the stored bytes */
    cut_hash128 sum;
} snap_frame;

typedef struct snap_table {
    cut_table *t; /* the schema as the header records it */
    char *ddl;
    uint64_t rows, raw, stored;
    cut_hash128 sum;
    uint32_t nframes;
    snap_frame *frames;
} snap_table;

/* An open snapshot whose footer, index and header passed their checks. */
typedef struct snap {
    char *path;
    int fd;
    uint64_t size;
    uint32_t version;
    int64_t created;
    char *tool, *source, *driver;
    uint32_t frame_limit;
    int ntables;
    snap_table *tabs;
    uint64_t data_start; /* end of the header frame */
    uint64_t index_off;
    uint64_t header_xxh;
} snap;

static void snap_close(snap *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    for (int i = 0; i < s->ntables; i++) {
        cut_table_free(s->tabs[i].t);
        free(s->tabs[i].ddl);
        free(s->tabs[i].frames);
    }
    free(s->tabs);
    free(s->path);
    free(s->tool);
    free(s->source);
    free(s->driver);
    free(s);
}

static int corrupt(cut_error *err, const snap *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A CUT_ECORRUPT error "FILE: <what>: ..." with the file in the context. */
static int corrupt(cut_error *err, const snap *s, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cut_error_set(err, CUT_ECORRUPT, "%s: %s", s && s->path ? s->path : "snapshot", msg);
    return CUT_ECORRUPT;
}

static void frame_name(const snap *s, int ti, uint32_t fi, char *buf, size_t size)
{
    const snap_table *st = &s->tabs[ti];
    snprintf(buf, size, "table %s, data frame %" PRIu32 " of %" PRIu32 " (offset %" PRIu64 ")",
             st->t->name, fi + 1, st->nframes, st->frames[fi].off);
}

/* ------------------------------------------------------------- header */

static int encode_table(cut_buf *b, const cut_table *t, const char *ddl)
{
    int bad = w_str(b, t->name) || w_str(b, t->schema ? t->schema : "") ||
              w_u32(b, (uint32_t)t->ncols);
    for (int i = 0; i < t->ncols && !bad; i++) {
        const cut_column *c = &t->cols[i];
        bad = w_str(b, c->name) || w_u32(b, (uint32_t)c->type.kind) ||
              w_u32(b, (uint32_t)c->type.width) || w_u32(b, (uint32_t)c->type.precision) ||
              w_u32(b, (uint32_t)c->type.scale) || w_u32(b, (uint32_t)c->type.length) ||
              w_u32(b, c->type.flags) || w_str(b, c->native ? c->native : "") ||
              w_u8(b, c->not_null != 0) || w_u8(b, c->identity != 0) ||
              w_u8(b, c->has_default != 0) || w_u8(b, 0);
    }
    bad = bad || w_u32(b, (uint32_t)t->npk);
    for (int i = 0; i < t->npk && !bad; i++)
        bad = w_u32(b, (uint32_t)t->pk[i]);
    /* Foreign keys whose columns the driver could not resolve are left out. */
    int nfk = 0;
    for (int i = 0; i < t->nfk; i++) {
        int ok = t->fks[i].ncols > 0 && t->fks[i].ref_table;
        for (int k = 0; k < t->fks[i].ncols; k++)
            ok = ok && t->fks[i].cols[k] >= 0 && t->fks[i].cols[k] < t->ncols;
        nfk += ok;
    }
    bad = bad || w_u32(b, (uint32_t)nfk);
    for (int i = 0; i < t->nfk && !bad; i++) {
        const cut_fk *fk = &t->fks[i];
        int ok = fk->ncols > 0 && fk->ref_table;
        for (int k = 0; k < fk->ncols; k++)
            ok = ok && fk->cols[k] >= 0 && fk->cols[k] < t->ncols;
        if (!ok)
            continue;
        bad = w_str(b, fk->name ? fk->name : "") || w_u32(b, (uint32_t)fk->ncols);
        for (int k = 0; k < fk->ncols && !bad; k++)
            bad = w_u32(b, (uint32_t)fk->cols[k]);
        bad = bad || w_str(b, fk->ref_table);
        for (int k = 0; k < fk->ncols && !bad; k++)
            bad = w_str(b, fk->ref_cols && fk->ref_cols[k] ? fk->ref_cols[k] : "");
    }
    return bad || w_str(b, ddl ? ddl : "") ? CUT_ENOMEM : CUT_OK;
}

/* The whole header frame (skippable frame header + payload) into out. */
static int encode_header(cut_buf *out, int64_t created, const char *source, const char *driver,
                         cut_table *const *tabs, char *const *ddls, int n)
{
    cut_buf_reset(out);
    char tool[64];
    snprintf(tool, sizeof(tool), "cutover %s", CUT_VERSION_STRING);
    int bad = w_u32(out, CUT_SNAP_MAGIC_HEADER) || w_u32(out, 0) ||
              cut_buf_append(out, HEADER_MAGIC, 8) || w_u32(out, CUT_SNAP_VERSION) ||
              w_u32(out, 0) || w_u64(out, (uint64_t)created) || w_str(out, tool) ||
              w_str(out, source) || w_str(out, driver) || w_u32(out, CUT_SNAP_FRAME_LIMIT) ||
              w_u32(out, (uint32_t)n);
    for (int i = 0; i < n && !bad; i++)
        bad = encode_table(out, tabs[i], ddls[i]);
    if (bad)
        return CUT_ENOMEM;
    uint64_t h = XXH64(out->p + 8, out->len - 8, 0);
    if (w_u64(out, h))
        return CUT_ENOMEM;
    if (out->len - 8 > CUT_SNAP_MAX_HEADER)
        return CUT_EINVAL;
    put_le32((unsigned char *)out->p + 4, (uint32_t)(out->len - 8));
    return CUT_OK;
}

static int decode_table(cursor *c, cut_table **out, char **ddl)
{
    *out = NULL;
    *ddl = NULL;
    cut_table *t = calloc(1, sizeof(*t));
    if (!t) {
        c->oom = 1;
        return -1;
    }
    t->name = c_str(c);
    char *schema = c_str(c);
    if (schema && *schema)
        t->schema = schema;
    else
        free(schema);
    uint32_t ncols = c_u32(c);
    /* A column takes at least 36 bytes: refuse counts the payload cannot hold. */
    if (!c->bad && (ncols < 1 || ncols > CUT_SNAP_MAX_COLS || ncols > c_left(c) / 36))
        c->bad = 1;
    for (uint32_t i = 0; i < ncols && !c->bad && !c->oom; i++) {
        char *name = c_str(c);
        cut_type ty;
        memset(&ty, 0, sizeof(ty));
        uint32_t kind = c_u32(c);
        ty.width = (int32_t)c_u32(c);
        ty.precision = (int32_t)c_u32(c);
        ty.scale = (int32_t)c_u32(c);
        ty.length = (int32_t)c_u32(c);
        ty.flags = c_u32(c);
        char *native = c_str(c);
        unsigned not_null = c_u8(c), identity = c_u8(c), has_default = c_u8(c);
        c_u8(c);
        if (kind < CUT_T_INT || kind > CUT_T_JSON || not_null > 1 || identity > 1 ||
            has_default > 1)
            c->bad = 1;
        ty.kind = (cut_kind)kind;
        for (int k = 0; k < t->ncols && name && !c->bad; k++)
            if (strcmp(t->cols[k].name, name) == 0)
                c->bad = 1; /* two columns with one name */
        if (!c->bad && name && native) {
            int k = c->bad ? -1 : cut_table_add_column(t, name, native, ty);
            if (k >= 0) {
                t->cols[k].not_null = (int)not_null;
                t->cols[k].identity = (int)identity;
                t->cols[k].has_default = (int)has_default;
            } else if (!c->bad) {
                c->oom = 1;
            }
        }
        free(name);
        free(native);
    }
    uint32_t npk = c_u32(c);
    if (!c->bad && !c->oom && npk > (uint32_t)t->ncols)
        c->bad = 1;
    if (!c->bad && !c->oom && npk) {
        t->pk = calloc(npk, sizeof(int));
        if (!t->pk)
            c->oom = 1;
        for (uint32_t i = 0; i < npk && t->pk && !c->bad; i++) {
            uint32_t k = c_u32(c);
            if (k >= (uint32_t)t->ncols)
                c->bad = 1;
            t->pk[i] = (int)k;
            t->npk = (int)i + 1;
        }
    }
    uint32_t nfk = c_u32(c);
    /* A foreign key takes at least 20 bytes. */
    if (!c->bad && nfk > c_left(c) / 20)
        c->bad = 1;
    if (!c->bad && !c->oom && nfk) {
        t->fks = calloc(nfk, sizeof(cut_fk));
        if (!t->fks)
            c->oom = 1;
    }
    for (uint32_t i = 0; i < nfk && t->fks && !c->bad && !c->oom; i++) {
        cut_fk *fk = &t->fks[i];
        t->nfk = (int)i + 1;
        fk->name = c_str(c);
        uint32_t n = c_u32(c);
        if (!c->bad && (n < 1 || n > (uint32_t)t->ncols || n > c_left(c) / 8)) {
            c->bad = 1;
            break;
        }
        fk->cols = calloc(n, sizeof(int));
        fk->ref_cols = calloc(n, sizeof(char *));
        if (!fk->cols || !fk->ref_cols) {
            c->oom = 1;
            break;
        }
        fk->ncols = (int)n;
        for (uint32_t k = 0; k < n; k++) {
            uint32_t col = c_u32(c);
            if (col >= (uint32_t)t->ncols)
                c->bad = 1;
            fk->cols[k] = (int)col;
        }
        fk->ref_table = c_str(c);
        for (uint32_t k = 0; k < n && !c->bad; k++)
            fk->ref_cols[k] = c_str(c);
    }
    *ddl = c_str(c);
    if (c->bad || c->oom || !t->name || !*ddl) {
        cut_table_free(t);
        free(*ddl);
        *ddl = NULL;
        if (!c->oom)
            c->bad = 1;
        return -1;
    }
    *out = t;
    return 0;
}

static int decode_header(snap *s, const unsigned char *p, size_t len, cut_error *err)
{
    if (len < 8 + 8 + 8 + 8 || memcmp(p, HEADER_MAGIC, 8) != 0)
        return corrupt(err, s, "header frame: not a cutover snapshot header");
    if (XXH64(p, len - 8, 0) != get_le64(p + len - 8))
        return corrupt(err, s, "header frame: checksum mismatch (the header is damaged)");
    cursor c = {p, len - 8, 8, 0, 0};
    uint32_t version = c_u32(&c), flags = c_u32(&c);
    if (version != s->version)
        return corrupt(err, s, "header frame: format version %" PRIu32 " but the footer says %" PRIu32,
                       version, s->version);
    if (flags)
        return corrupt(err, s, "header frame: unknown flags 0x%" PRIx32, flags);
    s->created = (int64_t)c_u64(&c);
    s->tool = c_str(&c);
    s->source = c_str(&c);
    s->driver = c_str(&c);
    s->frame_limit = c_u32(&c);
    uint32_t n = c_u32(&c);
    if (!c.bad && (s->frame_limit < 1 || s->frame_limit > CUT_SNAP_MAX_FRAME_RAW))
        return corrupt(err, s, "header frame: frame limit %" PRIu32 " out of range",
                       s->frame_limit);
    /* A table takes at least 60 bytes. */
    if (!c.bad && (n > CUT_SNAP_MAX_TABLES || n > c_left(&c) / 60))
        c.bad = 1;
    if (!c.bad && !c.oom && n) {
        s->tabs = calloc(n, sizeof(snap_table));
        if (!s->tabs)
            c.oom = 1;
    }
    for (uint32_t i = 0; i < n && s->tabs && !c.bad && !c.oom; i++) {
        if (decode_table(&c, &s->tabs[i].t, &s->tabs[i].ddl) == 0)
            s->ntables = (int)i + 1;
        for (uint32_t k = 0; k < i && !c.bad && s->tabs[i].t; k++)
            if (strcmp(s->tabs[k].t->name, s->tabs[i].t->name) == 0)
                c.bad = 1; /* the same table twice */
    }
    if (c.oom)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    if (c.bad || !s->tool || !s->source || !s->driver || c.pos != c.len)
        return corrupt(err, s, "header frame: malformed (at byte %zu of %zu)", c.pos, len);
    return CUT_OK;
}

/* -------------------------------------------------------------- index */

/* Index payload of the written tables (frames[] in file order, tagged by table). */
static int encode_index(cut_buf *out, uint64_t header_xxh, int ntables, const snap_table *tabs)
{
    cut_buf_reset(out);
    int bad = w_u32(out, CUT_SNAP_MAGIC_INDEX) || w_u32(out, 0) ||
              cut_buf_append(out, INDEX_MAGIC, 8) || w_u32(out, CUT_SNAP_VERSION) ||
              w_u32(out, (uint32_t)ntables) || w_u64(out, header_xxh);
    for (int i = 0; i < ntables && !bad; i++) {
        const snap_table *t = &tabs[i];
        bad = w_u64(out, t->rows) || w_u64(out, t->raw) || w_u64(out, t->stored) ||
              w_u64(out, t->sum.lo) || w_u64(out, t->sum.hi) || w_u32(out, t->nframes);
        for (uint32_t f = 0; f < t->nframes && !bad; f++) {
            const snap_frame *fr = &t->frames[f];
            bad = w_u64(out, fr->off) || w_u32(out, fr->stored) || w_u32(out, fr->raw) ||
                  w_u32(out, fr->rows) || w_u64(out, fr->xxh) || w_u64(out, fr->sum.lo) ||
                  w_u64(out, fr->sum.hi);
        }
    }
    if (bad)
        return CUT_ENOMEM;
    if (out->len - 8 > CUT_SNAP_MAX_INDEX)
        return CUT_EINVAL;
    put_le32((unsigned char *)out->p + 4, (uint32_t)(out->len - 8));
    return CUT_OK;
}

static void hash_add(cut_hash128 *a, cut_hash128 b)
{
    uint64_t lo = a->lo + b.lo;
    a->hi += b.hi + (lo < a->lo);
    a->lo = lo;
}

/* Parses the index's tables (after the header is known) and checks the tiling. */
static int decode_index_tables(snap *s, const unsigned char *p, size_t len, cut_error *err)
{
    cursor c = {p, len, 8 + 4 + 4 + 8, 0, 0};
    uint64_t at = s->data_start;
    for (int i = 0; i < s->ntables; i++) {
        snap_table *t = &s->tabs[i];
        t->rows = c_u64(&c);
        t->raw = c_u64(&c);
        t->stored = c_u64(&c);
        t->sum.lo = c_u64(&c);
        t->sum.hi = c_u64(&c);
        t->nframes = c_u32(&c);
        if (c.bad || t->nframes > c_left(&c) / CUT_SNAP_INDEX_FRAME_SIZE)
            return corrupt(err, s, "index frame: malformed (table %s)", t->t->name);
        if (t->nframes) {
            t->frames = calloc(t->nframes, sizeof(snap_frame));
            if (!t->frames)
                return cut_error_set(err, CUT_ENOMEM, "out of memory");
        }
        uint64_t rows = 0, raw = 0, stored = 0;
        cut_hash128 sum = {0, 0};
        for (uint32_t f = 0; f < t->nframes; f++) {
            snap_frame *fr = &t->frames[f];
            fr->off = c_u64(&c);
            fr->stored = c_u32(&c);
            fr->raw = c_u32(&c);
            fr->rows = c_u32(&c);
            fr->xxh = c_u64(&c);
            fr->sum.lo = c_u64(&c);
            fr->sum.hi = c_u64(&c);
            const char *why = NULL;
            if (fr->off != at)
                why = "does not start where the previous frame ends";
            else if (fr->stored < 8 || fr->stored > s->index_off - at)
                why = "stored size out of range";
            else if (fr->rows < 1 || fr->raw < (uint64_t)t->t->ncols ||
                     fr->raw > CUT_SNAP_MAX_FRAME_RAW ||
                     (fr->rows > 1 && fr->raw > s->frame_limit) ||
                     (uint64_t)fr->rows * (uint64_t)t->t->ncols > fr->raw)
                why = "row count or size out of range";
            if (why)
                return corrupt(err, s, "index frame: table %s, data frame %" PRIu32 " of %" PRIu32
                                       ": %s",
                               t->t->name, f + 1, t->nframes, why);
            at += fr->stored;
            rows += fr->rows;
            raw += fr->raw;
            stored += fr->stored;
            hash_add(&sum, fr->sum);
        }
        if (rows != t->rows || raw != t->raw || stored != t->stored || sum.lo != t->sum.lo ||
            sum.hi != t->sum.hi)
            return corrupt(err, s, "index frame: table %s: its frames do not add up to its totals",
                           t->t->name);
    }
    if (c.pos != c.len)
        return corrupt(err, s, "index frame: %zu unexpected bytes at the end", c.len - c.pos);
    if (at != s->index_off)
        return corrupt(err, s, "index frame: the data frames end at %" PRIu64
                               " but the index starts at %" PRIu64,
                       at, s->index_off);
    return CUT_OK;
}

/* ------------------------------------------------------------- footer */

static void encode_footer(unsigned char f[CUT_SNAP_FOOTER_SIZE], uint64_t index_off,
                          uint64_t index_len, uint64_t index_xxh, uint64_t file_len)
{
    put_le32(f, CUT_SNAP_MAGIC_FOOTER);
    put_le32(f + 4, CUT_SNAP_FOOTER_SIZE - 8);
    memcpy(f + 8, FOOTER_MAGIC, 8);
    put_le32(f + 16, CUT_SNAP_VERSION);
    put_le32(f + 20, 0);
    put_le64(f + 24, index_off);
    put_le64(f + 32, index_len);
    put_le64(f + 40, index_xxh);
    put_le64(f + 48, file_len);
    put_le64(f + 56, XXH64(f, 56, 0));
}

/* ------------------------------------------------------------ opening */

static int io_error(cut_error *err, const snap *s, const char *what)
{
    return cut_error_set(err, CUT_EIO, "%s: cannot read %s: %s", s->path, what, strerror(errno));
}

/* Opens path and checks the footer, the index frame and the header frame. */
static int snap_open(const char *path, snap **out, cut_error *err)
{
    *out = NULL;
    snap *s = calloc(1, sizeof(*s));
    if (!s)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    s->fd = -1;
    s->path = cut_strdup(path);
    unsigned char *index = NULL, *header = NULL;
    int rc = CUT_OK;
    if (!s->path) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (s->fd < 0 || fstat(s->fd, &st) != 0) {
        rc = cut_error_set(err, CUT_EIO, "cannot open snapshot %s: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = cut_error_set(err, CUT_EIO, "%s is not a regular file", path);
        goto done;
    }
    s->size = (uint64_t)st.st_size;

    /* 1. The footer. */
    unsigned char head[16] = {0}, f[CUT_SNAP_FOOTER_SIZE];
    size_t nhead = s->size < 16 ? (size_t)s->size : 16;
    if (pread_all(s->fd, head, nhead, 0) != 0) {
        rc = io_error(err, s, "the header");
        goto done;
    }
    /* What is left of the start of a snapshot (its first 4 bytes at least)? */
    int looks_like_snapshot = nhead >= 4 && get_le32(head) == CUT_SNAP_MAGIC_HEADER &&
                              (nhead < 16 || memcmp(head + 8, HEADER_MAGIC, 8) == 0);
    if (s->size < CUT_SNAP_FOOTER_SIZE + 16 ||
        pread_all(s->fd, f, CUT_SNAP_FOOTER_SIZE, s->size - CUT_SNAP_FOOTER_SIZE) != 0 ||
        get_le32(f) != CUT_SNAP_MAGIC_FOOTER || get_le32(f + 4) != CUT_SNAP_FOOTER_SIZE - 8 ||
        memcmp(f + 8, FOOTER_MAGIC, 8) != 0) {
        if (looks_like_snapshot)
            rc = corrupt(err, s, "footer: missing at the end of the file (%" PRIu64
                                 " bytes): the snapshot is truncated or was appended to",
                         s->size);
        else if (nhead < 4) /* too short to tell: what is left of one, most likely */
            rc = corrupt(err, s, "%" PRIu64 " bytes: too short for a snapshot (truncated?)",
                         s->size);
        else /* the wrong file was given: not a damaged snapshot, a usage error */
            rc = cut_error_set(err, CUT_EINVAL, "%s: not a cutover snapshot (.cutsnap)", path);
        goto done;
    }
    s->version = get_le32(f + 16);
    if (s->version > CUT_SNAP_VERSION) {
        rc = cut_error_set(err, CUT_EUNSUPPORTED,
                           "%s: written by a newer cutover (format %" PRIu32
                           "; this cutover %s reads format %d): upgrade cutover to read it",
                           path, s->version, CUT_VERSION_STRING, CUT_SNAP_VERSION);
        goto done;
    }
    if (XXH64(f, 56, 0) != get_le64(f + 56)) {
        rc = corrupt(err, s, "footer: checksum mismatch (the footer is damaged)");
        goto done;
    }
    if (s->version < 1 || get_le32(f + 20) != 0) {
        rc = corrupt(err, s, "footer: bad version %" PRIu32 " or flags", s->version);
        goto done;
    }
    uint64_t file_len = get_le64(f + 48);
    if (file_len != s->size) {
        rc = corrupt(err, s, "footer: the file is %" PRIu64 " bytes but was written with %" PRIu64
                             ": truncated or extended",
                     s->size, file_len);
        goto done;
    }
    s->index_off = get_le64(f + 24);
    uint64_t index_len = get_le64(f + 32), index_xxh = get_le64(f + 40);
    uint64_t index_end = s->size - CUT_SNAP_FOOTER_SIZE;
    if (index_len < 8 + 24 || index_len - 8 > CUT_SNAP_MAX_INDEX || index_len > index_end ||
        s->index_off != index_end - index_len || s->index_off < 16) {
        rc = corrupt(err, s, "footer: the index position is out of range");
        goto done;
    }

    /* 2. The index frame. */
    size_t ilen = (size_t)(index_len - 8);
    index = malloc(ilen + 8);
    if (!index) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    if (pread_all(s->fd, index, ilen + 8, s->index_off) != 0) {
        rc = io_error(err, s, "the index");
        goto done;
    }
    if (get_le32(index) != CUT_SNAP_MAGIC_INDEX || get_le32(index + 4) != ilen) {
        rc = corrupt(err, s, "index frame: bad frame header at offset %" PRIu64, s->index_off);
        goto done;
    }
    const unsigned char *ip = index + 8;
    if (XXH64(ip, ilen, 0) != index_xxh) {
        rc = corrupt(err, s, "index frame: checksum mismatch (the index is damaged)");
        goto done;
    }
    if (memcmp(ip, INDEX_MAGIC, 8) != 0 || get_le32(ip + 8) != s->version) {
        rc = corrupt(err, s, "index frame: bad magic or version");
        goto done;
    }
    uint32_t index_ntables = get_le32(ip + 12);
    s->header_xxh = get_le64(ip + 16);

    /* 3. The header frame. */
    uint32_t hlen = get_le32(head + 4);
    if (!looks_like_snapshot || nhead < 16 || hlen < 40 || hlen > CUT_SNAP_MAX_HEADER ||
        (uint64_t)hlen + 8 > s->index_off) {
        rc = corrupt(err, s, "header frame: bad frame header at offset 0");
        goto done;
    }
    header = malloc(hlen);
    if (!header) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    if (pread_all(s->fd, header, hlen, 8) != 0) {
        rc = io_error(err, s, "the header");
        goto done;
    }
    if (XXH64(header, hlen, 0) != s->header_xxh) {
        rc = corrupt(err, s, "header frame: checksum mismatch with the index (the header is "
                             "damaged)");
        goto done;
    }
    if ((rc = decode_header(s, header, hlen, err)))
        goto done;
    s->data_start = 8 + (uint64_t)hlen;
    if (index_ntables != (uint32_t)s->ntables) {
        rc = corrupt(err, s, "index frame: %" PRIu32 " tables but the header has %d",
                     index_ntables, s->ntables);
        goto done;
    }
    rc = decode_index_tables(s, ip, ilen, err);
done:
    free(index);
    free(header);
    if (rc)
        snap_close(s);
    else
        *out = s;
    return rc;
}

/* ------------------------------------------------------- data frames */

/*
 * The checks of a data frame that need no decompression (stored bytes in buf):
 * XXH64, exactly one zstd frame of that size, the content size, a checksum.
 */
static int frame_check(const snap *s, int ti, uint32_t fi, const unsigned char *p, cut_error *err)
{
    const snap_frame *fr = &s->tabs[ti].frames[fi];
    char name[300];
    if (XXH64(p, fr->stored, 0) != fr->xxh) {
        frame_name(s, ti, fi, name, sizeof(name));
        return corrupt(err, s, "%s: checksum mismatch (the frame is damaged)", name);
    }
    const char *why = NULL;
    /* RFC 8878 3.1.1.1.1: bit 2 of the frame header descriptor is the checksum flag. */
    if (get_le32(p) != ZSTD_MAGIC || !(p[4] & 0x04))
        why = "not a zstd frame with a content checksum";
    else if (ZSTD_findFrameCompressedSize(p, fr->stored) != fr->stored)
        why = "the zstd frame's size differs from the index's";
    else if (ZSTD_getFrameContentSize(p, fr->stored) != fr->raw)
        why = "the zstd frame's content size differs from the index's";
    if (why) {
        frame_name(s, ti, fi, name, sizeof(name));
        return corrupt(err, s, "%s: %s", name, why);
    }
    return CUT_OK;
}

/* Reads table ti's frames and runs frame_check on each (restore's pre-check). */
static int table_check(const snap *s, int ti, volatile sig_atomic_t *cancel, cut_error *err)
{
    const snap_table *t = &s->tabs[ti];
    cut_buf buf = {0};
    int rc = CUT_OK;
    for (uint32_t f = 0; f < t->nframes && rc == CUT_OK; f++) {
        const snap_frame *fr = &t->frames[f];
        cut_buf_reset(&buf);
        if (cut_buf_reserve(&buf, fr->stored)) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            break;
        }
        if (pread_all(s->fd, buf.p, fr->stored, fr->off) != 0) {
            rc = io_error(err, s, "a data frame");
            break;
        }
        rc = frame_check(s, ti, f, (const unsigned char *)buf.p, err);
        if (rc == CUT_OK && cancel && *cancel)
            rc = cut_error_set(err, CUT_EINTR, "interrupted");
    }
    cut_buf_free(&buf);
    return rc;
}

/* Length of the cell encoded at p (NULL: 1 byte; value: 5 + its length). */
static size_t cell_size(const unsigned char *p)
{
    return p[0] ? 5 + (size_t)get_le32(p + 1) : 1;
}

int cut_snap_decode_rows(const unsigned char *p, size_t len, int ncols, uint32_t nrows,
                         cut_digest *digest, cut_batch *b, cut_snap_batch_fn fn, void *ud,
                         cut_error *err)
{
    if (ncols < 1 || (b && (b->ncols != ncols || !fn)))
        return cut_error_set(err, CUT_EINVAL, "bad arguments");
    size_t *at = malloc(sizeof(size_t) * (size_t)ncols);
    if (!at)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    cut_buf row = {0};
    int rc = CUT_OK;
    /* 1. Structure: column after column, every cell within the content, nothing left over. */
    size_t pos = 0;
    for (int c = 0; c < ncols && rc == CUT_OK; c++) {
        at[c] = pos;
        for (uint32_t r = 0; r < nrows; r++) {
            if (pos >= len) {
                rc = cut_error_set(err, CUT_ECORRUPT,
                                   "column %d is cut short at row %" PRIu32 " of %" PRIu32
                                   " (byte %zu)",
                                   c + 1, r + 1, nrows, pos);
                break;
            }
            unsigned tag = p[pos];
            if (tag > 1) {
                rc = cut_error_set(err, CUT_ECORRUPT,
                                   "column %d, row %" PRIu32 ": bad tag 0x%02x at byte %zu", c + 1,
                                   r + 1, tag, pos);
                break;
            }
            if (tag && len - pos < 5) {
                rc = cut_error_set(err, CUT_ECORRUPT,
                                   "column %d is cut short at row %" PRIu32 " of %" PRIu32
                                   " (byte %zu)",
                                   c + 1, r + 1, nrows, pos);
                break;
            }
            if (tag && get_le32(p + pos + 1) > len - pos - 5) {
                rc = cut_error_set(err, CUT_ECORRUPT,
                                   "column %d, row %" PRIu32 ": a %" PRIu32
                                   "-byte value runs past the end at byte %zu",
                                   c + 1, r + 1, get_le32(p + pos + 1), pos);
                break;
            }
            pos += cell_size(p + pos);
        }
    }
    if (rc == CUT_OK && pos != len)
        rc = cut_error_set(err, CUT_ECORRUPT, "%zu bytes left over after the last column",
                           len - pos);
    /* 2. Row after row: each row's encoding (its cells in column order) hashed, and
          its cells handed on in batches. */
    if (b)
        cut_batch_reset(b);
    for (uint32_t r = 0; rc == CUT_OK && r < nrows && (digest || b); r++) {
        cut_cell *cells = b ? cut_batch_row(b, b->nrows) : NULL;
        cut_buf_reset(&row);
        for (int c = 0; c < ncols; c++) {
            const unsigned char *q = p + at[c];
            size_t n = cell_size(q);
            if (digest && cut_buf_append(&row, q, n)) {
                rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
                break;
            }
            if (cells) {
                cells[c].p = q[0] ? (const char *)q + 5 : NULL;
                cells[c].len = q[0] ? (uint32_t)(n - 5) : 0;
                cells[c].flags = q[0] ? 0 : CUT_CELL_NULL;
            }
            at[c] += n;
        }
        if (rc)
            break;
        if (digest) {
            XXH128_hash_t h = XXH3_128bits(row.p, row.len);
            cut_hash128 x = {h.low64, h.high64};
            cut_digest_add(digest, x);
        }
        if (b) {
            b->pos[b->nrows] = r + 1;
            if (++b->nrows == b->cap) {
                rc = fn(ud, b, err);
                cut_batch_reset(b);
            }
        }
    }
    if (rc == CUT_OK && b && b->nrows) {
        rc = fn(ud, b, err);
        cut_batch_reset(b);
    }
    cut_buf_free(&row);
    free(at);
    return rc;
}

/* One frame on its way from the reader thread. */
typedef struct rframe {
    uint32_t fi;
    cut_buf comp;
    cut_buf raw;
    int rc;
    cut_error err;
} rframe;

typedef struct reader {
    const snap *s;
    int ti;
    volatile sig_atomic_t *cancel;
    ZSTD_DCtx *dctx;
    pqueue full, free;
    rframe fr[FRAME_POOL];
    pthread_t th;
    int started;
} reader;

/* Reads, checks and decompresses one frame into r->raw; errors in r->rc/err. */
static void read_frame(reader *rd, rframe *r)
{
    const snap *s = rd->s;
    const snap_frame *fr = &s->tabs[rd->ti].frames[r->fi];
    cut_buf_reset(&r->comp);
    cut_buf_reset(&r->raw);
    cut_error_clear(&r->err);
    if (cut_buf_reserve(&r->comp, fr->stored) || cut_buf_reserve(&r->raw, fr->raw)) {
        r->rc = cut_error_set(&r->err, CUT_ENOMEM, "out of memory");
        return;
    }
    if (pread_all(s->fd, r->comp.p, fr->stored, fr->off) != 0) {
        r->rc = io_error(&r->err, s, "a data frame");
        return;
    }
    r->comp.len = fr->stored;
    if ((r->rc = frame_check(s, rd->ti, r->fi, (const unsigned char *)r->comp.p, &r->err)))
        return;
    size_t n = ZSTD_decompressDCtx(rd->dctx, r->raw.p, fr->raw, r->comp.p, fr->stored);
    if (ZSTD_isError(n) || n != fr->raw) {
        char name[300];
        frame_name(s, rd->ti, r->fi, name, sizeof(name));
        r->rc = corrupt(&r->err, s, "%s: cannot decompress: %s", name,
                        ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong content size");
        return;
    }
    r->raw.len = n;
}

static void *reader_main(void *arg)
{
    reader *rd = arg;
    const snap_table *t = &rd->s->tabs[rd->ti];
    for (uint32_t f = 0; f < t->nframes; f++) {
        rframe *r = pq_pop(&rd->free);
        if (!r)
            break; /* the consumer stopped */
        r->fi = f;
        r->rc = CUT_OK;
        if (rd->cancel && *rd->cancel)
            r->rc = cut_error_set(&r->err, CUT_EINTR, "interrupted");
        else
            read_frame(rd, r);
        pq_push(&rd->full, r);
        if (r->rc)
            break;
    }
    pq_close(&rd->full);
    return NULL;
}

static void reader_finish(reader *rd)
{
    if (rd->started) {
        pq_abort(&rd->free);
        pthread_join(rd->th, NULL);
    }
    for (int i = 0; i < FRAME_POOL; i++) {
        cut_buf_free(&rd->fr[i].comp);
        cut_buf_free(&rd->fr[i].raw);
    }
    ZSTD_freeDCtx(rd->dctx);
    pq_destroy(&rd->full);
    pq_destroy(&rd->free);
}

static int reader_start(reader *rd, const snap *s, int ti, volatile sig_atomic_t *cancel,
                        cut_error *err)
{
    memset(rd, 0, sizeof(*rd));
    rd->s = s;
    rd->ti = ti;
    rd->cancel = cancel;
    pq_init(&rd->full);
    pq_init(&rd->free);
    for (int i = 0; i < FRAME_POOL; i++)
        pq_push(&rd->free, &rd->fr[i]);
    rd->dctx = ZSTD_createDCtx();
    if (!rd->dctx)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    if (pthread_create(&rd->th, NULL, reader_main, rd))
        return cut_error_set(err, CUT_ENOMEM, "cannot start a reader thread");
    rd->started = 1;
    return CUT_OK;
}

/*
 * Streams table ti: every frame is checked, decompressed, decoded and its
 * digest compared with the index's before any of its rows reach fn (when fn
 * is not NULL, in batches of b). *found = the digest of the rows decoded.
 */
static int table_read(const snap *s, int ti, cut_batch *b, cut_snap_batch_fn fn, void *ud,
                      volatile sig_atomic_t *cancel, cut_digest *found, cut_error *err)
{
    const snap_table *t = &s->tabs[ti];
    cut_digest_init(found);
    reader rd;
    int rc = reader_start(&rd, s, ti, cancel, err);
    while (rc == CUT_OK) {
        rframe *r = pq_pop(&rd.full);
        if (!r)
            break;
        if (r->rc) {
            *err = r->err;
            rc = r->rc;
            break;
        }
        const snap_frame *fr = &t->frames[r->fi];
        cut_digest d;
        cut_digest_init(&d);
        rc = cut_snap_decode_rows((const unsigned char *)r->raw.p, r->raw.len, t->t->ncols, fr->rows,
                                  &d, NULL, NULL, NULL, err);
        char name[300];
        if (rc == CUT_ECORRUPT) {
            frame_name(s, ti, r->fi, name, sizeof(name));
            cut_error_prefix(err, "%s: %s", s->path, name);
        } else if (rc == CUT_OK && (d.sum.lo != fr->sum.lo || d.sum.hi != fr->sum.hi)) {
            frame_name(s, ti, r->fi, name, sizeof(name));
            rc = corrupt(err, s, "%s: the digest of its rows differs from the index's", name);
        }
        if (rc == CUT_OK && fn)
            rc = cut_snap_decode_rows((const unsigned char *)r->raw.p, r->raw.len, t->t->ncols,
                                      fr->rows, NULL, b, fn, ud, err);
        if (rc == CUT_OK)
            cut_digest_merge(found, &d);
        pq_push(&rd.free, r);
        if (rc == CUT_OK && cancel && *cancel)
            rc = cut_error_set(err, CUT_EINTR, "interrupted");
    }
    reader_finish(&rd);
    if (rc == CUT_OK && (found->rows != t->rows || found->sum.lo != t->sum.lo ||
                         found->sum.hi != t->sum.hi))
        rc = corrupt(err, s, "table %s: the digest of its rows differs from the index's",
                     t->t->name);
    return rc;
}

/* ---------------------------------------------------------- snap info */

void cut_snapshot_opts_init(cut_snapshot_opts *o)
{
    memset(o, 0, sizeof(*o));
}

void cut_snap_info_free(cut_snap_info *info)
{
    if (!info)
        return;
    for (int i = 0; i < info->ntables; i++) {
        free(info->tables[i].name);
        free(info->tables[i].ddl);
        free(info->tables[i].error);
    }
    free(info->tables);
    free(info->created);
    free(info->tool_version);
    free(info->source);
    free(info->driver);
    free(info->target);
    free(info);
}

/* Info of the tables sel[0..n) (all when sel is NULL) of s. */
static cut_snap_info *info_new(const snap *s, const int *sel, int n)
{
    cut_snap_info *in = calloc(1, sizeof(*in));
    if (!in)
        return NULL;
    if (!sel)
        n = s->ntables;
    in->tables = calloc((size_t)n + 1, sizeof(cut_snap_table));
    char iso[40];
    cut_utc_iso((double)s->created, iso, sizeof(iso));
    in->format_version = (int)s->version;
    in->created = cut_strdup(iso);
    in->tool_version = cut_strdup(s->tool);
    in->source = cut_strdup(s->source);
    in->driver = cut_strdup(s->driver);
    in->file_bytes = s->size;
    int ok = in->tables && in->created && in->tool_version && in->source && in->driver;
    for (int i = 0; ok && i < n; i++) {
        const snap_table *t = &s->tabs[sel ? sel[i] : i];
        cut_snap_table *o = &in->tables[i];
        in->ntables = i + 1;
        o->name = cut_strdup(t->t->name);
        o->ddl = cut_strdup(t->ddl);
        o->rows = (int64_t)t->rows;
        o->raw_bytes = t->raw;
        o->stored_bytes = t->stored;
        o->nframes = (int)t->nframes;
        o->ncols = t->t->ncols;
        o->digest.rows = t->rows;
        o->digest.sum = t->sum;
        ok = o->name && o->ddl;
    }
    if (!ok) {
        cut_snap_info_free(in);
        return NULL;
    }
    return in;
}

static void table_fail(cut_snap_table *o, const cut_error *err)
{
    char buf[2048];
    free(o->error);
    o->error = cut_strdup(cut_error_format(err, buf, sizeof(buf)));
    o->verified = 0;
}

static void progress(const cut_snapshot_opts *o, const char *table, const char *phase,
                     int64_t rows, int64_t estimate, int done)
{
    if (o && o->progress) {
        cut_progress p = {table, phase, rows, estimate, done};
        o->progress(o->progress_ud, &p);
    }
}

/* ------------------------------------------------------------- inspect */

int cut_snapshot_inspect(const char *path, int verify, cut_snap_info **info, cut_error *err)
{
    *info = NULL;
    double t0 = cut_now();
    snap *s = NULL;
    int rc = snap_open(path, &s, err);
    if (rc)
        return rc;
    cut_snap_info *in = info_new(s, NULL, 0);
    if (!in) {
        snap_close(s);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    for (int i = 0; verify && i < s->ntables; i++) {
        cut_error e;
        cut_error_clear(&e);
        cut_digest found;
        int trc = table_read(s, i, NULL, NULL, NULL, NULL, &found, &e);
        if (trc == CUT_OK) {
            in->tables[i].digest = found; /* equal to the index's */
            in->tables[i].verified = 1;
            continue;
        }
        table_fail(&in->tables[i], &e);
        if (rc == CUT_OK || (rc == CUT_ECORRUPT && trc != CUT_ECORRUPT)) {
            *err = e;
            rc = trc;
        }
        if (trc != CUT_ECORRUPT)
            break; /* I/O or memory: the rest would fail the same way */
    }
    in->seconds = cut_now() - t0;
    snap_close(s);
    *info = in;
    return rc;
}

/* ------------------------------------------------------------- writing */

/* A frame of encoded rows on its way to the writer thread. */
typedef struct wframe {
    cut_buf raw;
    int table;
    uint32_t rows;
    cut_digest digest;
} wframe;

typedef struct writer {
    int fd;
    const char *path; /* the temporary file, for messages */
    uint64_t off; /* where the next frame goes (the writer thread's, until joined) */
    ZSTD_CCtx *cctx;
    cut_buf out;
    pqueue full, free;
    wframe pool[FRAME_POOL];
    pthread_t th;
    int started;
    snap_table *tabs; /* frames are appended here by the writer thread */
    pthread_mutex_t mu; /* guards rc and err */
    int rc;
    cut_error err;
} writer;

static int writer_failed(writer *w)
{
    pthread_mutex_lock(&w->mu);
    int rc = w->rc;
    pthread_mutex_unlock(&w->mu);
    return rc;
}

static int writer_frame(writer *w, wframe *f, cut_error *err)
{
    size_t cap = ZSTD_compressBound(f->raw.len);
    cut_buf_reset(&w->out);
    if (cut_buf_reserve(&w->out, cap))
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    size_t r = ZSTD_CCtx_reset(w->cctx, ZSTD_reset_session_only);
    if (!ZSTD_isError(r))
        r = ZSTD_CCtx_setPledgedSrcSize(w->cctx, f->raw.len);
    ZSTD_inBuffer in = {f->raw.p, f->raw.len, 0};
    ZSTD_outBuffer out = {w->out.p, cap, 0};
    while (!ZSTD_isError(r)) {
        r = ZSTD_compressStream2(w->cctx, &out, &in, ZSTD_e_end);
        if (r == 0)
            break;
        if (!ZSTD_isError(r) && out.pos == out.size)
            return cut_error_set(err, CUT_EIO, "zstd: output larger than its bound");
    }
    if (ZSTD_isError(r))
        return cut_error_set(err, CUT_EIO, "zstd: %s", ZSTD_getErrorName(r));
    if (out.pos > UINT32_MAX)
        return cut_error_set(err, CUT_EINVAL, "a frame compressed to more than 4 GiB");
    if (write_all(w->fd, w->out.p, out.pos))
        return cut_error_set(err, CUT_EIO, "cannot write %s: %s", w->path, strerror(errno));
    snap_table *t = &w->tabs[f->table];
    snap_frame *frames = realloc(t->frames, sizeof(snap_frame) * (t->nframes + 1));
    if (!frames)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    t->frames = frames;
    snap_frame *fr = &frames[t->nframes++];
    fr->off = w->off;
    fr->stored = (uint32_t)out.pos;
    fr->raw = (uint32_t)f->raw.len;
    fr->rows = f->rows;
    fr->xxh = XXH64(w->out.p, out.pos, 0);
    fr->sum = f->digest.sum;
    t->stored += out.pos;
    w->off += out.pos;
    return CUT_OK;
}

static void *writer_main(void *arg)
{
    writer *w = arg;
    wframe *f;
    while ((f = pq_pop(&w->full)) != NULL) {
        if (!writer_failed(w)) {
            cut_error e;
            cut_error_clear(&e);
            int rc = writer_frame(w, f, &e);
            if (rc) {
                pthread_mutex_lock(&w->mu);
                w->rc = rc;
                w->err = e;
                pthread_mutex_unlock(&w->mu);
            }
        }
        cut_buf_reset(&f->raw);
        pq_push(&w->free, f);
    }
    return NULL;
}

static int writer_start(writer *w, int fd, const char *path, uint64_t off, snap_table *tabs,
                        int level, int threads, cut_error *err)
{
    memset(w, 0, sizeof(*w));
    w->fd = fd;
    w->path = path;
    w->off = off;
    w->tabs = tabs;
    pthread_mutex_init(&w->mu, NULL);
    pq_init(&w->full);
    pq_init(&w->free);
    for (int i = 0; i < FRAME_POOL; i++)
        pq_push(&w->free, &w->pool[i]);
    w->cctx = ZSTD_createCCtx();
    if (!w->cctx)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    size_t r = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, level);
    if (!ZSTD_isError(r))
        r = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
    if (!ZSTD_isError(r))
        r = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1);
    if (ZSTD_isError(r))
        return cut_error_set(err, CUT_EINVAL, "zstd level %d: %s", level, ZSTD_getErrorName(r));
    if (threads > 0) {
        /* Jobs small enough that the workers share each frame (the default job
           size at level 3 is larger than a whole frame). */
        int job = (int)(CUT_SNAP_FRAME_LIMIT / (unsigned)threads);
        if (job < 512 * 1024)
            job = 512 * 1024;
        if (ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_nbWorkers, threads)))
            cut_log(CUT_LOG_INFO, "this libzstd has no worker threads: compressing in one thread");
        else
            ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_jobSize, job);
    }
    if (pthread_create(&w->th, NULL, writer_main, w))
        return cut_error_set(err, CUT_ENOMEM, "cannot start the writer thread");
    w->started = 1;
    return CUT_OK;
}

/* Waits for the frames queued so far to be written; returns the writer's error. */
static int writer_finish(writer *w, cut_error *err)
{
    if (w->started) {
        pq_close(&w->full);
        pthread_join(w->th, NULL);
        w->started = 0;
    }
    if (w->rc)
        *err = w->err;
    return w->rc;
}

static void writer_free(writer *w)
{
    if (w->started) {
        pq_close(&w->full);
        pthread_join(w->th, NULL);
    }
    for (int i = 0; i < FRAME_POOL; i++)
        cut_buf_free(&w->pool[i].raw);
    cut_buf_free(&w->out);
    ZSTD_freeCCtx(w->cctx);
    pq_destroy(&w->full);
    pq_destroy(&w->free);
    pthread_mutex_destroy(&w->mu);
}

/* Whether child has a foreign key to parent (itself excepted). */
static int references(const cut_table *child, const char *parent)
{
    for (int f = 0; f < child->nfk; f++)
        if (child->fks[f].ref_table && strcasecmp(child->fks[f].ref_table, parent) == 0 &&
            strcasecmp(child->name, parent) != 0)
            return 1;
    return 0;
}

/*
 * A load order of t[0..n): perm[k] = the k-th table, each after the tables of
 * the set it references (parents first). A cycle is broken in the given order;
 * the engine then has to accept the rows anyway (deferred checks).
 */
static int fk_order(cut_table *const *t, int n, int *perm)
{
    char *placed = calloc((size_t)n + 1, 1);
    if (!placed)
        return CUT_ENOMEM;
    int k = 0;
    while (k < n) {
        int progress_made = 0;
        for (int i = 0; i < n; i++) {
            if (placed[i])
                continue;
            int ready = 1;
            for (int j = 0; j < n && ready; j++)
                if (j != i && !placed[j] && references(t[i], t[j]->name))
                    ready = 0;
            if (ready) {
                placed[i] = 1;
                perm[k++] = i;
                progress_made = 1;
            }
        }
        for (int i = 0; !progress_made && i < n; i++)
            if (!placed[i]) {
                placed[i] = 1;
                perm[k++] = i;
                progress_made = 1;
            }
    }
    free(placed);
    return CUT_OK;
}

/* A table seen as a one-table plan, so pipeline.c can stream it canonicalized. */
typedef struct tview {
    cut_plan p;
    cut_map_table mt;
    cut_tplan tp;
} tview;

static void tview_free(tview *v)
{
    free(v->tp.out_cols);
    free(v->tp.out_types);
}

/* cols[0..n) = table columns in cell order (NULL: all, in table order). */
static int tview_init(tview *v, cut_table *t, const int *cols, int n)
{
    memset(v, 0, sizeof(*v));
    if (!cols)
        n = t->ncols;
    v->mt.target = t->name;
    v->mt.source = t->name;
    v->tp.mt = &v->mt;
    v->tp.tgt = t;
    v->tp.nout = n;
    v->tp.out_cols = calloc((size_t)n + 1, sizeof(int));
    v->tp.out_types = calloc((size_t)n + 1, sizeof(cut_type));
    if (!v->tp.out_cols || !v->tp.out_types) {
        tview_free(v);
        return CUT_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        v->tp.out_cols[i] = cols ? cols[i] : i;
        v->tp.out_types[i] = t->cols[v->tp.out_cols[i]].type;
    }
    v->p.n = 1;
    v->p.t = &v->tp;
    return CUT_OK;
}

typedef struct snap_ctx {
    writer *w;
    wframe *cur;
    int table;
    const char *name;
    cut_digest digest; /* of the table */
    uint64_t raw;
    int ncols;
    cut_buf *col;      /* the current frame's cells, one buffer per column */
    size_t frame_raw;  /* bytes in col[] */
    const cut_snapshot_opts *o;
    int64_t estimate;
} snap_ctx;

/* Hands the current frame to the writer and takes an empty one. */
static int snap_submit(snap_ctx *x, cut_error *err)
{
    if (x->cur && x->cur->rows) {
        /* The frame's content: its columns one after the other. */
        if (cut_buf_reserve(&x->cur->raw, x->frame_raw))
            return cut_error_set(err, CUT_ENOMEM, "out of memory");
        for (int c = 0; c < x->ncols; c++) {
            cut_buf_append(&x->cur->raw, x->col[c].p, x->col[c].len);
            cut_buf_reset(&x->col[c]);
        }
        x->frame_raw = 0;
        pq_push(&x->w->full, x->cur);
        x->cur = NULL;
    }
    if (!x->cur) {
        x->cur = pq_pop(&x->w->free);
        if (!x->cur)
            return cut_error_set(err, CUT_EIO, "the writer stopped");
    }
    x->cur->rows = 0;
    x->cur->table = x->table;
    cut_digest_init(&x->cur->digest);
    cut_buf_reset(&x->cur->raw);
    int rc = writer_failed(x->w);
    if (rc) {
        pthread_mutex_lock(&x->w->mu);
        *err = x->w->err;
        pthread_mutex_unlock(&x->w->mu);
    }
    return rc;
}

/* Appends one cell in the row encoding (digest.h) to out. */
static int put_cell(cut_buf *out, const cut_cell *v)
{
    if (cut_cell_is_null(v))
        return cut_buf_appendc(out, 0);
    unsigned char h[5] = {1};
    put_le32(h + 1, v->len);
    if (cut_buf_append(out, h, 5))
        return CUT_ENOMEM;
    return v->len ? cut_buf_append(out, v->p, v->len) : CUT_OK;
}

static int snap_batch(void *ud, cut_batch *b, cut_error *err)
{
    snap_ctx *x = ud;
    for (int r = 0; r < b->nrows; r++) {
        const cut_cell *cells = cut_batch_row(b, r);
        uint64_t size = 0;
        for (int c = 0; c < b->ncols; c++)
            size += cut_cell_is_null(&cells[c]) ? 1 : 5 + (uint64_t)cells[c].len;
        if (size > CUT_SNAP_MAX_FRAME_RAW)
            return cut_error_set(err, CUT_EUNSUPPORTED,
                                 "table %s: a row of %" PRIu64 " bytes is larger than a snapshot "
                                 "can hold (1 GiB)",
                                 x->name, size);
        int rc;
        if (x->cur->rows && x->frame_raw + size > CUT_SNAP_FRAME_LIMIT &&
            (rc = snap_submit(x, err)))
            return rc;
        for (int c = 0; c < b->ncols; c++)
            if (put_cell(&x->col[c], &cells[c]))
                return cut_error_set(err, CUT_ENOMEM, "out of memory");
        x->frame_raw += size;
        x->cur->rows++;
        cut_digest_add(&x->cur->digest, b->hash[r]);
        cut_digest_add(&x->digest, b->hash[r]);
        x->raw += size;
    }
    progress(x->o, x->name, "snapshot", (int64_t)x->digest.rows, x->estimate, 0);
    return CUT_OK;
}

/* The URL to record: redacted, with a relative file path made absolute. */
static char *record_url(const cut_conn *c)
{
    const cut_url *u = c->url;
    if ((strcmp(u->scheme, "sqlite") == 0 || strcmp(u->scheme, "csv") == 0) && u->path &&
        u->path[0] != '/') {
        char *abs = realpath(u->path, NULL);
        if (abs) {
            char *s = cut_asprintf("%s:%s", u->scheme, abs);
            free(abs);
            return s;
        }
    }
    return cut_strdup(u->redacted);
}

static int fsync_dir_of(const char *path)
{
    char *dir = cut_strdup(path);
    if (!dir)
        return -1;
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Snapshots names[0..n) of the database at url into path. */
static int snapshot_core(const char *url, const char *const *names, int n, const char *path,
                         const cut_snapshot_opts *o, cut_snap_info **info, cut_error *err)
{
    double t0 = cut_now();
    cut_conn *c = NULL;
    cut_table **tabs = NULL;
    char **ddls = NULL;
    snap_table *st = NULL;
    char *tmp = NULL, *source = NULL;
    int fd = -1, reading = 0, have_writer = 0;
    writer w;
    snap_ctx x;
    memset(&x, 0, sizeof(x));
    cut_buf hdr = {0}, idx = {0};
    int level = o && o->level ? o->level : 3;
    int threads = o && o->threads > 0 ? o->threads : cut_ncpu();
    int rc = CUT_OK;
    if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
        return cut_error_set(err, CUT_EINVAL, "zstd level %d out of range (%d to %d)", level,
                             ZSTD_minCLevel(), ZSTD_maxCLevel());
    if ((rc = cut_connect(url, CUT_OPEN_READ, &c, err)))
        return rc;
    tabs = calloc((size_t)n + 1, sizeof(cut_table *));
    ddls = calloc((size_t)n + 1, sizeof(char *));
    st = calloc((size_t)n + 1, sizeof(snap_table));
    source = record_url(c);
    if (!tabs || !ddls || !st || !source) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    /* One read transaction for every table: they are copied as of one instant. */
    if ((rc = c->drv->begin_read(c, err)))
        goto done;
    reading = 1;
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < i; k++)
            if (strcmp(names[k], names[i]) == 0) {
                rc = cut_error_set(err, CUT_EINVAL, "table %s is named twice", names[i]);
                goto done;
            }
        if ((rc = cut_describe(c, names[i], &tabs[i], err)))
            goto done;
        for (int k = 0; k < tabs[i]->ncols; k++)
            if (tabs[i]->cols[k].unsupported) {
                rc = cut_error_set(err, CUT_EUNSUPPORTED,
                                   "table %s, column %s: %s cannot read type %s",
                                   tabs[i]->name, tabs[i]->cols[k].name, c->drv->name,
                                   tabs[i]->cols[k].native);
                goto done;
            }
        cut_buf d = {0};
        if (c->drv->ddl && (rc = c->drv->ddl(c, tabs[i], &d, err))) {
            cut_buf_free(&d);
            cut_error_set_table(err, tabs[i]->name);
            goto done;
        }
        ddls[i] = cut_strdup(d.len ? cut_buf_cstr(&d) : "");
        cut_buf_free(&d);
        if (!ddls[i]) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
        st[i].t = tabs[i];
        st[i].ddl = ddls[i]; /* borrowed: freed with ddls */
    }
    /* Parents first, so that a restore of the whole file reads in load order. */
    {
        int *perm = calloc((size_t)n + 1, sizeof(int));
        snap_table *sorted = calloc((size_t)n + 1, sizeof(snap_table));
        if (!perm || !sorted || fk_order(tabs, n, perm)) {
            free(perm);
            free(sorted);
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
        for (int i = 0; i < n; i++)
            sorted[i] = st[perm[i]];
        for (int i = 0; i < n; i++) {
            st[i] = sorted[i];
            tabs[i] = st[i].t;
            ddls[i] = st[i].ddl;
        }
        free(perm);
        free(sorted);
    }
    if ((rc = encode_header(&hdr, (int64_t)cut_wallclock(), source, c->drv->name, tabs, ddls, n))) {
        rc = cut_error_set(err, rc, rc == CUT_ENOMEM ? "out of memory" : "the schema is too large");
        goto done;
    }
    tmp = cut_asprintf("%s.tmp-%ld", path, (long)getpid());
    if (!tmp) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    /* 0600: the file holds the rows, as sensitive as the database. */
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = cut_error_set(err, CUT_EIO, "cannot create %s: %s", tmp, strerror(errno));
        goto done;
    }
    if (write_all(fd, hdr.p, hdr.len)) {
        rc = cut_error_set(err, CUT_EIO, "cannot write %s: %s", tmp, strerror(errno));
        goto done;
    }
    if ((rc = writer_start(&w, fd, tmp, hdr.len, st, level, threads, err))) {
        have_writer = 1;
        goto done;
    }
    have_writer = 1;
    x.w = &w;
    x.o = o;
    for (int i = 0; i < n; i++) {
        tview v;
        if (tview_init(&v, tabs[i], NULL, 0)) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
        x.table = i;
        x.name = tabs[i]->name;
        x.ncols = tabs[i]->ncols;
        x.col = calloc((size_t)x.ncols, sizeof(cut_buf));
        x.frame_raw = 0;
        if (!x.col) {
            tview_free(&v);
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
        cut_digest_init(&x.digest);
        x.raw = 0;
        x.estimate = 0;
        cut_error e2;
        cut_error_clear(&e2);
        if (c->drv->estimate_rows)
            c->drv->estimate_rows(c, tabs[i], &x.estimate, &e2);
        progress(o, x.name, "snapshot", 0, x.estimate, 0);
        rc = snap_submit(&x, err);
        if (rc == CUT_OK)
            rc = cut_stream_target(&v.p, &v.tp, c, CUT_DEFAULT_BATCH_ROWS, o ? o->cancel : NULL,
                                   snap_batch, &x, err);
        if (rc == CUT_OK)
            rc = snap_submit(&x, err); /* the table's last frame */
        tview_free(&v);
        for (int k = 0; k < x.ncols; k++)
            cut_buf_free(&x.col[k]);
        free(x.col);
        x.col = NULL;
        if (rc)
            goto done;
        st[i].rows = x.digest.rows;
        st[i].sum = x.digest.sum;
        st[i].raw = x.raw;
        progress(o, x.name, "snapshot", (int64_t)x.digest.rows, x.estimate, 1);
    }
    if (x.cur) {
        pq_push(&w.free, x.cur);
        x.cur = NULL;
    }
    if ((rc = writer_finish(&w, err)))
        goto done;
    c->drv->end_read(c);
    reading = 0;
    /* The index, the footer, and the file in place. */
    if ((rc = encode_index(&idx, XXH64(hdr.p + 8, hdr.len - 8, 0), n, st))) {
        rc = cut_error_set(err, rc, rc == CUT_ENOMEM ? "out of memory" : "the index is too large");
        goto done;
    }
    unsigned char foot[CUT_SNAP_FOOTER_SIZE];
    uint64_t file_len = w.off + idx.len + CUT_SNAP_FOOTER_SIZE;
    encode_footer(foot, w.off, idx.len, XXH64(idx.p + 8, idx.len - 8, 0), file_len);
    if (write_all(fd, idx.p, idx.len) || write_all(fd, foot, sizeof(foot)) || fsync(fd) != 0) {
        rc = cut_error_set(err, CUT_EIO, "cannot write %s: %s", tmp, strerror(errno));
        goto done;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = cut_error_set(err, CUT_EIO, "cannot write %s: %s", tmp, strerror(errno));
        goto done;
    }
    fd = -1;
    if (o && o->cancel && *o->cancel) {
        rc = cut_error_set(err, CUT_EINTR, "interrupted");
        goto done;
    }
    if (rename(tmp, path) != 0) {
        rc = cut_error_set(err, CUT_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        goto done;
    }
    free(tmp);
    tmp = NULL;
    if (fsync_dir_of(path) != 0)
        cut_log(CUT_LOG_WARN, "cannot fsync the directory of %s: %s", path, strerror(errno));
    if (info) {
        snap s;
        memset(&s, 0, sizeof(s));
        s.path = (char *)path;
        s.version = CUT_SNAP_VERSION;
        s.created = (int64_t)get_le64((const unsigned char *)hdr.p + 24);
        char tool[64];
        snprintf(tool, sizeof(tool), "cutover %s", CUT_VERSION_STRING);
        s.tool = tool;
        s.source = source;
        s.driver = (char *)c->drv->name;
        s.ntables = n;
        s.tabs = st;
        s.size = file_len;
        *info = info_new(&s, NULL, 0);
        if (!*info) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
        (*info)->seconds = cut_now() - t0;
    }
done:
    if (have_writer) {
        if (rc) {
            /* Frames still queued are dropped, not compressed. */
            pthread_mutex_lock(&w.mu);
            if (!w.rc)
                w.rc = rc;
            pthread_mutex_unlock(&w.mu);
        }
        writer_free(&w); /* x.cur, if any, is one of its pool's frames */
    }
    if (fd >= 0)
        close(fd);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    if (reading)
        c->drv->end_read(c);
    for (int i = 0; i < n && tabs; i++) {
        cut_table_free(tabs[i]);
        if (ddls)
            free(ddls[i]);
        if (st)
            free(st[i].frames);
    }
    free(tabs);
    free(ddls);
    free(st);
    free(source);
    cut_buf_free(&hdr);
    cut_buf_free(&idx);
    for (int k = 0; x.col && k < x.ncols; k++)
        cut_buf_free(&x.col[k]);
    free(x.col);
    cut_disconnect(c);
    return rc;
}

int cut_snapshot_url(const char *url, const char *path, const cut_snapshot_opts *o,
                     cut_snap_info **info, cut_error *err)
{
    if (info)
        *info = NULL;
    if (o && o->tables) {
        int n = 0;
        while (o->tables[n])
            n++;
        if (!n)
            return cut_error_set(err, CUT_EINVAL, "no tables to snapshot");
        return snapshot_core(url, o->tables, n, path, o, info, err);
    }
    /* Every table of the database. */
    cut_conn *c = NULL;
    int rc = cut_connect(url, CUT_OPEN_READ, &c, err);
    if (rc)
        return rc;
    char **names = NULL;
    int n = 0;
    rc = c->drv->list_tables ? c->drv->list_tables(c, &names, &n, err)
                             : cut_error_set(err, CUT_EUNSUPPORTED, "%s cannot list its tables",
                                             c->drv->name);
    cut_disconnect(c);
    if (rc == CUT_OK && n == 0) {
        char *shown = cut_url_redact(url); /* never the password */
        rc = cut_error_set(err, CUT_ENOTFOUND, "%s has no tables to snapshot",
                           shown ? shown : "the database");
        free(shown);
    }
    if (rc == CUT_OK) {
        const char **v = calloc((size_t)n + 1, sizeof(char *));
        if (!v) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        } else {
            for (int i = 0; i < n; i++)
                v[i] = names[i];
            rc = snapshot_core(url, v, n, path, o, info, err);
            free(v);
        }
    }
    cut_strv_free(names, n);
    return rc;
}

int cut_snapshot_mapping(cut_mapping *m, const char *path, const cut_snapshot_opts *o,
                         cut_snap_info **info, cut_error *err)
{
    if (info)
        *info = NULL;
    const char *url = cut_mapping_target(m);
    int need = cut_mapping_need_urls(m, CUT_NEED_TARGET, err);
    if (need)
        return need;
    int n = cut_mapping_table_count(m);
    const char **v = calloc((size_t)n + 1, sizeof(char *));
    if (!v)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    int k = 0, rc = CUT_OK;
    if (o && o->tables) {
        for (int i = 0; o->tables[i] && rc == CUT_OK; i++) {
            int found = 0;
            for (int j = 0; j < n; j++)
                found = found || strcmp(o->tables[i], cut_mapping_table_name(m, j)) == 0;
            if (!found)
                rc = cut_error_set(err, CUT_ENOTFOUND, "%s: the mapping writes no table %s",
                                   cut_mapping_path(m), o->tables[i]);
            else if (k < n)
                v[k++] = o->tables[i];
        }
    } else {
        for (int j = 0; j < n; j++)
            v[k++] = cut_mapping_table_name(m, j);
    }
    if (rc == CUT_OK && k == 0)
        rc = cut_error_set(err, CUT_EINVAL, "no tables to snapshot");
    if (rc == CUT_OK)
        rc = snapshot_core(url, v, k, path, o, info, err);
    free(v);
    return rc;
}

/* ------------------------------------------------------------- restore */

/* The recorded URL without its redacted password (it comes from the environment). */
static char *unredact(const char *url)
{
    cut_buf b = {0};
    const char *p = url;
    while (*p) {
        if (strncmp(p, ":***@", 5) == 0) {
            cut_buf_appendc(&b, '@');
            p += 5;
            continue;
        }
        if (*p == '?' || *p == '&') {
            /* drop "key=***" parameters */
            size_t seg = strcspn(p + 1, "&");
            if (seg >= 4 && strncmp(p + 1 + seg - 4, "=***", 4) == 0) {
                if (*p == '?' && p[1 + seg] == '&') {
                    cut_buf_appendc(&b, '?');
                    p += 2 + seg;
                } else {
                    p += 1 + seg;
                }
                continue;
            }
        }
        cut_buf_appendc(&b, *p++);
    }
    if (!cut_buf_cstr(&b)) {
        cut_buf_free(&b);
        return NULL;
    }
    return b.p;
}

/* One table being restored. */
typedef struct rtable {
    int ti;         /* in the snapshot */
    cut_table *tgt; /* described in the target */
    int *cols;      /* per snapshot column: the target column */
    int ndeps;      /* restored tables this one references */
} rtable;

/* The statements that put back what a restore dropped for its load (PostgreSQL foreign
   keys and non-unique indexes), run before the read-back in the same transaction. */
typedef struct deferred {
    char **v;
    int n;
} deferred;

static int keep_deferred(void *ud, char *const *stmts, int n, cut_error *err)
{
    deferred *d = ud;
    for (int i = 0; i < n; i++)
        if (cut_strv_push(&d->v, &d->n, cut_strdup(stmts[i])))
            return cut_error_set(err, CUT_ENOMEM, "out of memory");
    return CUT_OK;
}

/* Runs the statements of d in order; an error is prefixed with what. */
static int run_deferred(cut_conn *c, const deferred *d, volatile sig_atomic_t *cancel,
                        const char *what, cut_error *err)
{
    for (int i = 0; i < d->n; i++) {
        if (cancel && *cancel)
            return cut_error_set(err, CUT_EINTR, "interrupted");
        int rc = c->drv->exec(c, d->v[i], err);
        if (rc) {
            cut_error_prefix(err, "%s", what);
            return rc;
        }
    }
    return CUT_OK;
}

static void deferred_free(deferred *d)
{
    cut_strv_free(d->v, d->n);
    d->v = NULL;
    d->n = 0;
}

typedef struct load_ctx {
    const cut_driver *drv;
    cut_load *load;
    const cut_table *tgt;
    const snap_table *st;
    const cut_batch *cur;
    int refused;
    char reason[512];
    char key[256];
    int64_t rows;
    const cut_snapshot_opts *o;
} load_ctx;

/* The key of a snapshot row ("id=42"), in out; nothing for a table without one. */
static void row_key(const cut_table *t, const cut_cell *row, cut_buf *out)
{
    const char **names = t->npk ? calloc((size_t)t->ncols, sizeof(char *)) : NULL;
    if (!names)
        return;
    for (int i = 0; i < t->ncols; i++)
        names[i] = t->cols[i].name;
    cut_render_key(row, t->pk, t->npk, names, out);
    free(names);
}

static void load_refused(void *ud, int row, const char *reason)
{
    load_ctx *lc = ud;
    if (lc->refused++)
        return;
    snprintf(lc->reason, sizeof(lc->reason), "%s", reason);
    cut_buf key = {0};
    row_key(lc->st->t, cut_batch_crow(lc->cur, row), &key);
    snprintf(lc->key, sizeof(lc->key), "%s", key.len ? cut_buf_cstr(&key) : "");
    cut_buf_free(&key);
}

static int load_batch(void *ud, cut_batch *b, cut_error *err)
{
    load_ctx *lc = ud;
    lc->cur = b;
    int rc = lc->drv->load_rows(lc->load, b, load_refused, lc, err);
    if (rc == CUT_OK && lc->refused) {
        rc = cut_error_set(err, CUT_ESERVER, "the target refused a row%s%s: %s",
                           lc->key[0] ? " " : "", lc->key, lc->reason);
        cut_error_set_table(err, lc->tgt->name);
    }
    lc->rows += b->nrows;
    progress(lc->o, lc->tgt->name, "restore", lc->rows, (int64_t)lc->st->rows, 0);
    return rc;
}

/* The key of the snapshot's row err->line of table ti, which the target refused. */
typedef struct find_ctx {
    const cut_table *t;
    int64_t want, seen;
    cut_buf key;
} find_ctx;

static int find_batch(void *ud, cut_batch *b, cut_error *err)
{
    find_ctx *fc = ud;
    CUT_UNUSED(err);
    if (fc->want > fc->seen + b->nrows) {
        fc->seen += b->nrows;
        return CUT_OK;
    }
    row_key(fc->t, cut_batch_crow(b, (int)(fc->want - fc->seen - 1)), &fc->key);
    return CUT_EINTR; /* found: the read stops here */
}

static void name_refused_row(const snap *s, int ti, cut_batch *b, cut_error *err)
{
    const snap_table *st = &s->tabs[ti];
    find_ctx fc = {.t = st->t, .want = err->line};
    cut_error e2;
    cut_error_clear(&e2);
    cut_digest d;
    if (st->t->npk && (uint64_t)err->line <= st->rows)
        table_read(s, ti, b, find_batch, &fc, NULL, &d, &e2);
    cut_error_prefix(err, "the target refused a row%s%s", fc.key.len ? " " : "",
                     fc.key.len ? cut_buf_cstr(&fc.key) : "");
    cut_buf_free(&fc.key);
}

typedef struct back_ctx {
    cut_digest d;
    const char *name;
    int64_t expect;
    const cut_snapshot_opts *o;
} back_ctx;

static int back_batch(void *ud, cut_batch *b, cut_error *err)
{
    back_ctx *bc = ud;
    CUT_UNUSED(err);
    for (int r = 0; r < b->nrows; r++)
        cut_digest_add(&bc->d, b->hash[r]);
    progress(bc->o, bc->name, "verify", (int64_t)bc->d.rows, bc->expect, 0);
    return CUT_OK;
}

/* Resolves the snapshot's table against the target: same column names and kinds. */
static int match_columns(const snap_table *st, rtable *rt, cut_error *err)
{
    const cut_table *s = st->t, *t = rt->tgt;
    rt->cols = calloc((size_t)s->ncols, sizeof(int));
    char *used = calloc((size_t)t->ncols + 1, 1);
    cut_buf missing = {0}, extra = {0};
    int rc = CUT_OK;
    if (!rt->cols || !used) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < s->ncols; i++) {
        int k = cut_table_column(t, s->cols[i].name);
        if (k < 0 || used[k]) {
            cut_buf_printf(&missing, "%s%s", missing.len ? ", " : "", s->cols[i].name);
            rt->cols[i] = -1;
            continue;
        }
        used[k] = 1;
        rt->cols[i] = k;
    }
    for (int k = 0; k < t->ncols; k++)
        if (!used[k])
            cut_buf_printf(&extra, "%s%s", extra.len ? ", " : "", t->cols[k].name);
    if (missing.len || extra.len) {
        rc = cut_error_set(err, CUT_ESCHEMA,
                           "table %s: the target's columns differ from the snapshot's%s%s%s%s "
                           "(restore does not alter tables; the snapshot's DDL: cutover inspect "
                           "--schema)",
                           s->name, missing.len ? "; missing in the target: " : "",
                           missing.len ? cut_buf_cstr(&missing) : "",
                           extra.len ? "; not in the snapshot: " : "",
                           extra.len ? cut_buf_cstr(&extra) : "");
        goto done;
    }
    for (int i = 0; i < s->ncols; i++) {
        const cut_column *a = &s->cols[i], *b = &t->cols[rt->cols[i]];
        if (a->type.kind != b->type.kind) {
            rc = cut_error_set(err, CUT_ESCHEMA,
                               "table %s, column %s: %s in the snapshot (%s) but %s in the target "
                               "(%s)",
                               s->name, a->name, cut_kind_name(a->type.kind), a->native,
                               cut_kind_name(b->type.kind), b->native);
            cut_error_set_column(err, a->name);
            goto done;
        }
        if (b->unsupported) {
            rc = cut_error_set(err, CUT_EUNSUPPORTED, "table %s, column %s: unsupported type %s",
                               t->name, b->name, b->native);
            goto done;
        }
    }
done:
    free(used);
    cut_buf_free(&missing);
    cut_buf_free(&extra);
    return rc;
}

/* Another non-empty table that references a restored one would block emptying it. */
static int check_dependents(cut_conn *c, rtable *rt, int n, cut_error *err)
{
    char **names = NULL;
    int nn = 0;
    int rc = c->drv->list_tables ? c->drv->list_tables(c, &names, &nn, err) : CUT_OK;
    for (int i = 0; rc == CUT_OK && i < nn; i++) {
        int restored = 0;
        for (int k = 0; k < n && !restored; k++)
            restored = strcmp(rt[k].tgt->name, names[i]) == 0;
        if (restored)
            continue;
        cut_table *t = NULL;
        cut_error e;
        cut_error_clear(&e);
        if (c->drv->describe(c, names[i], &t, &e) != CUT_OK)
            continue; /* not a table we can read: it cannot hold a foreign key we know of */
        for (int k = 0; k < n && rc == CUT_OK; k++) {
            if (!references(t, rt[k].tgt->name))
                continue;
            int64_t rows = 0;
            if (c->drv->count_rows(c, t, &rows, &e) != CUT_OK || rows > 0)
                rc = cut_error_set(err, CUT_ESTATE,
                                   "table %s references %s and is not part of the restore (it "
                                   "has %" PRId64 " rows): restore both (--tables) or empty %s "
                                   "first",
                                   t->name, rt[k].tgt->name, rows, t->name);
        }
        cut_table_free(t);
    }
    cut_strv_free(names, nn);
    return rc;
}

/* Orders rt so that a table comes after the restored tables it references. */
static int order_tables(rtable *rt, int n)
{
    cut_table **t = calloc((size_t)n + 1, sizeof(cut_table *));
    int *perm = calloc((size_t)n + 1, sizeof(int));
    rtable *out = calloc((size_t)n + 1, sizeof(rtable));
    int rc = t && perm && out ? CUT_OK : CUT_ENOMEM;
    for (int i = 0; rc == CUT_OK && i < n; i++)
        t[i] = rt[i].tgt;
    if (rc == CUT_OK)
        rc = fk_order(t, n, perm);
    if (rc == CUT_OK) {
        for (int i = 0; i < n; i++)
            out[i] = rt[perm[i]];
        memcpy(rt, out, sizeof(rtable) * (size_t)n);
    }
    free(t);
    free(perm);
    free(out);
    return rc;
}

/*
 * The restore's transaction: empties the tables (children first), loads them (parents
 * first), puts back what it dropped for the load, reads every table back and commits
 * only when each digest equals the snapshot's; else rolls back. The tables' digests and
 * failures go to in.
 */
static int restore_tx(const snap *s, cut_conn *c, rtable *rt, int n, const int *sel,
                      cut_snap_info *in, const cut_snapshot_opts *o, cut_error *err)
{
    volatile sig_atomic_t *cancel = o ? o->cancel : NULL;
    cut_batch *b = NULL;
    deferred dfr = {NULL, 0}, dkeys = {NULL, 0};
    int rc;
    /* A transaction run again proves nothing of the one the server undid. */
    for (int k = 0; k < in->ntables; k++)
        in->tables[k].verified = in->tables[k].read_back = 0;
    if ((rc = c->drv->tx_begin(c, err)))
        return rc;
    int in_tx = 1;
    {
        cut_table **rev = calloc((size_t)n + 1, sizeof(cut_table *));
        if (!rev) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
        for (int i = 0; i < n; i++)
            rev[i] = rt[n - 1 - i].tgt;
        rc = c->drv->truncate(c, rev, n, err);
        free(rev);
        if (rc)
            goto done;
    }
    /* Loading into tables without their foreign keys and secondary indexes, then building
       those once, is what makes pg_restore fast; here the drops and the rebuild are in the
       restore's own transaction, so a failure anywhere puts them back with the rows. */
    /* Then the keys, once no foreign key needs them: built after the load, like
       pg_restore's; a duplicate in the snapshot then fails their rebuild, and the
       restore rolls back as it would have at the row. */
    for (int pass = 0; pass < 2 && c->drv->exec; pass++) {
        cut_defer_fn *defer = pass ? c->drv->defer_keys : c->drv->defer_constraints;
        for (int i = 0; defer && i < n; i++) {
            if ((rc = defer(c, rt[i].tgt, keep_deferred, pass ? &dkeys : &dfr, err))) {
                cut_error_prefix(err, "restore");
                goto done;
            }
        }
    }
    for (int i = 0; i < n; i++) {
        const snap_table *st = &s->tabs[rt[i].ti];
        cut_load_opts lo = {.cols = rt[i].cols, .ncols = st->t->ncols, .in_tx = 1, .whole = 1,
                            .sequences_later = 1};
        load_ctx lc;
        memset(&lc, 0, sizeof(lc));
        lc.drv = c->drv;
        lc.tgt = rt[i].tgt;
        lc.st = st;
        lc.o = o;
        /* One batch per frame: fewer, larger loads (a frame is at most 4 MiB of cells). */
        uint32_t cap = CUT_DEFAULT_BATCH_ROWS;
        for (uint32_t f = 0; f < st->nframes; f++)
            if (st->frames[f].rows > cap)
                cap = st->frames[f].rows;
        cut_batch_free(b);
        b = cut_batch_new(st->t->ncols, (int)(cap < (1u << 20) ? cap : (1u << 20)));
        if (!b) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
        progress(o, st->t->name, "restore", 0, (int64_t)st->rows, 0);
        if ((rc = c->drv->load_open(c, rt[i].tgt, &lo, &lc.load, err)))
            goto done;
        cut_digest d;
        rc = table_read(s, rt[i].ti, b, load_batch, &lc, cancel, &d, err);
        if (rc == CUT_OK)
            rc = c->drv->load_commit(lc.load, err);
        else
            c->drv->load_abort(lc.load);
        if (rc) {
            if (err->line > 0)
                name_refused_row(s, rt[i].ti, b, err);
            if (!err->table[0])
                cut_error_set_table(err, st->t->name);
            goto done;
        }
        progress(o, st->t->name, "restore", lc.rows, (int64_t)st->rows, 1);
    }
    /* Keys first: the foreign keys added back refer to them. Then the sequences, which
       read each table's largest key (through the key, now that it is back). */
    if ((rc = run_deferred(c, &dkeys, cancel, "restore: adding back a key dropped for the load",
                           err)) ||
        (rc = run_deferred(c, &dfr, cancel,
                           "restore: recreating a foreign key or index dropped for the load",
                           err)))
        goto done;
    for (int i = 0; i < n && c->drv->set_sequences; i++)
        if ((rc = c->drv->set_sequences(c, rt[i].tgt, err)))
            goto done;
    int mismatch = -1;
    for (int i = 0; i < n; i++) {
        const snap_table *st = &s->tabs[rt[i].ti];
        int k = 0;
        while (sel[k] != rt[i].ti)
            k++;
        tview v;
        if (tview_init(&v, rt[i].tgt, rt[i].cols, st->t->ncols)) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
        back_ctx bc;
        memset(&bc, 0, sizeof(bc));
        cut_digest_init(&bc.d);
        bc.name = st->t->name;
        bc.expect = (int64_t)st->rows;
        bc.o = o;
        rc = cut_stream_target(&v.p, &v.tp, c, CUT_DEFAULT_BATCH_ROWS, cancel, back_batch, &bc,
                               err);
        tview_free(&v);
        if (rc)
            goto done;
        in->tables[k].digest = bc.d;
        in->tables[k].read_back = 1;
        in->tables[k].verified =
            bc.d.rows == st->rows && bc.d.sum.lo == st->sum.lo && bc.d.sum.hi == st->sum.hi;
        progress(o, st->t->name, "verify", (int64_t)bc.d.rows, bc.expect, 1);
        if (!in->tables[k].verified) {
            cut_error e;
            cut_error_clear(&e);
            cut_error_set(&e, CUT_ECORRUPT,
                          "table %s: read back after loading, its digest differs from the "
                          "snapshot's (%" PRIu64 " rows expected, %" PRIu64
                          " found): the restore was rolled back",
                          st->t->name, st->rows, bc.d.rows);
            table_fail(&in->tables[k], &e);
            if (mismatch < 0) {
                mismatch = i;
                *err = e;
            }
        }
    }
    if (mismatch >= 0) {
        rc = CUT_ECORRUPT;
        goto done;
    }
    if (cancel && *cancel) {
        rc = cut_error_set(err, CUT_EINTR, "interrupted");
        goto done;
    }
    in_tx = 0;
    rc = c->drv->tx_commit(c, err);
done:
    if (in_tx)
        c->drv->tx_rollback(c);
    deferred_free(&dfr);
    deferred_free(&dkeys);
    cut_batch_free(b);
    return rc;
}

int cut_snapshot_restore(const char *path, const char *target_url, const cut_snapshot_opts *o,
                         cut_snap_info **info, cut_error *err)
{
    if (info)
        *info = NULL;
    double t0 = cut_now();
    volatile sig_atomic_t *cancel = o ? o->cancel : NULL;
    snap *s = NULL;
    cut_conn *c = NULL;
    rtable *rt = NULL;
    int *sel = NULL;
    int n = 0;
    char *url = NULL;
    cut_snap_info *in = NULL;
    int rc = snap_open(path, &s, err);
    if (rc)
        return rc;
    /* The tables to restore. */
    sel = calloc((size_t)s->ntables + 1, sizeof(int));
    if (!sel) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    if (o && o->tables) {
        for (int i = 0; o->tables[i]; i++) {
            int found = -1;
            for (int k = 0; k < s->ntables && found < 0; k++)
                if (strcmp(s->tabs[k].t->name, o->tables[i]) == 0)
                    found = k;
            if (found < 0) {
                cut_buf names = {0};
                for (int k = 0; k < s->ntables; k++)
                    cut_buf_printf(&names, "%s%s", k ? ", " : "", s->tabs[k].t->name);
                rc = cut_error_set(err, CUT_ENOTFOUND,
                                   "%s: table %s is not in the snapshot (it has %s)", path,
                                   o->tables[i], names.len ? cut_buf_cstr(&names) : "none");
                cut_buf_free(&names);
                goto done;
            }
            int dup = 0;
            for (int k = 0; k < n; k++)
                dup = dup || sel[k] == found;
            if (!dup && n < s->ntables)
                sel[n++] = found;
        }
    } else {
        for (int k = 0; k < s->ntables; k++)
            sel[n++] = k;
    }
    if (n == 0) {
        /* A restore of nothing would report every digest equal. */
        rc = cut_error_set(err, CUT_EINVAL, "%s: no tables to restore", path);
        goto done;
    }
    in = info_new(s, sel, n);
    if (!in) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    /* 1. The chosen tables' frames, before the database is touched. */
    for (int i = 0; i < n; i++) {
        progress(o, s->tabs[sel[i]].t->name, "check", 0, (int64_t)s->tabs[sel[i]].rows, 0);
        if ((rc = table_check(s, sel[i], cancel, err))) {
            table_fail(&in->tables[i], err);
            goto done;
        }
    }
    /* 2. The target: every table there, with the same columns. */
    url = target_url ? cut_strdup(target_url) : unredact(s->source);
    if (!url) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    in->target = cut_url_redact(url);
    if ((rc = cut_connect(url, CUT_OPEN_WRITE, &c, err))) {
        /* The recorded URL lost its password: say where it must come from instead. */
        const char *hint = target_url ? "" : cut_url_password_hint(s->source);
        if (*hint) {
            char was[sizeof(err->msg)];
            snprintf(was, sizeof(was), "%s", err->msg);
            cut_error_set(err, rc,
                          "%s (the snapshot does not record passwords, and %s held one: %s)", was,
                          s->source, hint);
        }
        goto done;
    }
    if (!c->drv->tx_begin || !c->drv->truncate || !c->drv->load_open) {
        rc = cut_error_set(err, CUT_EUNSUPPORTED, "%s cannot be restored into", c->drv->name);
        goto done;
    }
    rt = calloc((size_t)n + 1, sizeof(rtable));
    if (!rt) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        const snap_table *st = &s->tabs[sel[i]];
        rt[i].ti = sel[i];
        rc = c->drv->describe(c, st->t->name, &rt[i].tgt, err);
        if (rc == CUT_ENOTFOUND) {
            rc = cut_error_set(err, CUT_ESCHEMA,
                               "table %s does not exist in %s: restore does not create tables; "
                               "create it first, as the snapshot's DDL says (cutover inspect "
                               "--schema %s):\n%s",
                               st->t->name, c->url->redacted, path, st->ddl);
        }
        if (rc || (rc = match_columns(st, &rt[i], err)))
            goto done;
    }
    if ((rc = check_dependents(c, rt, n, err)))
        goto done;
    if (order_tables(rt, n)) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    if (cancel && *cancel) {
        rc = cut_error_set(err, CUT_EINTR, "interrupted");
        goto done;
    }
    /* 3. One transaction; one the server undid for a transient conflict (a deadlock, a
       lock timeout) is run again, after a pause. */
    for (int attempt = 1;; attempt++) {
        rc = restore_tx(s, c, rt, n, sel, in, o, err);
        if (!cut_retry(rc, attempt, cancel, err, "restore",
                       "the transaction was rolled back, restoring again"))
            break;
    }
    if (rc == CUT_OK)
        in->committed = 1;
done:
    for (int i = 0; rt && i < n; i++) {
        cut_table_free(rt[i].tgt);
        free(rt[i].cols);
    }
    free(rt);
    free(sel);
    free(url);
    cut_disconnect(c);
    snap_close(s);
    if (in) {
        in->seconds = cut_now() - t0;
        if (info)
            *info = in;
        else
            cut_snap_info_free(in);
    }
    return rc;
}

/* -------------------------------------------------------------- reseal */

int cut_snap_reseal(unsigned char *buf, size_t len)
{
    if (len < CUT_SNAP_FOOTER_SIZE + 16)
        return -1;
    unsigned char *f = buf + len - CUT_SNAP_FOOTER_SIZE;
    uint64_t ioff = get_le64(f + 24), ilen = get_le64(f + 32);
    uint64_t iend = len - CUT_SNAP_FOOTER_SIZE;
    int whole = 0;
    if (ilen >= 8 + 24 && ilen <= iend && ioff == iend - ilen) {
        unsigned char *ip = buf + ioff + 8;
        size_t il = (size_t)(ilen - 8);
        /* The data frames' checksums. */
        cursor c = {ip, il, 8 + 4, 0, 0};
        uint32_t nt = c_u32(&c);
        c_u64(&c);
        int walked = !c.bad;
        for (uint32_t t = 0; t < nt && !c.bad; t++) {
            c.pos += 40;
            if (c.pos > c.len) {
                c.bad = 1;
                break;
            }
            uint32_t nf = c_u32(&c);
            for (uint32_t k = 0; k < nf && !c.bad; k++) {
                if (c_left(&c) < CUT_SNAP_INDEX_FRAME_SIZE) {
                    c.bad = 1;
                    break;
                }
                unsigned char *e = ip + c.pos;
                uint64_t off = get_le64(e);
                uint32_t stored = get_le32(e + 8);
                if (off <= len && stored <= len - off)
                    put_le64(e + 20, XXH64(buf + off, stored, 0));
                c.pos += CUT_SNAP_INDEX_FRAME_SIZE;
            }
        }
        walked = walked && !c.bad;
        /* The header's checksum, and the index's copy of it. */
        uint32_t hl = get_le32(buf + 4);
        if (hl >= 8 && (uint64_t)hl + 8 <= ioff) {
            put_le64(buf + 8 + hl - 8, XXH64(buf + 8, hl - 8, 0));
            put_le64(ip + 16, XXH64(buf + 8, hl, 0));
            whole = walked;
        }
        put_le64(f + 40, XXH64(ip, il, 0));
    }
    put_le64(f + 48, len);
    put_le64(f + 56, XXH64(f, 56, 0));
    return whole ? 0 : -1;
}
