/*
 * test_journal.c — the run journal (lib/journal.c), the runbook (lib/run.c)
 * and its reports (lib/report_run.c): schema creation and migration from an
 * old version, refusing files that are not journals, runs / steps / results
 * round trips, no password in the file, interrupted runs found by a dead pid
 * (and not by a live one, nor one on another host), blocks lifted by a
 * restore, forecast arithmetic, the JSON report against its documented
 * fields, HTML escaping, and the runbook on small SQLite databases: Go, No-Go
 * rolled back to the pre-run state, --no-rollback, a rollback that fails its
 * proof, a refused start, a resume, a cancellation before anything was
 * written, and a signal during each step; a failed rollback's report claims no
 * proof it did not make.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "journal.h"

/* ------------------------------------------------------------ fixture */

typedef struct fx {
    char dir[64];
    char db[128];  /* the journal */
    char src[128]; /* runbook tests: source and target databases, mapping */
    char tgt[128];
    char map[128];
} fx;

static int setup_fx(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/cut_test_journal_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->db, sizeof(f->db), "%s/cutover.db", f->dir);
    snprintf(f->src, sizeof(f->src), "%s/src.db", f->dir);
    snprintf(f->tgt, sizeof(f->tgt), "%s/tgt.db", f->dir);
    snprintf(f->map, sizeof(f->map), "%s/map.yaml", f->dir);
    *state = f;
    return 0;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int teardown_fx(void **state)
{
    fx *f = *state;
    remove_tree(f->dir);
    free(f);
    return 0;
}

static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
    sqlite3_close(db);
}

/* The first column of the first row of sql, as an integer. */
static int64_t query_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -999;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static cut_journal *open_journal(const fx *f)
{
    cut_journal *j = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = cut_journal_open(f->db, &j, &err);
    if (rc)
        fail_msg("open: %s", err.msg);
    return j;
}

/* A run as the runbook would begin it. */
static int64_t begin_run(cut_journal *j, const char *target, int64_t pid, int64_t pid_start,
                         const char *host, const char *snapshot)
{
    cut_jrun r;
    memset(&r, 0, sizeof(r));
    r.kind = "rehearsal";
    r.mapping = "maps/gym.yaml";
    r.mapping_hash = "00112233445566778899aabbccddeeff";
    r.source = "sqlite:legacy.db";
    r.target = (char *)target;
    r.started = 1000000.0;
    r.pid = pid;
    r.pid_start = pid_start;
    r.host = (char *)host;
    r.snapshot = (char *)snapshot;
    int64_t id = 0;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_journal_run_begin(j, &r, &id, &err), CUT_OK);
    assert_true(id > 0);
    return id;
}

static void add_step(cut_journal *j, int64_t run, const char *name, const char *status,
                     double started, double seconds, int64_t rows)
{
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_journal_step_add(j, run, name, started,
                                          seconds >= 0 ? started + seconds : 0, status, rows, NULL,
                                          &err),
                     CUT_OK);
}

/* A pid that is certainly dead: a child that exited and was reaped. */
static int64_t dead_pid(void)
{
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0)
        _exit(0);
    int st;
    waitpid(p, &st, 0);
    return p;
}

/* ------------------------------------------------------ schema and open */

static void test_journal_creates_current_schema(void **state)
{
    fx *f = *state;
    cut_journal *j = open_journal(f);
    assert_int_equal(cut_journal_schema(j), CUT_JOURNAL_SCHEMA);
    assert_string_equal(cut_journal_path(j), f->db);
    cut_journal_close(j);
    assert_int_equal(query_int(f->db, "PRAGMA user_version"), CUT_JOURNAL_SCHEMA);
    assert_int_equal(query_int(f->db, "PRAGMA application_id"), CUT_JOURNAL_APP_ID);
    assert_int_equal(query_int(f->db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                      "AND name IN ('runs', 'steps', 'table_results', "
                                      "'mismatches', 'rejects')"),
                     5);
    /* WAL is a property of the file: it stays. */
    sqlite3 *db;
    sqlite3_open(f->db, &db);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* Opening again changes nothing. */
    j = open_journal(f);
    assert_int_equal(cut_journal_schema(j), CUT_JOURNAL_SCHEMA);
    cut_journal_close(j);
}

static void test_journal_default_path_is_beside_the_mapping(void **state)
{
    (void)state;
    char *p = cut_journal_default_path("mappings/gym.yaml");
    assert_string_equal(p, "mappings/cutover.db");
    free(p);
    p = cut_journal_default_path("gym.yaml");
    assert_string_equal(p, "cutover.db");
    free(p);
    p = cut_journal_default_path("/gym.yaml");
    assert_string_equal(p, "/cutover.db");
    free(p);
    p = cut_journal_default_path(NULL);
    assert_string_equal(p, "cutover.db");
    free(p);
}

/* A journal as the first schema wrote it, with one finished run. */
static const char schema_v1[] =
    "CREATE TABLE runs (id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL CHECK (kind IN ('rehearsal', 'production')),"
    " mapping TEXT NOT NULL, mapping_hash TEXT NOT NULL, source TEXT, target TEXT,"
    " started REAL NOT NULL, ended REAL,"
    " outcome TEXT NOT NULL DEFAULT 'running'"
    "   CHECK (outcome IN ('running', 'go', 'no-go', 'error', 'interrupted')),"
    " pid INTEGER, host TEXT, snapshot TEXT);"
    "CREATE TABLE steps (run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL, name TEXT NOT NULL, started REAL NOT NULL, ended REAL,"
    " status TEXT NOT NULL"
    "   CHECK (status IN ('running', 'ok', 'failed', 'interrupted', 'skipped')),"
    " detail TEXT, PRIMARY KEY (run, seq));"
    "INSERT INTO runs VALUES (1, 'rehearsal', 'gym.yaml', 'abcd', 'sqlite:old.db', "
    " 'sqlite:new.db', 100.0, 160.0, 'go', 42, 'oldhost', '/srv/cutover-run-1.cutsnap');"
    "INSERT INTO steps VALUES (1, 1, 'check', 100.0, 101.0, 'ok', '2 tables ready');"
    "INSERT INTO steps VALUES (1, 2, 'migrate', 101.0, 150.0, 'ok', NULL);"
    "PRAGMA application_id = 1129665610;" /* 0x4355544A */
    "PRAGMA user_version = 1;";

static void test_journal_migrates_from_version_1(void **state)
{
    fx *f = *state;
    assert_int_equal(CUT_JOURNAL_APP_ID, 1129665610); /* as the old file above says */
    exec_sql(f->db, schema_v1);
    cut_journal *j = open_journal(f);
    assert_int_equal(cut_journal_schema(j), CUT_JOURNAL_SCHEMA);
    cut_jrun *r = NULL;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_journal_load(j, 1, 1, &r, &err), CUT_OK);
    assert_string_equal(r->outcome, "go");
    assert_string_equal(r->host, "oldhost");
    assert_int_equal(r->pid, 42);
    assert_int_equal(r->pid_start, -1);   /* added by version 2, unknown for old runs */
    assert_int_equal(r->resumed_from, 0);
    assert_int_equal(r->rolled_back, 0);
    assert_null(r->cleared);
    assert_int_equal(r->nsteps, 2);
    assert_string_equal(r->steps[1].name, "migrate");
    assert_int_equal(r->steps[1].rows, -1);
    assert_int_equal(r->ntables, 0);
    cut_jrun_free(r);
    /* The new tables work for a new run. */
    int64_t id = begin_run(j, "sqlite:new.db", 1, -1, "h", NULL);
    assert_int_equal(id, 2);
    assert_int_equal(cut_journal_put_table_done(j, id, "migrate", "members", 10, &err), CUT_OK);
    cut_journal_close(j);
    assert_int_equal(query_int(f->db, "PRAGMA user_version"), CUT_JOURNAL_SCHEMA);
    assert_int_equal(query_int(f->db, "SELECT count(*) FROM table_results"), 1);
}

static void test_journal_refuses_a_newer_schema(void **state)
{
    fx *f = *state;
    exec_sql(f->db, "PRAGMA application_id = 1129665610; PRAGMA user_version = 99;");
    cut_journal *j = NULL;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_journal_open(f->db, &j, &err), CUT_EUNSUPPORTED);
    assert_null(j);
    assert_non_null(strstr(err.msg, "newer cutover"));
}

