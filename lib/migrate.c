/*
 * migrate.c — cut_migrate: plans the work (a task per table, or per key-range
 * chunk of a big table), empties the targets when told to, and runs the tasks
 * on the worker pool. Each task streams its rows (scanner thread → mapping →
 * loader thread) into the target in a transaction of its own; a chunk first
 * deletes its key range, so that a chunk loaded again after an interruption
 * never duplicates a row. Per-table results are the sums of their chunks'.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "util.h"

#define DEFAULT_CHUNK_ROWS 250000
#define MAX_CHUNKS         4096

/* Per-table bookkeeping shared by the workers (guarded by s->progress_lock, but for
   keys_out: s->mu). */
typedef struct mig_table {
    int64_t rows;   /* source rows read so far, all chunks */
    double started; /* first chunk's start (0 = not started) */
    int left;       /* chunks not finished */
    int failed;
    int resumed;  /* chunks of it were committed by an interrupted run (set before the run) */
    int keys_out; /* its keys are dropped until its deferred constraints go back */
} mig_table;

typedef struct mig_state {
    mig_table *t;
    const cut_chunk_hooks *hooks;
} mig_state;

/* --------------------------------------------------------------- loading */

/* The loader's state: touched only by the thread that calls load_batch. */
typedef struct load_ctx {
    const cut_tplan *tp;
    cut_load *load;
    const cut_driver *drv;
    int64_t loaded;    /* rows the target took */
    int64_t refused_n; /* rows the target refused (load rejects) */
    cut_digest digest; /* of the rows loaded */
    cut_reject_file *rf;
    unsigned char *refused; /* per row of the current batch */
    const cut_batch *cur;
    /* progress, from the mapping thread */
    cut_sched *s;
    int table;
    int64_t reported; /* this chunk's source rows already added to the table's count */
} load_ctx;

