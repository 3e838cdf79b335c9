/*
 * journal.h — the run journal's records and writers (internal; lib/journal.c).
 *
 * The journal is a SQLite file (schema: docs/runbook.md) that lib/run.c writes
 * step by step while a runbook runs, and that lib/report_run.c reads back for
 * `cutover report` and `cutover runs`. Every write is a short transaction of
 * its own: nothing is held open while a step (migrate, verify, ...) runs, so a
 * kill at any moment leaves a journal that says which step was running.
 */
#ifndef CUT_JOURNAL_H
#define CUT_JOURNAL_H

#include <stdint.h>

#include "cutover.h"

/* The schema this code writes; older journals are migrated forward on open. */
#define CUT_JOURNAL_SCHEMA 3
/* PRAGMA application_id of a journal: "CUTJ". */
#define CUT_JOURNAL_APP_ID 0x4355544A

/* The runbook's steps, in order. */
#define CUT_STEP_CHECK "check"
#define CUT_STEP_SNAPSHOT "snapshot"
#define CUT_STEP_MIGRATE "migrate"
#define CUT_STEP_VERIFY "verify"
#define CUT_STEP_GATE "gate"
#define CUT_STEP_RESTORE "restore"
extern const char *const cut_step_names[]; /* the six above, NULL-terminated */

/* One step of a run: status is running|ok|failed|interrupted|skipped. */
typedef struct cut_jstep {
    int seq;
    char *name;
    double started, ended; /* wall clock, epoch seconds; ended 0 while running */
    char *status;
    char *detail;
    int64_t rows; /* rows the step went through (-1: not applicable) */
} cut_jstep;

/*
 * One table's result in one phase of a run: "migrate", "verify", "snapshot"
 * (rows and digest of the snapshot taken before migrate) or "restore" (rows
 * and digest read back after the rollback). status: ok|mismatch|failed|
 * pending, or "done" for a migrate whose table finished but whose run was
 * killed before the final result was written (committed unless it failed).
 */
typedef struct cut_jtable {
    char *phase, *table, *source_table, *status;
    int64_t source_rows, filtered, rejected, loaded, target_rows, zero_dates;
    char *expected, *actual; /* digests, 32 hex digits, or NULL */
    double seconds, rows_per_s;
    int64_t diff_missing, diff_extra, diff_changed, diff_unexamined;
    char *error, *reject_file, *note;
} cut_jtable;

/* One differing column of one difference (column NULL for missing / extra rows). */
typedef struct cut_jdiff {
    char *table;
    int n; /* the difference's rank within its table */
    char *kind, *key, *column, *expected, *actual;
} cut_jdiff;

typedef struct cut_jreject {
    char *table;
    int64_t count;
    char *file;
} cut_jreject;

/* A run as journaled. outcome: running|go|no-go|error|interrupted. */
typedef struct cut_jrun {
    int64_t id;
    char *kind; /* rehearsal|production */
    char *mapping, *mapping_hash;
    char *source, *target; /* redacted */
    double started, ended; /* ended 0 while running or when the process died */
    char *outcome, *detail;
    int64_t pid, pid_start; /* pid_start: the process's start time (/proc), -1 unknown */
    char *host;
    char *snapshot;         /* absolute path of the rollback snapshot, or NULL */
    int64_t resumed_from;   /* the interrupted run this one continued, or 0 */
    char *cleared;          /* interrupted runs: how the block was lifted, or NULL */
    int rolled_back;        /* the target was restored from the snapshot */
    int no_rollback;        /* --no-rollback: a failed state was kept on purpose */
    char *tool_version;
    int nsteps;
    cut_jstep *steps;
    int ntables;
    cut_jtable *tables;
    int ndiffs;
    cut_jdiff *diffs;
    int nrejects;
    cut_jreject *rejects;
} cut_jrun;

void cut_jrun_free(cut_jrun *r);

/* Passwords that must never reach the journal (the raw source and target URLs): every
   text written afterwards has any of them replaced by "***". */
int cut_journal_add_secret(cut_journal *j, const char *url);
/* The scrubbing itself (caller frees); NULL in → NULL out. */
char *cut_journal_scrub(const cut_journal *j, const char *text);

/* The schema version of the open journal (after migration). */
int cut_journal_schema(cut_journal *j);

/* ------------------------------------------------------------ writers */

/* Inserts a run (id ignored; r->steps etc. ignored) as "running"; sets *id. */
int cut_journal_run_begin(cut_journal *j, const cut_jrun *r, int64_t *id, cut_error *err);
int cut_journal_run_set_snapshot(cut_journal *j, int64_t run, const char *path, cut_error *err);
/* Sets outcome, ended (now), detail, rolled_back. */
int cut_journal_run_end(cut_journal *j, int64_t run, const char *outcome, const char *detail,
                        int rolled_back, cut_error *err);
/* Marks a run's block as lifted ("resumed by run 7", "restored from X at T"). */
int cut_journal_run_clear(cut_journal *j, int64_t run, const char *how, cut_error *err);

/* Writes the step as running before it starts; *seq identifies it. */
int cut_journal_step_begin(cut_journal *j, int64_t run, const char *name, double started,
                           int *seq, cut_error *err);
/* Writes a step that is over at once (skipped steps, restores done by another command). */
int cut_journal_step_add(cut_journal *j, int64_t run, const char *name, double started,
                         double ended, const char *status, int64_t rows, const char *detail,
                         cut_error *err);
