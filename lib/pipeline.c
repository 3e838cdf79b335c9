/*
 * pipeline.c — the streaming core: the row mapper (source canon → expressions
 * → target canon → hash), bounded batch queues, the scanner and loader
 * threads (cut_stream_source), the target reader, and reject files.
 *
 * Memory is constant whatever the table size: fixed pools of batches
 * circulate between the scanner thread, the mapping thread and the loader;
 * cells point into the batch that read them unless canonicalization changed
 * the bytes (then into an arena that is reset with the batch).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "engine.h"
#include "types.h"
#include "util.h"

#define POOL_BATCHES 4

/* ----------------------------------------------------------------- queue */

void cut_queue_init(cut_queue *q)
{
    memset(q, 0, sizeof(*q));
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
}

void cut_queue_destroy(cut_queue *q)
{
    cut_batch *b = q->head;
    while (b) {
        cut_batch *next = b->next;
        cut_batch_free(b);
        b = next;
    }
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
}

void cut_queue_push(cut_queue *q, cut_batch *b)
{
    pthread_mutex_lock(&q->mu);
    b->next = NULL;
    if (q->tail)
        q->tail->next = b;
    else
        q->head = b;
    q->tail = b;
    q->n++;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

cut_batch *cut_queue_pop(cut_queue *q)
{
    pthread_mutex_lock(&q->mu);
    while (!q->head && !q->closed && !q->aborted)
        pthread_cond_wait(&q->cv, &q->mu);
    cut_batch *b = NULL;
    if (!q->aborted && q->head) {
        b = q->head;
        q->head = b->next;
        if (!q->head)
            q->tail = NULL;
        q->n--;
        b->next = NULL;
    }
    pthread_mutex_unlock(&q->mu);
    return b;
}

void cut_queue_close(cut_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

void cut_queue_abort(cut_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->aborted = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

/* ---------------------------------------------------------------- mapper */

struct cut_mapper {
    const cut_plan *p;
    const cut_tplan *tp;
    cut_expr *ex;
    cut_cell *expr_out;
    unsigned char *known_utf8; /* per output column: a source text passed through (valid) */
    cut_buf canon;
    cut_buf scratch;
    cut_buf msg;
    cut_buf text;
};

int cut_mapper_new(const cut_plan *p, const cut_tplan *tp, cut_mapper **out, cut_error *err)
{
    *out = NULL;
    cut_mapper *mp = calloc(1, sizeof(*mp));
    if (!mp)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    mp->p = p;
    mp->tp = tp;
    mp->expr_out = calloc((size_t)tp->nexpr + 1, sizeof(cut_cell));
    mp->known_utf8 = calloc((size_t)tp->nout + 1, 1);
    if (!mp->expr_out || !mp->known_utf8) {
        cut_mapper_free(mp);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    /* A source text column passed through was validated as UTF-8 by its source canon. */
    for (int o = 0; o < tp->nout; o++)
        mp->known_utf8[o] = tp->out_src[o] >= 0 && tp->scan_types[tp->out_src[o]].kind == CUT_T_TEXT;
    if (tp->nexpr || tp->mt->where) {
        cut_expr_spec spec;
        cut_tplan_expr_spec(p, tp, &spec);
        int rc = cut_expr_compile(&spec, &mp->ex, err);
        if (rc) {
            cut_mapper_free(mp);
            return rc;
        }
    }
    *out = mp;
    return CUT_OK;
}

void cut_mapper_free(cut_mapper *mp)
{
    if (!mp)
        return;
    cut_expr_free(mp->ex);
    free(mp->expr_out);
    free(mp->known_utf8);
    cut_buf_free(&mp->canon);
    cut_buf_free(&mp->scratch);
    cut_buf_free(&mp->msg);
    cut_buf_free(&mp->text);
    free(mp);
}

static void reject(cut_counts *c, cut_reject_sink sink, void *ud, const cut_tplan *tp,
                   const cut_batch *scan, int r, const char *stage, const char *column,
                   const cut_cell *value, const char *reason)
{
    c->rejected++;
    if (sink) {
        cut_reject rj = {stage, column, value, reason, NULL};
        sink(ud, tp, scan, r, &rj);
    }
}

int cut_mapper_run(cut_mapper *mp, cut_batch *scan, cut_batch *out, cut_counts *c,
                   cut_reject_sink sink, void *ud, cut_error *err)
{
    const cut_tplan *tp = mp->tp;
    const cut_canon_opts *copts = &mp->p->canon;
    cut_batch_reset(out);
    out->src = scan;
    for (int r = 0; r < scan->nrows; r++) {
        cut_cell *cells = cut_batch_row(scan, r);
        c->source_rows++;
        const char *reason = NULL;
        int bad = -1;
        int64_t zeros = 0; /* counted once the row goes on to the load (not filtered or
                              rejected: its zero dates never became NULL anywhere) */
        /* 1. Source values in the canonical form of their own type. */
        for (int i = 0; i < tp->nscan; i++) {
            cut_cell *v = &cells[i];
            if (cut_cell_is_null(v))
                continue;
            if (mp->p->encoding != CUT_ENC_UTF8 && (tp->scan_types[i].kind == CUT_T_TEXT ||
                                                    tp->scan_types[i].kind == CUT_T_JSON)) {
                /* Legacy single-byte text becomes UTF-8 before anything else reads it. */
                int tr = cut_transcode_to_utf8((cut_encoding)mp->p->encoding, v->p, v->len,
                                               &mp->canon, &reason);
                if (tr == CUT_ENOMEM)
                    return cut_error_set(err, CUT_ENOMEM, "out of memory");
                if (tr == CUT_EDATA) {
                    bad = i;
                    break;
                }
                if (tr == CUT_CANON_NEW) {
                    char *d = cut_arena_dup(&scan->arena, mp->canon.p, mp->canon.len);
                    if (!d)
                        return cut_error_set(err, CUT_ENOMEM, "out of memory");
                    v->p = d;
                    v->len = (uint32_t)mp->canon.len;
                }
            }
            int rc = cut_canon(&tp->scan_types[i], v->p, v->len, copts, &mp->canon, &reason);
            if (rc == CUT_CANON_SAME)
                continue;
            if (rc == CUT_ENOMEM)
                return cut_error_set(err, CUT_ENOMEM, "out of memory");
            if (rc == CUT_CANON_NEW) {
                char *d = cut_arena_dup(&scan->arena, mp->canon.p, mp->canon.len);
                if (!d)
                    return cut_error_set(err, CUT_ENOMEM, "out of memory");
                v->p = d;
                v->len = (uint32_t)mp->canon.len;
            } else if (rc == CUT_CANON_NULL) {
                zeros++;
                v->p = NULL;
                v->len = 0;
                v->flags = CUT_CELL_NULL;
            } else {
                bad = i;
                break;
            }
        }
        if (bad >= 0) {
            reject(c, sink, ud, tp, scan, r, "source", tp->scan_names[bad], &cells[bad], reason);
            continue;
        }
        /* 2. Expressions and the filter. */
        if (mp->ex) {
            int keep = 1, failed = -1;
            int rc = cut_expr_eval(mp->ex, cells, mp->expr_out, &out->arena, &keep, &failed,
                                   &mp->msg);
            if (rc == CUT_ENOMEM)
                return cut_error_set(err, CUT_ENOMEM, "out of memory");
            if (rc == CUT_EDATA) {
                cut_buf_reset(&mp->text);
                cut_buf_printf(&mp->text, "%s failed: %s",
                               failed >= 0 ? "expression" : "where", cut_buf_cstr(&mp->msg));
                reject(c, sink, ud, tp, scan, r, "mapping",
                       failed >= 0 ? tp->expr_names[failed] : NULL, NULL, cut_buf_cstr(&mp->text));
                continue;
            }
            if (!keep) {
                c->filtered++;
                continue;
            }
        }
        /* 3. Target values in the canonical form of the target's types. */
        int k = out->nrows;
        cut_cell *oc = cut_batch_row(out, k);
        for (int o = 0; o < tp->nout && bad < 0; o++) {
            const cut_cell *v = tp->out_src[o] >= 0 ? &cells[tp->out_src[o]]
                                                    : &mp->expr_out[tp->out_expr[o]];
            oc[o] = *v;
            if (!cut_cell_is_null(v)) {
                int rc = mp->known_utf8[o] ? cut_canon_utf8(&tp->out_types[o], v->p, v->len, copts, &mp->canon,
                                                &reason)
                               : cut_canon(&tp->out_types[o], v->p, v->len, copts, &mp->canon,
                                           &reason);
                if (rc == CUT_ENOMEM)
                    return cut_error_set(err, CUT_ENOMEM, "out of memory");
                if (rc == CUT_CANON_NEW) {
                    char *d = cut_arena_dup(&out->arena, mp->canon.p, mp->canon.len);
                    if (!d)
                        return cut_error_set(err, CUT_ENOMEM, "out of memory");
                    oc[o].p = d;
                    oc[o].len = (uint32_t)mp->canon.len;
                } else if (rc == CUT_CANON_NULL) {
                    zeros++;
                    oc[o].p = NULL;
                    oc[o].len = 0;
                    oc[o].flags = CUT_CELL_NULL;
                } else if (rc != CUT_CANON_SAME) {
                    bad = o;
                    reject(c, sink, ud, tp, scan, r, "target", tp->out_names[o], v, reason);
                    break;
                }
            }
            if (cut_cell_is_null(&oc[o]) && tp->out_notnull[o]) {
                bad = o;
                reject(c, sink, ud, tp, scan, r, "target", tp->out_names[o], NULL,
                       "NULL value for a NOT NULL column");
            }
        }
        if (bad >= 0)
            continue;
        c->zero_dates += zeros;
        out->hash[k] = cut_row_hash(oc, tp->nout, &mp->scratch);
        out->pos[k] = scan->pos[r];
        out->aux[k] = (uint32_t)r;
        out->nrows++;
    }
    return CUT_OK;
}

int cut_canon_target_batch(const cut_plan *p, const cut_tplan *tp, cut_batch *b, cut_buf *scratch,
                           cut_error *err)
{
    /* The target's values are read back with the same rules they were written with:
       no source time zone (values are UTC already), and zero dates stay errors, so they
       keep their raw bytes below: verify sees a zero date where NULL was expected, and a
       snapshot keeps it for its restore to put back. So does a value the type would round
       (exact): an engine that does not enforce its types (SQLite) may hold 12.345 in a
       numeric(10,2), which is not the 12.35 a digest of its canonical form would say. */
    cut_canon_opts o = {NULL, CUT_ZERO_REJECT, CUT_DST_REJECT, 1};
    CUT_UNUSED(p);
    for (int r = 0; r < b->nrows; r++) {
        cut_cell *cells = cut_batch_row(b, r);
        for (int i = 0; i < tp->nout; i++) {
            cut_cell *v = &cells[i];
            if (cut_cell_is_null(v))
                continue;
            const char *reason = NULL;
            int rc = cut_canon(&tp->out_types[i], v->p, v->len, &o, scratch, &reason);
            if (rc == CUT_CANON_SAME)
                continue;
            if (rc == CUT_ENOMEM)
                return cut_error_set(err, CUT_ENOMEM, "out of memory");
            if (rc == CUT_CANON_NEW) {
                char *d = cut_arena_dup(&b->arena, scratch->p, scratch->len);
                if (!d)
                    return cut_error_set(err, CUT_ENOMEM, "out of memory");
                v->p = d;
                v->len = (uint32_t)scratch->len;
            } else if (rc == CUT_CANON_NULL) {
                v->p = NULL;
                v->len = 0;
                v->flags = CUT_CELL_NULL;
            } else {
                /* A stored value that does not read back as its own type: keep its raw
                   bytes, the digest will differ and locate will show it. */
                continue;
            }
        }
    }
    return CUT_OK;
}

/* -------------------------------------------------------- scanner thread */

typedef struct scanner {
    cut_conn *conn;
    const cut_table *table;
    cut_scan_opts opts;
    int ncols;
    int batch_rows;
    volatile sig_atomic_t *cancel;
    cut_queue full; /* batches read, in order */
    cut_queue free; /* batches to refill */
    pthread_t thread;
    int inited; /* queues initialised */
    int started;
    int rc;
    cut_error err;
    cut_batch *pool[POOL_BATCHES];
} scanner;

static void *scanner_main(void *arg)
{
    scanner *s = arg;
    cut_scan *sc = NULL;
    s->rc = s->conn->drv->scan_open(s->conn, s->table, &s->opts, &sc, &s->err);
    while (s->rc == CUT_OK) {
        cut_batch *b = cut_queue_pop(&s->free);
        if (!b)
            break; /* the consumer stopped */
        if (s->cancel && *s->cancel) {
            s->rc = cut_error_set(&s->err, CUT_EINTR, "interrupted");
            cut_queue_push(&s->free, b);
            break;
        }
        b->src = NULL;
        s->rc = s->conn->drv->scan_next(sc, b, &s->err);
        if (s->rc || b->nrows == 0) {
            cut_queue_push(&s->free, b);
            break;
        }
        cut_queue_push(&s->full, b);
    }
    if (sc)
        s->conn->drv->scan_close(sc);
    if (s->rc && !s->err.table[0])
        cut_error_set_table(&s->err, s->table->name);
    cut_queue_close(&s->full);
    return NULL;
}

static int scanner_start(scanner *s, cut_conn *conn, const cut_table *t, const int *cols, int ncols,
                         int batch_rows, const cut_scan_opts *range,
                         volatile sig_atomic_t *cancel, cut_error *err)
{
    memset(s, 0, sizeof(*s));
    s->conn = conn;
    s->table = t;
    if (range)
        s->opts = *range;
    s->opts.cols = cols;
    s->opts.ncols = ncols;
    s->ncols = ncols;
    s->batch_rows = batch_rows;
    s->cancel = cancel;
    cut_error_clear(&s->err);
    cut_queue_init(&s->full);
    cut_queue_init(&s->free);
    s->inited = 1;
    for (int i = 0; i < POOL_BATCHES; i++) {
        s->pool[i] = cut_batch_new(ncols, batch_rows);
        if (!s->pool[i])
            return cut_error_set(err, CUT_ENOMEM, "out of memory");
        cut_queue_push(&s->free, s->pool[i]);
    }
    if (pthread_create(&s->thread, NULL, scanner_main, s))
        return cut_error_set(err, CUT_ENOMEM, "cannot start a scanner thread");
    s->started = 1;
    return CUT_OK;
}

/* Stops the scanner (if still running), joins it and frees every batch. */
static void scanner_finish(scanner *s)
{
    if (!s->inited)
        return;
    if (s->started) {
        cut_queue_abort(&s->free);
        pthread_join(s->thread, NULL);
    }
    /* Every batch is in one of the queues or was never queued; free from the pool. */
    for (int i = 0; i < POOL_BATCHES; i++)
        cut_batch_free(s->pool[i]);
    s->full.head = s->full.tail = NULL;
    s->free.head = s->free.tail = NULL;
    cut_queue_destroy(&s->full);
    cut_queue_destroy(&s->free);
}

/* The consumer thread of an async stream: calls fn on each mapped batch, then hands the
   batch (and the scan batch its cells point into) back to their pools. */
typedef struct consumer {
    cut_queue full; /* mapped batches, in order */
    cut_queue free; /* out batches to refill */
    cut_batch *pool[POOL_BATCHES];
    scanner *s;
    cut_batch_fn fn;
    void *ud;
    pthread_t thread;
    int started;
    int rc;
    cut_error err;
} consumer;

static void *consumer_main(void *arg)
{
    consumer *k = arg;
    cut_batch *b;
    while ((b = cut_queue_pop(&k->full))) {
        if (k->rc == CUT_OK)
            k->rc = k->fn(k->ud, b, &k->err);
        cut_batch *src = b->src;
        b->src = NULL;
        if (src)
            cut_queue_push(&k->s->free, src);
        cut_queue_push(&k->free, b);
        if (k->rc) {
            /* Stop the mapper and the scanner: they wait on these queues. */
            cut_queue_abort(&k->free);
            cut_queue_abort(&k->s->free);
            break;
        }
    }
    return NULL;
}

int cut_stream_source(const cut_plan *p, const cut_tplan *tp, cut_conn *src,
                      const cut_stream_opts *so, cut_counts *c, cut_error *err)
{
    cut_mapper *mp = NULL;
    scanner s;
    consumer k;
    memset(&s, 0, sizeof(s));
    memset(&k, 0, sizeof(k));
    cut_error_clear(&k.err);
    int batch_rows = so->batch_rows > 0 ? so->batch_rows : CUT_DEFAULT_BATCH_ROWS;
    int nout = so->async ? POOL_BATCHES : 1;
    int rc = cut_mapper_new(p, tp, &mp, err);
    if (rc)
        return rc;
    cut_queue_init(&k.full);
    cut_queue_init(&k.free);
    for (int i = 0; i < nout; i++) {
        k.pool[i] = cut_batch_new(tp->nout, batch_rows);
        if (!k.pool[i]) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            break;
        }
        cut_queue_push(&k.free, k.pool[i]);
    }
    if (rc == CUT_OK)
        rc = scanner_start(&s, src, tp->src, tp->scan_cols, tp->nscan, batch_rows, so->range,
                           so->cancel, err);
    k.s = &s;
    k.fn = so->fn;
    k.ud = so->ud;
    if (rc == CUT_OK && so->async) {
        if (pthread_create(&k.thread, NULL, consumer_main, &k))
            rc = cut_error_set(err, CUT_ENOMEM, "cannot start a loader thread");
        else
            k.started = 1;
    }
    while (rc == CUT_OK) {
        cut_batch *b = cut_queue_pop(&s.full);
        if (!b)
            break;
        cut_batch *out = cut_queue_pop(&k.free);
        if (!out) {
            cut_queue_push(&s.free, b); /* the consumer failed: its error is reported */
            break;
        }
        rc = cut_mapper_run(mp, b, out, c, so->sink, so->sink_ud, err);
        if (rc == CUT_OK && so->on_batch)
            so->on_batch(so->ud, c);
        if (rc == CUT_OK && out->nrows && so->async) {
            cut_queue_push(&k.full, out); /* the consumer recycles out and b */
        } else {
            if (rc == CUT_OK && out->nrows)
                rc = so->fn(so->ud, out, err);
            out->src = NULL;
            cut_queue_push(&k.free, out);
            cut_queue_push(&s.free, b);
        }
        if (rc == CUT_OK && so->cancel && *so->cancel)
            rc = cut_error_set(err, CUT_EINTR, "interrupted");
    }
    if (k.started) {
        if (rc)
            cut_queue_abort(&k.full);
        else
            cut_queue_close(&k.full);
        pthread_join(k.thread, NULL);
    }
    scanner_finish(&s);
    if (rc == CUT_OK && k.rc) {
        *err = k.err;
        rc = k.rc;
    }
    if (rc == CUT_OK && s.rc) {
        *err = s.err;
        rc = s.rc;
    }
    if (rc && !err->table[0])
        cut_error_set_table(err, tp->mt->target);
    for (int i = 0; i < nout; i++)
        cut_batch_free(k.pool[i]);
    k.full.head = k.full.tail = NULL;
    k.free.head = k.free.tail = NULL;
    cut_queue_destroy(&k.full);
    cut_queue_destroy(&k.free);
    cut_mapper_free(mp);
    return rc;
}

int cut_stream_target(const cut_plan *p, const cut_tplan *tp, cut_conn *tgt, int batch_rows,
                      volatile sig_atomic_t *cancel, cut_batch_fn fn, void *ud, cut_error *err)
{
    scanner s;
    cut_buf canon = {0}, scratch = {0};
    int rc = scanner_start(&s, tgt, tp->tgt, tp->out_cols, tp->nout, batch_rows, NULL, cancel, err);
    while (rc == CUT_OK) {
        cut_batch *b = cut_queue_pop(&s.full);
        if (!b)
            break;
        rc = cut_canon_target_batch(p, tp, b, &canon, err);
        for (int r = 0; rc == CUT_OK && r < b->nrows; r++)
            b->hash[r] = cut_row_hash(cut_batch_row(b, r), tp->nout, &scratch);
        if (rc == CUT_OK)
            rc = fn(ud, b, err);
        cut_queue_push(&s.free, b);
        if (rc == CUT_OK && cancel && *cancel)
            rc = cut_error_set(err, CUT_EINTR, "interrupted");
    }
    scanner_finish(&s);
    if (rc == CUT_OK && s.rc) {
        *err = s.err;
        rc = s.rc;
    }
    if (rc && !err->table[0])
        cut_error_set_table(err, tp->mt->target);
    cut_buf_free(&canon);
    cut_buf_free(&scratch);
    return rc;
}

/* ------------------------------------------------------------- rejects */

void cut_reject_file_init(cut_reject_file *rf, char *path)
{
    memset(rf, 0, sizeof(*rf));
    rf->path = path;
    pthread_mutex_init(&rf->lock, NULL);
}

/* One JSON object per line: {"table","stage","key","line","column","value","reason"}. */
void cut_reject_write(void *ud, const cut_tplan *tp, const cut_batch *scan, int r,
                      const cut_reject *rj)
{
    cut_reject_file *rf = ud;
    pthread_mutex_lock(&rf->lock);
    if (rf->failed) {
        pthread_mutex_unlock(&rf->lock);
        return;
    }
    if (!rf->f) {
        rf->f = fopen(rf->path, "w");
        if (!rf->f) {
            rf->failed = 1;
            rf->errnum = errno;
            cut_log(CUT_LOG_ERROR, "cannot write reject file %s: %s", rf->path, strerror(errno));
            pthread_mutex_unlock(&rf->lock);
            return;
        }
    }
    cut_buf *l = &rf->line;
    cut_buf_reset(l);
    cut_buf_printf(l, "{\"table\":");
    cut_json_string(l, tp->mt->target, strlen(tp->mt->target));
    cut_buf_printf(l, ",\"stage\":\"%s\",\"key\":", rj->stage);
    if (tp->nskey) {
        cut_render_key(cut_batch_crow(scan, r), tp->key_scan, tp->nskey, tp->scan_names, &rf->key);
        cut_json_string(l, rf->key.p, rf->key.len);
    } else {
        cut_buf_printf(l, "null");
    }
    cut_buf_printf(l, ",\"line\":%" PRIu64 ",\"column\":", scan->pos[r]);
    if (rj->column)
        cut_json_string(l, rj->column, strlen(rj->column));
    else
        cut_buf_printf(l, "null");
    cut_buf_printf(l, ",\"value\":");
    if (rj->value && !cut_cell_is_null(rj->value))
        cut_json_string(l, rj->value->p, rj->value->len);
    else
        cut_buf_printf(l, "null");
    cut_buf_printf(l, ",\"reason\":");
    cut_json_string(l, rj->reason, strlen(rj->reason));
    if (rj->row_hash) {
        cut_digest one = {1, *rj->row_hash};
        char hex[33];
        cut_buf_printf(l, ",\"row_hash\":\"%s\"", cut_digest_hex(&one, hex));
    }
    cut_buf_printf(l, "}\n");
    if (fwrite(l->p, 1, l->len, rf->f) != l->len) {
        rf->failed = 1;
        rf->errnum = errno;
        cut_log(CUT_LOG_ERROR, "cannot write reject file %s: %s", rf->path, strerror(errno));
    }
    pthread_mutex_unlock(&rf->lock);
}

static int reject_file_error(const cut_reject_file *rf, cut_error *err)
{
    if (rf->errnum)
        return cut_error_set(err, CUT_EIO, "cannot write reject file %s: %s", rf->path,
                             strerror(rf->errnum));
    return cut_error_set(err, CUT_EIO, "cannot write reject file %s", rf->path);
}

int cut_reject_file_sync(cut_reject_file *rf, cut_error *err)
{
    pthread_mutex_lock(&rf->lock);
    /* fwrite only fills stdio's buffer: the last lines reach the disk, or fail to, here. */
    if (rf->f && !rf->failed && (fflush(rf->f) != 0 || fsync(fileno(rf->f)) != 0)) {
        rf->failed = 1;
        rf->errnum = errno;
    }
    int rc = rf->failed ? reject_file_error(rf, err) : CUT_OK;
    pthread_mutex_unlock(&rf->lock);
    return rc;
}

int cut_reject_file_close(cut_reject_file *rf, cut_error *err)
{
    int rc = CUT_OK;
    if (rf->f && fclose(rf->f) != 0 && !rf->failed) {
        rf->failed = 1;
        rf->errnum = errno;
    }
    if (rf->failed)
        rc = reject_file_error(rf, err);
    cut_buf_free(&rf->line);
    cut_buf_free(&rf->key);
    free(rf->path);
    pthread_mutex_destroy(&rf->lock);
    return rc;
}

void cut_run_opts_init(cut_run_opts *o)
{
    memset(o, 0, sizeof(*o));
}

void cut_result_free(cut_result *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->ntables; i++) {
        cut_table_result *t = &r->tables[i];
        free(t->table);
        free(t->source);
        free(t->error);
        free(t->reject_file);
        for (int k = 0; k < t->ndiffs; k++) {
            free(t->diffs[k].key);
            for (int j = 0; j < t->diffs[k].ncols; j++) {
                free(t->diffs[k].cols[j].column);
                free(t->diffs[k].cols[j].expected);
                free(t->diffs[k].cols[j].actual);
            }
            free(t->diffs[k].cols);
        }
        free(t->diffs);
    }
    free(r->tables);
    free(r->source);
    free(r->target);
    free(r->mapping);
    free(r);
}

void cut_plan_announce(cut_plan *p, cut_conn *src, const cut_run_opts *o)
{
    for (int i = 0; i < p->n; i++) {
        cut_error e;
        cut_error_clear(&e);
        int64_t n = 0;
        if (src->drv->estimate_rows(src, p->t[i].src, &n, &e) == CUT_OK && n > 0)
            p->t[i].estimate = n;
        if (o && o->progress) {
            cut_progress pr = {p->t[i].mt->target, "queued", 0, p->t[i].estimate, 0};
            o->progress(o->progress_ud, &pr);
        }
    }
}

cut_result *cut_result_new_for_plan(const cut_plan *p)
{
    cut_result *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->tables = calloc((size_t)p->n + 1, sizeof(cut_table_result));
    if (!r->tables) {
        free(r);
        return NULL;
    }
    r->ntables = p->n;
    for (int i = 0; i < p->n; i++) {
        r->tables[i].table = cut_strdup(p->t[i].mt->target);
        r->tables[i].source = cut_strdup(p->t[i].mt->source);
    }
    r->source = cut_url_redact(p->m->source);
    r->target = cut_url_redact(p->m->target);
    r->mapping = cut_strdup(p->m->path);
    r->max_rejects = p->m->opts.max_rejects;
    return r;
}

