/*
 * run.c — the go-live runbook: preflight check → snapshot of the target
 * tables → migrate → verify → gate → on No-Go (or an error once the target
 * was written) restore the snapshot, whose restore proves its digests. Every
 * step is written to the journal as running before it starts and updated when
 * it ends, so that a run killed at any point leaves a journal that says where
 * it stopped; the next run on the same target refuses to start until that run
 * is resumed or its snapshot restored.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver.h"
#include "journal.h"
#include "mapping.h"
#include "util.h"

typedef struct runbook {
    cut_mapping *m;
    cut_journal *j;
    const cut_runbook_opts *o;
    int64_t run;
    char *snapshot; /* absolute path of the way back, or NULL */
    int journal_rc; /* the first journal write that failed */
    cut_error journal_err;
} runbook;

typedef struct step {
    const char *name;
    int seq;
    double t0;    /* monotonic */
    double wall0; /* wall clock */
} step;

void cut_runbook_opts_init(cut_runbook_opts *o)
{
    memset(o, 0, sizeof(*o));
}

static int cancelled(const runbook *b)
{
    return b->o->cancel && *b->o->cancel;
}

/* A journal write that failed: remembered, and the run stops at the next step. */
static void jnote(runbook *b, int rc, const cut_error *err)
{
    if (rc && !b->journal_rc) {
        b->journal_rc = rc;
        b->journal_err = *err;
        char buf[1200];
        cut_log(CUT_LOG_ERROR, "%s", cut_error_format(err, buf, sizeof(buf)));
    }
}

static void emit(runbook *b, const char *name, const char *status, double seconds,
                 const char *detail)
{
    if (!b->o->step)
        return;
    cut_step_event ev = {b->run, name, status, seconds, detail};
    b->o->step(b->o->step_ud, &ev);
}

static int step_start(runbook *b, const char *name, step *s, cut_error *err)
{
    s->name = name;
    s->seq = 0;
    s->t0 = cut_now();
    s->wall0 = cut_wallclock();
    if (b->journal_rc) {
        *err = b->journal_err;
        return b->journal_rc;
    }
    int rc = cut_journal_step_begin(b->j, b->run, name, s->wall0, &s->seq, err);
    if (rc)
        return rc;
    emit(b, name, "running", 0, NULL);
    return CUT_OK;
}

static void step_stop(runbook *b, step *s, const char *status, int64_t rows, const char *detail)
{
    double secs = cut_now() - s->t0;
    cut_error e;
    cut_error_clear(&e);
    jnote(b, cut_journal_step_end(b->j, b->run, s->seq, status, s->wall0 + secs, rows, detail, &e),
          &e);
    emit(b, s->name, status, secs, detail);
}

static void step_skip(runbook *b, const char *name, const char *detail)
{
    double now = cut_wallclock();
    cut_error e;
    cut_error_clear(&e);
    jnote(b, cut_journal_step_add(b->j, b->run, name, now, now, "skipped", -1, detail, &e), &e);
    emit(b, name, "skipped", 0, detail);
}

static const char *status_of(int rc)
{
    return rc == CUT_OK ? "ok" : rc == CUT_EINTR ? "interrupted" : "failed";
}

static char *error_text(const cut_error *err)
{
    char buf[2048];
    return cut_strdup(cut_error_format(err, buf, sizeof(buf)));
}

/* The directory part of path ("." when there is none). Caller frees. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return cut_strdup(".");
    if (slash == path)
        return cut_strdup("/");
    return cut_strndup(path, (size_t)(slash - path));
}

/* Per-table progress: forwarded to the caller; a migrated table is journaled as soon as it
   finishes, so that a kill later in the step still knows it. */
typedef struct prog {
    runbook *b;
    int migrate;
} prog;

static void on_progress(void *ud, const cut_progress *p)
{
    prog *pg = ud;
    runbook *b = pg->b;
    if (pg->migrate && p->done > 0 && strcmp(p->phase, "migrate") == 0) {
        cut_error e;
        cut_error_clear(&e);
        jnote(b, cut_journal_put_table_done(b->j, b->run, "migrate", p->table, p->rows, &e), &e);
    }
    if (b->o->progress)
        b->o->progress(b->o->progress_ud, p);
}

