/*
 * verify.c — counts and digests, source-after-mapping against the target, and
 * locating the keys that differ.
 *
 * Pass 1 streams both sides at once (two threads) and keeps, besides the
 * table digest, one digest per bucket of rows (bucket = hash of the row key).
 * When the table digests differ, pass 2 re-reads both sides keeping only the
 * rows of the buckets that differ, up to a memory cap, and compares them by
 * key: missing, extra, or changed (with the columns and both values).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "engine.h"
#include "util.h"

#define NBUCKETS 4096
#define LOCATE_MAX_ROWS 200000 /* rows kept per side in pass 2 */

/* ------------------------------------------------ rows refused at load */

/*
 * The rows the target refused during migrate, by the hash of the mapped row (a
 * multiset: two identical refused rows are two entries). Matching on the row hash
 * works for tables without a key and for keys of any length.
 */
typedef struct hashbag {
    int n, cap;
    cut_hash128 *h;
    unsigned char *used;
} hashbag;

static int hash_cmp(const void *a, const void *b)
{
    const cut_hash128 *x = a, *y = b;
    if (x->hi != y->hi)
        return x->hi < y->hi ? -1 : 1;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return 0;
}

static void hashbag_free(hashbag *s)
{
    free(s->h);
    free(s->used);
    memset(s, 0, sizeof(*s));
}

/* Takes one unused entry equal to h; returns 1 if there was one. */
static int hashbag_take(hashbag *s, cut_hash128 h)
{
    if (!s->n)
        return 0;
    cut_hash128 *hit = bsearch(&h, s->h, (size_t)s->n, sizeof(cut_hash128), hash_cmp);
    if (!hit)
        return 0;
    int i = (int)(hit - s->h);
    while (i > 0 && hash_cmp(&s->h[i - 1], &h) == 0)
        i--;
    for (; i < s->n && hash_cmp(&s->h[i], &h) == 0; i++) {
        if (!s->used[i]) {
            s->used[i] = 1;
            return 1;
        }
    }
    return 0;
}

typedef struct refused_ctx {
    hashbag *s;
    cut_error *err;
} refused_ctx;