static void load_refused(void *ud, int row, const char *reason)
{
    load_ctx *lc = ud;
    lc->refused[row] = 1;
    const cut_batch *b = lc->cur;
    lc->refused_n++;
    cut_reject rj = {"load", NULL, NULL, reason, &b->hash[row]};
    cut_reject_write(lc->rf, lc->tp, b->src, (int)b->aux[row], &rj);
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

static void emit(cut_sched *s, int table, int done)
{
    const cut_run_opts *o = s->o;
    mig_state *ms = s->ud;
    if (!o || !o->progress)
        return;
    const cut_tplan *tp = &s->p->t[table];
    cut_progress pr = {tp->mt->target, "migrate", ms->t[table].rows, tp->estimate, done};
    o->progress(o->progress_ud, &pr);
}

/* After each mapped batch (mapping thread): the table's progress, all chunks together. */
static void load_progress(void *ud, const cut_counts *c)
{
    load_ctx *lc = ud;
    mig_state *ms = lc->s->ud;
    pthread_mutex_lock(&lc->s->progress_lock);
    ms->t[lc->table].rows += c->source_rows - lc->reported;
    lc->reported = c->source_rows;
    emit(lc->s, lc->table, 0);
    pthread_mutex_unlock(&lc->s->progress_lock);
}

/* Adds a finished chunk's results to its table's (holding progress_lock). */
static void merge_chunk(cut_table_result *res, const cut_chunk *c)
{
    res->source_rows += c->source_rows;
    res->filtered += c->filtered;
    res->rejected += c->rejected;
    res->loaded += c->loaded;
    res->zero_dates += c->zero_dates;
    cut_digest_merge(&res->expected, &c->digest);
}

/* One attempt at a task: reads its rows and loads them in a transaction of its own,
   committed at the end; *c and *lc hold what it counted. */
static int load_task(cut_sched *s, cut_task *task, cut_conn *src, cut_conn *tgt, cut_counts *c,
                     load_ctx *lc, cut_error *err)
{
    const cut_plan *p = s->p;
    const cut_run_opts *o = s->o;
    mig_state *ms = s->ud;
    cut_chunk *ch = &task->chunk;
    const cut_tplan *tp = &p->t[task->table];
    memset(c, 0, sizeof(*c));
    cut_reject_file rf;
    char *path = cut_reject_chunk_path(p, tp, ch->index, ch->count);
    if (!path)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    /* A previous attempt's rejects of this chunk must not outlive this one. */
    unlink(path);
    cut_reject_file_init(&rf, path);
    int batch_rows = o && o->batch_rows > 0 ? o->batch_rows
                     : p->m->opts.batch_rows > 0 ? p->m->opts.batch_rows
                                                 : CUT_DEFAULT_BATCH_ROWS;
    unsigned char *refused = calloc((size_t)batch_rows, 1);
    int rc = refused ? CUT_OK : cut_error_set(err, CUT_ENOMEM, "out of memory");
    if (rc == CUT_OK)
        rc = s->read_view ? src->drv->begin_read_at(src, s->read_view, err)
                          : src->drv->begin_read(src, err);
    /* Sequences are set once per table at the end of the run, after its constraints are
       back (a chunk, or a table without its key, would read max() with a scan). */
    cut_load_opts lo = {.cols = tp->out_cols, .ncols = tp->nout, .sequences_later = 1};
    cut_scan_opts range;
    memset(&range, 0, sizeof(range));
    if (ch->ranged) {
        /* A table loaded from scratch was empty at the start and each of its ranges is
           loaded once: only a resumed table's chunk can find rows of its own range (an
           interrupted run committed it but did not journal it), and deletes them. */
        lo.ranged = ms->t[task->table].resumed;
        lo.allow_nonempty = 1;
        lo.range_col = task->range_tcol;
        lo.has_lo = ch->has_lo;
        lo.has_hi = ch->has_hi;
        lo.lo = ch->lo;
        lo.hi = ch->hi;
        range.key_col = task->range_scol;
        range.has_lo = ch->has_lo;
        range.has_hi = ch->has_hi;
        range.lo = ch->lo;
        range.hi = ch->hi;
    }
    cut_load *load = NULL;
    if (rc == CUT_OK)
        rc = tgt->drv->load_open(tgt, tp->tgt, &lo, &load, err);
    memset(lc, 0, sizeof(*lc));
    cut_digest_init(&lc->digest);
    if (rc == CUT_OK) {
        lc->tp = tp;
        lc->load = load;
        lc->drv = tgt->drv;
        lc->rf = &rf;
        lc->refused = refused;
        lc->s = s;
        lc->table = task->table;
        cut_stream_opts so = {
            .batch_rows = batch_rows,
            .cancel = o ? o->cancel : NULL,
            .sink = cut_reject_write,
            .sink_ud = &rf,
            .fn = load_batch,
            .ud = lc,
            .async = 1,
            .on_batch = load_progress,
            .range = ch->ranged ? &range : NULL,
        };
        rc = cut_stream_source(p, tp, src, &so, c, err);
        /* A reject that could not be written is a row that would vanish: fail the chunk
           before committing anything. */
        if (rc == CUT_OK)
            rc = cut_reject_file_sync(&rf, err);
        if (rc == CUT_OK)
            rc = tgt->drv->load_commit(load, err);
        else
            tgt->drv->load_abort(load);
    }
    src->drv->end_read(src);
    cut_error e3;
    cut_error_clear(&e3);
    int rrc = cut_reject_file_close(&rf, &e3);
    if (rc == CUT_OK && rrc) {
        *err = e3;
        rc = rrc;
    }
    free(refused);
    return rc;
}

/* Migrates one task (a table, or a chunk of one). */
static int migrate_task(cut_sched *s, int ti, cut_conn *src, cut_conn *tgt, cut_error *err)
{
    const cut_plan *p = s->p;
    const cut_run_opts *o = s->o;
    mig_state *ms = s->ud;
    cut_task *task = &s->tasks[ti];
    cut_chunk *ch = &task->chunk;
    const cut_tplan *tp = &p->t[task->table];
    cut_table_result *res = &s->res->tables[task->table];
    double t0 = cut_now();

    pthread_mutex_lock(&s->progress_lock);
    if (!ms->t[task->table].started)
        ms->t[task->table].started = t0;
    pthread_mutex_unlock(&s->progress_lock);

    cut_counts c;
    load_ctx lc;
    int rc;
    for (int attempt = 1;; attempt++) {
        rc = load_task(s, task, src, tgt, &c, &lc, err);
        /* The server undid the chunk's transaction (a deadlock, a lock timeout): its rows
           are not in the target and its reject file is rewritten, so it is loaded again,
           after a pause that doubles each time. */
        char who[600];
        if (ch->count > 1)
            snprintf(who, sizeof(who), "%s: chunk %d of %d", tp->mt->target, ch->index + 1,
                     ch->count);
        else
            snprintf(who, sizeof(who), "%s", tp->mt->target);
        if (!cut_retry(rc, attempt, o ? o->cancel : NULL, err, who, "loading it again"))
            break;
        pthread_mutex_lock(&s->progress_lock);
        ms->t[task->table].rows -= lc.reported;
        pthread_mutex_unlock(&s->progress_lock);
    }

    ch->source_rows = c.source_rows;
    ch->filtered = c.filtered;
    ch->rejected = c.rejected + lc.refused_n;
    ch->loaded = lc.loaded;
    ch->zero_dates = c.zero_dates;
    ch->digest = lc.digest;

    pthread_mutex_lock(&s->progress_lock);
    mig_table *mt = &ms->t[task->table];
    mt->rows += c.source_rows - lc.reported;
    if (rc == CUT_OK) {
        merge_chunk(res, ch);
        if (ms->hooks && ms->hooks->done)
            ms->hooks->done(ms->hooks->ud, ch);
        if (--mt->left == 0 && !mt->failed) {
            res->status = CUT_TABLE_OK;
            res->seconds = cut_now() - mt->started;
            emit(s, task->table, 1);
        }
    } else {
        if (!mt->failed)
            emit(s, task->table, -1);
        mt->failed = 1;
        res->status = CUT_TABLE_FAILED;
        res->seconds = cut_now() - mt->started;
        /* An interruption is the table's, not its source's (which the scan named). */
        if (!err->table[0] || rc == CUT_EINTR)
            cut_error_set_table(err, tp->mt->target);
        if (!res->error) {
            char buf[2048];
            cut_error_format(err, buf, sizeof(buf));
            res->error = ch->count > 1 ? cut_asprintf("chunk %d of %d: %s", ch->index + 1,
                                                      ch->count, buf)
                                       : cut_strdup(buf);
        }
    }
    if (res->rejected && !res->reject_file)
        /* A chunked table's rejects are in the files of the chunks that had some. */
        res->reject_file = ch->count > 1 ? cut_reject_chunk_path(p, tp, -1, 2)
                                         : cut_reject_path(p, tp);
    pthread_mutex_unlock(&s->progress_lock);
    (void)t0;
    return rc;
}

/* ------------------------------------------------------------- planning */

/* Whether table i is loaded in several chunks. */
static int chunked(const cut_sched *s, int i)
{
    for (int k = 0; k < s->ntasks; k++)
        if (s->tasks[k].table == i && s->tasks[k].chunk.count > 1)
            return 1;
    return 0;
}

/* min + off for an off no larger than the span above min: computed in unsigned
   arithmetic, as off alone may exceed INT64_MAX. */
static int64_t add_offset(int64_t min, uint64_t off)
{
    uint64_t u = (uint64_t)min + off; /* the sum's two's-complement bits */
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(UINT64_MAX - u) - 1;
}

/* The target column the source key is copied to as is, or -1. */
static int bare_target_of(const cut_tplan *tp, int scan_idx)
{
    for (int o = 0; o < tp->nout; o++)
        if (tp->out_src[o] == scan_idx)
            return tp->out_cols[o];
    return -1;
}

/*
 * Adds table i's tasks: key-range chunks when the table is big and its key is one
 * integer column copied as is into the target (so a chunk's rows can be found and
 * deleted in the target by the same range); else one task for the whole table.
 */
static int plan_tasks(cut_sched *s, int i, cut_conn *src, int64_t chunk_rows, int jobs,
                      cut_error *err)
{
    const cut_tplan *tp = &s->p->t[i];
    int n = 1;
    int64_t min = 0, max = 0;
    int scol = -1, tcol = -1;
    if (chunk_rows > 0 && tp->estimate > chunk_rows && tp->nskey == 1 &&
        src->drv->key_bounds && tp->scan_types[tp->key_scan[0]].kind == CUT_T_INT &&
        !(tp->scan_types[tp->key_scan[0]].flags & CUT_TF_UNSIGNED)) {
        scol = tp->scan_cols[tp->key_scan[0]];
        tcol = bare_target_of(tp, tp->key_scan[0]);
        int empty = 1;
        /* A single-column primary key is never NULL even where not declared so
           (SQLite's INTEGER PRIMARY KEY): a NULL key would fall in no range. */
        int key_nn = tp->src->cols[scol].not_null || (tp->src->npk == 1 && tp->src->pk[0] == scol);
        if (tcol >= 0 && key_nn) {
            int rc = src->drv->key_bounds(src, tp->src, scol, &min, &max, &empty, err);
            if (rc)
                return rc;
        }
        if (!empty && max > min) {
            int64_t want = tp->estimate / chunk_rows + (tp->estimate % chunk_rows != 0);
            /* A multiple of the workers: the last round of chunks keeps them all busy
               (5 chunks on 2 workers left one alone for a fifth of the table). */
            if (jobs > 1 && want > 1)
                want = (want + jobs - 1) / jobs * jobs;
            n = (int)(want > MAX_CHUNKS ? MAX_CHUNKS : want);
        }
    }
    if (n <= 1) {
        int k = cut_sched_add(s, i, tp->estimate);
        if (k < 0)
            return cut_error_set(err, CUT_ENOMEM, "out of memory");
        s->tasks[k].chunk.table = tp->mt->target;
        return CUT_OK;
    }
    cut_log(CUT_LOG_INFO, "%s: %d chunks of about %" PRId64 " rows (key %s, %" PRId64
            " to %" PRId64 ", %d workers)",
            tp->mt->target, n, tp->estimate / n, tp->src->cols[scol].name, min, max, jobs);
    /* Equal widths over [min, max]; the first chunk is open below and the last open above,
       so rows added outside the bounds since they were read still belong to a chunk. The
       span can exceed INT64_MAX (keys from INT64_MIN to INT64_MAX): offsets from min are
       unsigned, and long double holds 2^64 exactly. */
    long double keys = (long double)((uint64_t)max - (uint64_t)min) + 1.0L;
    int64_t prev = min;
    for (int c = 0; c < n; c++) {
        int k = cut_sched_add(s, i, tp->estimate / n);
        if (k < 0)
            return cut_error_set(err, CUT_ENOMEM, "out of memory");
        cut_task *t = &s->tasks[k];
        cut_chunk *ch = &t->chunk;
        ch->table = tp->mt->target;
        ch->index = c;
        ch->count = n;
        ch->ranged = 1;
        ch->has_lo = c > 0;
        ch->lo = prev;
        ch->has_hi = c < n - 1;
        ch->hi = c < n - 1 ? add_offset(min, (uint64_t)(keys * (c + 1) / n)) : 0;
        if (ch->has_hi && ch->hi <= prev && prev < max)
            ch->hi = prev + 1;
        prev = ch->hi;
        t->range_scol = scol;
        t->range_tcol = tcol;
    }
    return CUT_OK;
}

/* ------------------------------------------------- deferred constraints */

#define CONSTRAINTS_SUFFIX ".constraints.sql"

typedef struct keep_ctx {
    const char *path;
    int first; /* the statements go before those stored already (keys: the foreign keys
                  added back after them refer to them) */
    int kept;  /* statements were stored */
} keep_ctx;

/* Stores the statements that recreate a table's constraints, one per line, durably,
   before the driver commits their drop. Statements already stored (by an interrupted
   run whose drops were never undone) are kept: every statement can run again. */
static int keep_statements(void *ud, char *const *stmts, int n, cut_error *err)
{
    keep_ctx *k = ud;
    char *tmp = cut_asprintf("%s.tmp", k->path);
    if (!tmp)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    FILE *f = fopen(tmp, "w");
    int rc = CUT_OK;
    if (!f) {
        rc = cut_error_set(err, CUT_EIO, "cannot write %s: %s", tmp, strerror(errno));
        free(tmp);
        return rc;
    }
    for (int i = 0; k->first && i < n; i++)
        fprintf(f, "%s;\n", stmts[i]); /* single lines (catalog definitions); psql -f runs them too */
    FILE *old = fopen(k->path, "r");
    if (old) {
        char buf[8192];
        size_t got;
        while ((got = fread(buf, 1, sizeof(buf), old)) > 0)
            fwrite(buf, 1, got, f);
        fclose(old);
    }
    for (int i = 0; !k->first && i < n; i++)
        fprintf(f, "%s;\n", stmts[i]);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        rc = cut_error_set(err, CUT_EIO, "cannot write %s: %s", tmp, strerror(errno));
    if (fclose(f) != 0 && rc == CUT_OK)
        rc = cut_error_set(err, CUT_EIO, "cannot write %s: %s", tmp, strerror(errno));
    if (rc == CUT_OK && rename(tmp, k->path) != 0)
        rc = cut_error_set(err, CUT_EIO, "cannot write %s: %s", k->path, strerror(errno));
    if (rc)
        unlink(tmp);
    else
        k->kept = 1;
    free(tmp);
    return rc;
}

/* Runs the statements stored in f, one per line; with t, the driver first tidies it. */
static int run_statements(cut_conn *tgt, FILE *f, const cut_table *t, cut_error *err)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = t && tgt->drv->tidy ? tgt->drv->tidy(tgt, t, err) : CUT_OK;
    while (rc == CUT_OK && (len = getline(&line, &cap, f)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len)
            rc = tgt->drv->exec(tgt, line, err);
    }
    free(line);
    return rc;
}