/* ---------------------------------------------------------- estimates */

int cut_run_estimate_rows(cut_mapping *m, int64_t *source_rows, int64_t *target_rows,
                          cut_error *err)
{
    *source_rows = *target_rows = -1;
    int rc = CUT_OK;
    for (int side = 0; side < 2; side++) {
        const char *url = side ? m->target : m->source;
        cut_conn *c = NULL;
        cut_error e;
        cut_error_clear(&e);
        int r = url ? cut_connect(url, CUT_OPEN_READ, &c, &e)
                    : cut_error_set(&e, CUT_EMAPPING, "no URL");
        int64_t total = 0;
        for (int i = 0; r == CUT_OK && i < m->ntables; i++) {
            cut_table *t = NULL;
            int64_t n = -1;
            const char *name = side ? m->tables[i].target : m->tables[i].source;
            r = cut_describe(c, name, &t, &e);
            if (r == CUT_OK)
                r = c->drv->estimate_rows(c, t, &n, &e);
            cut_table_free(t);
            total += n > 0 ? n : 0;
        }
        cut_disconnect(c);
        if (r == CUT_OK) {
            *(side ? target_rows : source_rows) = total;
        } else if (side == 0) {
            *err = e;
            rc = r;
        }
    }
    return rc;
}

/* ------------------------------------------------------------ resume */

/*
 * Chunk checkpoints: every committed chunk is journaled at once; a resumed run takes
 * the chunks its predecessor committed (same table, index, count and key range) as
 * done, records them as its own, and migrate loads only the others, each of which
 * deletes its key range first, so nothing is duplicated or lost.
 */
typedef struct chunk_ctx {
    runbook *b;
    int64_t from;  /* the interrupted run, 0 when not resuming */
    int kept;      /* chunks taken over */
} chunk_ctx;

static int chunk_is_done(void *ud, cut_chunk *c)
{
    chunk_ctx *k = ud;
    if (!k->from)
        return 0;
    cut_error e;
    cut_error_clear(&e);
    if (cut_journal_get_chunk(k->b->j, k->from, c, &e) != CUT_OK)
        return 0;
    jnote(k->b, cut_journal_put_chunk(k->b->j, k->b->run, c, &e), &e);
    k->kept++;
    return 1;
}

static void chunk_done(void *ud, const cut_chunk *c)
{
    chunk_ctx *k = ud;
    cut_error e;
    cut_error_clear(&e);
    jnote(k->b, cut_journal_put_chunk(k->b->j, k->b->run, c, &e), &e);
}

/* -------------------------------------------------------------- text */

static char *migrate_detail(const cut_result *r)
{
    int64_t src = 0, loaded = 0, filtered = 0, rejected = 0;
    for (int i = 0; i < r->ntables; i++) {
        src += r->tables[i].source_rows;
        loaded += r->tables[i].loaded;
        filtered += r->tables[i].filtered;
        rejected += r->tables[i].rejected;
    }
    return cut_asprintf("%d table%s: %" PRId64 " source rows, %" PRId64 " loaded, %" PRId64
                        " filtered, %" PRId64 " rejected",
                        r->ntables, r->ntables == 1 ? "" : "s", src, loaded, filtered, rejected);
}

static int64_t source_rows(const cut_result *r)
{
    int64_t n = 0;
    for (int i = 0; r && i < r->ntables; i++)
        n += r->tables[i].source_rows;
    return n;
}

