/*
 * journal.c — the run journal: a SQLite file that records every run of the
 * runbook (lib/run.c), its steps, per-table results, first differences and
 * rejects, for reports, forecasts and the detection of interrupted runs.
 *
 * The schema is versioned with PRAGMA user_version and migrated forward on
 * open by the list of steps below, each in a transaction of its own; a
 * journal from a newer cutover is refused. WAL mode, synchronous=FULL: every
 * write is a short transaction that is on disk when the call returns, and no
 * transaction stays open while a step runs. Text goes through a scrubber so
 * that no password of the run's URLs can reach the file.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <sqlite3.h>

#include "expr.h"
#include "journal.h"
#include "util.h"

const char *const cut_step_names[] = {CUT_STEP_CHECK,  CUT_STEP_SNAPSHOT, CUT_STEP_MIGRATE,
                                      CUT_STEP_VERIFY, CUT_STEP_GATE,     CUT_STEP_RESTORE,
                                      NULL};

#define MAX_SECRETS 8

struct cut_journal {
    sqlite3 *db;
    char *path;
    int schema;
    int nsecrets;
    char *secret[MAX_SECRETS];   /* text to hide... */
    char *replace[MAX_SECRETS];  /* ...and what to write instead */
};

/*
 * The schema, as steps: steps[v] brings a journal from version v to v + 1.
 * Never edit a step once released; add one.
 */
static const char *const schema_steps[] = {
    /* 0 → 1: runs and their steps. */
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK (kind IN ('rehearsal', 'production')),"
    "  mapping TEXT NOT NULL,"
    "  mapping_hash TEXT NOT NULL,"
    "  source TEXT,"
    "  target TEXT,"
    "  started REAL NOT NULL,"
    "  ended REAL,"
    "  outcome TEXT NOT NULL DEFAULT 'running'"
    "    CHECK (outcome IN ('running', 'go', 'no-go', 'error', 'interrupted')),"
    "  pid INTEGER,"
    "  host TEXT,"
    "  snapshot TEXT);"
    "CREATE TABLE steps ("
    "  run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  seq INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  started REAL NOT NULL,"
    "  ended REAL,"
    "  status TEXT NOT NULL"
    "    CHECK (status IN ('running', 'ok', 'failed', 'interrupted', 'skipped')),"
    "  detail TEXT,"
    "  PRIMARY KEY (run, seq));",

    /* 1 → 2: per-table results, first differences, rejects; what resumes and
       interruption blocks need (process identity, how a block was lifted). */
    "ALTER TABLE runs ADD COLUMN detail TEXT;"
    "ALTER TABLE runs ADD COLUMN pid_start INTEGER;"
    "ALTER TABLE runs ADD COLUMN resumed_from INTEGER REFERENCES runs (id);"
    "ALTER TABLE runs ADD COLUMN cleared TEXT;"
    "ALTER TABLE runs ADD COLUMN rolled_back INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN no_rollback INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN tool_version TEXT;"
    "ALTER TABLE steps ADD COLUMN rows INTEGER;"
    "CREATE INDEX runs_target ON runs (target, outcome);"
    "CREATE INDEX runs_hash ON runs (mapping_hash);"
    "CREATE TABLE table_results ("
    "  run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  phase TEXT NOT NULL CHECK (phase IN ('migrate', 'verify', 'snapshot', 'restore')),"
    "  tbl TEXT NOT NULL,"
    "  seq INTEGER NOT NULL DEFAULT 0,"
    "  source_table TEXT,"
    "  status TEXT NOT NULL,"
    "  source_rows INTEGER, filtered INTEGER, rejected INTEGER, loaded INTEGER,"
    "  target_rows INTEGER, zero_dates INTEGER,"
    "  expected_digest TEXT, actual_digest TEXT,"
    "  seconds REAL, rows_per_s REAL,"
    "  diff_missing INTEGER, diff_extra INTEGER, diff_changed INTEGER,"
    "  diff_unexamined INTEGER,"
    "  error TEXT, reject_file TEXT, note TEXT,"
    "  PRIMARY KEY (run, phase, tbl));"
    "CREATE TABLE mismatches ("
    "  run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  tbl TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('missing', 'extra', 'changed')),"
    "  key TEXT,"
    "  col TEXT,"
    "  expected TEXT,"
    "  actual TEXT);"
    "CREATE INDEX mismatches_run ON mismatches (run, tbl, n);"
    "CREATE TABLE rejects ("
    "  run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  tbl TEXT NOT NULL,"
    "  count INTEGER NOT NULL,"
    "  file TEXT,"
    "  PRIMARY KEY (run, tbl));",
    /* 2 → 3: chunk checkpoints of a migrate, for --resume. */
    "CREATE TABLE chunks ("
    "  run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  tbl TEXT NOT NULL,"
    "  idx INTEGER NOT NULL, count INTEGER NOT NULL,"
    "  has_lo INTEGER NOT NULL, lo INTEGER, has_hi INTEGER NOT NULL, hi INTEGER,"
    "  source_rows INTEGER NOT NULL, filtered INTEGER NOT NULL, rejected INTEGER NOT NULL,"
    "  loaded INTEGER NOT NULL, zero_dates INTEGER NOT NULL,"
    "  digest_rows INTEGER NOT NULL, digest TEXT NOT NULL,"
    "  committed REAL NOT NULL,"
    "  PRIMARY KEY (run, tbl, idx, count));",
};

/* ------------------------------------------------------------- helpers */

static int jfail(cut_journal *j, cut_error *err, const char *what)
{
    return cut_error_set(err, CUT_EIO, "journal %s: %s: %s", j->path, what,
                         sqlite3_errmsg(j->db));
}

static int exec(cut_journal *j, const char *sql, cut_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(j->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return CUT_OK;
    int rc = cut_error_set(err, CUT_EIO, "journal %s: %s", j->path, msg ? msg : "error");
    sqlite3_free(msg);
    return rc;
}

static int prepare(cut_journal *j, const char *sql, sqlite3_stmt **st, cut_error *err)
{
    if (sqlite3_prepare_v2(j->db, sql, -1, st, NULL) != SQLITE_OK)
        return jfail(j, err, "prepare");
    return CUT_OK;
}

/* Runs a prepared statement to completion and finalizes it. */
static int step_done(cut_journal *j, sqlite3_stmt *st, cut_error *err)
{
    int r = sqlite3_step(st);
    int rc = r == SQLITE_DONE || r == SQLITE_ROW ? CUT_OK : jfail(j, err, "write");
    sqlite3_finalize(st);
    return rc;
}

static void bind_text(cut_journal *j, sqlite3_stmt *st, int i, const char *s)
{
    if (!s) {
        sqlite3_bind_null(st, i);
        return;
    }
    char *c = cut_journal_scrub(j, s);
    if (c)
        sqlite3_bind_text(st, i, c, -1, free);
    else
        sqlite3_bind_null(st, i);
}

static void bind_i64_or_null(sqlite3_stmt *st, int i, int64_t v)
{
    if (v < 0)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, v);
}

static char *col_str(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? cut_strdup((const char *)s) : NULL;
}

static int64_t col_i64(sqlite3_stmt *st, int i, int64_t dflt)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? dflt : sqlite3_column_int64(st, i);
}

