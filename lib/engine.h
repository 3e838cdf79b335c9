/*
 * engine.h — the plan (a mapping bound to real tables) and the streaming
 * machinery shared by migrate, verify and check (internal).
 */
#ifndef CUT_ENGINE_H
#define CUT_ENGINE_H

#include <pthread.h>
#include <stdio.h>

#include "cutover.h"
#include "driver.h"
#include "expr.h"
#include "mapping.h"
#include "row.h"

/* One mapped table, resolved against both databases. */
typedef struct cut_tplan {
    const cut_map_table *mt;
    cut_table *src; /* described source table (owned) */
    cut_table *tgt; /* described target table (owned) */

    int nscan;          /* source columns read, in scan order */
    int *scan_cols;     /* indices into src->cols */
    cut_type *scan_types;
    const char **scan_names;

    int nout;           /* target columns written, in cell order */
    int *out_cols;      /* indices into tgt->cols */
    cut_type *out_types;
    const char **out_names;
    int *out_notnull;
    int *out_src;       /* per output: scan cell index when copied bare, else -1 */
    int *out_expr;      /* per output: expression index, else -1 */

    int nexpr;          /* expressions, over the scanned columns */
    const char **expr_text;
    cut_pos *expr_pos;
    const char **expr_names;

    int nkey;           /* the row key among the outputs (target PK, else mapped key) */
    int *key_out;
    int nskey;          /* the source key among the scanned cells (for reject messages) */
    int *key_scan;

    int64_t max_rejects;
    int64_t estimate;   /* source rows, from the driver's statistics (0 = unknown) */
    int ndeps;          /* plans (indices) that must be loaded before this one */
    int *deps;
} cut_tplan;

typedef struct cut_plan {
    cut_mapping *m;
    cut_tz *tz;
    cut_canon_opts canon;
    int encoding; /* cut_encoding of the source's text (options.source_encoding) */
    int n;
    cut_tplan *t;      /* in a foreign-key-safe load order */
    char *reject_dir;
    const cut_driver *src_drv;
    const cut_driver *tgt_drv;
} cut_plan;

/*
 * Resolves every table and column of m against src and tgt, compiles every
 * expression, orders tables by foreign keys. Every problem found is written
 * to report (when not NULL) as one line; the first one is returned in err.
 * tables (NULL-terminated, may be NULL) restricts the plan to those targets.
 */
int cut_plan_build(cut_mapping *m, const cut_run_opts *o, cut_conn *src, cut_conn *tgt,
                   FILE *report, cut_plan **out, cut_error *err);
void cut_plan_free(cut_plan *p);
/* Connects to the mapping's source (read) and target (target_mode) and builds the plan,
   as migrate and verify begin. On failure the caller still disconnects what *src and *tgt
   hold and frees *p. */
int cut_plan_open(cut_mapping *m, const cut_run_opts *o, int target_mode, cut_conn **src,
                  cut_conn **tgt, cut_plan **p, cut_error *err);
/* Builds the expression spec of a plan table (the arrays point into tp). */
void cut_tplan_expr_spec(const cut_plan *p, const cut_tplan *tp, cut_expr_spec *spec);
/* Renders the key of a row as "id=42" ("a=1, b='x'") into out. */
const char *cut_render_key(const cut_cell *cells, const int *idx, int n,
                           const char *const *names, cut_buf *out);

/* ----------------------------------------------------- the row mapper */

/* Why a row did not make it (for the reject file). */
typedef struct cut_reject {
    const char *stage;  /* "source", "mapping", "target", "load" */
    const char *column; /* may be NULL */
    const cut_cell *value; /* may be NULL */
    const char *reason;
    const cut_hash128 *row_hash; /* "load": the mapped row's hash (verify matches on it) */
} cut_reject;

typedef struct cut_counts {
    int64_t source_rows, filtered, rejected, loaded, zero_dates;
} cut_counts;

typedef struct cut_mapper cut_mapper;
typedef void (*cut_reject_sink)(void *ud, const cut_tplan *tp, const cut_batch *scan, int row,
                                const cut_reject *r);