/* Why a verify result is No-Go, one clause per table. */
static char *nogo_detail(const cut_result *r)
{
    cut_buf b = {0};
    int bad = 0;
    for (int i = 0; i < r->ntables; i++) {
        const cut_table_result *t = &r->tables[i];
        if (t->status == CUT_TABLE_OK)
            continue;
        cut_buf_printf(&b, "%s%s: ", bad++ ? "; " : "", t->table);
        if (t->status == CUT_TABLE_FAILED || t->status == CUT_TABLE_PENDING)
            cut_buf_printf(&b, "%s", t->error ? t->error : "not verified");
        else if (!cut_digest_equal(&t->expected, &t->actual))
            cut_buf_printf(&b,
                           "digest differs (%" PRId64 " missing, %" PRId64 " extra, %" PRId64
                           " changed)",
                           t->diff_missing, t->diff_extra, t->diff_changed);
        else
            cut_buf_printf(&b, "%" PRId64 " rejected row%s exceed%s max_rejects (%" PRId64 ")",
                           t->rejected, t->rejected == 1 ? "" : "s", t->rejected == 1 ? "s" : "",
                           r->max_rejects);
    }
    char *s = cut_strdup(cut_buf_cstr(&b));
    cut_buf_free(&b);
    return s;
}

/* ----------------------------------------------------------- the run */

/*
 * How the journal names a target: its redacted URL, with a SQLite file's path made
 * absolute, so that "sqlite:gym.db" run from its directory and "sqlite:/srv/gym.db"
 * are one target for interrupted-run blocks. Caller frees.
 */
static char *target_identity(const char *url)
{
    cut_url *u = NULL;
    cut_error e;
    cut_error_clear(&e);
    char *id = NULL;
    if (cut_url_parse(url, &u, &e) == CUT_OK && strcmp(u->scheme, "sqlite") == 0 && u->path &&
        u->nparams == 0) {
        char *abs = realpath(u->path, NULL);
        if (abs)
            id = cut_asprintf("sqlite:%s", abs);
        free(abs);
    }
    cut_url_free(u);
    return id ? id : cut_url_redact(url);
}

/*
 * A snapshot file that exists may be the only way back of an earlier run (a fixed
 * --snapshot path in a script), or of a run of a journal since replaced (whose
 * cutover-run-<id>.cutsnap this run's name repeats): like `cutover snapshot`, a run
 * never replaces one unless told to (o->force).
 */
static int keep_snapshot(const char *path, cut_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return CUT_OK;
    return cut_error_set(err, CUT_EINVAL,
                         "snapshot %s exists; use --force to replace it (it may be the only copy "
                         "to roll back to)",
                         path);
}

static int blocked(runbook *b, const cut_jblock *blk, const char *target, cut_error *err)
{
    char when[32];
    cut_utc_iso(blk->started, when, sizeof(when));
    char *way = cut_journal_way_back(blk->snapshot[0] ? blk->snapshot : NULL,
                                     cut_journal_path(b->j), target);
    int rc = CUT_OK;
    switch (blk->kind) {
    case CUT_BLOCK_RUNNING:
        rc = cut_error_set(err, CUT_ESTATE,
                           "run %" PRId64 " (pid %" PRId64 ", started %s) is still running on "
                           "%s; wait for it to finish",
                           blk->run, blk->pid, when, target);
        break;
    case CUT_BLOCK_OTHER_HOST:
        rc = cut_error_set(
            err, CUT_ESTATE,
            "run %" PRId64 " on %s is marked running by host %s (pid %" PRId64 ", started %s); "
            "from this host cutover cannot tell whether that process is still alive. Let it "
            "finish, or run cutover there; if it is gone, put the target back with %s, which "
            "lifts the block",
            blk->run, target, blk->host, blk->pid, when, way ? way : "cutover restore");
        break;
    case CUT_BLOCK_INTERRUPTED:
        rc = cut_error_set(
            err, CUT_ESTATE,
            "run %" PRId64 " (started %s) was interrupted during %s; the target %s may hold "
            "part of a migration. Either continue that run: 'cutover run %s --resume', or put "
            "the target back as it was before run %" PRId64 ": %s",
            blk->run, when, blk->step[0] ? blk->step : "its run", target, blk->mapping, blk->run,
            way ? way : "cutover restore");
        break;
    default:
        break;
    }
    free(way);
    return rc;
}