static double col_dbl(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0.0 : sqlite3_column_double(st, i);
}

static int begin(cut_journal *j, cut_error *err)
{
    return exec(j, "BEGIN IMMEDIATE", err);
}

static int finish(cut_journal *j, int rc, cut_error *err)
{
    if (rc == CUT_OK)
        return exec(j, "COMMIT", err);
    sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int pragma_int(cut_journal *j, const char *sql, int *v, cut_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(j, sql, &st, err);
    if (rc)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW)
        *v = sqlite3_column_int(st, 0);
    else
        rc = jfail(j, err, "read header");
    sqlite3_finalize(st);
    return rc;
}

/* ------------------------------------------------------ open and close */

char *cut_journal_default_path(const char *mapping_path)
{
    if (!mapping_path)
        return cut_strdup("cutover.db");
    const char *slash = strrchr(mapping_path, '/');
    if (!slash)
        return cut_strdup("cutover.db");
    if (slash == mapping_path)
        return cut_strdup("/cutover.db");
    return cut_asprintf("%.*s/cutover.db", (int)(slash - mapping_path), mapping_path);
}

/* Brings the journal to CUT_JOURNAL_SCHEMA, one step per transaction. */
static int migrate_schema(cut_journal *j, cut_error *err)
{
    for (;;) {
        int v = 0, rc;
        if ((rc = begin(j, err)))
            return rc;
        /* Read again inside the write lock: another process may have migrated meanwhile. */
        if ((rc = pragma_int(j, "PRAGMA user_version", &v, err)))
            return finish(j, rc, err);
        if (v >= CUT_JOURNAL_SCHEMA) {
            j->schema = v;
            return finish(j, CUT_OK, err);
        }
        rc = exec(j, schema_steps[v], err);
        if (rc == CUT_OK) {
            char sql[96];
            snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; PRAGMA application_id = %d",
                     v + 1, CUT_JOURNAL_APP_ID);
            rc = exec(j, sql, err);
        }
        if (rc)
            cut_error_prefix(err, "migrating the journal from schema %d to %d", v, v + 1);
        if ((rc = finish(j, rc, err)))
            return rc;
        cut_log(CUT_LOG_INFO, "journal %s: schema %d -> %d", j->path, v, v + 1);
    }
}