/*
 * Runs the statements stored for a table (recreating its keys, indexes and foreign
 * keys) and removes the file once they all ran. A missing file is nothing to do. With t
 * (the table was just loaded), the driver first tidies it (tidy). Every statement can
 * run again, so a statement the server undid for a transient conflict (a deadlock, a
 * lock timeout) has them all run again, after a pause.
 */
static int restore_constraints(cut_conn *tgt, const char *path, const char *table,
                               const cut_table *t, cut_error *err)
{
    int rc;
    for (int attempt = 1;; attempt++) {
        FILE *f = fopen(path, "r");
        if (!f)
            return errno == ENOENT
                       ? CUT_OK
                       : cut_error_set(err, CUT_EIO, "cannot read %s: %s", path, strerror(errno));
        rc = run_statements(tgt, f, t, err);
        fclose(f);
        char who[600];
        snprintf(who, sizeof(who), "%s: recreating its constraints", table);
        if (!cut_retry(rc, attempt, NULL, err, who, "running them again"))
            break;
    }
    if (rc == CUT_OK) {
        unlink(path);
    } else {
        cut_error_prefix(err, "recreating the constraints of %s (their definitions stay in %s)",
                         table, path);
        cut_error_set_table(err, table);
    }
    return rc;
}

int cut_restore_constraints(cut_mapping *m, const cut_run_opts *o, int *restored,
                            cut_error *err)
{
    *restored = 0;
    char *dir = cut_reject_dir(m, o);
    if (!dir)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    cut_conn *tgt = NULL;
    int rc = CUT_OK;
    for (int i = 0; i < m->ntables && rc == CUT_OK; i++) {
        char *stem = cut_table_stem(dir, m->tables[i].target);
        char *path = stem ? cut_asprintf("%s%s", stem, CONSTRAINTS_SUFFIX) : NULL;
        free(stem);
        if (!path) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            break;
        }
        if (access(path, F_OK) == 0) {
            if (!tgt)
                rc = cut_connect(m->target, CUT_OPEN_WRITE, &tgt, err);
            if (rc == CUT_OK)
                rc = restore_constraints(tgt, path, m->tables[i].target, NULL, err);
            if (rc == CUT_OK)
                (*restored)++;
        }
        free(path);
    }
    cut_disconnect(tgt);
    free(dir);
    return rc;
}

