/*
 * pipeline.c — the streaming core: the row mapper (source canon → expressions
 * → target canon → hash), bounded batch queues, the scanner thread, and
 * cut_migrate.
 *
 * Memory is constant whatever the table size: a fixed pool of batches
 * circulates between the scanner thread and the thread that maps and loads;
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
    if (!mp->expr_out) {
        free(mp);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
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
                c->zero_dates++;
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
                int rc = cut_canon(&tp->out_types[o], v->p, v->len, copts, &mp->canon, &reason);
                if (rc == CUT_ENOMEM)
                    return cut_error_set(err, CUT_ENOMEM, "out of memory");
                if (rc == CUT_CANON_NEW) {
                    char *d = cut_arena_dup(&out->arena, mp->canon.p, mp->canon.len);
                    if (!d)
                        return cut_error_set(err, CUT_ENOMEM, "out of memory");
                    oc[o].p = d;
                    oc[o].len = (uint32_t)mp->canon.len;
                } else if (rc == CUT_CANON_NULL) {
                    c->zero_dates++;
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
       no source time zone (values are UTC already) and zero dates stay errors. */
    cut_canon_opts o = {NULL, CUT_ZERO_NULL, CUT_DST_REJECT};
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

typedef struct reject_file {
    char *path;
    FILE *f;
    int failed; /* could not write: reported once */
    cut_buf line, key;
    pthread_mutex_t lock; /* the mapper and the loader thread both write; guards all above */
} reject_file;