int cut_journal_open(const char *path, cut_journal **out, cut_error *err)
{
    *out = NULL;
    cut_journal *j = calloc(1, sizeof(*j));
    if (!j || !(j->path = cut_strdup(path))) {
        free(j);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    int rc = CUT_OK;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    cut_sqlite_init();
    if (sqlite3_open_v2(path, &j->db, flags, NULL) != SQLITE_OK) {
        rc = cut_error_set(err, CUT_EIO, "cannot open journal %s: %s (another file: --journal)",
                           path, j->db ? sqlite3_errmsg(j->db) : "out of memory");
        goto done;
    }
    sqlite3_busy_timeout(j->db, 10000);
    sqlite3_extended_result_codes(j->db, 1);
    /* The header and the tables in one statement, so in one snapshot: read one by one, a
       process creating the journal at the same time could commit between the reads
       (version 0, but tables: "not a cutover journal"; seen with a run and a report). */
    int version = 0, app = 0, ntables = 0;
    sqlite3_stmt *hd = NULL;
    if ((rc = prepare(j,
                      "SELECT (SELECT user_version FROM pragma_user_version), "
                      "(SELECT application_id FROM pragma_application_id), "
                      "(SELECT count(*) FROM sqlite_master WHERE type = 'table')",
                      &hd, err)) == CUT_OK) {
        if (sqlite3_step(hd) == SQLITE_ROW) {
            version = sqlite3_column_int(hd, 0);
            app = sqlite3_column_int(hd, 1);
            ntables = sqlite3_column_int(hd, 2);
        } else {
            rc = jfail(j, err, "read header");
        }
        sqlite3_finalize(hd);
    }
    if (rc) {
        /* A file that is not SQLite at all. */
        cut_error_set(err, CUT_EINVAL, "%s is not a cutover journal: %s", path,
                      sqlite3_errmsg(j->db));
        rc = CUT_EINVAL;
        goto done;
    }
    if ((version > 0 && app != CUT_JOURNAL_APP_ID) || (version == 0 && ntables > 0)) {
        rc = cut_error_set(err, CUT_EINVAL,
                           "%s is a SQLite database but not a cutover journal; give another "
                           "file with --journal",
                           path);
        goto done;
    }
    if (version > CUT_JOURNAL_SCHEMA) {
        rc = cut_error_set(err, CUT_EUNSUPPORTED,
                           "journal %s has schema %d, written by a newer cutover; this one "
                           "(%s) knows schemas up to %d",
                           path, version, CUT_VERSION_STRING, CUT_JOURNAL_SCHEMA);
        goto done;
    }
    /* WAL: readers (cutover report) never wait for the run that writes. */
    if ((rc = exec(j, "PRAGMA journal_mode = WAL", err)) ||
        (rc = exec(j, "PRAGMA synchronous = FULL", err)) ||
        (rc = exec(j, "PRAGMA foreign_keys = ON", err)))
        goto done;
    rc = migrate_schema(j, err);
done:
    if (rc) {
        cut_journal_close(j);
        return rc;
    }
    *out = j;
    return CUT_OK;
}

void cut_journal_close(cut_journal *j)
{
    if (!j)
        return;
    sqlite3_close(j->db);
    for (int i = 0; i < j->nsecrets; i++) {
        free(j->secret[i]);
        free(j->replace[i]);
    }
    free(j->path);
    free(j);
}

const char *cut_journal_path(const cut_journal *j)
{
    return j->path;
}

int cut_journal_schema(cut_journal *j)
{
    return j->schema;
}

/* ------------------------------------------------------------- secrets */

static int add_secret(cut_journal *j, const char *s, const char *with)
{
    for (int i = 0; i < j->nsecrets; i++)
        if (strcmp(j->secret[i], s) == 0)
            return CUT_OK;
    if (j->nsecrets == MAX_SECRETS)
        return CUT_OK; /* the URLs' own redaction still applies */
    char *a = cut_strdup(s), *b = cut_strdup(with);
    if (!a || !b) {
        free(a);
        free(b);
        return CUT_ENOMEM;
    }
    j->secret[j->nsecrets] = a;
    j->replace[j->nsecrets++] = b;
    return CUT_OK;
}

int cut_journal_add_secret(cut_journal *j, const char *url)
{
    if (!url)
        return CUT_OK;
    cut_url *u = NULL;
    cut_error e;
    cut_error_clear(&e);
    if (cut_url_parse(url, &u, &e))
        return CUT_OK; /* not a URL: nothing recognisable to hide */
    int rc = CUT_OK;
    if (u->password && *u->password) {
        /* The whole URL first (it may hold the password percent-encoded), then the
           password itself wherever a message quotes it; a very short password would
           blank out ordinary words, and is left to the redacted URL. */
        rc = add_secret(j, url, u->redacted);
        if (rc == CUT_OK && strlen(u->password) >= 4)
            rc = add_secret(j, u->password, "***");
    }
    cut_url_free(u);
    return rc;
}

char *cut_journal_scrub(const cut_journal *j, const char *text)
{
    if (!text)
        return NULL;
    char *s = cut_strdup(text);
    for (int i = 0; j && s && i < j->nsecrets; i++) {
        const char *hit;
        size_t sl = strlen(j->secret[i]), rl = strlen(j->replace[i]);
        while ((hit = strstr(s, j->secret[i])) != NULL) {
            size_t pre = (size_t)(hit - s), n = strlen(s);
            char *t = malloc(n - sl + rl + 1);
            if (!t) {
                free(s);
                return NULL;
            }
            memcpy(t, s, pre);
            memcpy(t + pre, j->replace[i], rl);
            memcpy(t + pre + rl, hit + sl, n - pre - sl + 1);
            free(s);
            s = t;
        }
    }
    return s;
}

/* ------------------------------------------------------------- writers */

int cut_journal_run_begin(cut_journal *j, const cut_jrun *r, int64_t *id, cut_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(j,
                     "INSERT INTO runs (kind, mapping, mapping_hash, source, target, started, "
                     "outcome, pid, host, snapshot, pid_start, resumed_from, no_rollback, "
                     "tool_version) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)",
                     &st, err);
    if (rc)
        return rc;
    bind_text(j, st, 1, r->kind);
    bind_text(j, st, 2, r->mapping);
    bind_text(j, st, 3, r->mapping_hash);
    bind_text(j, st, 4, r->source);
    bind_text(j, st, 5, r->target);
    sqlite3_bind_double(st, 6, r->started);
    sqlite3_bind_int64(st, 7, r->pid);
    bind_text(j, st, 8, r->host);
    bind_text(j, st, 9, r->snapshot);
    bind_i64_or_null(st, 10, r->pid_start);
    if (r->resumed_from > 0)
        sqlite3_bind_int64(st, 11, r->resumed_from);
    sqlite3_bind_int(st, 12, r->no_rollback);
    bind_text(j, st, 13, r->tool_version ? r->tool_version : CUT_VERSION_STRING);
    rc = step_done(j, st, err);
    if (rc == CUT_OK)
        *id = sqlite3_last_insert_rowid(j->db);
    return rc;
}

int cut_journal_run_set_snapshot(cut_journal *j, int64_t run, const char *path, cut_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(j, "UPDATE runs SET snapshot = ? WHERE id = ?", &st, err);
    if (rc)
        return rc;
    bind_text(j, st, 1, path);
    sqlite3_bind_int64(st, 2, run);
    return step_done(j, st, err);
}

int cut_journal_run_end(cut_journal *j, int64_t run, const char *outcome, const char *detail,
                        int rolled_back, cut_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(j,
                     "UPDATE runs SET outcome = ?, ended = ?, detail = ?, rolled_back = ? "
                     "WHERE id = ?",
                     &st, err);
    if (rc)
        return rc;
    bind_text(j, st, 1, outcome);
    sqlite3_bind_double(st, 2, cut_wallclock());
    bind_text(j, st, 3, detail);
    sqlite3_bind_int(st, 4, rolled_back);
    sqlite3_bind_int64(st, 5, run);
    return step_done(j, st, err);
}

int cut_journal_run_clear(cut_journal *j, int64_t run, const char *how, cut_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(j, "UPDATE runs SET cleared = ? WHERE id = ? AND cleared IS NULL", &st, err);
    if (rc)
        return rc;
    bind_text(j, st, 1, how);
    sqlite3_bind_int64(st, 2, run);
    return step_done(j, st, err);
}

static int insert_step(cut_journal *j, int64_t run, const char *name, double started,
                       double ended, const char *status, int64_t rows, const char *detail,
                       int *seq, cut_error *err)
{
    int rc = begin(j, err);
    if (rc)
        return rc;
    sqlite3_stmt *st;
    rc = prepare(j,
                 "INSERT INTO steps (run, seq, name, started, ended, status, rows, detail) "
                 "VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM steps WHERE run = ?1), "
                 "?2, ?3, ?4, ?5, ?6, ?7) RETURNING seq",
                 &st, err);
    if (rc == CUT_OK) {
        sqlite3_bind_int64(st, 1, run);
        bind_text(j, st, 2, name);
        sqlite3_bind_double(st, 3, started);
        if (ended > 0)
            sqlite3_bind_double(st, 4, ended);
        bind_text(j, st, 5, status);
        bind_i64_or_null(st, 6, rows);
        bind_text(j, st, 7, detail);
        if (sqlite3_step(st) == SQLITE_ROW) {
            if (seq)
                *seq = sqlite3_column_int(st, 0);
        } else {
            rc = jfail(j, err, "write step");
        }
        sqlite3_finalize(st);
    }
    return finish(j, rc, err);
}

int cut_journal_step_begin(cut_journal *j, int64_t run, const char *name, double started,
                           int *seq, cut_error *err)
{
    return insert_step(j, run, name, started, 0, "running", -1, NULL, seq, err);
}

int cut_journal_step_add(cut_journal *j, int64_t run, const char *name, double started,
                         double ended, const char *status, int64_t rows, const char *detail,
                         cut_error *err)
{
    return insert_step(j, run, name, started, ended, status, rows, detail, NULL, err);
}

int cut_journal_step_end(cut_journal *j, int64_t run, int seq, const char *status, double ended,
                         int64_t rows, const char *detail, cut_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(j,
                     "UPDATE steps SET status = ?, ended = ?, rows = ?, detail = ? "
                     "WHERE run = ? AND seq = ?",
                     &st, err);
    if (rc)
        return rc;
    bind_text(j, st, 1, status);
    sqlite3_bind_double(st, 2, ended);
    bind_i64_or_null(st, 3, rows);
    bind_text(j, st, 4, detail);
    sqlite3_bind_int64(st, 5, run);
    sqlite3_bind_int(st, 6, seq);
    return step_done(j, st, err);
}

static const char *table_status_word(cut_table_status s)
{
    switch (s) {
    case CUT_TABLE_OK: return "ok";
    case CUT_TABLE_MISMATCH: return "mismatch";
    case CUT_TABLE_FAILED: return "failed";
    default: return "pending";
    }
}

static const char *diff_kind_word(cut_diff_kind k)
{
    return k == CUT_DIFF_MISSING ? "missing" : k == CUT_DIFF_EXTRA ? "extra" : "changed";
}

static int delete_table_rows(cut_journal *j, const char *sql, int64_t run, const char *phase,
                             const char *table, cut_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(j, sql, &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, run);
    bind_text(j, st, 2, table);
    if (phase)
        bind_text(j, st, 3, phase);
    return step_done(j, st, err);
}

static int put_table(cut_journal *j, int64_t run, const char *phase, int seq,
                     const cut_table_result *t, int is_verify, cut_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(j,
                     "INSERT OR REPLACE INTO table_results (run, phase, tbl, seq, source_table, "
                     "status, source_rows, filtered, rejected, loaded, target_rows, zero_dates, "
                     "expected_digest, actual_digest, seconds, rows_per_s, diff_missing, "
                     "diff_extra, diff_changed, diff_unexamined, error, reject_file) VALUES "
                     "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     &st, err);
    if (rc)
        return rc;
    char hex[33];
    int ran = t->status != CUT_TABLE_PENDING;
    sqlite3_bind_int64(st, 1, run);
    bind_text(j, st, 2, phase);
    bind_text(j, st, 3, t->table);
    sqlite3_bind_int(st, 4, seq);
    bind_text(j, st, 5, t->source);
    bind_text(j, st, 6, table_status_word(t->status));
    if (ran) {
        sqlite3_bind_int64(st, 7, t->source_rows);
        sqlite3_bind_int64(st, 8, t->filtered);
        sqlite3_bind_int64(st, 9, t->rejected);
        sqlite3_bind_int64(st, 10, t->loaded);
        if (is_verify)
            sqlite3_bind_int64(st, 11, t->target_rows);
        sqlite3_bind_int64(st, 12, t->zero_dates);
        bind_text(j, st, 13, cut_digest_hex(&t->expected, hex));
        if (is_verify)
            bind_text(j, st, 14, cut_digest_hex(&t->actual, hex));
        sqlite3_bind_double(st, 15, t->seconds);
        sqlite3_bind_double(st, 16, t->seconds > 0 ? (double)t->source_rows / t->seconds : 0);
        if (is_verify) {
            sqlite3_bind_int64(st, 17, t->diff_missing);
            sqlite3_bind_int64(st, 18, t->diff_extra);
            sqlite3_bind_int64(st, 19, t->diff_changed);
            sqlite3_bind_int64(st, 20, t->diff_unexamined);
        }
    }
    bind_text(j, st, 21, t->error);
    bind_text(j, st, 22, t->reject_file);
    return step_done(j, st, err);
}

static int put_diffs(cut_journal *j, int64_t run, const cut_table_result *t, cut_error *err)
{
    int rc = CUT_OK;
    for (int k = 0; k < t->ndiffs && rc == CUT_OK; k++) {
        const cut_diff *d = &t->diffs[k];
        int ncols = d->ncols > 0 ? d->ncols : 1;
        for (int c = 0; c < ncols && rc == CUT_OK; c++) {
            sqlite3_stmt *st;
            if ((rc = prepare(j,
                              "INSERT INTO mismatches (run, tbl, n, kind, key, col, expected, "
                              "actual) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                              &st, err)))
                break;
            sqlite3_bind_int64(st, 1, run);
            bind_text(j, st, 2, t->table);
            sqlite3_bind_int(st, 3, k + 1);
            bind_text(j, st, 4, diff_kind_word(d->kind));
            bind_text(j, st, 5, d->key);
            if (d->ncols > 0) {
                bind_text(j, st, 6, d->cols[c].column);
                bind_text(j, st, 7, d->cols[c].expected);
                bind_text(j, st, 8, d->cols[c].actual);
            }
            rc = step_done(j, st, err);
        }
    }
    return rc;
}

static int put_reject(cut_journal *j, int64_t run, const char *table, int64_t count,
                      const char *file, cut_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(
        j, "INSERT OR REPLACE INTO rejects (run, tbl, count, file) VALUES (?, ?, ?, ?)", &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, run);
    bind_text(j, st, 2, table);
    sqlite3_bind_int64(st, 3, count);
    bind_text(j, st, 4, file);
    return step_done(j, st, err);
}

int cut_journal_put_result(cut_journal *j, int64_t run, const char *phase, const cut_result *res,
                           cut_error *err)
{
    int is_verify = strcmp(phase, "verify") == 0;
    int rc = begin(j, err);
    for (int i = 0; rc == CUT_OK && i < res->ntables; i++) {
        const cut_table_result *t = &res->tables[i];
        rc = delete_table_rows(j,
                               "DELETE FROM table_results WHERE run = ? AND tbl = ? AND phase = ?",
                               run, phase, t->table, err);
        if (rc == CUT_OK)
            rc = put_table(j, run, phase, i, t, is_verify, err);
        if (rc == CUT_OK && is_verify) {
            rc = delete_table_rows(j, "DELETE FROM mismatches WHERE run = ? AND tbl = ?", run,
                                   NULL, t->table, err);
            if (rc == CUT_OK)
                rc = put_diffs(j, run, t, err);
        }
        if (rc == CUT_OK && !is_verify) {
            rc = delete_table_rows(j, "DELETE FROM rejects WHERE run = ? AND tbl = ?", run, NULL,
                                   t->table, err);
            if (rc == CUT_OK && t->rejected > 0)
                rc = put_reject(j, run, t->table, t->rejected, t->reject_file, err);
        }
    }
    return finish(j, rc, err);
}

int cut_journal_put_table_done(cut_journal *j, int64_t run, const char *phase, const char *table,
                               int64_t rows, cut_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(j,
                     "INSERT OR IGNORE INTO table_results (run, phase, tbl, seq, status, "
                     "source_rows) VALUES (?1, ?2, ?3, (SELECT count(*) FROM table_results "
                     "WHERE run = ?1 AND phase = ?2), 'done', ?4)",
                     &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, run);
    bind_text(j, st, 2, phase);
    bind_text(j, st, 3, table);
    sqlite3_bind_int64(st, 4, rows);
    return step_done(j, st, err);
}

int cut_journal_put_snap(cut_journal *j, int64_t run, const char *phase, const cut_snap_info *info,
                         cut_error *err)
{
    int is_restore = strcmp(phase, "restore") == 0;
    int rc = begin(j, err);
    for (int i = 0; rc == CUT_OK && i < info->ntables; i++) {
        const cut_snap_table *t = &info->tables[i];
        sqlite3_stmt *st;
        if ((rc = prepare(j,
                          "INSERT OR REPLACE INTO table_results (run, phase, tbl, seq, status, "
                          "target_rows, expected_digest, actual_digest, seconds, error) VALUES "
                          "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          &st, err)))
            break;
        char hex[33];
        /* A restore's table is "ok" only once the transaction holding it committed: one
           read back equal to the snapshot in a restore another table failed (or whose
           commit failed) was "rolled back" with the rest. */
        const char *status = "failed";
        if (!is_restore)
            status = t->error ? "failed" : "ok";
        else if (t->verified && !t->error)
            status = info->committed ? "ok" : "rolled back";
        sqlite3_bind_int64(st, 1, run);
        bind_text(j, st, 2, phase);
        bind_text(j, st, 3, t->name);
        sqlite3_bind_int(st, 4, i);
        bind_text(j, st, 5, status);
        sqlite3_bind_int64(st, 6, t->rows);
        cut_digest_hex(&t->digest, hex);
        /* A snapshot's digest is what a restore must reproduce; a restore's is what it
           read back (equal to the snapshot's when verified, whether or not it committed,
           and recorded when it differs too). A restore that failed before reading a table
           back found no digest: recording the snapshot's would make the report claim a
           proof that never happened. */
        if (!is_restore || t->verified)
            bind_text(j, st, 7, hex);
        if (is_restore && (t->verified || t->read_back))
            bind_text(j, st, 8, hex);
        sqlite3_bind_double(st, 9, info->seconds);
        bind_text(j, st, 10, t->error);
        rc = step_done(j, st, err);
    }
    return finish(j, rc, err);
}

int cut_journal_copy_migrated(cut_journal *j, int64_t from, int64_t to, const char *const *tables,
                              int n, const char *note, cut_error *err)
{
    int rc = begin(j, err);
    for (int i = 0; rc == CUT_OK && i < n; i++) {
        sqlite3_stmt *st;
        if ((rc = prepare(j,
                          "INSERT OR REPLACE INTO table_results (run, phase, tbl, seq, "
                          "source_table, status, source_rows, filtered, rejected, loaded, "
                          "target_rows, zero_dates, expected_digest, actual_digest, seconds, "
                          "rows_per_s, error, reject_file, note) SELECT ?1, phase, tbl, seq, "
                          "source_table, 'ok', source_rows, filtered, rejected, loaded, "
                          "target_rows, zero_dates, expected_digest, actual_digest, seconds, "
                          "rows_per_s, error, reject_file, ?4 FROM table_results "
                          "WHERE run = ?2 AND phase = 'migrate' AND tbl = ?3",
                          &st, err)))
            break;
        sqlite3_bind_int64(st, 1, to);
        sqlite3_bind_int64(st, 2, from);
        bind_text(j, st, 3, tables[i]);
        bind_text(j, st, 4, note);
        if ((rc = step_done(j, st, err)))
            break;
        if ((rc = prepare(j,
                          "INSERT OR REPLACE INTO rejects (run, tbl, count, file) SELECT ?1, "
                          "tbl, count, file FROM rejects WHERE run = ?2 AND tbl = ?3",
                          &st, err)))
            break;
        sqlite3_bind_int64(st, 1, to);
        sqlite3_bind_int64(st, 2, from);
        bind_text(j, st, 3, tables[i]);
        rc = step_done(j, st, err);
    }
    return finish(j, rc, err);
}

/* ------------------------------------------------------------- readers */

void cut_jrun_free(cut_jrun *r)
{
    if (!r)
        return;
    free(r->kind);
    free(r->mapping);
    free(r->mapping_hash);
    free(r->source);
    free(r->target);
    free(r->outcome);
    free(r->detail);
    free(r->host);
    free(r->snapshot);
    free(r->cleared);
    free(r->tool_version);
    for (int i = 0; i < r->nsteps; i++) {
        free(r->steps[i].name);
        free(r->steps[i].status);
        free(r->steps[i].detail);
    }
    free(r->steps);
    for (int i = 0; i < r->ntables; i++) {
        cut_jtable *t = &r->tables[i];
        free(t->phase);
        free(t->table);
        free(t->source_table);
        free(t->status);
        free(t->expected);
        free(t->actual);
        free(t->error);
        free(t->reject_file);
        free(t->note);
    }
    free(r->tables);
    for (int i = 0; i < r->ndiffs; i++) {
        cut_jdiff *d = &r->diffs[i];
        free(d->table);
        free(d->kind);
        free(d->key);
        free(d->column);
        free(d->expected);
        free(d->actual);
    }
    free(r->diffs);
    for (int i = 0; i < r->nrejects; i++) {
        free(r->rejects[i].table);
        free(r->rejects[i].file);
    }
    free(r->rejects);
    free(r);
}

void cut_jrun_list_free(cut_jrun **runs, int n)
{
    for (int i = 0; i < n; i++)
        cut_jrun_free(runs[i]);
    free(runs);
}

#define RUN_COLUMNS                                                                            \
    "id, kind, mapping, mapping_hash, source, target, started, ended, outcome, detail, pid, "  \
    "pid_start, host, snapshot, resumed_from, cleared, rolled_back, no_rollback, tool_version"

static cut_jrun *read_run(sqlite3_stmt *st)
{
    cut_jrun *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->id = sqlite3_column_int64(st, 0);
    r->kind = col_str(st, 1);
    r->mapping = col_str(st, 2);
    r->mapping_hash = col_str(st, 3);
    r->source = col_str(st, 4);
    r->target = col_str(st, 5);
    r->started = col_dbl(st, 6);
    r->ended = col_dbl(st, 7);
    r->outcome = col_str(st, 8);
    r->detail = col_str(st, 9);
    r->pid = col_i64(st, 10, 0);
    r->pid_start = col_i64(st, 11, -1);
    r->host = col_str(st, 12);
    r->snapshot = col_str(st, 13);
    r->resumed_from = col_i64(st, 14, 0);
    r->cleared = col_str(st, 15);
    r->rolled_back = (int)col_i64(st, 16, 0);
    r->no_rollback = (int)col_i64(st, 17, 0);
    r->tool_version = col_str(st, 18);
    if (!r->kind || !r->outcome || !r->mapping || !r->mapping_hash) {
        cut_jrun_free(r);
        return NULL;
    }
    return r;
}

/* Grows *v (elements of size sz) to hold one more; returns the new element or NULL. */
static void *grow(void *pv, int *n, size_t sz)
{
    void **v = pv;
    void *nv = realloc(*v, sz * (size_t)(*n + 1));
    if (!nv)
        return NULL;
    *v = nv;
    char *e = (char *)nv + sz * (size_t)*n;
    memset(e, 0, sz);
    (*n)++;
    return e;
}

static int load_steps(cut_journal *j, cut_jrun *r, cut_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(j,
                     "SELECT seq, name, started, ended, status, detail, rows FROM steps "
                     "WHERE run = ? ORDER BY seq",
                     &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->id);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        cut_jstep *p = grow(&r->steps, &r->nsteps, sizeof(cut_jstep));
        if (!p) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            break;
        }
        p->seq = sqlite3_column_int(st, 0);
        p->name = col_str(st, 1);
        p->started = col_dbl(st, 2);
        p->ended = col_dbl(st, 3);
        p->status = col_str(st, 4);
        p->detail = col_str(st, 5);
        p->rows = col_i64(st, 6, -1);
        if (!p->name || !p->status) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            break;
        }
    }
    if (rc == CUT_OK && s != SQLITE_DONE)
        rc = jfail(j, err, "read steps");
    sqlite3_finalize(st);
    return rc;
}

static int load_details(cut_journal *j, cut_jrun *r, cut_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(j,
                     "SELECT phase, tbl, source_table, status, source_rows, filtered, rejected, "
                     "loaded, target_rows, zero_dates, expected_digest, actual_digest, seconds, "
                     "rows_per_s, diff_missing, diff_extra, diff_changed, diff_unexamined, "
                     "error, reject_file, note FROM table_results WHERE run = ? "
                     "ORDER BY phase, seq, rowid",
                     &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->id);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        cut_jtable *t = grow(&r->tables, &r->ntables, sizeof(cut_jtable));
        if (!t) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            break;
        }
        t->phase = col_str(st, 0);
        t->table = col_str(st, 1);
        t->source_table = col_str(st, 2);
        t->status = col_str(st, 3);
        t->source_rows = col_i64(st, 4, -1);
        t->filtered = col_i64(st, 5, -1);
        t->rejected = col_i64(st, 6, -1);
        t->loaded = col_i64(st, 7, -1);
        t->target_rows = col_i64(st, 8, -1);
        t->zero_dates = col_i64(st, 9, -1);
        t->expected = col_str(st, 10);
        t->actual = col_str(st, 11);
        t->seconds = col_dbl(st, 12);
        t->rows_per_s = col_dbl(st, 13);
        t->diff_missing = col_i64(st, 14, 0);
        t->diff_extra = col_i64(st, 15, 0);
        t->diff_changed = col_i64(st, 16, 0);
        t->diff_unexamined = col_i64(st, 17, 0);
        t->error = col_str(st, 18);
        t->reject_file = col_str(st, 19);
        t->note = col_str(st, 20);
        if (!t->phase || !t->table || !t->status) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            break;
        }
    }
    if (rc == CUT_OK && s != SQLITE_DONE)
        rc = jfail(j, err, "read table results");
    sqlite3_finalize(st);
    if (rc)
        return rc;

    if ((rc = prepare(j,
                      "SELECT tbl, n, kind, key, col, expected, actual FROM mismatches "
                      "WHERE run = ? ORDER BY rowid",
                      &st, err)))
        return rc;
    sqlite3_bind_int64(st, 1, r->id);
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        cut_jdiff *d = grow(&r->diffs, &r->ndiffs, sizeof(cut_jdiff));
        if (!d) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            break;
        }
        d->table = col_str(st, 0);
        d->n = sqlite3_column_int(st, 1);
        d->kind = col_str(st, 2);
        d->key = col_str(st, 3);
        d->column = col_str(st, 4);
        d->expected = col_str(st, 5);
        d->actual = col_str(st, 6);
        if (!d->table || !d->kind) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            break;
        }
    }
    if (rc == CUT_OK && s != SQLITE_DONE)
        rc = jfail(j, err, "read differences");
    sqlite3_finalize(st);
    if (rc)
        return rc;

    if ((rc = prepare(j, "SELECT tbl, count, file FROM rejects WHERE run = ? ORDER BY rowid", &st,
                      err)))
        return rc;
    sqlite3_bind_int64(st, 1, r->id);
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        cut_jreject *x = grow(&r->rejects, &r->nrejects, sizeof(cut_jreject));
        if (!x || !(x->table = col_str(st, 0))) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            break;
        }
        x->count = sqlite3_column_int64(st, 1);
        x->file = col_str(st, 2);
    }
    if (rc == CUT_OK && s != SQLITE_DONE)
        rc = jfail(j, err, "read rejects");
    sqlite3_finalize(st);
    return rc;
}