/* Adds the row hashes of the "stage":"load" lines of one reject file. */
static int read_refused(void *ud, const char *path)
{
    refused_ctx *rc_ = ud;
    hashbag *s = rc_->s;
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? CUT_OK
                               : cut_error_set(rc_->err, CUT_EIO, "cannot read reject file %s: %s",
                                               path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    int rc = CUT_OK;
    while (getline(&line, &cap, f) > 0) {
        if (!strstr(line, "\"stage\":\"load\""))
            continue;
        const char *k = strstr(line, "\"row_hash\":\"");
        char hex[33];
        cut_hash128 h;
        if (!k || strlen(k) < 12 + 32)
            continue;
        memcpy(hex, k + 12, 32);
        hex[32] = '\0';
        if (cut_digest_parse_hex(hex, &h))
            continue;
        if (s->n == s->cap) {
            int nc = s->cap ? s->cap * 2 : 64;
            cut_hash128 *v = realloc(s->h, sizeof(cut_hash128) * (size_t)nc);
            if (!v) {
                rc = cut_error_set(rc_->err, CUT_ENOMEM, "out of memory");
                break;
            }
            s->h = v;
            s->cap = nc;
        }
        s->h[s->n++] = h;
    }
    free(line);
    fclose(f);
    return rc;
}

/* Loads the row hashes of the "stage":"load" rejects of a table (written by migrate, in one
   file per table or per chunk). */
static int load_refused_rows(const cut_plan *p, const cut_tplan *tp, hashbag *s, cut_error *err)
{
    refused_ctx ctx = {s, err};
    int rc = cut_reject_files(p, tp, read_refused, &ctx);
    if (rc == CUT_ENOMEM && !err->code)
        cut_error_set(err, CUT_ENOMEM, "out of memory");
    if (rc == CUT_OK && s->n) {
        qsort(s->h, (size_t)s->n, sizeof(cut_hash128), hash_cmp);
        s->used = calloc((size_t)s->n, 1);
        if (!s->used)
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    return rc;
}

/* ------------------------------------------------------------- pass 1 */

typedef struct side {
    const cut_plan *p;
    const cut_tplan *tp;
    cut_conn *conn;
    int batch_rows;
    volatile sig_atomic_t *cancel;
    int is_source;
    cut_counts c;
    cut_digest digest;
    cut_digest *buckets;     /* NBUCKETS */
    const unsigned char *pick; /* pass 2: buckets to keep (NULL in pass 1) */
    hashbag *refused;        /* source side: rows the target refused at load */
    const cut_run_opts *o;   /* progress (source side, pass 1) */
    pthread_mutex_t *progress_lock;
    struct rowmap *keep;     /* pass 2: rows kept */
    cut_buf scratch, key, enc;
    int rc;
    cut_error err;
} side;

/* ------------------------------------------------- pass 2 row storage */

typedef struct rowent {
    struct rowent *next;
    uint64_t khash;
    cut_hash128 h;
    uint32_t klen, elen;
    int matched;
    char data[]; /* key encoding, then row encoding */
} rowent;

typedef struct rowmap {
    rowent **slots;
    size_t nslots;
    size_t n;
    cut_arena arena;
} rowmap;

static int rowmap_init(rowmap *m, size_t expect)
{
    m->nslots = 1024;
    while (m->nslots < expect * 2)
        m->nslots *= 2;
    m->slots = calloc(m->nslots, sizeof(rowent *));
    m->n = 0;
    cut_arena_init(&m->arena, 1 << 20);
    return m->slots ? CUT_OK : CUT_ENOMEM;
}

static void rowmap_free(rowmap *m)
{
    free(m->slots);
    cut_arena_free(&m->arena);
}

static int rowmap_add(rowmap *m, uint64_t kh, const cut_buf *key, const cut_buf *enc,
                      cut_hash128 h)
{
    rowent *e = cut_arena_alloc(&m->arena, sizeof(rowent) + key->len + enc->len);
    if (!e)
        return CUT_ENOMEM;
    e->khash = kh;
    e->h = h;
    e->klen = (uint32_t)key->len;
    e->elen = (uint32_t)enc->len;
    e->matched = 0;
    memcpy(e->data, key->p, key->len);
    memcpy(e->data + key->len, enc->p, enc->len);
    size_t slot = kh & (m->nslots - 1);
    e->next = m->slots[slot];
    m->slots[slot] = e;
    m->n++;
    return CUT_OK;
}

/* The first unmatched entry with the same key, or NULL. */
static rowent *rowmap_find(rowmap *m, const rowent *k)
{
    for (rowent *e = m->slots[k->khash & (m->nslots - 1)]; e; e = e->next)
        if (!e->matched && e->khash == k->khash && e->klen == k->klen &&
            memcmp(e->data, k->data, k->klen) == 0)
            return e;
    return NULL;
}

static int side_batch(void *ud, cut_batch *b, cut_error *err)
{
    side *sd = ud;
    const cut_tplan *tp = sd->tp;
    for (int r = 0; r < b->nrows; r++) {
        const cut_cell *cells = cut_batch_row(b, r);
        if (sd->is_source && sd->refused && sd->refused->n &&
            hashbag_take(sd->refused, b->hash[r])) {
            /* The target refused this row during migrate: it is a reject, not a loss. */
            sd->c.rejected++;
            continue;
        }
        uint64_t kh = cut_key_hash(cells, tp->key_out, tp->nkey, &sd->scratch);
        unsigned bucket = (unsigned)(kh & (NBUCKETS - 1));
        if (!sd->pick) {
            cut_digest_add(&sd->digest, b->hash[r]);
            cut_digest_add(&sd->buckets[bucket], b->hash[r]);
            continue;
        }
        if (!sd->pick[bucket] || sd->keep->n >= LOCATE_MAX_ROWS * 2)
            continue;
        /* Pass 2: keep the row (key cells' encoding + the row's encoding). */
        cut_buf_reset(&sd->key);
        for (int k = 0; k < tp->nkey; k++) {
            cut_buf one = {0};
            cut_row_encode(&cells[tp->key_out[k]], 1, &one);
            cut_buf_append(&sd->key, one.p, one.len);
            cut_buf_free(&one);
        }
        if (cut_row_encode(cells, tp->nout, &sd->enc) ||
            rowmap_add(sd->keep, kh, &sd->key, &sd->enc, b->hash[r]))
            return cut_error_set(err, CUT_ENOMEM, "out of memory while locating differences");
    }
    if (!sd->is_source)
        sd->c.source_rows += b->nrows; /* target side: rows read */
    return CUT_OK;
}

/* Source side, after each batch: progress (rows read from the source). */
static void side_progress(void *ud, const cut_counts *c)
{
    side *sd = ud;
    if (!sd->o || !sd->o->progress)
        return;
    cut_progress pr = {sd->tp->mt->target, "verify", c->source_rows, sd->tp->estimate, 0};
    pthread_mutex_lock(sd->progress_lock);
    sd->o->progress(sd->o->progress_ud, &pr);
    pthread_mutex_unlock(sd->progress_lock);
}

static void side_run(side *sd)
{
    cut_error_clear(&sd->err);
    if (sd->is_source) {
        sd->rc = sd->conn->drv->begin_read(sd->conn, &sd->err);
        if (sd->rc == CUT_OK) {
            cut_stream_opts so = {.batch_rows = sd->batch_rows, .cancel = sd->cancel,
                                  .fn = side_batch, .ud = sd,
                                  .on_batch = sd->pick ? NULL : side_progress};
            sd->rc = cut_stream_source(sd->p, sd->tp, sd->conn, &so, &sd->c, &sd->err);
        }
        sd->conn->drv->end_read(sd->conn);
    } else {
        sd->rc = sd->conn->drv->begin_read(sd->conn, &sd->err);
        if (sd->rc == CUT_OK)
            sd->rc = cut_stream_target(sd->p, sd->tp, sd->conn, sd->batch_rows, sd->cancel,
                                       side_batch, sd, &sd->err);
        sd->conn->drv->end_read(sd->conn);
    }
}

static void *side_thread(void *arg)
{
    side_run(arg);
    return NULL;
}

/* Runs both sides, the source in a second thread. */
static int run_sides(side *s, side *t, cut_error *err)
{
    pthread_t th;
    int threaded = pthread_create(&th, NULL, side_thread, s) == 0;
    side_run(t);
    if (threaded)
        pthread_join(th, NULL);
    else
        side_run(s);
    if (s->rc) {
        *err = s->err;
        return s->rc;
    }
    if (t->rc) {
        *err = t->err;
        return t->rc;
    }
    return CUT_OK;
}

static void side_init(side *sd, const cut_plan *p, const cut_tplan *tp, cut_conn *conn,
                      const cut_run_opts *o, int is_source)
{
    memset(sd, 0, sizeof(*sd));
    sd->p = p;
    sd->tp = tp;
    sd->conn = conn;
    sd->batch_rows = o && o->batch_rows > 0 ? o->batch_rows
                     : p->m->opts.batch_rows > 0 ? p->m->opts.batch_rows
                                                 : CUT_DEFAULT_BATCH_ROWS;
    sd->cancel = o ? o->cancel : NULL;
    sd->is_source = is_source;
    cut_digest_init(&sd->digest);
}

static void side_free(side *sd)
{
    free(sd->buckets);
    cut_buf_free(&sd->scratch);
    cut_buf_free(&sd->key);
    cut_buf_free(&sd->enc);
}

/* ------------------------------------------------------------- pass 2 */

/* Decodes a row encoding into cells pointing into it. */
static void decode_row(const char *enc, uint32_t len, cut_cell *cells, int n)
{
    uint32_t off = 0;
    for (int i = 0; i < n; i++) {
        if (off >= len || enc[off] == 0) {
            cells[i].p = NULL;
            cells[i].len = 0;
            cells[i].flags = CUT_CELL_NULL;
            off++;
            continue;
        }
        const unsigned char *u = (const unsigned char *)enc + off + 1;
        uint32_t l = (uint32_t)u[0] | ((uint32_t)u[1] << 8) | ((uint32_t)u[2] << 16) |
                     ((uint32_t)u[3] << 24);
        cells[i].p = enc + off + 5;
        cells[i].len = l;
        cells[i].flags = 0;
        off += 5 + l;
    }
}

typedef struct pending {
    cut_diff_kind kind;
    const rowent *a, *b; /* expected (source) / actual (target) */
    char *key;
} pending;

static int pending_cmp(const void *x, const void *y)
{
    const pending *a = x, *b = y;
    int c = strverscmp(a->key, b->key);
    return c ? c : (int)a->kind - (int)b->kind;
}

static char *render_cell(const cut_cell *c, cut_buf *tmp)
{
    if (cut_cell_is_null(c))
        return NULL;
    cut_printable(c->p, c->len, 0, 200, tmp);
    return cut_strdup(tmp->p);
}

static int locate(const cut_plan *p, const cut_tplan *tp, side *s, side *t, const cut_run_opts *o,
                  cut_table_result *res, cut_error *err)
{
    /* Choose the differing buckets, smallest first, within the row cap. */
    unsigned char *pick = calloc(NBUCKETS, 1);
    if (!pick)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    uint64_t kept = 0;
    for (int b = 0; b < NBUCKETS; b++) {
        if (cut_digest_equal(&s->buckets[b], &t->buckets[b]))
            continue;
        uint64_t rows = s->buckets[b].rows > t->buckets[b].rows ? s->buckets[b].rows
                                                                : t->buckets[b].rows;
        if (kept + rows > LOCATE_MAX_ROWS) {
            res->diff_unexamined += (int64_t)rows;
            continue;
        }
        kept += rows;
        pick[b] = 1;
    }
    rowmap ms, mt;
    int rc = CUT_OK;
    if (rowmap_init(&ms, kept) || rowmap_init(&mt, kept)) {
        free(pick);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    side s2, t2;
    side_init(&s2, p, tp, s->conn, o, 1);
    side_init(&t2, p, tp, t->conn, o, 0);
    s2.pick = t2.pick = pick;
    if (s->refused && s->refused->n)
        memset(s->refused->used, 0, (size_t)s->refused->n);
    s2.refused = s->refused;
    s2.keep = &ms;
    t2.keep = &mt;
    if ((rc = run_sides(&s2, &t2, err)))
        goto done;

    /* Pair rows by key. */
    size_t npend = 0, cap = 256;
    pending *pend = malloc(sizeof(pending) * cap);
    cut_cell *ca = calloc((size_t)tp->nout + 1, sizeof(cut_cell));
    cut_cell *cb = calloc((size_t)tp->nout + 1, sizeof(cut_cell));
    cut_buf kb = {0}, tmp = {0};
    if (!pend || !ca || !cb) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto pairs_done;
    }
    for (int pass = 0; pass < 2; pass++) {
        rowmap *mine = pass == 0 ? &ms : &mt, *other = pass == 0 ? &mt : &ms;
        for (size_t sl = 0; sl < mine->nslots; sl++) {
            for (rowent *e = mine->slots[sl]; e; e = e->next) {
                if (e->matched)
                    continue;
                rowent *f = pass == 0 ? rowmap_find(other, e) : NULL;
                e->matched = 1;
                if (f)
                    f->matched = 1;
                cut_diff_kind kind;
                if (!f)
                    kind = pass == 0 ? CUT_DIFF_MISSING : CUT_DIFF_EXTRA;
                else if (f->h.lo == e->h.lo && f->h.hi == e->h.hi)
                    continue; /* the same row */
                else
                    kind = CUT_DIFF_CHANGED;
                if (kind == CUT_DIFF_MISSING)
                    res->diff_missing++;
                else if (kind == CUT_DIFF_EXTRA)
                    res->diff_extra++;
                else
                    res->diff_changed++;
                if (npend == cap) {
                    cap *= 2;
                    pending *np = realloc(pend, sizeof(pending) * cap);
                    if (!np) {
                        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
                        goto pairs_done;
                    }
                    pend = np;
                }
                decode_row(e->data + e->klen, e->elen, ca, tp->nout);
                cut_render_key(ca, tp->key_out, tp->nkey, tp->out_names, &kb);
                pending *pd = &pend[npend++];
                pd->kind = kind;
                pd->a = pass == 0 ? e : NULL;
                pd->b = pass == 0 ? f : e;
                pd->key = cut_strdup(kb.p);
            }
        }
    }
    qsort(pend, npend, sizeof(pending), pending_cmp);
    int maxd = o && o->max_diffs > 0 ? o->max_diffs : 20;
    res->diffs = calloc((size_t)(npend < (size_t)maxd ? npend : (size_t)maxd) + 1, sizeof(cut_diff));
    if (!res->diffs) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto pairs_done;
    }
    for (size_t i = 0; i < npend && res->ndiffs < maxd; i++) {
        pending *pd = &pend[i];
        cut_diff *d = &res->diffs[res->ndiffs++];
        d->kind = pd->kind;
        d->key = pd->key;
        pd->key = NULL;
        if (pd->kind != CUT_DIFF_CHANGED)
            continue;
        decode_row(pd->a->data + pd->a->klen, pd->a->elen, ca, tp->nout);
        decode_row(pd->b->data + pd->b->klen, pd->b->elen, cb, tp->nout);
        d->cols = calloc((size_t)tp->nout, sizeof(cut_diff_col));
        if (!d->cols) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto pairs_done;
        }
        for (int c = 0; c < tp->nout; c++) {
            int same = (ca[c].flags & CUT_CELL_NULL) == (cb[c].flags & CUT_CELL_NULL) &&
                       ca[c].len == cb[c].len &&
                       (ca[c].len == 0 || memcmp(ca[c].p, cb[c].p, ca[c].len) == 0);
            if (same)
                continue;
            cut_diff_col *dc = &d->cols[d->ncols++];
            dc->column = cut_strdup(tp->out_names[c]);
            dc->expected = render_cell(&ca[c], &tmp);
            dc->actual = render_cell(&cb[c], &tmp);
        }
    }
pairs_done:
    for (size_t i = 0; pend && i < npend; i++)
        free(pend[i].key);
    free(pend);
    free(ca);
    free(cb);
    cut_buf_free(&kb);
    cut_buf_free(&tmp);
done:
    side_free(&s2);
    side_free(&t2);
    rowmap_free(&ms);
    rowmap_free(&mt);
    free(pick);
    return rc;
}