int cut_runbook(cut_mapping *m, cut_journal *j, const cut_runbook_opts *o, int64_t *run,
                cut_run_outcome *outcome, cut_error *err)
{
    cut_runbook_opts dflt;
    if (!o) {
        cut_runbook_opts_init(&dflt);
        o = &dflt;
    }
    *run = 0;
    *outcome = CUT_OUTCOME_ERROR;
    int need = cut_mapping_need_urls(m, CUT_NEED_SOURCE | CUT_NEED_TARGET, err);
    if (need)
        return need;
    int rc;
    if (o->snapshot && !o->resume && !o->force && (rc = keep_snapshot(o->snapshot, err)))
        return rc;
    runbook b;
    memset(&b, 0, sizeof(b));
    b.m = m;
    b.j = j;
    b.o = o;
    prog pg = {&b, 0};
    char *src_red = cut_url_redact(m->source), *tgt_red = target_identity(m->target);
    char *detail = NULL, *snap_path = NULL, *jdir = NULL;
    cut_result *mres = NULL, *vres = NULL;
    cut_snap_info *info = NULL;
    cut_error first; /* the error that decides the outcome, kept across the rollback */
    cut_error_clear(&first);
    int first_rc = CUT_OK, migrated = 0, rolled_back = 0;
    const char *end = "error";
    step s;
    cut_run_opts ro;
    cut_run_opts_init(&ro);
    ro.jobs = o->jobs;
    ro.cancel = o->cancel;
    ro.progress = on_progress;
    ro.progress_ud = &pg;
    cut_snapshot_opts so;
    cut_snapshot_opts_init(&so);
    so.cancel = o->cancel;
    so.progress = on_progress;
    so.progress_ud = &pg;
    if (!src_red || !tgt_red) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = cut_journal_add_secret(j, m->source)) ||
        (rc = cut_journal_add_secret(j, m->target))) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto out;
    }

    /* 0. What an earlier run left behind on this target. */
    cut_jblock blk;
    if ((rc = cut_journal_find_block(j, tgt_red, &blk, err)))
        goto out;
    if (blk.kind != CUT_BLOCK_NONE && !(blk.kind == CUT_BLOCK_INTERRUPTED && o->resume)) {
        rc = blocked(&b, &blk, tgt_red, err);
        goto out;
    }
    if (o->resume && blk.kind == CUT_BLOCK_NONE) {
        rc = cut_error_set(err, CUT_EINVAL,
                           "nothing to resume: no interrupted run on %s in journal %s", tgt_red,
                           cut_journal_path(j));
        goto out;
    }
    int64_t resumed = o->resume ? blk.run : 0;
    if (resumed) {
        if (!blk.snapshot[0] || access(blk.snapshot, R_OK) != 0) {
            if (!o->no_rollback) {
                rc = cut_error_set(err, CUT_ESTATE,
                                   "run %" PRId64 "'s snapshot %s is gone: a resumed run would "
                                   "have no way back; add --no-rollback to go on without one",
                                   resumed, blk.snapshot[0] ? blk.snapshot : "(none)");
                goto out;
            }
        } else if (!(b.snapshot = cut_strdup(blk.snapshot))) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto out;
        }
    }

    /* The run itself. */
    cut_jrun r;
    memset(&r, 0, sizeof(r));
    r.kind = o->kind == CUT_RUN_PRODUCTION ? "production" : "rehearsal";
    r.mapping = m->path;
    r.mapping_hash = m->hash;
    r.source = src_red;
    r.target = tgt_red;
    r.started = cut_wallclock();
    r.pid = getpid();
    r.pid_start = cut_journal_proc_start(r.pid);
    r.host = (char *)cut_journal_host();
    r.snapshot = b.snapshot;
    r.resumed_from = resumed;
    r.no_rollback = o->no_rollback;
    if ((rc = cut_journal_run_begin(j, &r, &b.run, err)))
        goto out;
    *run = b.run;
    if (resumed) {
        char how[64];
        snprintf(how, sizeof(how), "resumed by run %" PRId64, b.run);
        if ((rc = cut_journal_run_clear(j, resumed, how, err)))
            goto finish;
    }

    /* 1. Preflight. */
    if (cancelled(&b)) {
        rc = cut_error_set(err, CUT_EINTR, "interrupted before check");
        goto finish;
    }
    if ((rc = step_start(&b, CUT_STEP_CHECK, &s, err)))
        goto finish;
    rc = cut_check(m, &ro, NULL, err);
    free(detail);
    detail = rc ? error_text(err)
                : cut_asprintf("%d table%s ready", m->ntables, m->ntables == 1 ? "" : "s");
    step_stop(&b, &s, status_of(rc), -1, detail);
    if (rc)
        goto finish;

    /* 2. The way back: a snapshot of the target tables the mapping writes. */
    if (cancelled(&b)) {
        rc = cut_error_set(err, CUT_EINTR, "interrupted before snapshot");
        goto finish;
    }
    if (resumed) {
        free(detail);
        detail = b.snapshot
                     ? cut_asprintf("resumed run %" PRId64 ": its snapshot %s is the way back",
                                    resumed, b.snapshot)
                     : cut_asprintf("resumed run %" PRId64 ": its snapshot is gone; "
                                    "no way back (--no-rollback)",
                                    resumed);
        step_skip(&b, CUT_STEP_SNAPSHOT, detail);
    } else {
        /* A target restored after an interrupted deferred migrate still lacks the
           constraints that run dropped: they go back before the snapshot is taken. */
        int fixed = 0;
        if ((rc = cut_restore_constraints(m, &ro, &fixed, err)))
            goto finish;
        if (fixed)
            cut_log(CUT_LOG_WARN, "recreated the constraints of %d table%s that an interrupted "
                                  "migrate had dropped",
                    fixed, fixed == 1 ? "" : "s");
        if (o->snapshot) {
            snap_path = cut_strdup(o->snapshot);
        } else {
            jdir = dir_of(cut_journal_path(j));
            snap_path = jdir ? cut_asprintf("%s/cutover-run-%" PRId64 ".cutsnap", jdir, b.run)
                             : NULL;
        }
        if (!snap_path) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto finish;
        }
        if ((rc = step_start(&b, CUT_STEP_SNAPSHOT, &s, err)))
            goto finish;
        rc = o->force ? CUT_OK : keep_snapshot(snap_path, err);
        if (rc == CUT_OK)
            rc = cut_snapshot_mapping(m, snap_path, &so, &info, err);
        int64_t rows = -1;
        free(detail);
        if (rc == CUT_OK) {
            b.snapshot = realpath(snap_path, NULL);
            if (!b.snapshot)
                b.snapshot = cut_strdup(snap_path);
            cut_error e;
            cut_error_clear(&e);
            jnote(&b, cut_journal_run_set_snapshot(j, b.run, b.snapshot, &e), &e);
            jnote(&b, cut_journal_put_snap(j, b.run, "snapshot", info, &e), &e);
            rows = 0;
            for (int i = 0; i < info->ntables; i++)
                rows += info->tables[i].rows;
            detail = cut_asprintf("%d table%s, %" PRId64 " rows, %.1f MB: %s", info->ntables,
                                  info->ntables == 1 ? "" : "s", rows,
                                  (double)info->file_bytes / 1e6, b.snapshot);
        } else {
            detail = error_text(err);
        }
        step_stop(&b, &s, status_of(rc), rows, detail);
        cut_snap_info_free(info);
        info = NULL;
        if (rc)
            goto finish;
    }

    /* 3. Migrate (the chunks a resumed run did not commit). */
    if (cancelled(&b)) {
        rc = cut_error_set(err, CUT_EINTR, "interrupted before migrate");
        goto finish;
    }
    ro.truncate = 1; /* the snapshot is the way back; resumed tables are not emptied */
    chunk_ctx cctx = {&b, resumed, 0};
    cut_chunk_hooks hooks = {&cctx, chunk_is_done, chunk_done};
    ro.chunks = &hooks;
    migrated = 1;
    if ((rc = step_start(&b, CUT_STEP_MIGRATE, &s, err)))
        goto finish;
    pg.migrate = 1;
    rc = cut_migrate(m, &ro, &mres, err);
    pg.migrate = 0;
    ro.chunks = NULL;
    if (mres) {
        cut_error e;
        cut_error_clear(&e);
        jnote(&b, cut_journal_put_result(j, b.run, "migrate", mres, &e), &e);
    }
    free(detail);
    if (rc) {
        detail = error_text(err);
    } else {
        char *d = migrate_detail(mres);
        detail = d && cctx.kept
                     ? cut_asprintf("%s (kept %d chunk%s committed by run %" PRId64 ")", d,
                                    cctx.kept, cctx.kept == 1 ? "" : "s", resumed)
                     : cut_strdup(d);
        free(d);
    }
    step_stop(&b, &s, status_of(rc), source_rows(mres), detail);
    if (rc)
        goto finish;

    /* 4. Verify every table. */
    if (cancelled(&b)) {
        rc = cut_error_set(err, CUT_EINTR, "interrupted before verify");
        goto finish;
    }
    cut_run_opts vo = ro;
    vo.tables = NULL;
    vo.truncate = 0;
    vo.locate = 1;
    if ((rc = step_start(&b, CUT_STEP_VERIFY, &s, err)))
        goto finish;
    rc = cut_verify(m, &vo, &vres, err);
    if (vres) {
        cut_error e;
        cut_error_clear(&e);
        jnote(&b, cut_journal_put_result(j, b.run, "verify", vres, &e), &e);
    }
    free(detail);
    if (rc) {
        detail = error_text(err);
    } else {
        int bad = 0;
        for (int i = 0; i < vres->ntables; i++)
            bad += vres->tables[i].status != CUT_TABLE_OK;
        detail = vres->go ? cut_asprintf("%d table%s: counts add up, digests equal", vres->ntables,
                                         vres->ntables == 1 ? "" : "s")
                          : cut_asprintf("%d of %d table%s failed verification", bad,
                                         vres->ntables, vres->ntables == 1 ? "" : "s");
    }
    step_stop(&b, &s, status_of(rc), source_rows(vres), detail);
    if (rc)
        goto finish;

    /* 5. The gate. */
    if ((rc = step_start(&b, CUT_STEP_GATE, &s, err)))
        goto finish;
    free(detail);
    detail = vres->go ? cut_asprintf("Go") : nogo_detail(vres);
    if (!vres->go) {
        char *d = cut_asprintf("No-Go: %s", detail ? detail : "");
        free(detail);
        detail = d;
    }
    step_stop(&b, &s, vres->go ? "ok" : "failed", -1, detail);
    end = vres->go ? "go" : "no-go";