int cut_journal_load(cut_journal *j, int64_t id, int details, cut_jrun **out, cut_error *err)
{
    *out = NULL;
    sqlite3_stmt *st;
    int rc = prepare(j,
                     id > 0 ? "SELECT " RUN_COLUMNS " FROM runs WHERE id = ?"
                            : "SELECT " RUN_COLUMNS " FROM runs ORDER BY id DESC LIMIT 1",
                     &st, err);
    if (rc)
        return rc;
    if (id > 0)
        sqlite3_bind_int64(st, 1, id);
    cut_jrun *r = NULL;
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        if (!(r = read_run(st)))
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
    } else if (s == SQLITE_DONE) {
        rc = id > 0 ? cut_error_set(err, CUT_ENOTFOUND, "journal %s has no run %lld", j->path,
                                    (long long)id)
                    : cut_error_set(err, CUT_ENOTFOUND, "journal %s has no runs yet", j->path);
    } else {
        rc = jfail(j, err, "read runs");
    }
    sqlite3_finalize(st);
    if (rc == CUT_OK)
        rc = load_steps(j, r, err);
    if (rc == CUT_OK && details)
        rc = load_details(j, r, err);
    if (rc) {
        cut_jrun_free(r);
        return rc;
    }
    *out = r;
    return CUT_OK;
}