/* One JSON object per line: {"table","stage","key","line","column","value","reason"}. */
static void reject_write(void *ud, const cut_tplan *tp, const cut_batch *scan, int r,
                         const cut_reject *rj)
{
    reject_file *rf = ud;
    pthread_mutex_lock(&rf->lock);
    if (rf->failed) {
        pthread_mutex_unlock(&rf->lock);
        return;
    }
    if (!rf->f) {
        rf->f = fopen(rf->path, "w");
        if (!rf->f) {
            rf->failed = 1;
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
        cut_log(CUT_LOG_ERROR, "cannot write reject file %s: %s", rf->path, strerror(errno));
    }
    pthread_mutex_unlock(&rf->lock);
}

static int reject_close(reject_file *rf, cut_error *err)
{
    int rc = CUT_OK;
    if (rf->f && fclose(rf->f) != 0 && !rf->failed)
        rf->failed = 1;
    if (rf->failed)
        rc = cut_error_set(err, CUT_EIO, "cannot write reject file %s", rf->path);
    cut_buf_free(&rf->line);
    cut_buf_free(&rf->key);
    free(rf->path);
    pthread_mutex_destroy(&rf->lock);
    return rc;
}

/* --------------------------------------------------------------- migrate */

/* The loader's state: touched only by the thread that calls load_batch. */
typedef struct load_ctx {
    const cut_tplan *tp;
    cut_load *load;
    const cut_driver *drv;
    int64_t loaded;   /* rows the target took */
    int64_t refused_n; /* rows the target refused (load rejects) */
    cut_digest digest; /* of the rows loaded */
    reject_file *rf;
    unsigned char *refused; /* per row of the current batch */
    const cut_batch *cur;
    /* progress is reported from the mapping thread */
    const cut_run_opts *o;
    pthread_mutex_t *progress_lock;
    int64_t estimate;
} load_ctx;

static void load_refused(void *ud, int row, const char *reason)
{
    load_ctx *lc = ud;
    lc->refused[row] = 1;
    const cut_batch *b = lc->cur;
    lc->refused_n++;
    cut_reject rj = {"load", NULL, NULL, reason, &b->hash[row]};
    reject_write(lc->rf, lc->tp, b->src, (int)b->aux[row], &rj);
}

static int load_batch(void *ud, cut_batch *b, cut_error *err)
{
    load_ctx *lc = ud;
    memset(lc->refused, 0, (size_t)b->nrows);
    lc->cur = b;
    int rc = lc->drv->load_rows(lc->load, b, load_refused, lc, err);
    if (rc)
        return rc;
    for (int r = 0; r < b->nrows; r++) {
        if (lc->refused[r])
            continue;
        cut_digest_add(&lc->digest, b->hash[r]);
        lc->loaded++;
    }
    return CUT_OK;
}

/* After each mapped batch (mapping thread): progress. */
static void load_progress(void *ud, const cut_counts *c)
{
    load_ctx *lc = ud;
    if (!lc->o || !lc->o->progress)
        return;
    cut_progress pr = {lc->tp->mt->target, "migrate", c->source_rows, lc->estimate, 0};
    pthread_mutex_lock(lc->progress_lock);
    lc->o->progress(lc->o->progress_ud, &pr);
    pthread_mutex_unlock(lc->progress_lock);
}

/* Migrates one table; fills res. */
static int migrate_table(const cut_plan *p, const cut_tplan *tp, cut_conn *src, cut_conn *tgt,
                         const cut_run_opts *o, pthread_mutex_t *progress_lock,
                         cut_table_result *res, cut_error *err)
{
    double t0 = cut_now();
    cut_counts c = {0};
    reject_file rf;
    memset(&rf, 0, sizeof(rf));
    pthread_mutex_init(&rf.lock, NULL);
    rf.path = cut_reject_path(p, tp);
    if (!rf.path) {
        pthread_mutex_destroy(&rf.lock);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    /* A previous run's rejects must not outlive this run of the table. */
    unlink(rf.path);
    cut_load *load = NULL;
    int batch_rows = o && o->batch_rows > 0 ? o->batch_rows
                     : p->m->opts.batch_rows > 0 ? p->m->opts.batch_rows
                                                 : CUT_DEFAULT_BATCH_ROWS;
    unsigned char *refused = calloc((size_t)batch_rows, 1);
    int64_t estimate = tp->estimate;
    int rc = refused ? CUT_OK : cut_error_set(err, CUT_ENOMEM, "out of memory");
    if (rc == CUT_OK)
        rc = src->drv->begin_read(src, err);
    cut_load_opts lo = {tp->out_cols, tp->nout, 0, 0};
    if (rc == CUT_OK)
        rc = tgt->drv->load_open(tgt, tp->tgt, &lo, &load, err);
    load_ctx lc;
    memset(&lc, 0, sizeof(lc));
    cut_digest_init(&lc.digest);
    if (rc == CUT_OK) {
        lc.tp = tp;
        lc.load = load;
        lc.drv = tgt->drv;
        lc.rf = &rf;
        lc.refused = refused;
        lc.o = o;
        lc.progress_lock = progress_lock;
        lc.estimate = estimate;
        cut_stream_opts so = {
            .batch_rows = batch_rows,
            .cancel = o ? o->cancel : NULL,
            .sink = reject_write,
            .sink_ud = &rf,
            .fn = load_batch,
            .ud = &lc,
            .async = 1,
            .on_batch = load_progress,
        };
        rc = cut_stream_source(p, tp, src, &so, &c, err);
        /* A reject that could not be written is a row that would vanish: fail the table
           before committing anything. */
        if (rc == CUT_OK && rf.failed)
            rc = cut_error_set(err, CUT_EIO, "cannot write reject file %s", rf.path);
        if (rc == CUT_OK) {
            rc = tgt->drv->load_commit(load, err);
        } else {
            tgt->drv->load_abort(load);
        }
        load = NULL;
    }
    src->drv->end_read(src);
    cut_error e3;
    cut_error_clear(&e3);
    int rrc = reject_close(&rf, &e3);
    if (rc == CUT_OK && rrc) {
        *err = e3;
        rc = rrc;
    }
    free(refused);
    c.rejected += lc.refused_n;
    c.loaded = lc.loaded;
    res->source_rows = c.source_rows;
    res->filtered = c.filtered;
    res->rejected = c.rejected;
    res->loaded = rc == CUT_OK ? c.loaded : 0;
    res->zero_dates = c.zero_dates;
    res->expected = lc.digest;
    res->seconds = cut_now() - t0;
    res->status = rc == CUT_OK ? CUT_TABLE_OK : CUT_TABLE_FAILED;
    if (rc) {
        if (!err->table[0])
            cut_error_set_table(err, tp->mt->target);
        char buf[2048];
        res->error = cut_strdup(cut_error_format(err, buf, sizeof(buf)));
    }
    if (c.rejected) {
        char *path = cut_reject_path(p, tp);
        res->reject_file = path;
    }
    if (o && o->progress) {
        cut_progress pr = {tp->mt->target, "migrate", c.source_rows, estimate, 1};
        pthread_mutex_lock(progress_lock);
        o->progress(o->progress_ud, &pr);
        pthread_mutex_unlock(progress_lock);
    }
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

/* Picks the next table whose dependencies are loaded; -1 when none is left. */
static int sched_next(cut_sched *s)
{
    pthread_mutex_lock(&s->mu);
    for (;;) {
        if (s->failed) {
            pthread_mutex_unlock(&s->mu);
            return -1;
        }
        int waiting = 0;
        for (int i = 0; i < s->p->n; i++) {
            if (s->state[i] != 0)
                continue;
            waiting = 1;
            int ready = 1;
            for (int d = 0; d < s->p->t[i].ndeps; d++)
                ready = ready && s->state[s->p->t[i].deps[d]] == 2;
            /* Dependencies only order loads; verify reads in any order. */
            if (ready || s->mode == CUT_OPEN_READ) {
                s->state[i] = 1;
                pthread_mutex_unlock(&s->mu);
                return i;
            }
        }
        if (!waiting) {
            pthread_mutex_unlock(&s->mu);
            return -1;
        }
        pthread_cond_wait(&s->cv, &s->mu);
    }
}

static void sched_done(cut_sched *s, int i, int rc, const cut_error *err)
{
    pthread_mutex_lock(&s->mu);
    s->state[i] = rc ? 3 : 2;
    if (rc && !s->failed) {
        s->failed = 1;
        s->rc = rc;
        s->first_err = *err;
    }
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

typedef struct worker {
    cut_sched *s;
    int first; /* uses the planning connections */
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    cut_sched *s = w->s;
    cut_conn *src = w->first ? s->src0 : NULL, *tgt = w->first ? s->tgt0 : NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = CUT_OK;
    if (!w->first) {
        rc = cut_connect(s->p->m->source, CUT_OPEN_READ, &src, &err);
        if (rc == CUT_OK)
            rc = cut_connect(s->p->m->target, s->mode, &tgt, &err);
    }
    int i;
    while ((i = sched_next(s)) >= 0) {
        if (rc == CUT_OK) {
            cut_error_clear(&err);
            rc = s->run(s, i, src, tgt, &err);
        }
        sched_done(s, i, rc, &err);
        if (rc)
            break;
    }
    if (!w->first) {
        cut_disconnect(src);
        cut_disconnect(tgt);
    }
    return NULL;
}

int cut_sched_run(cut_sched *s, int jobs, cut_error *err)
{
    int n = s->p->n;
    if (jobs < 1)
        jobs = 1;
    if (jobs > n)
        jobs = n ? n : 1;
    s->state = calloc((size_t)n + 1, sizeof(int));
    worker *ws = calloc((size_t)jobs, sizeof(worker));
    pthread_t *th = calloc((size_t)jobs, sizeof(pthread_t));
    if (!s->state || !ws || !th) {
        free(s->state);
        free(ws);
        free(th);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_mutex_init(&s->progress_lock, NULL);
    cut_error_clear(&s->first_err);
    int started = 0;
    for (int k = 1; k < jobs; k++) {
        ws[k].s = s;
        if (pthread_create(&th[k], NULL, worker_main, &ws[k]) == 0)
            started = k;
        else
            break;
    }
    ws[0].s = s;
    ws[0].first = 1;
    worker_main(&ws[0]);
    for (int k = 1; k <= started; k++)
        pthread_join(th[k], NULL);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->progress_lock);
    free(s->state);
    free(ws);
    free(th);
    if (s->rc)
        *err = s->first_err;
    return s->rc;
}

static int migrate_one(cut_sched *s, int i, cut_conn *src, cut_conn *tgt, cut_error *err)
{
    return migrate_table(s->p, &s->p->t[i], src, tgt, s->o, &s->progress_lock, &s->res->tables[i],
                         err);
}

int cut_migrate(cut_mapping *m, const cut_run_opts *o, cut_result **res, cut_error *err)
{
    *res = NULL;
    cut_conn *src = NULL, *tgt = NULL;
    cut_plan *p = NULL;
    int rc;
    if (!m->source || !m->target)
        return cut_error_set(err, CUT_EMAPPING, "%s: the mapping needs a source and a target URL",
                             m->path);
    double t0 = cut_now();
    if ((rc = cut_connect(m->source, CUT_OPEN_READ, &src, err)) ||
        (rc = cut_connect(m->target, CUT_OPEN_WRITE, &tgt, err)) ||
        (rc = cut_plan_build(m, o, src, tgt, NULL, &p, err)))
        goto done;
    cut_result *r = cut_result_new_for_plan(p);
    if (!r) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = cut_reject_dir_create(p, err))) {
        cut_result_free(r);
        goto done;
    }
    if (o && o->truncate) {
        /* Empty every table first, children first, in one transaction: a parent cannot
           be emptied while its children still point at it. */
        cut_table **tabs = calloc((size_t)p->n + 1, sizeof(cut_table *));
        if (!tabs) {
            cut_result_free(r);
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
        for (int i = 0; i < p->n; i++)
            tabs[i] = p->t[p->n - 1 - i].tgt;
        rc = tgt->drv->truncate(tgt, tabs, p->n, err);
        free(tabs);
        if (rc) {
            cut_result_free(r);
            goto done;
        }
    }
    cut_plan_announce(p, src, o);
    int jobs = o && o->jobs > 0 ? o->jobs : cut_ncpu();
    if (tgt->drv->caps & CUT_DRV_SINGLE_WRITER)
        jobs = 1; /* one writer at a time: parallel loads would only wait on its lock */
    cut_sched s;
    memset(&s, 0, sizeof(s));
    s.p = p;
    s.o = o;
    s.res = r;
    s.mode = CUT_OPEN_WRITE;
    s.run = migrate_one;
    s.src0 = src;
    s.tgt0 = tgt;
    rc = cut_sched_run(&s, jobs, err);
    r->seconds = cut_now() - t0;
    *res = r;
done:
    cut_plan_free(p);
    cut_disconnect(src);
    cut_disconnect(tgt);
    return rc;
}