static void test_journal_refuses_other_files(void **state)
{
    fx *f = *state;
    exec_sql(f->db, "CREATE TABLE invoices (id INTEGER);");
    cut_journal *j = NULL;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_journal_open(f->db, &j, &err), CUT_EINVAL);
    assert_non_null(strstr(err.msg, "not a cutover journal"));
    /* Nothing was added to it. */
    assert_int_equal(query_int(f->db, "SELECT count(*) FROM sqlite_master"), 1);

    char text[160];
    snprintf(text, sizeof(text), "%s/notes.txt", f->dir);
    FILE *fp = fopen(text, "w");
    fputs("this is not a database, just some text that is long enough to have a header\n", fp);
    fclose(fp);
    cut_error_clear(&err);
    assert_int_equal(cut_journal_open(text, &j, &err), CUT_EINVAL);
    assert_null(j);
}

/* ------------------------------------------------------------ round trip */

static cut_result *sample_result(int verify)
{
    cut_result *r = calloc(1, sizeof(*r));
    r->ntables = 2;
    r->tables = calloc(2, sizeof(cut_table_result));
    cut_table_result *m = &r->tables[0], *b = &r->tables[1];
    m->table = strdup("members");
    m->source = strdup("clients");
    m->status = verify ? CUT_TABLE_MISMATCH : CUT_TABLE_OK;
    m->source_rows = 100;
    m->filtered = 3;
    m->rejected = 1;
    m->loaded = 96;
    m->target_rows = 96;
    m->zero_dates = 2;
    m->expected.rows = 96;
    m->expected.sum.lo = 1;
    m->actual.rows = 96;
    m->actual.sum.lo = verify ? 2 : 0;
    m->seconds = 2.0;
    m->reject_file = strdup("gym.rejects/members.rejects.jsonl");
    if (verify) {
        m->diff_changed = 1;
        m->diff_missing = 1;
        m->ndiffs = 2;
        m->diffs = calloc(2, sizeof(cut_diff));
        m->diffs[0].kind = CUT_DIFF_CHANGED;
        m->diffs[0].key = strdup("id=42");
        m->diffs[0].ncols = 1;
        m->diffs[0].cols = calloc(1, sizeof(cut_diff_col));
        m->diffs[0].cols[0].column = strdup("email");
        m->diffs[0].cols[0].expected = strdup("'a@b.be'");
        m->diffs[0].cols[0].actual = strdup("'A@B.BE'");
        m->diffs[1].kind = CUT_DIFF_MISSING;
        m->diffs[1].key = strdup("id=7");
    }
    b->table = strdup("bookings");
    b->source = strdup("bookings");
    b->status = CUT_TABLE_OK;
    b->source_rows = b->loaded = b->target_rows = 200;
    b->expected.rows = b->actual.rows = 200;
    b->seconds = 1.0;
    r->go = 0;
    return r;
}

static void test_journal_round_trip(void **state)
{
    fx *f = *state;
    cut_journal *j = open_journal(f);
    cut_error err;
    cut_error_clear(&err);
    int64_t id = begin_run(j, "sqlite:tgt.db", getpid(), -1, cut_journal_host(), "/s/1.cutsnap");
    int seq = 0;
    assert_int_equal(cut_journal_step_begin(j, id, "check", 1000000.5, &seq, &err), CUT_OK);
    assert_int_equal(seq, 1);
    assert_int_equal(cut_journal_step_end(j, id, seq, "ok", 1000001.0, -1, "2 tables ready", &err),
                     CUT_OK);
    assert_int_equal(cut_journal_step_begin(j, id, "migrate", 1000001.0, &seq, &err), CUT_OK);
    assert_int_equal(seq, 2);
    /* As the progress callback does, then the final result replaces it. */
    assert_int_equal(cut_journal_put_table_done(j, id, "migrate", "members", 100, &err), CUT_OK);
    cut_result *mres = sample_result(0), *vres = sample_result(1);
    assert_int_equal(cut_journal_put_result(j, id, "migrate", mres, &err), CUT_OK);
    assert_int_equal(cut_journal_step_end(j, id, seq, "ok", 1000004.0, 300, "loaded", &err),
                     CUT_OK);
    assert_int_equal(cut_journal_put_result(j, id, "verify", vres, &err), CUT_OK);
    /* Writing a phase again replaces its rows, it does not add to them. */
    assert_int_equal(cut_journal_put_result(j, id, "verify", vres, &err), CUT_OK);
    assert_int_equal(cut_journal_run_end(j, id, "no-go", "members differ", 1, &err), CUT_OK);

    cut_jrun *r = NULL;
    assert_int_equal(cut_journal_load(j, 0, 1, &r, &err), CUT_OK); /* 0: the latest */
    assert_int_equal(r->id, id);
    assert_string_equal(r->kind, "rehearsal");
    assert_string_equal(r->outcome, "no-go");
    assert_string_equal(r->detail, "members differ");
    assert_int_equal(r->rolled_back, 1);
    assert_string_equal(r->snapshot, "/s/1.cutsnap");
    assert_string_equal(r->host, cut_journal_host());
    assert_true(r->ended > 0);
    assert_int_equal(r->nsteps, 2);
    assert_string_equal(r->steps[0].detail, "2 tables ready");
    assert_int_equal(r->steps[1].rows, 300);
    assert_true(r->steps[1].ended - r->steps[1].started == 3.0);
    assert_int_equal(r->ntables, 4);
    int seen = 0;
    for (int i = 0; i < r->ntables; i++) {
        const cut_jtable *t = &r->tables[i];
        if (strcmp(t->phase, "verify") == 0 && strcmp(t->table, "members") == 0) {
            seen++;
            assert_string_equal(t->status, "mismatch");
            assert_string_equal(t->source_table, "clients");
            assert_int_equal(t->source_rows, 100);
            assert_int_equal(t->filtered, 3);
            assert_int_equal(t->rejected, 1);
            assert_int_equal(t->loaded, 96);
            assert_int_equal(t->target_rows, 96);
            assert_int_equal(t->zero_dates, 2);
            assert_int_equal(t->diff_changed, 1);
            assert_int_equal(t->diff_missing, 1);
            assert_string_equal(t->expected, "00000000000000000000000000000001");
            assert_string_equal(t->actual, "00000000000000000000000000000002");
            assert_true(t->rows_per_s == 50.0);
        }
        if (strcmp(t->phase, "migrate") == 0 && strcmp(t->table, "members") == 0) {
            seen++;
            assert_string_equal(t->status, "ok"); /* the final result replaced "done" */
            assert_int_equal(t->target_rows, -1); /* migrate does not count the target */
            assert_null(t->actual);
        }
    }
    assert_int_equal(seen, 2);
    assert_int_equal(r->ndiffs, 2);
    assert_string_equal(r->diffs[0].kind, "changed");
    assert_string_equal(r->diffs[0].column, "email");
    assert_string_equal(r->diffs[0].actual, "'A@B.BE'");
    assert_string_equal(r->diffs[1].kind, "missing");
    assert_null(r->diffs[1].column);
    assert_int_equal(r->nrejects, 1);
    assert_string_equal(r->rejects[0].table, "members");
    assert_int_equal(r->rejects[0].count, 1);
    assert_string_equal(r->rejects[0].file, "gym.rejects/members.rejects.jsonl");
    cut_jrun_free(r);

    cut_jrun **list = NULL;
    int n = 0;
    assert_int_equal(cut_journal_list(j, "00112233445566778899aabbccddeeff", &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0]->nsteps, 2);
    cut_jrun_list_free(list, n);
    assert_int_equal(cut_journal_list(j, "ffff", &list, &n, &err), 0);
    assert_int_equal(n, 0);
    cut_jrun_list_free(list, n);
    assert_int_equal(cut_journal_load(j, 99, 0, &r, &err), CUT_ENOTFOUND);
    cut_result_free(mres);
    cut_result_free(vres);
    cut_journal_close(j);
}

