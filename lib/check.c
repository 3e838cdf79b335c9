/*
 * check.c — the preflight: connect to both ends without writing, bind the
 * mapping (every table, column and expression), and say what a migrate would
 * do, or every problem that would stop it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "util.h"

/* A signal while check waited (on a connection, a lock): stop rather than go on, and say so,
   so that the runbook journals check itself as interrupted. */
static int cancelled(const cut_run_opts *o, cut_error *err)
{
    if (o && o->cancel && *o->cancel)
        return cut_error_set(err, CUT_EINTR, "interrupted");
    return CUT_OK;
}

int cut_check(cut_mapping *m, const cut_run_opts *o, FILE *out, cut_error *err)
{
    cut_conn *src = NULL, *tgt = NULL;
    cut_plan *p = NULL;
    int rc, listed = 0; /* the error in err is already in out */
    char *rs = cut_url_redact(m->source ? m->source : "(none)");
    char *rt = cut_url_redact(m->target ? m->target : "(none)");
    if (out)
        fprintf(out, "mapping  %s (%d table%s, hash %.16s)\nsource   %s\ntarget   %s\n", m->path,
                m->ntables, m->ntables == 1 ? "" : "s", m->hash, rs ? rs : "?", rt ? rt : "?");
    free(rs);
    free(rt);
    if ((rc = cut_mapping_need_urls(m, CUT_NEED_SOURCE | CUT_NEED_TARGET, err)))
        goto done;
    if ((rc = cut_connect(m->source, CUT_OPEN_READ, &src, err))) {
        cut_error_prefix(err, "source");
        goto done;
    }
    if ((rc = cancelled(o, err)))
        goto done;
    if ((rc = cut_connect(m->target, CUT_OPEN_READ, &tgt, err))) {
        cut_error_prefix(err, "target");
        goto done;
    }
    if ((rc = cancelled(o, err)))
        goto done;
    if (!(tgt->drv->caps & CUT_DRV_TARGET)) {
        rc = cut_error_set(err, CUT_EUNSUPPORTED, "target: %s can only be a source",
                           tgt->drv->name);
        goto done;
    }
    if ((rc = cut_plan_build(m, o, src, tgt, out, &p, err))) {
        /* The plan lists every problem it finds, the first one (err) too. */
        listed = rc != CUT_ENOMEM;
        goto done;
    }
    if ((rc = cancelled(o, err)))
        goto done;
    if (out)
        fprintf(out, "\n");
    for (int i = 0; i < p->n; i++) {
        const cut_tplan *tp = &p->t[i];
        int64_t est = -1, present = -1;
        cut_error e;
        cut_error_clear(&e);
        src->drv->estimate_rows(src, tp->src, &est, &e);
        tgt->drv->count_rows(tgt, tp->tgt, &present, &e);
        int copied = 0;
        for (int k = 0; k < tp->nout; k++)
            copied += tp->out_src[k] >= 0;
        if (!out)
            continue;
        fprintf(out, "%-20s <- %-20s %d column%s (%d copied, %d computed)", tp->mt->target,
                tp->mt->source, tp->nout, tp->nout == 1 ? "" : "s", copied, tp->nout - copied);
        if (est >= 0)
            fprintf(out, ", ~%" PRId64 " rows", est);
        if (tp->mt->where)
            fprintf(out, ", filtered");
        fprintf(out, "\n");
        if (present > 0)
            fprintf(out, "  note: target table %s already has %" PRId64
                         " rows; migrate refuses it without --truncate\n",
                    tp->mt->target, present);
        for (int k = 0; k < tp->tgt->ncols; k++) {
            int mapped = 0;
            for (int j = 0; j < tp->nout; j++)
                mapped = mapped || tp->out_cols[j] == k;
            if (!mapped)
                fprintf(out, "  note: target column %s is not mapped and takes its default\n",
                        tp->tgt->cols[k].name);
        }
    }
    cut_buf pend = {0};
    int npend = cut_deferred_constraints_pending(m, o, &pend);
    if (out && npend)
        fprintf(out,
                "  warning: %d table%s of the target still lack%s constraints an interrupted "
                "migrate dropped (%s); the next migrate recreates them\n",
                npend, npend == 1 ? "" : "s", npend == 1 ? "s" : "", cut_buf_cstr(&pend));
    cut_buf_free(&pend);
    if ((rc = cancelled(o, err)))
        goto done;
    if (out)
        fprintf(out, "\nOK: %d table%s ready to migrate\n", p->n, p->n == 1 ? "" : "s");
done:
    /* Every problem in out exactly once, in order: the caller need not print err again. */
    if (rc && out && !listed) {
        char line[2048];
        fprintf(out, "error: %s\n", cut_error_format(err, line, sizeof(line)));
    }
    cut_plan_free(p);
    cut_disconnect(src);
    cut_disconnect(tgt);
    return rc;
}