finish:
    if (rc) {
        first = *err;
        first_rc = rc;
        end = rc == CUT_EINTR ? "interrupted" : "error";
    }
    /* 6. The way back, when the target was written and the run is not Go. */
    if (migrated && strcmp(end, "go") != 0 && strcmp(end, "interrupted") != 0) {
        free(detail);
        if (o->no_rollback) {
            char *way = cut_journal_way_back(b.snapshot, cut_journal_path(j), tgt_red);
            detail = cut_asprintf("--no-rollback: the target keeps the failed state for "
                                  "investigation; to put it back: %s",
                                  way ? way : "cutover restore");
            free(way);
            step_skip(&b, CUT_STEP_RESTORE, detail);
        } else if (!b.snapshot) {
            step_skip(&b, CUT_STEP_RESTORE, "no snapshot to restore");
        } else {
            /* Restore even when the journal cannot be written any more. */
            cut_error e;
            cut_error_clear(&e);
            step_start(&b, CUT_STEP_RESTORE, &s, &e);
            /* err still holds the failure being undone (its table, say): the restore's own
               error must not inherit that context. first keeps the failure. */
            cut_error_clear(err);
            rc = cut_snapshot_restore(b.snapshot, m->target, &so, &info, err);
            int64_t rows = -1;
            if (info) {
                cut_error_clear(&e);
                jnote(&b, cut_journal_put_snap(j, b.run, "restore", info, &e), &e);
                rows = 0;
                for (int i = 0; i < info->ntables; i++)
                    rows += info->tables[i].rows;
            }
            detail = rc ? error_text(err)
                        : cut_asprintf("%d table%s restored (%" PRId64 " rows) from %s; every "
                                       "digest read back equals the snapshot's",
                                       info ? info->ntables : 0,
                                       info && info->ntables == 1 ? "" : "s", rows, b.snapshot);
            step_stop(&b, &s, status_of(rc), rows, detail);
            rolled_back = rc == CUT_OK;
        }
        if (rc == CUT_EINTR) {
            /* Stopped during the restore: rolled back to the migrated state, which blocks. */
            end = "interrupted";
            first = *err;
            first_rc = rc;
            cut_error_prefix(&first, "restore");
        } else if (rc && first_rc == CUT_OK) {
            /* No-Go, and the rollback failed: that is the error to report. */
            first = *err;
            first_rc = rc;
            cut_error_prefix(&first, "rollback failed, the target keeps the No-Go state");
        }
    }
    if (b.run) {
        char *why = NULL;
        if (first_rc) {
            char buf[2048];
            why = cut_strdup(cut_error_format(&first, buf, sizeof(buf)));
        } else if (strcmp(end, "no-go") == 0) {
            why = cut_strdup(detail);
        }
        cut_error e;
        cut_error_clear(&e);
        int jr = cut_journal_run_end(j, b.run, end, why, rolled_back, &e);
        if (jr == CUT_OK && strcmp(end, "interrupted") == 0 && !migrated)
            jr = cut_journal_run_clear(j, b.run,
                                       "the target was not written (stopped before migrate)", &e);
        jnote(&b, jr, &e);
        free(why);
    }
    if (first_rc) {
        *err = first;
        rc = first_rc;
    } else if (b.journal_rc) {
        *err = b.journal_err;
        rc = b.journal_rc;
    } else {
        rc = CUT_OK;
    }
    *outcome = strcmp(end, "go") == 0            ? CUT_OUTCOME_GO
               : strcmp(end, "no-go") == 0       ? CUT_OUTCOME_NOGO
               : strcmp(end, "interrupted") == 0 ? CUT_OUTCOME_INTERRUPTED
                                                 : CUT_OUTCOME_ERROR;