static int file_contains(const char *path, const char *needle)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return 0;
    size_t n = strlen(needle), have = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    size_t got;
    int found = 0;
    while ((got = fread(buf + have, 1, cap - have, fp)) > 0) {
        have += got;
        if (have == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(fp);
    for (size_t i = 0; i + n <= have && !found; i++)
        found = memcmp(buf + i, needle, n) == 0;
    free(buf);
    return found;
}

static void test_journal_never_stores_a_password(void **state)
{
    fx *f = *state;
    cut_journal *j = open_journal(f);
    cut_error err;
    cut_error_clear(&err);
    const char *raw = "postgresql://app:Sup3rS3cret@db.example:5432/gym";
    assert_int_equal(cut_journal_add_secret(j, raw), CUT_OK);
    char *red = cut_url_redact(raw);
    int64_t id = begin_run(j, red, 1, -1, "h", NULL);
    char detail[256];
    snprintf(detail, sizeof(detail), "connection to %s failed (password Sup3rS3cret rejected)",
             raw);
    add_step(j, id, "check", "failed", 1000000.0, 1, -1);
    assert_int_equal(cut_journal_run_end(j, id, "error", detail, 0, &err), CUT_OK);
    cut_jrun *r = NULL;
    assert_int_equal(cut_journal_load(j, id, 0, &r, &err), CUT_OK);
    assert_null(strstr(r->detail, "Sup3rS3cret"));
    assert_non_null(strstr(r->detail, "postgresql://app:***@db.example:5432/gym"));
    assert_string_equal(r->target, red);
    cut_jrun_free(r);
    char *s = cut_journal_scrub(j, "plain text");
    assert_string_equal(s, "plain text");
    free(s);
    cut_journal_close(j);
    free(red);
    char wal[160];
    snprintf(wal, sizeof(wal), "%s-wal", f->db);
    assert_false(file_contains(f->db, "Sup3rS3cret"));
    assert_false(file_contains(wal, "Sup3rS3cret"));
}

/* ------------------------------------------------- interrupted runs */

static void test_journal_dead_pid_makes_run_interrupted(void **state)
{
    fx *f = *state;
    cut_journal *j = open_journal(f);
    cut_error err;
    cut_error_clear(&err);
    int64_t pid = dead_pid();
    assert_false(cut_journal_pid_alive(pid, -1));
    int64_t id = begin_run(j, "sqlite:/srv/gym.db", pid, -1, cut_journal_host(), "/srv/1.cutsnap");
    add_step(j, id, "check", "ok", 1000000.0, 1, -1);
    add_step(j, id, "snapshot", "ok", 1000001.0, 5, 100);
    int seq;
    assert_int_equal(cut_journal_step_begin(j, id, "migrate", 1000006.0, &seq, &err), CUT_OK);
    /* another target is not concerned */
    cut_jblock b;
    assert_int_equal(cut_journal_find_block(j, "sqlite:/srv/other.db", &b, &err), CUT_OK);
    assert_int_equal(b.kind, CUT_BLOCK_NONE);
    assert_int_equal(cut_journal_find_block(j, "sqlite:/srv/gym.db", &b, &err), CUT_OK);
    assert_int_equal(b.kind, CUT_BLOCK_INTERRUPTED);
    assert_int_equal(b.run, id);
    assert_string_equal(b.step, "migrate");
    assert_string_equal(b.snapshot, "/srv/1.cutsnap");
    assert_string_equal(b.mapping, "maps/gym.yaml");
    cut_jrun *r = NULL;
    assert_int_equal(cut_journal_load(j, id, 0, &r, &err), CUT_OK);
    assert_string_equal(r->outcome, "interrupted");
    assert_string_equal(r->steps[2].status, "interrupted");
    assert_non_null(strstr(r->detail, "ended without finishing"));
    assert_null(r->cleared);
    cut_jrun_free(r);
    /* It keeps blocking until cleared. */
    assert_int_equal(cut_journal_find_block(j, "sqlite:/srv/gym.db", &b, &err), CUT_OK);
    assert_int_equal(b.kind, CUT_BLOCK_INTERRUPTED);
    assert_int_equal(cut_journal_run_clear(j, id, "resumed by run 9", &err), CUT_OK);
    assert_int_equal(cut_journal_find_block(j, "sqlite:/srv/gym.db", &b, &err), CUT_OK);
    assert_int_equal(b.kind, CUT_BLOCK_NONE);
    cut_journal_close(j);
}

static void test_journal_live_run_blocks_and_reused_pid_does_not(void **state)
{
    fx *f = *state;
    cut_journal *j = open_journal(f);
    cut_error err;
    cut_error_clear(&err);
    int64_t me = getpid(), start = cut_journal_proc_start(me);
    assert_true(start >= 0);
    assert_true(cut_journal_pid_alive(me, start));
    int64_t id = begin_run(j, "sqlite:/srv/gym.db", me, start, cut_journal_host(), NULL);
    add_step(j, id, "migrate", "running", 1000000.0, -1, -1);
    cut_jblock b;
    assert_int_equal(cut_journal_find_block(j, "sqlite:/srv/gym.db", &b, &err), CUT_OK);
    assert_int_equal(b.kind, CUT_BLOCK_RUNNING);
    assert_int_equal(b.pid, me);
    /* The same pid with another start time is another process: the run died. */
    assert_false(cut_journal_pid_alive(me, start + 1));
    exec_sql(f->db, "UPDATE runs SET pid_start = pid_start + 1");
    assert_int_equal(cut_journal_find_block(j, "sqlite:/srv/gym.db", &b, &err), CUT_OK);
    assert_int_equal(b.kind, CUT_BLOCK_INTERRUPTED);
    cut_journal_close(j);
}

static void test_journal_run_from_another_host_blocks(void **state)
{
    fx *f = *state;
    cut_journal *j = open_journal(f);
    cut_error err;
    cut_error_clear(&err);
    int64_t id =
        begin_run(j, "postgresql://app@db/gym", 12345, -1, "some-other-host", "/s.cutsnap");
    add_step(j, id, "migrate", "running", 1000000.0, -1, -1);
    cut_jblock b;
    assert_int_equal(cut_journal_find_block(j, "postgresql://app@db/gym", &b, &err), CUT_OK);
    assert_int_equal(b.kind, CUT_BLOCK_OTHER_HOST);
    assert_string_equal(b.host, "some-other-host");
    /* Nothing is decided about it from here. */
    assert_int_equal(query_int(f->db, "SELECT count(*) FROM runs WHERE outcome = 'running'"), 1);
    cut_journal_close(j);
}

static void test_journal_run_killed_before_migrate_does_not_block(void **state)
{
    fx *f = *state;
    cut_journal *j = open_journal(f);
    cut_error err;
    cut_error_clear(&err);
    int64_t id = begin_run(j, "sqlite:/srv/gym.db", dead_pid(), -1, cut_journal_host(), NULL);
    add_step(j, id, "check", "ok", 1000000.0, 1, -1);
    add_step(j, id, "snapshot", "running", 1000001.0, -1, -1);
    cut_jblock b;
    assert_int_equal(cut_journal_find_block(j, "sqlite:/srv/gym.db", &b, &err), CUT_OK);
    assert_int_equal(b.kind, CUT_BLOCK_NONE);
    cut_jrun *r = NULL;
    assert_int_equal(cut_journal_load(j, id, 0, &r, &err), CUT_OK);
    assert_string_equal(r->outcome, "interrupted");
    assert_non_null(r->cleared);
    assert_non_null(strstr(r->cleared, "not written"));
    cut_jrun_free(r);
    cut_journal_close(j);
}

static void test_journal_restore_lifts_the_block(void **state)
{
    fx *f = *state;
    cut_journal *j = open_journal(f);
    cut_error err;
    cut_error_clear(&err);
    char snap[160];
    snprintf(snap, sizeof(snap), "%s/cutover-run-1.cutsnap", f->dir);
    FILE *fp = fopen(snap, "w");
    fputs("x", fp);
    fclose(fp);
    char *abs = realpath(snap, NULL);
    int64_t id = begin_run(j, "sqlite:/srv/gym.db", dead_pid(), -1, cut_journal_host(), abs);
    add_step(j, id, "migrate", "running", 1000000.0, -1, -1);
    int64_t run = -1;
    char other[160];
    snprintf(other, sizeof(other), "%s/unrelated.cutsnap", f->dir);
    assert_int_equal(cut_journal_mark_restored(j, other, NULL, &run, &err), CUT_OK);
    assert_int_equal(run, 0);
    /* A restore with its per-table proof. */
    cut_snap_table t[1];
    memset(t, 0, sizeof(t));
    t[0].name = "members";
    t[0].rows = 5;
    t[0].verified = 1;
    cut_snap_info info;
    memset(&info, 0, sizeof(info));
    info.ntables = 1;
    info.tables = t;
    info.committed = 1;
    info.seconds = 0.5;
    assert_int_equal(cut_journal_mark_restored(j, snap, &info, &run, &err), CUT_OK);
    assert_int_equal(run, id);
    cut_jblock b;
    assert_int_equal(cut_journal_find_block(j, "sqlite:/srv/gym.db", &b, &err), CUT_OK);
    assert_int_equal(b.kind, CUT_BLOCK_NONE);
    cut_jrun *r = NULL;
    assert_int_equal(cut_journal_load(j, id, 1, &r, &err), CUT_OK);
    assert_string_equal(r->outcome, "interrupted");
    assert_int_equal(r->rolled_back, 1);
    assert_non_null(strstr(r->cleared, "restored from"));
    assert_string_equal(r->steps[r->nsteps - 1].name, "restore");
    assert_string_equal(r->steps[r->nsteps - 1].status, "ok");
    assert_int_equal(r->steps[r->nsteps - 1].rows, 5);
    assert_int_equal(r->ntables, 1);
    assert_string_equal(r->tables[0].phase, "restore");
    cut_jrun_free(r);
    free(abs);
    cut_journal_close(j);
}

/* A restore into another database than the run's target puts nothing of the run back:
   it is not recorded, and the block stays. */
static void test_journal_restore_elsewhere_keeps_the_block(void **state)
{
    fx *f = *state;
    cut_journal *j = open_journal(f);
    cut_error err;
    cut_error_clear(&err);
    char snap[160];
    snprintf(snap, sizeof(snap), "%s/cutover-run-1.cutsnap", f->dir);
    FILE *fp = fopen(snap, "w");
    fputs("x", fp);
    fclose(fp);
    char *abs = realpath(snap, NULL);
    int64_t id =
        begin_run(j, "postgresql://app:***@db/gym", dead_pid(), -1, cut_journal_host(), abs);
    add_step(j, id, "migrate", "running", 1000000.0, -1, -1);
    cut_snap_table t[1];
    memset(t, 0, sizeof(t));
    t[0].name = "members";
    t[0].rows = 5;
    t[0].verified = 1;
    cut_snap_info info;
    memset(&info, 0, sizeof(info));
    info.ntables = 1;
    info.tables = t;
    info.committed = 1;
    info.target = "postgresql://app@db/scratch";
    int64_t run = -1;
    assert_int_equal(cut_journal_restore_check(j, snap, info.target, &run, &err), CUT_EINVAL);
    assert_non_null(strstr(err.msg, "postgresql://app:***@db/gym"));
    assert_non_null(strstr(err.msg, "postgresql://app@db/scratch"));
    assert_int_equal(run, 0);
    cut_error_clear(&err);
    assert_int_equal(cut_journal_mark_restored(j, snap, &info, &run, &err), CUT_EINVAL);
    assert_int_equal(run, 0);
    cut_jblock b;
    assert_int_equal(cut_journal_find_block(j, "postgresql://app:***@db/gym", &b, &err), CUT_OK);
    assert_int_equal(b.kind, CUT_BLOCK_INTERRUPTED);
    assert_int_equal(query_int(f->db, "SELECT count(*) FROM steps WHERE name = 'restore'"), 0);
    assert_int_equal(query_int(f->db, "SELECT count(*) FROM runs WHERE rolled_back = 1"), 0);
    /* The run's own target, spelt otherwise and with its password, is the run's target. */
    info.target = "postgres://app:s3cret@DB:5432/gym";
    assert_int_equal(cut_journal_restore_check(j, snap, info.target, &run, &err), CUT_OK);
    assert_int_equal(run, id);
    assert_int_equal(cut_journal_mark_restored(j, snap, &info, &run, &err), CUT_OK);
    assert_int_equal(run, id);
    assert_int_equal(cut_journal_find_block(j, "postgresql://app:***@db/gym", &b, &err), CUT_OK);
    assert_int_equal(b.kind, CUT_BLOCK_NONE);
    free(abs);
    cut_journal_close(j);
}

/* ------------------------------------------------------------ forecast */

static void test_forecast_arithmetic(void **state)
{
    (void)state;
    double secs[] = {2, 4, 6};
    int64_t rows[] = {100, 200, 300};
    cut_forecast fc;
    cut_forecast_step(secs, rows, 3, 500, &fc);
    assert_int_equal(fc.n, 3);
    assert_true(fc.mean == 4.0);
    assert_true(fc.worst == 6.0);
    assert_true(fc.rate == 50.0); /* 600 rows in 12 s */
    assert_true(fc.by_rate == 10.0);
    /* The pooled rate weighs the long run more than a mean of rates would. */
    double s2[] = {1, 9};
    int64_t r2[] = {100, 100};
    cut_forecast_step(s2, r2, 2, 1000, &fc);
    assert_true(fc.rate == 20.0);
    assert_true(fc.by_rate == 50.0);
    /* Unknown rows: mean and worst, no rate. */
    int64_t unknown[] = {-1, -1, -1};
    cut_forecast_step(secs, unknown, 3, 500, &fc);
    assert_true(fc.mean == 4.0);
    assert_true(fc.rate == 0);
    assert_true(fc.by_rate == -1);
    /* Rows known for some runs only; current rows unknown. */
    int64_t some[] = {-1, 200, 300};
    cut_forecast_step(secs, some, 3, -1, &fc);
    assert_true(fc.rate == 50.0);
    assert_true(fc.by_rate == -1);
    cut_forecast_step(NULL, NULL, 0, 10, &fc);
    assert_int_equal(fc.n, 0);
    assert_true(fc.mean == 0 && fc.worst == 0 && fc.by_rate == -1);
}

/* ------------------------------------------------------------- reports */

/* A No-Go run that was rolled back, with a name that needs escaping. */
static int64_t nogo_run(cut_journal *j)
{
    cut_error err;
    cut_error_clear(&err);
    int64_t id = begin_run(j, "sqlite:/srv/gym.db", 1, -1, "h", "/srv/cutover-run-1.cutsnap");
    add_step(j, id, "check", "ok", 1000000.0, 0.5, -1);
    add_step(j, id, "snapshot", "ok", 1000000.5, 2, 300);
    add_step(j, id, "migrate", "ok", 1000002.5, 5, 300);
    add_step(j, id, "verify", "ok", 1000007.5, 3, 300);
    cut_error_clear(&err);
    assert_int_equal(cut_journal_step_add(j, id, "gate", 1000010.5, 1000010.5, "failed", -1,
                                          "No-Go: members: digest differs <b>", &err),
                     CUT_OK);
    add_step(j, id, "restore", "ok", 1000010.5, 2, 300);
    cut_result *m = sample_result(0), *v = sample_result(1);
    free(v->tables[0].diffs[0].cols[0].actual);
    v->tables[0].diffs[0].cols[0].actual = strdup("'<script>alert(1)</script>'");
    assert_int_equal(cut_journal_put_result(j, id, "migrate", m, &err), CUT_OK);
    assert_int_equal(cut_journal_put_result(j, id, "verify", v, &err), CUT_OK);
    cut_result_free(m);
    cut_result_free(v);
    assert_int_equal(cut_journal_run_end(j, id, "no-go", "No-Go", 1, &err), CUT_OK);
    return id;
}

static char *render(cut_journal *j, int64_t id, cut_report_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_report_run(j, id, fmt, out, &err), CUT_OK);
    fclose(out);
    return buf;
}