int cut_journal_list(cut_journal *j, const char *mapping_hash, cut_jrun ***out, int *n,
                     cut_error *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    int rc = prepare(j,
                     "SELECT " RUN_COLUMNS " FROM runs WHERE ?1 IS NULL OR mapping_hash = ?1 "
                     "ORDER BY id",
                     &st, err);
    if (rc)
        return rc;
    bind_text(j, st, 1, mapping_hash);
    cut_jrun **v = NULL;
    int k = 0, s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        cut_jrun **slot = grow(&v, &k, sizeof(cut_jrun *));
        if (!slot || !(*slot = read_run(st))) {
            if (slot)
                k--;
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            break;
        }
    }
    if (rc == CUT_OK && s != SQLITE_DONE)
        rc = jfail(j, err, "read runs");
    sqlite3_finalize(st);
    for (int i = 0; rc == CUT_OK && i < k; i++)
        rc = load_steps(j, v[i], err);
    if (rc) {
        cut_jrun_list_free(v, k);
        return rc;
    }
    *out = v;
    *n = k;
    return CUT_OK;
}

/* --------------------------------------------- processes and blocks */

/* Reads a process's state letter and start time (clock ticks since boot) from /proc. */
static int proc_stat(int64_t pid, char *state, int64_t *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%lld/stat", (long long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name (field 2) may hold spaces and parentheses: count from the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ' || !p[2])
        return -1;
    *state = p[2];
    p++;
    /* Fields 3 .. 22; starttime is field 22. */
    for (int field = 3; field < 22; field++) {
        p = strchr(p + 1, ' ');
        if (!p)
            return -1;
    }
    char *end;
    errno = 0;
    long long v = strtoll(p + 1, &end, 10);
    if (errno || end == p + 1)
        return -1;
    *start = (int64_t)v;
    return 0;
}