int cut_deferred_constraints_pending(cut_mapping *m, const cut_run_opts *o, cut_buf *files)
{
    int n = 0;
    char *dir = cut_reject_dir(m, o);
    for (int i = 0; dir && i < m->ntables; i++) {
        char *stem = cut_table_stem(dir, m->tables[i].target);
        char *path = stem ? cut_asprintf("%s%s", stem, CONSTRAINTS_SUFFIX) : NULL;
        if (path && access(path, F_OK) == 0) {
            if (files)
                cut_buf_printf(files, "%s%s", n ? ", " : "", path);
            n++;
        }
        free(stem);
        free(path);
    }
    free(dir);
    return n;
}

/*
 * A table's last chunk is done (s->table_done): with deferred constraints, its own go
 * back now, on this worker, while the other workers go on loading. Its parents are
 * loaded already (children wait for them), and their keys, which its foreign keys refer
 * to, are back unless the worker of a parent is still at it or a foreign key cycle made
 * a parent come later: then the end of the run puts them back, with everything else left.
 */
static int table_loaded(cut_sched *s, int table, cut_conn *tgt, cut_error *err)
{
    const cut_tplan *tp = &s->p->t[table];
    mig_state *ms = s->ud;
    if (!s->deferred)
        return CUT_OK;
    pthread_mutex_lock(&s->mu);
    int parents = 1;
    for (int d = 0; d < tp->ndeps; d++)
        parents = parents && s->left[tp->deps[d]] == 0 && !ms->t[tp->deps[d]].keys_out;
    pthread_mutex_unlock(&s->mu);
    if (!parents)
        return CUT_OK;
    char *path = cut_table_file(s->p, tp, CONSTRAINTS_SUFFIX);
    if (!path)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    if (access(path, F_OK) == 0)
        cut_log(CUT_LOG_DEBUG, "%s: loaded; its deferred constraints go back while other "
                "tables load", tp->mt->target);
    int rc = restore_constraints(tgt, path, tp->mt->target, tp->tgt, err);
    free(path);
    if (rc == CUT_OK) {
        pthread_mutex_lock(&s->mu);
        ms->t[table].keys_out = 0;
        pthread_mutex_unlock(&s->mu);
    }
    return rc;
}