/* The JSON paths docs/report-json.md documents, each of which must be present. */
static const char *const json_paths[] = {
    "$.format", "$.version", "$.verdict", "$.summary", "$.journal",
    "$.run.id", "$.run.kind", "$.run.outcome", "$.run.rolled_back", "$.run.no_rollback",
    "$.run.mapping", "$.run.mapping_hash", "$.run.source", "$.run.target", "$.run.started",
    "$.run.ended", "$.run.seconds", "$.run.host", "$.run.pid", "$.run.snapshot",
    "$.run.resumed_from", "$.run.cleared", "$.run.detail", "$.run.tool_version",
    "$.steps[0].name", "$.steps[0].status", "$.steps[0].started", "$.steps[0].offset",
    "$.steps[0].seconds", "$.steps[0].rows", "$.steps[0].detail",
    "$.tables[0].table", "$.tables[0].source_table",
    "$.tables[0].migrate.status", "$.tables[0].migrate.source_rows",
    "$.tables[0].migrate.filtered", "$.tables[0].migrate.rejected", "$.tables[0].migrate.loaded",
    "$.tables[0].migrate.zero_dates", "$.tables[0].migrate.digest", "$.tables[0].migrate.seconds",
    "$.tables[0].migrate.rows_per_s", "$.tables[0].migrate.note", "$.tables[0].migrate.error",
    "$.tables[0].verify.status", "$.tables[0].verify.source_rows", "$.tables[0].verify.filtered",
    "$.tables[0].verify.rejected", "$.tables[0].verify.loaded", "$.tables[0].verify.target_rows",
    "$.tables[0].verify.zero_dates", "$.tables[0].verify.expected_digest",
    "$.tables[0].verify.actual_digest", "$.tables[0].verify.digest_match",
    "$.tables[0].verify.seconds", "$.tables[0].verify.differences.missing",
    "$.tables[0].verify.differences.extra", "$.tables[0].verify.differences.changed",
    "$.tables[0].verify.differences.unexamined", "$.tables[0].verify.error",
    "$.tables[0].snapshot", "$.tables[0].restore", "$.tables[0].rejects.count",
    "$.tables[0].rejects.file", "$.tables[0].first_differences[0].kind",
    "$.tables[0].first_differences[0].key", "$.tables[0].first_differences[0].columns[0].column",
    "$.tables[0].first_differences[0].columns[0].expected",
    "$.tables[0].first_differences[0].columns[0].actual",
    "$.history[0].id", "$.history[0].kind", "$.history[0].outcome", "$.history[0].started",
    "$.history[0].seconds", "$.history[0].steps.migrate",
    NULL};