/* ------------------------------------------------------------- verify */

static int verify_table(const cut_plan *p, const cut_tplan *tp, cut_conn *src, cut_conn *tgt,
                        const cut_run_opts *o, pthread_mutex_t *progress_lock,
                        cut_table_result *res, cut_error *err)
{
    double t0 = cut_now();
    hashbag refused = {0};
    side s, t;
    side_init(&s, p, tp, src, o, 1);
    side_init(&t, p, tp, tgt, o, 0);
    int rc = load_refused_rows(p, tp, &refused, err);
    s.refused = &refused;
    s.o = o;
    s.progress_lock = progress_lock;
    s.buckets = calloc(NBUCKETS, sizeof(cut_digest));
    t.buckets = calloc(NBUCKETS, sizeof(cut_digest));
    if (rc == CUT_OK && (!s.buckets || !t.buckets))
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
    if (rc == CUT_OK)
        rc = run_sides(&s, &t, err);
    if (rc == CUT_OK) {
        res->source_rows = s.c.source_rows;
        res->filtered = s.c.filtered;
        res->rejected = s.c.rejected;
        res->zero_dates = s.c.zero_dates;
        res->loaded = (int64_t)s.digest.rows;
        res->target_rows = t.c.source_rows;
        res->expected = s.digest;
        res->actual = t.digest;
        int same = cut_digest_equal(&s.digest, &t.digest);
        int rejects_ok = tp->max_rejects < 0 || res->rejected <= tp->max_rejects;
        res->status = same && rejects_ok ? CUT_TABLE_OK : CUT_TABLE_MISMATCH;
        if (!same && (!o || o->locate))
            rc = locate(p, tp, &s, &t, o, res, err);
    }
    if (rc) {
        res->status = CUT_TABLE_FAILED;
        /* An interruption is the table's, not its source's (which the scan named). */
        if (!err->table[0] || rc == CUT_EINTR)
            cut_error_set_table(err, tp->mt->target);
        char buf[2048];
        res->error = cut_strdup(cut_error_format(err, buf, sizeof(buf)));
    }
    res->seconds = cut_now() - t0;
    if (o && o->progress) {
        cut_progress pr = {tp->mt->target, "verify", res->source_rows, 0, rc ? -1 : 1};
        pthread_mutex_lock(progress_lock);
        o->progress(o->progress_ud, &pr);
        pthread_mutex_unlock(progress_lock);
    }
    side_free(&s);
    side_free(&t);
    hashbag_free(&refused);
    return rc;
}

