/*
 * sched.c — the worker pool of migrate and verify. Work is a list of tasks (a
 * table, or a key-range chunk of one); each worker owns its source and target
 * connections and takes a ready task of the largest table first (the largest
 * chunk of it), so that the big tables finish early and what follows a table's
 * load (s->table_done: its deferred constraints) overlaps the loading of others.
 * For a load, a task is ready when every task of the tables its table
 * references is done, so foreign keys hold at every commit; with deferred
 * constraints too, so that a run that fails leaves no row whose parent is
 * missing, and its foreign keys go back validated. After a failure no new task
 * starts.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "util.h"

/* Whether task a goes before task b: its table is larger, or it is the larger chunk. */
static int larger(const cut_sched *s, const cut_task *a, const cut_task *b)
{
    int64_t ta = s->p->t[a->table].estimate, tb = s->p->t[b->table].estimate;
    if (a->table != b->table && ta != tb)
        return ta > tb;
    return a->estimate > b->estimate;
}

/* The next ready task, largest table first; -1 when none is left. Holds s->mu. */
static int next_task(cut_sched *s)
{
    pthread_mutex_lock(&s->mu);
    for (;;) {
        if (s->failed) {
            pthread_mutex_unlock(&s->mu);
            return -1;
        }
        int waiting = 0, best = -1;
        for (int i = 0; i < s->ntasks; i++) {
            cut_task *t = &s->tasks[i];
            if (t->state != 0)
                continue;
            waiting = 1;
            int ready = 1;
            if (s->mode == CUT_OPEN_WRITE) {
                /* Plans come parents first; a parent placed after its child closes a
                   foreign key cycle, which cannot be waited for. */
                const cut_tplan *tp = &s->p->t[t->table];
                for (int d = 0; d < tp->ndeps && ready; d++)
                    ready = tp->deps[d] > t->table || s->left[tp->deps[d]] == 0;
            }
            if (ready && (best < 0 || larger(s, t, &s->tasks[best])))
                best = i;
        }
        if (best >= 0) {
            s->tasks[best].state = 1;
            pthread_mutex_unlock(&s->mu);
            return best;
        }
        if (!waiting) {
            pthread_mutex_unlock(&s->mu);
            return -1;
        }
        pthread_cond_wait(&s->cv, &s->mu);
    }
}

/* Records a task's end; returns whether it finished its table (its last task done). */
static int task_done(cut_sched *s, int i, int rc, const cut_error *err)
{
    pthread_mutex_lock(&s->mu);
    int finished = 0;
    if (i >= 0) {
        s->tasks[i].state = rc ? 3 : 2;
        if (!rc)
            finished = --s->left[s->tasks[i].table] == 0;
    }
    if (rc && !s->failed) {
        s->failed = 1;
        s->rc = rc;
        s->first_err = *err;
    }
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return finished;
}

typedef struct worker {
    cut_sched *s;
    int first; /* uses the planning connections */
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    cut_sched *s = w->s;
    /* The planning connections serve the first worker, unless the planning source holds
       the read view the workers share (ending a task's read would end the view). */
    int reuse = w->first && !s->read_view;
    cut_conn *src = reuse ? s->src0 : NULL, *tgt = reuse ? s->tgt0 : NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = CUT_OK, i;
    while ((i = next_task(s)) >= 0) {
        /* A worker connects only when it has work: small jobs stay cheap. */
        if (rc == CUT_OK && !src) {
            rc = cut_connect(s->p->m->source, CUT_OPEN_READ, &src, &err);
            if (rc == CUT_OK)
                rc = cut_connect(s->p->m->target, s->mode, &tgt, &err);
        }
        if (rc == CUT_OK) {
            cut_error_clear(&err);
            rc = s->run(s, i, src, tgt, &err);
        }
        if (task_done(s, i, rc, &err) && s->table_done) {
            cut_error_clear(&err);
            if ((rc = s->table_done(s, s->tasks[i].table, tgt, &err)))
                task_done(s, -1, rc, &err);
        }
        if (rc)
            break;
    }
    if (!reuse) {
        cut_disconnect(src);
        cut_disconnect(tgt);
    }
    return NULL;
}

int cut_sched_add(cut_sched *s, int table, int64_t estimate)
{
    if (s->ntasks == s->cap) {
        int nc = s->cap ? s->cap * 2 : 16;
        cut_task *t = realloc(s->tasks, sizeof(cut_task) * (size_t)nc);
        if (!t)
            return -1;
        s->tasks = t;
        s->cap = nc;
    }
    cut_task *t = &s->tasks[s->ntasks];
    memset(t, 0, sizeof(*t));
    t->table = table;
    t->estimate = estimate;
    t->chunk.count = 1;
    return s->ntasks++;
}

void cut_sched_free(cut_sched *s)
{
    free(s->tasks);
    free(s->left);
    s->tasks = NULL;
    s->left = NULL;
    s->ntasks = s->cap = 0;
}

int cut_sched_run(cut_sched *s, int jobs, cut_error *err)
{
    /* Tables without a task of their own (verify) get one each. */
    if (s->ntasks == 0)
        for (int i = 0; i < s->p->n; i++)
            if (cut_sched_add(s, i, s->p->t[i].estimate) < 0)
                return cut_error_set(err, CUT_ENOMEM, "out of memory");
    s->left = calloc((size_t)s->p->n + 1, sizeof(int));
    if (!s->left)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    for (int i = 0; i < s->ntasks; i++)
        if (s->tasks[i].state == 0)
            s->left[s->tasks[i].table]++;
    if (jobs < 1)
        jobs = 1;
    if (jobs > s->ntasks)
        jobs = s->ntasks ? s->ntasks : 1;
    worker *ws = calloc((size_t)jobs, sizeof(worker));
    pthread_t *th = calloc((size_t)jobs, sizeof(pthread_t));
    if (!ws || !th) {
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
    free(ws);
    free(th);
    if (s->rc)
        *err = s->first_err;
    return s->rc;
}