static void test_report_json_has_the_documented_fields(void **state)
{
    fx *f = *state;
    cut_journal *j = open_journal(f);
    int64_t id = nogo_run(j);
    char *json = render(j, id, CUT_REPORT_JSON);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT json_valid(?1), json_type(?1, ?2)", -1, &st,
                                        NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    for (int i = 0; json_paths[i]; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 2, json_paths[i], -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), 1);
        if (sqlite3_column_type(st, 1) == SQLITE_NULL)
            fail_msg("%s is missing from the JSON report", json_paths[i]);
    }
    sqlite3_finalize(st);
    /* Values and types. */
    assert_int_equal(
        sqlite3_prepare_v2(
            db,
            "SELECT json_extract(?1, '$.format'), json_extract(?1, '$.version'), "
            "json_extract(?1, '$.verdict'), json_extract(?1, '$.run.rolled_back'), "
            "json_type(?1, '$.tables[0].verify.digest_match'), "
            "json_extract(?1, '$.tables[0].verify.differences.changed'), "
            "json_extract(?1, '$.tables[0].first_differences[0].columns[0].actual'), "
            "json_extract(?1, '$.steps[5].name'), json_extract(?1, '$.steps[2].seconds')",
            -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "cutover-run");
    assert_int_equal(sqlite3_column_int(st, 1), 1);
    assert_string_equal((const char *)sqlite3_column_text(st, 2), "no-go");
    assert_int_equal(sqlite3_column_int(st, 3), 1);
    assert_string_equal((const char *)sqlite3_column_text(st, 4), "false");
    assert_int_equal(sqlite3_column_int(st, 5), 1);
    assert_string_equal((const char *)sqlite3_column_text(st, 6), "'<script>alert(1)</script>'");
    assert_string_equal((const char *)sqlite3_column_text(st, 7), "restore");
    assert_true(sqlite3_column_double(st, 8) == 5.0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(json);
    cut_journal_close(j);
}

static void test_report_html_escapes_and_is_self_contained(void **state)
{
    fx *f = *state;
    cut_journal *j = open_journal(f);
    int64_t id = nogo_run(j);
    char *html = render(j, id, CUT_REPORT_HTML);
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_non_null(strstr(html, "No-Go"));
    assert_non_null(strstr(html, "members"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_null(strstr(html, "<script"));
    assert_non_null(strstr(html, "digest differs &lt;b&gt;"));
    assert_non_null(strstr(html, "<svg"));
    /* No network: nothing is fetched from anywhere. */
    assert_null(strstr(html, "src="));
    assert_null(strstr(html, "href="));
    assert_null(strstr(html, "@import"));
    assert_null(strstr(html, "url("));
    free(html);
    char *text = render(j, id, CUT_REPORT_TEXT);
    assert_non_null(strstr(text, "No-Go, rolled back"));
    assert_non_null(strstr(text, "changed  id=42"));
    assert_non_null(strstr(text, "members: 1 row in gym.rejects/members.rejects.jsonl"));
    free(text);
    cut_error err;
    cut_error_clear(&err);
    FILE *out = fopen("/dev/null", "w");
    assert_int_equal(cut_report_run(j, 77, CUT_REPORT_TEXT, out, &err), CUT_ENOTFOUND);
    fclose(out);
    cut_journal_close(j);
}

static void test_report_runs_forecasts_from_rehearsals(void **state)
{
    fx *f = *state;
    cut_journal *j = open_journal(f);
    cut_error err;
    cut_error_clear(&err);
    for (int i = 0; i < 3; i++) {
        int64_t id = begin_run(j, "sqlite:/srv/gym.db", 1, -1, "h", NULL);
        add_step(j, id, "check", "ok", 1000000.0, 1, -1);
        add_step(j, id, "migrate", "ok", 1000001.0, 10.0 * (i + 1), 1000);
        assert_int_equal(cut_journal_run_end(j, id, "go", NULL, 0, &err), CUT_OK);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_int_equal(cut_report_runs(j, NULL, out, &err), CUT_OK);
    fclose(out);
    /* migrate: mean 20 s, worst 30 s, 3000 rows in 60 s = 50 rows/s, 1000 rows now → 20 s */
    assert_non_null(strstr(buf, "forecast for production, from 3 rehearsals"));
    assert_non_null(strstr(buf, "the counts of run 3"));
    assert_non_null(strstr(buf, "migrate      20.0 s    30.0 s     20.0 s  50 rows/s"));
    assert_non_null(strstr(buf, "run 1"));
    assert_non_null(strstr(buf, "run 3"));
    free(buf);
    cut_journal_close(j);
}

/* ------------------------------------------------------------- runbook */

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* A source with 120 people, an empty target, and a mapping that upper-cases names. */
static void make_databases(const fx *f)
{
    exec_sql(f->src, "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT);"
                     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120)"
                     " INSERT INTO people SELECT i, 'person ' || i FROM n;"
                     "CREATE TABLE visits (id INTEGER PRIMARY KEY, person INTEGER);"
                     "INSERT INTO visits SELECT id, id FROM people;");
    exec_sql(f->tgt, "CREATE TABLE persons (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
                     "CREATE TABLE visits (id INTEGER PRIMARY KEY, "
                     "  person INTEGER NOT NULL REFERENCES persons (id));");
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "source: sqlite:%s\ntarget: sqlite:%s\noptions:\n  reject_dir: %s/rejects\n"
             "tables:\n  persons:\n    from: people\n    columns:\n      id: id\n"
             "      name: upper(name)\n  visits:\n    from: visits\n",
             f->src, f->tgt, f->dir);
    write_file(f->map, yaml);
}

static int runbook(const fx *f, cut_journal *j, const cut_runbook_opts *o, int64_t *run,
                   cut_run_outcome *outcome, cut_error *err)
{
    cut_mapping *m = NULL;
    int rc = cut_mapping_load(f->map, &m, err);
    if (rc == CUT_OK)
        rc = cut_runbook(m, j, o, run, outcome, err);
    cut_mapping_free(m);
    return rc;
}

static void test_runbook_go_then_nogo_rolls_back(void **state)
{
    fx *f = *state;
    make_databases(f);
    cut_journal *j = open_journal(f);
    cut_error err;
    cut_error_clear(&err);
    int64_t run = 0;
    cut_run_outcome oc;
    int rc = runbook(f, j, NULL, &run, &oc, &err);
    if (rc)
        fail_msg("runbook: %s", err.msg);
    assert_int_equal(oc, CUT_OUTCOME_GO);
    assert_int_equal(run, 1);
    assert_int_equal(query_int(f->tgt, "SELECT count(*) FROM persons WHERE name LIKE 'PERSON %'"),
                     120);
    char snap[160];
    snprintf(snap, sizeof(snap), "%s/cutover-run-1.cutsnap", f->dir);
    assert_int_equal(access(snap, F_OK), 0);

    /* The target's new schema gains a buggy trigger, and the source a new person. */
    exec_sql(f->tgt, "CREATE TRIGGER bug AFTER INSERT ON persons WHEN NEW.id > 120 "
                     "BEGIN UPDATE persons SET name = lower(name) WHERE id = NEW.id; END;");
    exec_sql(f->src, "INSERT INTO people VALUES (121, 'newcomer');");
    int64_t before = query_int(f->tgt, "SELECT sum(length(name) * id) FROM persons");
    rc = runbook(f, j, NULL, &run, &oc, &err);
    if (rc)
        fail_msg("runbook: %s", err.msg);
    assert_int_equal(run, 2);
    assert_int_equal(oc, CUT_OUTCOME_NOGO);
    /* Restored: the target holds what it held before run 2. */
    assert_int_equal(query_int(f->tgt, "SELECT count(*) FROM persons"), 120);
    assert_int_equal(query_int(f->tgt, "SELECT sum(length(name) * id) FROM persons"), before);
    cut_jrun *r = NULL;
    assert_int_equal(cut_journal_load(j, 2, 1, &r, &err), CUT_OK);
    assert_string_equal(r->outcome, "no-go");
    assert_int_equal(r->rolled_back, 1);
    const char *names[] = {"check", "snapshot", "migrate", "verify", "gate", "restore"};
    const char *status[] = {"ok", "ok", "ok", "ok", "failed", "ok"};
    assert_int_equal(r->nsteps, 6);
    for (int i = 0; i < 6; i++) {
        assert_string_equal(r->steps[i].name, names[i]);
        assert_string_equal(r->steps[i].status, status[i]);
        assert_true(r->steps[i].ended >= r->steps[i].started);
    }
    int restored = 0, diffs = 0;
    for (int i = 0; i < r->ntables; i++)
        restored += strcmp(r->tables[i].phase, "restore") == 0 &&
                    strcmp(r->tables[i].status, "ok") == 0;
    for (int i = 0; i < r->ndiffs; i++)
        diffs += strcmp(r->diffs[i].key, "id=121") == 0 && strcmp(r->diffs[i].column, "name") == 0;
    assert_int_equal(restored, 2);
    assert_int_equal(diffs, 1);
    cut_jrun_free(r);

    /* --no-rollback keeps the failed state, and says so. */
    cut_runbook_opts o;
    cut_runbook_opts_init(&o);
    o.no_rollback = 1;
    rc = runbook(f, j, &o, &run, &oc, &err);
    assert_int_equal(rc, CUT_OK);
    assert_int_equal(oc, CUT_OUTCOME_NOGO);
    assert_int_equal(query_int(f->tgt, "SELECT count(*) FROM persons WHERE name = 'newcomer'"), 1);
    assert_int_equal(cut_journal_load(j, run, 0, &r, &err), CUT_OK);
    assert_int_equal(r->rolled_back, 0);
    assert_int_equal(r->no_rollback, 1);
    assert_string_equal(r->steps[r->nsteps - 1].status, "skipped");
    assert_non_null(strstr(r->steps[r->nsteps - 1].detail, "--no-rollback"));
    cut_jrun_free(r);
    cut_journal_close(j);
}

static void test_runbook_failed_rollback_is_an_error(void **state)
{
    fx *f = *state;
    make_databases(f);
    cut_journal *j = open_journal(f);
    cut_error err;
    cut_error_clear(&err);
    int64_t run = 0;
    cut_run_outcome oc;
    assert_int_equal(runbook(f, j, NULL, &run, &oc, &err), CUT_OK);
    /* A trigger that also fires when the snapshot's rows go back in: the restore's
       read-back differs from the snapshot, so it rolls itself back. */
    exec_sql(f->tgt, "CREATE TRIGGER bug AFTER INSERT ON persons WHEN NEW.id = 5 "
                     "BEGIN UPDATE persons SET name = 'x' WHERE id = 5; END;");
    int rc = runbook(f, j, NULL, &run, &oc, &err);
    assert_int_equal(rc, CUT_ECORRUPT);
    assert_int_equal(oc, CUT_OUTCOME_NOGO);
    assert_non_null(strstr(err.msg, "rollback failed"));
    cut_jrun *r = NULL;
    assert_int_equal(cut_journal_load(j, run, 0, &r, &err), CUT_OK);
    assert_string_equal(r->outcome, "no-go");
    assert_int_equal(r->rolled_back, 0);
    assert_string_equal(r->steps[r->nsteps - 1].name, "restore");
    assert_string_equal(r->steps[r->nsteps - 1].status, "failed");
    cut_jrun_free(r);
    char *text = render(j, run, CUT_REPORT_TEXT);
    assert_non_null(strstr(text, "No-Go, ROLLBACK FAILED"));
    assert_non_null(strstr(text, "The rollback failed: the target keeps the failed state"));
    free(text);
    cut_journal_close(j);
}

static void test_runbook_refuses_then_resumes_an_interrupted_run(void **state)
{
    fx *f = *state;
    make_databases(f);
    cut_journal *j = open_journal(f);
    cut_error err;
    cut_error_clear(&err);
    int64_t run = 0;
    cut_run_outcome oc;
    assert_int_equal(runbook(f, j, NULL, &run, &oc, &err), CUT_OK);
    assert_int_equal(oc, CUT_OUTCOME_GO);

    /* Make run 1 look as a kill -9 during migrate leaves it: persons committed and its
       chunk journaled, visits not, the process gone. */
    char sql[512];
    snprintf(sql, sizeof(sql),
             "UPDATE runs SET outcome = 'running', ended = NULL, pid = %lld, pid_start = NULL;"
             "DELETE FROM steps WHERE run = 1 AND name IN ('verify', 'gate');"
             "UPDATE steps SET status = 'running', ended = NULL WHERE name = 'migrate';"
             "DELETE FROM table_results WHERE phase != 'snapshot';"
             "DELETE FROM chunks WHERE tbl = 'visits';",
             (long long)dead_pid());
    exec_sql(f->db, sql);
    exec_sql(f->tgt, "DELETE FROM visits;");

    int rc = runbook(f, j, NULL, &run, &oc, &err);
    assert_int_equal(rc, CUT_ESTATE);
    assert_int_equal(run, 0);
    assert_non_null(strstr(err.msg, "run 1"));
    assert_non_null(strstr(err.msg, "interrupted during migrate"));
    assert_non_null(strstr(err.msg, "--resume"));
    assert_non_null(strstr(err.msg, "cutover restore"));

    cut_runbook_opts o;
    cut_runbook_opts_init(&o);
    o.resume = 1;
    cut_error_clear(&err);
    rc = runbook(f, j, &o, &run, &oc, &err);
    if (rc)
        fail_msg("resume: %s", err.msg);
    assert_int_equal(oc, CUT_OUTCOME_GO);
    assert_int_equal(run, 2);
    assert_int_equal(query_int(f->tgt, "SELECT count(*) FROM visits"), 120);
    cut_jrun *r = NULL;
    assert_int_equal(cut_journal_load(j, 2, 1, &r, &err), CUT_OK);
    assert_int_equal(r->resumed_from, 1);
    assert_string_equal(r->steps[1].name, "snapshot");
    assert_string_equal(r->steps[1].status, "skipped");
    assert_string_equal(r->steps[2].name, "migrate");
    assert_string_equal(r->steps[2].status, "ok");
    assert_non_null(strstr(r->steps[2].detail, "2 tables:"));
    assert_non_null(strstr(r->steps[2].detail, "kept 1 chunk committed by run 1"));
    cut_jrun_free(r);
    /* Run 2 holds both chunks now: persons' taken over, visits' loaded again. */
    int64_t nchunks = 0;
    assert_int_equal(cut_journal_count_chunks(j, 2, &nchunks, &err), CUT_OK);
    assert_int_equal(nchunks, 2);
    assert_int_equal(cut_journal_load(j, 1, 0, &r, &err), CUT_OK);
    assert_string_equal(r->outcome, "interrupted");
    assert_string_equal(r->cleared, "resumed by run 2");
    cut_jrun_free(r);
    /* Nothing left to resume. */
    rc = runbook(f, j, &o, &run, &oc, &err);
    assert_int_equal(rc, CUT_EINVAL);
    assert_non_null(strstr(err.msg, "nothing to resume"));
    cut_journal_close(j);
}

static void test_runbook_cancelled_before_writing_does_not_block(void **state)
{
    fx *f = *state;
    make_databases(f);
    cut_journal *j = open_journal(f);
    cut_error err;
    cut_error_clear(&err);
    volatile sig_atomic_t cancel = 1;
    cut_runbook_opts o;
    cut_runbook_opts_init(&o);
    o.cancel = &cancel;
    int64_t run = 0;
    cut_run_outcome oc;
    assert_int_equal(runbook(f, j, &o, &run, &oc, &err), CUT_EINTR);
    assert_int_equal(oc, CUT_OUTCOME_INTERRUPTED);
    assert_int_equal(run, 1);
    cut_jrun *r = NULL;
    assert_int_equal(cut_journal_load(j, 1, 0, &r, &err), CUT_OK);
    assert_string_equal(r->outcome, "interrupted");
    assert_non_null(r->cleared);
    assert_int_equal(r->nsteps, 0);
    cut_jrun_free(r);
    /* The next run starts. */
    assert_int_equal(runbook(f, j, NULL, &run, &oc, &err), CUT_OK);
    assert_int_equal(oc, CUT_OUTCOME_GO);
    cut_journal_close(j);
}

/*
 * A run whose migrate failed (the target server died) and whose rollback failed too
 * (the server was still down): the restore read nothing back, so neither the journal
 * nor the report may claim the snapshot's digests were found; and the run stopped in
 * migrate, not in the restore that tried to undo it.
 */
/* What a snapshot of members (200 rows) and bookings (100) hands to the journal: its
   rows and digests, nothing verified or read back. */
static void two_snap_tables(cut_snap_table t[2], cut_snap_info *info)
{
    memset(t, 0, sizeof(cut_snap_table) * 2);
    t[0].name = "members";
    t[0].rows = 200;
    t[0].digest.rows = 200;
    t[0].digest.sum.lo = 0x1234;
    t[1].name = "bookings";
    t[1].rows = 100;
    t[1].digest.rows = 100;
    t[1].digest.sum.lo = 0x5678;
    memset(info, 0, sizeof(*info));
    info->ntables = 2;
    info->tables = t;
}

static void test_failed_restore_proves_nothing_and_the_run_stopped_in_migrate(void **state)
{
    fx *f = *state;
    cut_journal *j = open_journal(f);
    cut_error err;
    cut_error_clear(&err);
    int64_t id = begin_run(j, "postgresql://app@db/gym", 4242, 0, "vm", "/srv/run-1.cutsnap");
    add_step(j, id, "check", "ok", 1000000.0, 0.1, -1);
    add_step(j, id, "snapshot", "ok", 1000000.1, 1, 300);
    assert_int_equal(cut_journal_step_add(j, id, "migrate", 1000001.1, 1000002.0, "failed", 0,
                                          "table members: PostgreSQL: connection lost", &err),
                     CUT_OK);
    assert_int_equal(cut_journal_step_add(j, id, "restore", 1000002.0, 1000002.1, "failed", -1,
                                          "PostgreSQL: cannot connect: Connection refused", &err),
                     CUT_OK);
    /* What a snapshot and a failed restore hand to the journal: the snapshot's own rows
       and digests, nothing verified. */
    cut_snap_table t[2];
    cut_snap_info info;
    two_snap_tables(t, &info);
    assert_int_equal(cut_journal_put_snap(j, id, "snapshot", &info, &err), CUT_OK);
    assert_int_equal(cut_journal_put_snap(j, id, "restore", &info, &err), CUT_OK);
    assert_int_equal(cut_journal_run_end(j, id, "error",
                                         "table members: PostgreSQL: connection lost", 0, &err),
                     CUT_OK);
    cut_jrun *r = NULL;
    assert_int_equal(cut_journal_load(j, id, 1, &r, &err), CUT_OK);
    int restore_rows = 0;
    for (int i = 0; i < r->ntables; i++) {
        if (strcmp(r->tables[i].phase, "restore") != 0)
            continue;
        restore_rows++;
        assert_string_equal(r->tables[i].status, "failed");
        assert_null(r->tables[i].actual);
    }
    assert_int_equal(restore_rows, 2);
    cut_jrun_free(r);
    char *text = render(j, id, CUT_REPORT_TEXT);
    assert_null(strstr(text, "= snapshot"));
    assert_null(strstr(text, "DIFFERS"));
    assert_non_null(strstr(text, "not read back"));
    assert_non_null(strstr(text, "Error: migrate failed: table members: PostgreSQL: connection lost"));
    assert_non_null(strstr(text, "The rollback failed"));
    free(text);
    char *json = render(j, id, CUT_REPORT_JSON);
    assert_null(strstr(json, "\"matches_snapshot\": true"));
    assert_non_null(strstr(json, "\"summary\": \"migrate failed: "));
    free(json);
    char *html = render(j, id, CUT_REPORT_HTML);
    assert_null(strstr(html, "equal to the snapshot"));
    assert_null(strstr(html, "was restored in one transaction"));
    assert_non_null(strstr(html, "not read back"));
    free(html);
    cut_journal_close(j);
}

/* Whether the first line of s holding a (after its start) also holds b, after a. */
static int on_line(const char *s, const char *a, const char *b)
{
    const char *p = strstr(s, a);
    if (!p)
        return 0;
    const char *q = strstr(p + strlen(a), b);
    const char *nl = strchr(p + 1, '\n');
    return q && (!nl || q < nl);
}

/* A restore that failed as a whole (one table's read-back differed; the commit never
   happened): the table read back equal was rolled back with the rest, not restored "ok",
   and the one that differed was read back, not "not read back". */
/* restore --journal recreates a run's dropped constraints from its mapping: a mapping
   that is gone, or changed since the run, is said (CUT_ESTATE, naming it), nothing run. */
static void test_restore_constraints_needs_the_runs_own_mapping(void **state)
{
    fx *f = *state;
    cut_journal *j = open_journal(f);
    cut_error err;
    cut_error_clear(&err);
    int fixed = -1;
    int64_t gone = begin_run(j, "sqlite:tgt.db", 1, 1, "vm", NULL); /* maps/gym.yaml */
    assert_int_equal(cut_runbook_restore_constraints(j, gone, &fixed, &err), CUT_ESTATE);
    assert_non_null(strstr(err.msg, "its mapping maps/gym.yaml cannot be read"));
    assert_int_equal(fixed, 0);

    char map[200];
    snprintf(map, sizeof(map), "%s/m.yaml", f->dir);
    write_file(map, "source: sqlite:src.db\ntarget: sqlite:tgt.db\ntables:\n  t: {}\n");
    cut_mapping *m = NULL;
    assert_int_equal(cut_mapping_load(map, &m, &err), CUT_OK);
    cut_jrun r;
    memset(&r, 0, sizeof(r));
    r.kind = "rehearsal";
    r.mapping = map;
    r.mapping_hash = (char *)cut_mapping_hash(m);
    r.source = "sqlite:src.db";
    r.target = "sqlite:tgt.db";
    r.started = 1000000.0;
    int64_t same = 0;
    assert_int_equal(cut_journal_run_begin(j, &r, &same, &err), CUT_OK);
    /* Unchanged, and no statements stored: nothing to do. */
    cut_error_clear(&err);
    assert_int_equal(cut_runbook_restore_constraints(j, same, &fixed, &err), CUT_OK);
    assert_int_equal(fixed, 0);
    /* Changed since: said, with both hashes. */
    write_file(map, "source: sqlite:src.db\ntarget: sqlite:tgt.db\ntables:\n  u: {}\n");
    assert_int_equal(cut_runbook_restore_constraints(j, same, &fixed, &err), CUT_ESTATE);
    assert_non_null(strstr(err.msg, "has changed since"));
    assert_non_null(strstr(err.msg, cut_mapping_hash(m)));
    cut_mapping_free(m);
    cut_journal_close(j);
}

static void test_rolled_back_restore_is_not_ok(void **state)
{
    fx *f = *state;
    cut_journal *j = open_journal(f);
    cut_error err;
    cut_error_clear(&err);
    int64_t id = begin_run(j, "postgresql://app@db/gym", 4242, 0, "vm", "/srv/run-1.cutsnap");
    add_step(j, id, "check", "ok", 1000000.0, 0.1, -1);
    add_step(j, id, "snapshot", "ok", 1000000.1, 1, 300);
    add_step(j, id, "migrate", "ok", 1000001.1, 1, 300);
    add_step(j, id, "verify", "failed", 1000002.1, 1, 300);
    const char *why = "table bookings: read back after loading, its digest differs from the "
                      "snapshot's (100 rows expected, 99 found): the restore was rolled back";
    assert_int_equal(
        cut_journal_step_add(j, id, "restore", 1000003.1, 1000003.5, "failed", 300, why, &err),
        CUT_OK);
    cut_snap_table t[2];
    cut_snap_info info;
    two_snap_tables(t, &info);
    assert_int_equal(cut_journal_put_snap(j, id, "snapshot", &info, &err), CUT_OK);
    /* The restore: members read back equal, bookings read back with another digest. */
    t[0].verified = 1;
    t[0].read_back = 1;
    t[1].read_back = 1;
    t[1].digest.rows = 99;
    t[1].digest.sum.lo = 0x9999;
    t[1].error = (char *)why;
    info.committed = 0;
    assert_int_equal(cut_journal_put_snap(j, id, "restore", &info, &err), CUT_OK);
    assert_int_equal(cut_journal_run_end(j, id, "no-go", "members: digest differs", 0, &err),
                     CUT_OK);
    cut_jrun *r = NULL;
    assert_int_equal(cut_journal_load(j, id, 1, &r, &err), CUT_OK);
    for (int i = 0; i < r->ntables; i++) {
        if (strcmp(r->tables[i].phase, "restore") != 0)
            continue;
        assert_non_null(r->tables[i].actual);
        assert_string_equal(r->tables[i].status,
                            strcmp(r->tables[i].table, "members") == 0 ? "rolled back" : "failed");
    }
    cut_jrun_free(r);
    char *json = render(j, id, CUT_REPORT_JSON);
    assert_null(strstr(json, "\"restore\": {\"status\": \"ok\""));
    assert_non_null(strstr(json, "\"restore\": {\"status\": \"rolled back\", \"rows\": 200"));
    assert_non_null(strstr(json, "\"restore\": {\"status\": \"failed\", \"rows\": 100, "
                                 "\"digest\": \""));
    assert_null(strstr(json, "\"restore\": {\"status\": \"failed\", \"rows\": 100, "
                             "\"digest\": null"));
    /* matches_snapshot stays a fact about the read-back: true for members only. */
    assert_true(on_line(json, "\"status\": \"rolled back\"", "\"matches_snapshot\": true"));
    assert_true(
        on_line(json, "\"status\": \"failed\", \"rows\": 100", "\"matches_snapshot\": false"));
    free(json);
    char *text = render(j, id, CUT_REPORT_TEXT);
    assert_non_null(strstr(text, "FAILED, nothing of it committed"));
    assert_null(strstr(text, "= snapshot"));
    assert_null(strstr(text, "not read back"));
    assert_true(on_line(text, "\n  members ",
                        "read back equal to the snapshot, but ROLLED BACK (not committed)"));
    assert_true(on_line(text, "\n  bookings ", "read back, DIFFERS from the snapshot"));
    free(text);
    char *html = render(j, id, CUT_REPORT_HTML);
    assert_null(strstr(html, "not read back"));
    assert_non_null(strstr(html, "rolled back (not committed)"));
    assert_non_null(strstr(html, "read back, differs"));
    free(html);
    cut_journal_close(j);
}

/* A signal that arrives while a step runs: the step callback raises the flag as the
   step starts, as a signal would while it works. */
typedef struct cancel_at {
    const char *step;
    volatile sig_atomic_t flag;
} cancel_at;

static void cancel_on_start(void *ud, const cut_step_event *ev)
{
    cancel_at *c = ud;
    if (strcmp(ev->step, c->step) == 0 && strcmp(ev->status, "running") == 0)
        c->flag = 1;
}

/* Runs the runbook with a signal during step; returns the run's journal record. */
static cut_jrun *run_cancelled_during(const fx *f, cut_journal *j, const char *step)
{
    cancel_at c = {step, 0};
    cut_runbook_opts o;
    cut_runbook_opts_init(&o);
    o.cancel = &c.flag;
    o.step = cancel_on_start;
    o.step_ud = &c;
    cut_error err;
    cut_error_clear(&err);
    int64_t run = 0;
    cut_run_outcome oc;
    assert_int_equal(runbook(f, j, &o, &run, &oc, &err), CUT_EINTR);
    assert_int_equal(oc, CUT_OUTCOME_INTERRUPTED);
    cut_jrun *r = NULL;
    assert_int_equal(cut_journal_load(j, run, 0, &r, &err), CUT_OK);
    assert_string_equal(r->outcome, "interrupted");
    assert_true(r->nsteps > 0);
    assert_string_equal(r->steps[r->nsteps - 1].name, step);
    assert_string_equal(r->steps[r->nsteps - 1].status, "interrupted");
    return r;
}

/* check waits on nothing it can cut short (a lock, a connection), but a signal during it
   must still mark check itself interrupted, not a later step, and block nothing. */
static void test_runbook_signal_during_check_marks_check_interrupted(void **state)
{
    fx *f = *state;
    make_databases(f);
    cut_journal *j = open_journal(f);
    cut_jrun *r = run_cancelled_during(f, j, "check");
    assert_int_equal(r->nsteps, 1);
    assert_non_null(r->cleared);
    cut_jrun_free(r);
    cut_journal_close(j);
}

static void test_runbook_signal_during_snapshot_leaves_no_snapshot(void **state)
{
    fx *f = *state;
    make_databases(f);
    cut_journal *j = open_journal(f);
    cut_jrun *r = run_cancelled_during(f, j, "snapshot");
    assert_non_null(r->cleared);
    cut_jrun_free(r);
    char snap[160];
    snprintf(snap, sizeof(snap), "%s/cutover-run-1.cutsnap", f->dir);
    assert_int_not_equal(access(snap, F_OK), 0);
    cut_journal_close(j);
}

static void test_runbook_signal_during_migrate_blocks_the_target(void **state)
{
    fx *f = *state;
    make_databases(f);
    cut_journal *j = open_journal(f);
    cut_jrun *r = run_cancelled_during(f, j, "migrate");
    assert_null(r->cleared);
    cut_jrun_free(r);
    /* Stopped at the first batch: nothing of a table committed. */
    assert_int_equal(query_int(f->tgt, "SELECT count(*) FROM persons"), 0);
    assert_int_equal(query_int(f->tgt, "SELECT count(*) FROM visits"), 0);
    /* The next run refuses to start until this one is resumed or restored. */
    cut_error err;
    cut_error_clear(&err);
    int64_t run = 0;
    cut_run_outcome oc;
    assert_int_equal(runbook(f, j, NULL, &run, &oc, &err), CUT_ESTATE);
    assert_non_null(strstr(err.msg, "interrupted during migrate"));
    cut_journal_close(j);
}

static void test_runbook_signal_during_verify_blocks_the_target(void **state)
{
    fx *f = *state;
    make_databases(f);
    cut_journal *j = open_journal(f);
    cut_jrun *r = run_cancelled_during(f, j, "verify");
    assert_null(r->cleared);
    cut_jrun_free(r);
    /* The migration itself finished. */
    assert_int_equal(query_int(f->tgt, "SELECT count(*) FROM persons"), 120);
    cut_journal_close(j);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_fx, teardown_fx)

int main(void)
{
    cut_log_set_level(CUT_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        T(test_journal_creates_current_schema),
        T(test_journal_default_path_is_beside_the_mapping),
        T(test_journal_migrates_from_version_1),
        T(test_journal_refuses_a_newer_schema),
        T(test_journal_refuses_other_files),
        T(test_journal_round_trip),
        T(test_journal_never_stores_a_password),
        T(test_journal_dead_pid_makes_run_interrupted),
        T(test_journal_live_run_blocks_and_reused_pid_does_not),
        T(test_journal_run_from_another_host_blocks),
        T(test_journal_run_killed_before_migrate_does_not_block),
        T(test_journal_restore_lifts_the_block),
        T(test_journal_restore_elsewhere_keeps_the_block),
        T(test_forecast_arithmetic),
        T(test_report_json_has_the_documented_fields),
        T(test_report_html_escapes_and_is_self_contained),
        T(test_report_runs_forecasts_from_rehearsals),
        T(test_failed_restore_proves_nothing_and_the_run_stopped_in_migrate),
        T(test_rolled_back_restore_is_not_ok),
        T(test_restore_constraints_needs_the_runs_own_mapping),
        T(test_runbook_go_then_nogo_rolls_back),
        T(test_runbook_failed_rollback_is_an_error),
        T(test_runbook_refuses_then_resumes_an_interrupted_run),
        T(test_runbook_cancelled_before_writing_does_not_block),
        T(test_runbook_signal_during_check_marks_check_interrupted),
        T(test_runbook_signal_during_snapshot_leaves_no_snapshot),
        T(test_runbook_signal_during_migrate_blocks_the_target),
        T(test_runbook_signal_during_verify_blocks_the_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