/*
 * Drops what a load does better without, keeping the statements that recreate it:
 * every table's foreign keys and secondary indexes, then, once no foreign key of the
 * mapped tables needs them, the keys of the tables loaded from scratch (built once
 * after the load, as pg_restore does, instead of row by row). A resumed table keeps its
 * key: its chunks delete their own key ranges before they load again.
 */
static int defer_all(const cut_plan *p, cut_conn *tgt, mig_table *mt, cut_error *err)
{
    for (int pass = 0; pass < 2; pass++) {
        cut_defer_fn *defer = pass ? tgt->drv->defer_keys : tgt->drv->defer_constraints;
        for (int i = 0; defer && i < p->n; i++) {
            if (pass && mt[i].resumed)
                continue;
            char *path = cut_table_file(p, &p->t[i], CONSTRAINTS_SUFFIX);
            if (!path)
                return cut_error_set(err, CUT_ENOMEM, "out of memory");
            keep_ctx k = {path, pass, 0};
            int rc = defer(tgt, p->t[i].tgt, keep_statements, &k, err);
            free(path);
            if (rc)
                return rc;
            if (pass)
                mt[i].keys_out = k.kept;
        }
    }
    return CUT_OK;
}

/* Recreates every table's deferred constraints (this run's and any an interrupted run
   left); all are tried, the first error returned. */