int64_t cut_journal_proc_start(int64_t pid)
{
    char state;
    int64_t start;
    return proc_stat(pid, &state, &start) == 0 ? start : -1;
}

int cut_journal_pid_alive(int64_t pid, int64_t start)
{
    if (pid <= 0 || pid > INT_MAX)
        return 0;
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        return 0;
    char state;
    int64_t now;
    if (proc_stat(pid, &state, &now) == 0) {
        if (state == 'Z' || state == 'X')
            return 0; /* killed, not yet reaped by its parent */
        if (start >= 0 && now != start)
            return 0; /* the pid was reused by another process */
    }
    return 1;
}

const char *cut_journal_host(void)
{
    static char host[256];
    if (!host[0] && gethostname(host, sizeof(host) - 1) != 0)
        snprintf(host, sizeof(host), "unknown");
    return host;
}

static void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

/* Marks a run whose process is gone as interrupted (and its running steps). */
static int mark_dead(cut_journal *j, const cut_jrun *r, cut_error *err)
{
    char when[32], detail[512];
    snprintf(detail, sizeof(detail),
             "process %lld on %s ended without finishing (found at %s)", (long long)r->pid,
             r->host ? r->host : "?", cut_utc_iso(cut_wallclock(), when, sizeof(when)));
    int touched = 0;
    for (int i = 0; i < r->nsteps; i++) {
        const char *n = r->steps[i].name;
        touched = touched || strcmp(n, CUT_STEP_MIGRATE) == 0 || strcmp(n, CUT_STEP_VERIFY) == 0 ||
                  strcmp(n, CUT_STEP_GATE) == 0 || strcmp(n, CUT_STEP_RESTORE) == 0;
    }
    int rc = begin(j, err);
    sqlite3_stmt *st;
    if (rc == CUT_OK && (rc = prepare(j,
                                      "UPDATE runs SET outcome = 'interrupted', detail = ?, "
                                      "cleared = ? WHERE id = ? AND outcome = 'running'",
                                      &st, err)) == CUT_OK) {
        bind_text(j, st, 1, detail);
        /* Interrupted before migrate: the target was not written, nothing blocks. */
        bind_text(j, st, 2, touched ? NULL : "the target was not written (stopped before migrate)");
        sqlite3_bind_int64(st, 3, r->id);
        rc = step_done(j, st, err);
    }
    if (rc == CUT_OK &&
        (rc = prepare(
             j, "UPDATE steps SET status = 'interrupted' WHERE run = ? AND status = 'running'", &st,
             err)) == CUT_OK) {
        sqlite3_bind_int64(st, 1, r->id);
        rc = step_done(j, st, err);
    }
    return finish(j, rc, err);
}