int cut_mapper_new(const cut_plan *p, const cut_tplan *tp, cut_mapper **out, cut_error *err);
void cut_mapper_free(cut_mapper *mp);
/*
 * Maps the rows of scan (source cells) into out (target cells, kept rows only,
 * with their hashes; out->src = scan). out->pos[k] = scan->pos of the row and
 * out->aux[k] = the scan row index. Counts go to c; rejected rows go to sink.
 */
int cut_mapper_run(cut_mapper *mp, cut_batch *scan, cut_batch *out, cut_counts *c,
                   cut_reject_sink sink, void *ud, cut_error *err);

/* Canonicalizes a target-side batch in place (verify): cells become canonical. */
int cut_canon_target_batch(const cut_plan *p, const cut_tplan *tp, cut_batch *b, cut_buf *scratch,
                           cut_error *err);

/* ------------------------------------------------- bounded batch queue */

typedef struct cut_queue {
    pthread_mutex_t mu; /* guards every field below */
    pthread_cond_t cv;
    cut_batch *head, *tail;
    int n;
    int closed;  /* no more pushes: pop drains then returns NULL */
    int aborted; /* stop now: pop returns NULL at once */
} cut_queue;

void cut_queue_init(cut_queue *q);
void cut_queue_destroy(cut_queue *q); /* frees batches still queued (and their src) */
void cut_queue_push(cut_queue *q, cut_batch *b);
cut_batch *cut_queue_pop(cut_queue *q); /* blocks; NULL when closed+empty or aborted */
void cut_queue_close(cut_queue *q);
void cut_queue_abort(cut_queue *q);

/* --------------------------------------------------- source streaming */

/* A row callback over the mapped source or the canonical target. */
typedef int (*cut_batch_fn)(void *ud, cut_batch *b, cut_error *err);

typedef struct cut_stream_opts {
    int batch_rows;
    volatile sig_atomic_t *cancel;
    cut_reject_sink sink; /* rows the mapper rejects (may be NULL) */
    void *sink_ud;
    cut_batch_fn fn;      /* each mapped batch (kept rows only) */
    void *ud;
    int async;            /* call fn from a thread of its own (loads overlap mapping) */
    /* After each mapped batch, in the mapping thread (progress). May be NULL. */
    void (*on_batch)(void *ud, const cut_counts *c);
    /* Restrict the scan to a key range (chunks): key_col/has_lo/has_hi/lo/hi. */
    const cut_scan_opts *range;
} cut_stream_opts;

/*
 * Streams one table's source through the mapper: a scanner thread reads batches,
 * this thread maps them, and fn consumes them (in this thread, or with async in a
 * consumer thread, so reading, mapping and loading overlap). Memory is a fixed
 * pool of batches. Counts in c (written by this thread only).
 */
int cut_stream_source(const cut_plan *p, const cut_tplan *tp, cut_conn *src,
                      const cut_stream_opts *so, cut_counts *c, cut_error *err);
/* Streams one table's target rows, canonicalized by the target types, into fn. */
int cut_stream_target(const cut_plan *p, const cut_tplan *tp, cut_conn *tgt, int batch_rows,
                      volatile sig_atomic_t *cancel, cut_batch_fn fn, void *ud, cut_error *err);

/* The reject file of a table: <dir>/<table>.rejects.jsonl, or for chunk k of n > 1
   <dir>/<table>.part-NNNN.rejects.jsonl (k < 0: the pattern <table>.part-*.rejects.jsonl
   that names them all, for messages). Caller frees. */
char *cut_reject_path(const cut_plan *p, const cut_tplan *tp);
char *cut_reject_chunk_path(const cut_plan *p, const cut_tplan *tp, int k, int n);
/* The directory of a mapping's reject files (o, else options.reject_dir, else
   "<mapping stem>.rejects"), and <dir>/<safe table name>. Callers free. */
char *cut_reject_dir(const cut_mapping *m, const cut_run_opts *o);
char *cut_table_stem(const char *dir, const char *table);
/* <reject dir>/<table><suffix>: other per-table files of a migrate. Caller frees. */
char *cut_table_file(const cut_plan *p, const cut_tplan *tp, const char *suffix);
/* Calls fn on each existing reject file of a table (whole and chunks). */
int cut_reject_files(const cut_plan *p, const cut_tplan *tp,
                     int (*fn)(void *ud, const char *path), void *ud);