static int undefer_all(const cut_plan *p, cut_conn *tgt, cut_error *err)
{
    int first = CUT_OK;
    for (int i = 0; i < p->n; i++) {
        char *path = cut_table_file(p, &p->t[i], CONSTRAINTS_SUFFIX);
        cut_error e;
        cut_error_clear(&e);
        int rc = path ? restore_constraints(tgt, path, p->t[i].mt->target, p->t[i].tgt, &e)
                      : CUT_ENOMEM;
        free(path);
        if (rc && !first) {
            first = rc;
            if (rc == CUT_ENOMEM)
                cut_error_set(err, CUT_ENOMEM, "out of memory");
            else
                *err = e;
        }
    }
    return first;
}

static int unlink_file(void *ud, const char *path)
{
    (void)ud;
    unlink(path);
    return CUT_OK;
}

int cut_migrate(cut_mapping *m, const cut_run_opts *o, cut_result **res, cut_error *err)
{
    *res = NULL;
    cut_conn *src = NULL, *tgt = NULL;
    cut_plan *p = NULL;
    cut_result *r = NULL;
    cut_sched s;
    memset(&s, 0, sizeof(s));
    mig_state ms = {NULL, o ? o->chunks : NULL};
    int rc;
    double t0 = cut_now();
    if ((rc = cut_plan_open(m, o, CUT_OPEN_WRITE, &src, &tgt, &p, err)))
        goto done;
    r = cut_result_new_for_plan(p);
    ms.t = calloc((size_t)p->n + 1, sizeof(mig_table));
    if (!r || !ms.t) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = cut_reject_dir_create(p, err)))
        goto done;
    cut_plan_announce(p, src, o);
    s.p = p;
    s.o = o;
    s.res = r;
    s.mode = CUT_OPEN_WRITE;
    s.run = migrate_task;
    s.table_done = table_loaded;
    s.src0 = src;
    s.tgt0 = tgt;
    s.ud = &ms;

    /* The tasks, and which of them a resumed migration already committed. */
    int64_t chunk_rows = o && o->chunk_rows ? o->chunk_rows
                         : m->opts.chunk_rows ? m->opts.chunk_rows
                                              : DEFAULT_CHUNK_ROWS;
    int jobs = o && o->jobs > 0 ? o->jobs : cut_ncpu();
    if (tgt->drv->caps & CUT_DRV_SINGLE_WRITER)
        jobs = 1; /* one writer at a time: parallel loads would only wait on its lock */
    for (int i = 0; i < p->n && rc == CUT_OK; i++)
        rc = plan_tasks(&s, i, src, chunk_rows, jobs, err);
    if (rc)
        goto done;
    for (int k = 0; k < s.ntasks; k++) {
        cut_task *t = &s.tasks[k];
        cut_table_result *tr = &r->tables[t->table];
        ms.t[t->table].left++;
        if (ms.hooks && ms.hooks->is_done && ms.hooks->is_done(ms.hooks->ud, &t->chunk)) {
            t->state = 2;
            ms.t[t->table].resumed = 1;
            merge_chunk(tr, &t->chunk);
            ms.t[t->table].rows += t->chunk.source_rows;
            ms.t[t->table].left--;
        }
    }
    for (int i = 0; i < p->n; i++) {
        if (ms.t[i].left == 0)
            r->tables[i].status = CUT_TABLE_OK; /* committed by the interrupted run */
        if (!ms.t[i].resumed)
            cut_reject_files(p, &p->t[i], unlink_file, NULL); /* stale chunk files too */
    }

    /* When deferring, drop the constraints (keeping their definitions) until every table
       is loaded. Definitions an interrupted migrate left stored go back at the end too. */
    int defer = o && o->defer_constraints ? o->defer_constraints > 0 : m->opts.defer_constraints;
    if (defer && !tgt->drv->defer_constraints) {
        cut_log(CUT_LOG_INFO, "%s targets load with their constraints in place",
                tgt->drv->name);
        defer = 0;
    }
    /* A resumed table first gets back what an interrupted deferred run dropped: its
       chunks delete their key ranges before loading again, which wants its key. */
    for (int i = 0; i < p->n && rc == CUT_OK; i++) {
        if (!ms.t[i].resumed)
            continue;
        char *path = cut_table_file(p, &p->t[i], CONSTRAINTS_SUFFIX);
        if (path && access(path, F_OK) == 0)
            cut_log(CUT_LOG_INFO, "%s: resumed; the constraints the interrupted migrate "
                    "dropped go back before its chunks load again", p->t[i].mt->target);
        rc = path ? restore_constraints(tgt, path, p->t[i].mt->target, NULL, err)
                  : cut_error_set(err, CUT_ENOMEM, "out of memory");
        free(path);
    }
    if (rc)
        goto undefer;
    if (defer && (rc = defer_all(p, tgt, ms.t, err)))
        goto undefer;
    s.deferred = defer;

    /* Empty the tables that start from scratch, children first, in one transaction:
       a parent cannot be emptied while its children still point at it. */
    int nt = 0;
    cut_table **tabs = calloc((size_t)p->n + 1, sizeof(cut_table *));
    if (!tabs) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = p->n - 1; i >= 0; i--)
        if (!ms.t[i].resumed)
            tabs[nt++] = p->t[i].tgt;
    if (o && o->truncate && nt) {
        /* Emptying big tables takes a while (2.5M SQLite rows: 7 s): said per table. */
        for (int i = 0; i < nt && o->progress; i++) {
            cut_progress pr = {tabs[i]->name, "empty", 0, 0, 0};
            o->progress(o->progress_ud, &pr);
        }
        rc = tgt->drv->truncate(tgt, tabs, nt, err);
        for (int i = 0; i < nt && o->progress; i++) {
            cut_progress pr = {tabs[i]->name, "empty", 0, 0, rc ? -1 : 1};
            o->progress(o->progress_ud, &pr);
        }
    }
    free(tabs);
    if (rc)
        goto undefer;
    /* A chunked table is loaded by several transactions: refuse a non-empty one here,
       before any of them (a whole-table load checks in its own transaction). */
    for (int i = 0; i < p->n && rc == CUT_OK && !(o && o->truncate); i++) {
        int64_t n = 0;
        if (!chunked(&s, i) || ms.t[i].resumed)
            continue;
        if ((rc = tgt->drv->count_rows(tgt, p->t[i].tgt, &n, err)))
            break;
        if (n > 0) {
            rc = cut_error_set(err, CUT_ESTATE,
                               "target table %s is not empty (%" PRId64
                               " rows); use --truncate to replace its rows",
                               p->t[i].tgt->name, n);
            cut_error_set_table(err, p->t[i].mt->target);
        }
    }
    if (rc)
        goto undefer;

    /* Parallel readers of one source see one consistent state: the planning connection
       opens a read view and every worker reads at it (PostgreSQL's exported snapshot). */
    if (jobs > 1 && s.ntasks > 1 && src->drv->read_view && src->drv->begin_read_at &&
        src->drv->begin_read(src, err) == CUT_OK) {
        const char *view = src->drv->read_view(src);
        if (view)
            s.read_view = cut_strdup(view);
        else
            src->drv->end_read(src); /* no shareable view: each worker reads its own */
    }
    cut_error_clear(err);
    rc = cut_sched_run(&s, jobs, err);
    if (s.read_view) {
        src->drv->end_read(src);
        free(s.read_view);
        s.read_view = NULL;
    }
undefer:
    {
        /* Also after a failure: the exact definitions go back in any case, then every
           table's sequences are set past the keys it holds. */
        cut_error e;
        cut_error_clear(&e);
        int urc = undefer_all(p, tgt, &e);
        for (int i = 0; i < p->n && urc == CUT_OK && tgt->drv->set_sequences; i++)
            urc = tgt->drv->set_sequences(tgt, p->t[i].tgt, &e);
        if (urc && rc == CUT_OK) {
            rc = urc;
            *err = e;
        } else if (urc) {
            char buf[1024];
            cut_log(CUT_LOG_ERROR, "%s", cut_error_format(&e, buf, sizeof(buf)));
        }
    }
    if (r)
        r->seconds = cut_now() - t0;
done:
    if (r && rc && !r->seconds)
        r->seconds = cut_now() - t0;
    if (r && (rc == CUT_OK || s.ntasks))
        *res = r;
    else
        cut_result_free(r);
    cut_sched_free(&s);
    free(ms.t);
    cut_plan_free(p);
    cut_disconnect(src);
    cut_disconnect(tgt);
    return rc;
}