static void fill_block(cut_jblock *b, cut_block_kind kind, const cut_jrun *r)
{
    b->kind = kind;
    b->run = r->id;
    b->pid = r->pid;
    b->started = r->started;
    copy_str(b->host, sizeof(b->host), r->host);
    copy_str(b->snapshot, sizeof(b->snapshot), r->snapshot);
    copy_str(b->mapping, sizeof(b->mapping), r->mapping);
    b->step[0] = '\0';
    /* The step that was running when it stopped: the last one not finished well. */
    for (int i = r->nsteps - 1; i >= 0; i--) {
        const char *s = r->steps[i].status;
        if (strcmp(s, "running") == 0 || strcmp(s, "interrupted") == 0) {
            copy_str(b->step, sizeof(b->step), r->steps[i].name);
            break;
        }
    }
    if (!b->step[0] && r->nsteps)
        copy_str(b->step, sizeof(b->step), r->steps[r->nsteps - 1].name);
}

/* Loads the runs on target matching a condition (with steps). */
static int runs_where(cut_journal *j, const char *cond, const char *target, cut_jrun ***out,
                      int *n, cut_error *err)
{
    *out = NULL;
    *n = 0;
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT " RUN_COLUMNS " FROM runs WHERE (?1 IS NULL OR target = ?1) AND %s", cond);
    sqlite3_stmt *st;
    int rc = prepare(j, sql, &st, err);
    if (rc)
        return rc;
    bind_text(j, st, 1, target);
    cut_jrun **v = NULL;
    int k = 0, s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        cut_jrun **slot = grow(&v, &k, sizeof(cut_jrun *));
        if (!slot || !(*slot = read_run(st))) {
            if (slot)
                k--;
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            break;
        }
    }
    if (rc == CUT_OK && s != SQLITE_DONE)
        rc = jfail(j, err, "read runs");
    sqlite3_finalize(st);
    for (int i = 0; rc == CUT_OK && i < k; i++)
        rc = load_steps(j, v[i], err);
    if (rc) {
        cut_jrun_list_free(v, k);
        return rc;
    }
    *out = v;
    *n = k;
    return CUT_OK;
}

/* Marks the runs on target (NULL: any) still "running" whose process is gone here as
   interrupted; with b, stops at the first one that blocks (alive, or on another host). */
static int reap(cut_journal *j, const char *target, cut_jblock *b, cut_error *err)
{
    cut_jrun **v;
    int n, rc;
    if ((rc = runs_where(j, "outcome = 'running' ORDER BY id", target, &v, &n, err)))
        return rc;
    const char *me = cut_journal_host();
    for (int i = 0; i < n && rc == CUT_OK; i++) {
        const cut_jrun *r = v[i];
        if (!r->host || strcmp(r->host, me) != 0) {
            if (!b)
                continue;
            fill_block(b, CUT_BLOCK_OTHER_HOST, r);
            break;
        }
        if (cut_journal_pid_alive(r->pid, r->pid_start)) {
            if (!b)
                continue;
            fill_block(b, CUT_BLOCK_RUNNING, r);
            break;
        }
        rc = mark_dead(j, r, err);
    }
    cut_jrun_list_free(v, n);
    return rc;
}

int cut_journal_reap(cut_journal *j, cut_error *err)
{
    return reap(j, NULL, NULL, err);
}

int cut_journal_find_block(cut_journal *j, const char *target, cut_jblock *b, cut_error *err)
{
    memset(b, 0, sizeof(*b));
    cut_jrun **v;
    int n, rc;
    if ((rc = reap(j, target, b, err)) || b->kind != CUT_BLOCK_NONE)
        return rc;
    if ((rc = runs_where(j, "outcome = 'interrupted' AND cleared IS NULL ORDER BY id DESC LIMIT 1",
                         target, &v, &n, err)))
        return rc;
    if (n > 0)
        fill_block(b, CUT_BLOCK_INTERRUPTED, v[0]);
    cut_jrun_list_free(v, n);
    return CUT_OK;
}

char *cut_journal_way_back(const char *snapshot, const char *journal, const char *target)
{
    const char *hint = cut_url_password_hint(target);
    return cut_asprintf("'cutover restore %s --journal %s'%s%s%s", snapshot ? snapshot : "SNAPSHOT",
                        journal,
                        *hint ? " (the snapshot does not record the target's password: " : "", hint,
                        *hint ? ")" : "");
}

/* The latest run that took the snapshot at path (absolute); *r NULL when none did. */
static int run_of_snapshot(cut_journal *j, const char *path, cut_jrun **r, cut_error *err)
{
    *r = NULL;
    sqlite3_stmt *st;
    int rc =
        prepare(j, "SELECT " RUN_COLUMNS " FROM runs WHERE snapshot = ? ORDER BY id DESC LIMIT 1",
                &st, err);
    if (rc)
        return rc;
    bind_text(j, st, 1, path);
    if (sqlite3_step(st) == SQLITE_ROW && !(*r = read_run(st)))
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
    sqlite3_finalize(st);
    return rc;
}

/*
 * A restore puts r's target back only when it went there. Recorded after a restore
 * into another database (a scratch copy, a rehearsal server), it would say r was
 * rolled back and lift the block on a target that still holds the half-migration.
 */
static int check_restore_target(const cut_jrun *r, const char *snapshot, const char *target,
                                cut_error *err)
{
    if (!target || !r->target || cut_url_same_database(target, r->target))
        return CUT_OK;
    char *shown = cut_url_redact(target);
    int rc = cut_error_set(
        err, CUT_EINVAL,
        "run %" PRId64 " took the snapshot %s of its target %s, and this restore goes to %s: "
        "recording it would say run %" PRId64 "'s target was put back, and lift the block on "
        "it, when it was not. Restore into %s to put it back, or leave out --journal to "
        "restore into %s without recording it",
        r->id, snapshot, r->target, shown ? shown : "another database", r->id, r->target,
        shown ? shown : "that database");
    free(shown);
    return rc;
}

int cut_journal_restore_check(cut_journal *j, const char *snapshot_path, const char *target,
                              int64_t *run, cut_error *err)
{
    *run = 0;
    char *abs = realpath(snapshot_path, NULL);
    const char *path = abs ? abs : snapshot_path;
    cut_jrun *r = NULL;
    int rc = run_of_snapshot(j, path, &r, err);
    if (rc == CUT_OK && r && (rc = check_restore_target(r, path, target, err)) == CUT_OK)
        *run = r->id;
    cut_jrun_free(r);
    free(abs);
    return rc;
}