/* A reject file being written (by the mapping and the loading thread). */
typedef struct cut_reject_file {
    char *path;
    FILE *f;
    int failed; /* could not write: reported once */
    int errnum; /* errno of the failure, 0 when unknown */
    cut_buf line, key;
    pthread_mutex_t lock; /* guards all of the above */
} cut_reject_file;
/* Takes ownership of path; the file is created at the first reject. */
void cut_reject_file_init(cut_reject_file *rf, char *path);
/* The cut_reject_sink that writes one JSON line per rejected row (ud: the file). */
void cut_reject_write(void *ud, const cut_tplan *tp, const cut_batch *scan, int r,
                      const cut_reject *rj);
/* Flushes the lines written so far to the disk (fflush and fsync); CUT_EIO, with the
   reason, when any line could not be written. Called before the rows those lines
   account for are committed: a full disk must fail the load, not lose a reject. */
int cut_reject_file_sync(cut_reject_file *rf, cut_error *err);
/* Closes; CUT_EIO when any line could not be written. */
int cut_reject_file_close(cut_reject_file *rf, cut_error *err);
/* Creates the reject directory (and its parents). */
int cut_reject_dir_create(const cut_plan *p, cut_error *err);

#define CUT_DEFAULT_BATCH_ROWS 4096

/* ------------------------------------------------- table scheduling */

/* One unit of work: a table, or a key-range chunk of one (migrate). */
typedef struct cut_task {
    int table;        /* plan index */
    int64_t estimate; /* rows, for largest-first */
    int state;        /* 0 waiting, 1 running, 2 done, 3 failed */
    cut_chunk chunk;  /* migrate: the range and, once done, its results */
    int range_tcol;   /* migrate, ranged: the target column of the key */
    int range_scol;   /* migrate, ranged: the source column of the key */
} cut_task;

/* Shared state of the workers (sched.c). */
typedef struct cut_sched {
    const cut_plan *p;
    const cut_run_opts *o;
    cut_result *res;
    pthread_mutex_t mu; /* guards tasks[].state, left, failed, rc, first_err */
    pthread_cond_t cv;
    int ntasks, cap;
    cut_task *tasks;
    int *left;          /* per table: tasks not done yet */
    int failed;
    int rc;
    cut_error first_err;
    pthread_mutex_t progress_lock; /* serialises progress and per-table results */
    int mode; /* CUT_OPEN_WRITE for migrate (target), CUT_OPEN_READ for verify */
    int deferred; /* foreign keys and indexes are dropped until the tables are loaded */
    char *read_view; /* workers read the source at this view (PostgreSQL snapshot id);
                        the planning connection holds it open, so no worker uses it */
    int (*run)(struct cut_sched *s, int task, cut_conn *src, cut_conn *tgt, cut_error *err);
    /* Optional: called by the worker whose task finished a table (its last task done),
       on that worker's target connection, before the worker takes more work. A failure
       fails the run as a task's would. */
    int (*table_done)(struct cut_sched *s, int table, cut_conn *tgt, cut_error *err);
    cut_conn *src0, *tgt0; /* the planning connections, used by the first worker */
    void *ud;              /* the command's own state */
} cut_sched;

/* Appends a task (returns its index, -1 on OOM). */
int cut_sched_add(cut_sched *s, int table, int64_t estimate);
/* Runs s->run over every waiting task with up to jobs workers (each with its own
   connections). Without tasks, each table of the plan is one. Stops starting tasks
   after the first failure, whose error it returns. */
int cut_sched_run(cut_sched *s, int jobs, cut_error *err);
void cut_sched_free(cut_sched *s);
cut_result *cut_result_new_for_plan(const cut_plan *p);
/* Fills each table's estimate from src and announces the tables to o->progress as
   "queued" (so that a display knows the whole job before it starts). */
void cut_plan_announce(cut_plan *p, cut_conn *src, const cut_run_opts *o);


#endif