static int verify_one(cut_sched *s, int task, cut_conn *src, cut_conn *tgt, cut_error *err)
{
    int i = s->tasks[task].table;
    int rc = verify_table(s->p, &s->p->t[i], src, tgt, s->o, &s->progress_lock,
                          &s->res->tables[i], err);
    return rc;
}

int cut_verify(cut_mapping *m, const cut_run_opts *o, cut_result **res, cut_error *err)
{
    *res = NULL;
    cut_conn *src = NULL, *tgt = NULL;
    cut_plan *p = NULL;
    int rc;
    double t0 = cut_now();
    if ((rc = cut_plan_open(m, o, CUT_OPEN_READ, &src, &tgt, &p, err)))
        goto done;
    cut_result *r = cut_result_new_for_plan(p);
    if (!r) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    cut_plan_announce(p, src, o);
    int jobs = o && o->jobs > 0 ? o->jobs : cut_ncpu();
    /* Each table already reads both sides at once. */
    jobs = jobs > 1 ? jobs / 2 : 1;
    cut_sched s;
    memset(&s, 0, sizeof(s));
    s.p = p;
    s.o = o;
    s.res = r;
    s.mode = CUT_OPEN_READ;
    s.run = verify_one;
    s.src0 = src;
    s.tgt0 = tgt;
    rc = cut_sched_run(&s, jobs, err);
    cut_sched_free(&s);
    r->seconds = cut_now() - t0;
    /* Go is a statement about tables compared: none compared proves nothing. */
    r->go = rc == CUT_OK && r->ntables > 0;
    for (int i = 0; i < r->ntables; i++)
        if (r->tables[i].status != CUT_TABLE_OK)
            r->go = 0;
    *res = r;
done:
    cut_plan_free(p);
    cut_disconnect(src);
    cut_disconnect(tgt);
    return rc;
}