out:
    cut_result_free(mres);
    cut_result_free(vres);
    cut_snap_info_free(info);
    free(detail);
    free(snap_path);
    free(jdir);
    free(b.snapshot);
    free(src_red);
    free(tgt_red);
    return rc;
}

int cut_runbook_restore_constraints(cut_journal *j, int64_t run, int *restored, cut_error *err)
{
    *restored = 0;
    cut_jrun *r = NULL;
    int rc = cut_journal_load(j, run, 0, &r, err);
    if (rc)
        return rc;
    cut_mapping *m = NULL;
    cut_error e;
    cut_error_clear(&e);
    if (cut_mapping_load(r->mapping, &m, &e) != CUT_OK) {
        rc = cut_error_set(err, CUT_ESTATE,
                           "run %" PRId64 ": its mapping %s cannot be read (%s): constraints an "
                           "interrupted migrate dropped would stay dropped; run 'cutover check "
                           "MAPPING', which lists them",
                           run, r->mapping, e.msg);
    } else if (strcmp(cut_mapping_hash(m), r->mapping_hash) != 0) {
        rc = cut_error_set(err, CUT_ESTATE,
                           "run %" PRId64 ": its mapping %s has changed since (hash %s, was %s): "
                           "its dropped constraints, if any, are not recreated; 'cutover check' "
                           "lists them",
                           run, r->mapping, cut_mapping_hash(m), r->mapping_hash);
    } else {
        rc = cut_restore_constraints(m, NULL, restored, err);
    }
    cut_mapping_free(m);
    cut_jrun_free(r);
    return rc;
}