int cut_journal_mark_restored(cut_journal *j, const char *snapshot_path,
                              const cut_snap_info *info, int64_t *run, cut_error *err)
{
    *run = 0;
    char *abs = realpath(snapshot_path, NULL);
    const char *path = abs ? abs : snapshot_path;
    cut_jrun *r = NULL;
    int rc = run_of_snapshot(j, path, &r, err);
    if (rc == CUT_OK && r && info)
        rc = check_restore_target(r, path, info->target, err);
    if (rc || !r)
        goto done;
    /* A run still marked running whose process is gone becomes interrupted first. */
    cut_jblock b;
    if ((rc = cut_journal_find_block(j, r->target, &b, err)))
        goto done;
    char when[32], detail[512];
    int ok = 1;
    int64_t rows = 0;
    for (int i = 0; info && i < info->ntables; i++) {
        ok = ok && info->committed && info->tables[i].verified && !info->tables[i].error;
        rows += info->tables[i].rows;
    }
    snprintf(detail, sizeof(detail),
             "restored by cutover restore (pid %lld on %s)%s", (long long)getpid(),
             cut_journal_host(),
             info ? (ok ? ": every table's digest equals the snapshot's" : ": digests differ")
                  : "");
    double now = cut_wallclock();
    rc = cut_journal_step_add(j, r->id, CUT_STEP_RESTORE, info ? now - info->seconds : now, now,
                              ok ? "ok" : "failed", info ? rows : -1, detail, err);
    if (rc == CUT_OK && info)
        rc = cut_journal_put_snap(j, r->id, "restore", info, err);
    if (rc == CUT_OK && ok) {
        char how[1200];
        sqlite3_stmt *st;
        snprintf(how, sizeof(how), "restored from %s at %s", path,
                 cut_utc_iso(now, when, sizeof(when)));
        if ((rc = prepare(j,
                          "UPDATE runs SET rolled_back = 1, cleared = CASE WHEN outcome = "
                          "'interrupted' AND cleared IS NULL THEN ? ELSE cleared END "
                          "WHERE snapshot = ? AND outcome != 'running'",
                          &st, err)) == CUT_OK) {
            bind_text(j, st, 1, how);
            bind_text(j, st, 2, path);
            rc = step_done(j, st, err);
        }
    }
    if (rc == CUT_OK)
        *run = r->id;
done:
    cut_jrun_free(r);
    free(abs);
    return rc;
}

/* ------------------------------------------------------------ forecast */

void cut_forecast_step(const double *seconds, const int64_t *rows, int n, int64_t cur_rows,
                       cut_forecast *f)
{
    memset(f, 0, sizeof(*f));
    f->by_rate = -1;
    double sum = 0, rsec = 0, rrows = 0;
    for (int i = 0; i < n; i++) {
        sum += seconds[i];
        if (seconds[i] > f->worst)
            f->worst = seconds[i];
        if (rows && rows[i] > 0 && seconds[i] > 0) {
            rrows += (double)rows[i];
            rsec += seconds[i];
        }
    }
    f->n = n;
    f->mean = n ? sum / n : 0;
    /* The pooled rate (all rows over all their seconds) weighs long runs more than
       a mean of rates would: a short rehearsal's startup costs distort it less. */
    if (rsec > 0) {
        f->rate = rrows / rsec;
        if (cur_rows >= 0)
            f->by_rate = (double)cur_rows / f->rate;
    }
}

/* ------------------------------------------------------------- chunks */

/* Parameters 1 to 8 of a chunk statement: the run and what names the chunk (table, index,
   count, bounds), shared by the insert and the lookup so that they always agree. */
static void bind_chunk_key(cut_journal *j, sqlite3_stmt *st, int64_t run, const cut_chunk *c)
{
    sqlite3_bind_int64(st, 1, run);
    bind_text(j, st, 2, c->table);
    sqlite3_bind_int(st, 3, c->index);
    sqlite3_bind_int(st, 4, c->count);
    sqlite3_bind_int(st, 5, c->has_lo);
    sqlite3_bind_int64(st, 6, c->lo);
    sqlite3_bind_int(st, 7, c->has_hi);
    sqlite3_bind_int64(st, 8, c->hi);
}

int cut_journal_put_chunk(cut_journal *j, int64_t run, const cut_chunk *c, cut_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(j,
                     "INSERT OR REPLACE INTO chunks (run, tbl, idx, count, has_lo, lo, has_hi, hi,"
                     " source_rows, filtered, rejected, loaded, zero_dates, digest_rows, digest,"
                     " committed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
                     " ?14, ?15, julianday('now'))",
                     &st, err);
    if (rc)
        return rc;
    char hex[33];
    bind_chunk_key(j, st, run, c);
    sqlite3_bind_int64(st, 9, c->source_rows);
    sqlite3_bind_int64(st, 10, c->filtered);
    sqlite3_bind_int64(st, 11, c->rejected);
    sqlite3_bind_int64(st, 12, c->loaded);
    sqlite3_bind_int64(st, 13, c->zero_dates);
    sqlite3_bind_int64(st, 14, (sqlite3_int64)c->digest.rows);
    bind_text(j, st, 15, cut_digest_hex(&c->digest, hex));
    return step_done(j, st, err);
}

int cut_journal_get_chunk(cut_journal *j, int64_t run, cut_chunk *c, cut_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(j,
                     "SELECT source_rows, filtered, rejected, loaded, zero_dates, digest_rows, "
                     "digest FROM chunks WHERE run = ?1 AND tbl = ?2 AND idx = ?3 AND count = ?4 "
                     "AND has_lo = ?5 AND lo = ?6 AND has_hi = ?7 AND hi = ?8",
                     &st, err);
    if (rc)
        return rc;
    bind_chunk_key(j, st, run, c);
    int r = sqlite3_step(st);
    rc = CUT_ENOTFOUND;
    if (r == SQLITE_ROW) {
        c->source_rows = sqlite3_column_int64(st, 0);
        c->filtered = sqlite3_column_int64(st, 1);
        c->rejected = sqlite3_column_int64(st, 2);
        c->loaded = sqlite3_column_int64(st, 3);
        c->zero_dates = sqlite3_column_int64(st, 4);
        c->digest.rows = (uint64_t)sqlite3_column_int64(st, 5);
        const char *hex = (const char *)sqlite3_column_text(st, 6);
        rc = hex && cut_digest_parse_hex(hex, &c->digest.sum) == CUT_OK
                 ? CUT_OK
                 : cut_error_set(err, CUT_ECORRUPT, "journal %s: bad chunk digest", j->path);
    } else if (r != SQLITE_DONE) {
        rc = jfail(j, err, "read");
    }
    sqlite3_finalize(st);
    return rc;
}

int cut_journal_count_chunks(cut_journal *j, int64_t run, int64_t *n, cut_error *err)
{
    sqlite3_stmt *st;
    int rc = prepare(j, "SELECT count(*) FROM chunks WHERE run = ?1", &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, run);
    *n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return CUT_OK;
}