int cut_journal_step_end(cut_journal *j, int64_t run, int seq, const char *status, double ended,
                         int64_t rows, const char *detail, cut_error *err);

/*
 * Replaces the run's rows of phase ("migrate" or "verify") with res's tables,
 * in one transaction; verify also writes the first differences, migrate the
 * rejects summary.
 */
int cut_journal_put_result(cut_journal *j, int64_t run, const char *phase, const cut_result *res,
                           cut_error *err);
/* Records that a table finished in phase (from the progress callback, before the phase's
   result exists). Does not overwrite a final row. */
/* Chunk checkpoints (--resume): a committed chunk with its results; and the lookup of
   one by table, index, count and range (CUT_ENOTFOUND when that run did not commit it). */
int cut_journal_put_chunk(cut_journal *j, int64_t run, const cut_chunk *c, cut_error *err);
int cut_journal_get_chunk(cut_journal *j, int64_t run, cut_chunk *c, cut_error *err);
int cut_journal_count_chunks(cut_journal *j, int64_t run, int64_t *n, cut_error *err);

int cut_journal_put_table_done(cut_journal *j, int64_t run, const char *phase, const char *table,
                               int64_t rows, cut_error *err);
/* Writes a snapshot's ("snapshot") or a restore's ("restore") tables. */
int cut_journal_put_snap(cut_journal *j, int64_t run, const char *phase, const cut_snap_info *info,
                         cut_error *err);
/* Copies run from's migrate rows of the named tables into run to, with a note. */
int cut_journal_copy_migrated(cut_journal *j, int64_t from, int64_t to, const char *const *tables,
                              int n, const char *note, cut_error *err);

/* ------------------------------------------------------------ readers */

/* Loads run id (0: the latest) with its steps and, when details, its tables, differences
   and rejects. CUT_ENOTFOUND when there is no such run. */
int cut_journal_load(cut_journal *j, int64_t id, int details, cut_jrun **out, cut_error *err);
/* All runs (mapping_hash NULL) or those of one mapping hash, oldest first, with steps. */
int cut_journal_list(cut_journal *j, const char *mapping_hash, cut_jrun ***out, int *n,
                     cut_error *err);
void cut_jrun_list_free(cut_jrun **runs, int n);

/* ------------------------------------------- interrupted runs and blocks */

typedef enum {
    CUT_BLOCK_NONE = 0,
    CUT_BLOCK_RUNNING,     /* a live process on this host is running on the target */
    CUT_BLOCK_OTHER_HOST,  /* a run from another host is marked running: cannot tell */
    CUT_BLOCK_INTERRUPTED, /* an interrupted run left the target half-way */
} cut_block_kind;

typedef struct cut_jblock {
    cut_block_kind kind;
    int64_t run;
    int64_t pid;
    char host[256];
    char step[32];      /* the step that was running when it stopped */
    char snapshot[1024];
    char mapping[1024];
    double started;
} cut_jblock;

/* 1 when the process (pid, start time as recorded; start < 0: unknown) is alive here. */
int cut_journal_pid_alive(int64_t pid, int64_t start);
/* This process's start time in clock ticks since boot (/proc/self/stat), or -1. */
int64_t cut_journal_proc_start(int64_t pid);
const char *cut_journal_host(void);

/* Marks every run of this host still marked running whose process is gone as interrupted
   (reports call it so that they never show a dead run as running). */
int cut_journal_reap(cut_journal *j, cut_error *err);

/*
 * Looks for what stops a new run on target (a redacted URL): first the runs
 * still marked running — a dead process (or a reused pid) makes its run
 * "interrupted" and its running step "interrupted"; a run that never reached
 * migrate is cleared at once (the target was not written) — then the latest
 * interrupted run not yet cleared. Fills b (kind CUT_BLOCK_NONE when free).
 */
int cut_journal_find_block(cut_journal *j, const char *target, cut_jblock *b, cut_error *err);

/*
 * The way back of a run, as a command to copy: "'cutover restore SNAPSHOT --journal
 * JOURNAL'" (snapshot NULL: SNAPSHOT), followed, when target (the run's redacted
 * target) held a password, by where the restore must find it: a snapshot records
 * none. Caller frees.
 */
char *cut_journal_way_back(const char *snapshot, const char *journal, const char *target);

/* -------------------------------------------------------- lib/run.c */

/* Sums the driver estimates of the rows of m's source tables and of its target tables
   (each -1 when that side cannot be reached). Returns the source side's error. */
int cut_run_estimate_rows(cut_mapping *m, int64_t *source_rows, int64_t *target_rows,
                          cut_error *err);

/* ------------------------------------------------------------ forecast */

typedef struct cut_forecast {
    int n;          /* samples */
    double mean;    /* seconds */
    double worst;   /* seconds */
    double rate;    /* rows/s over the samples that went through rows (sum rows / sum s); 0 */
    double by_rate; /* cur_rows / rate, or -1 when there is no rate or no row count */
} cut_forecast;

/* Forecasts one step from n past durations (seconds[i]) and the rows each went through
   (rows[i] < 0: unknown), for a run that will go through cur_rows rows (< 0: unknown). */
void cut_forecast_step(const double *seconds, const int64_t *rows, int n, int64_t cur_rows,
                       cut_forecast *f);

#endif
