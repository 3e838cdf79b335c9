/*
 * drv_sqlite.c — the SQLite driver, source and target.
 *
 * Types: SQLite stores values dynamically; the declared column type decides
 * the logical type (docs/drivers.md, "SQLite"): INT* → int, BOOL* → bool,
 * DECIMAL/NUMERIC(p,s) → numeric, REAL/FLOAT/DOUBLE → float, DATE, TIME,
 * DATETIME/TIMESTAMP, TIMESTAMPTZ, UUID, JSON, BLOB → bytes, anything else → text.
 * Reading renders each stored value as text (integers in decimal, reals in
 * shortest round-trip form, blobs as raw bytes) and cut_canon() does the rest.
 * Loading binds canonical values with the storage class the declared type
 * wants, inside one transaction per load; a row the engine refuses by a
 * constraint is rejected alone (the statement fails, the transaction goes on).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "driver.h"
#include "expr.h"
#include "types.h"
#include "util.h"

typedef struct sq_conn {
    struct cut_conn base;
    sqlite3 *db;
    int mode;
    int in_read; /* a read transaction is open */
    int in_tx;   /* the caller's write transaction is open (tx_begin) */
} sq_conn;

typedef struct sq_scan {
    struct cut_scan base;
    sq_conn *c;
    sqlite3_stmt *st;
    int ncols;
    uint64_t ordinal;
    int done;
} sq_scan;

typedef struct sq_load {
    struct cut_load base;
    sq_conn *c;
    int own_tx; /* this load began the transaction it commits */
    sqlite3_stmt *ins;
    int ncols;
    cut_kind *kinds; /* logical type of each loaded column */
    cut_type *types;
    char *numeric_affinity; /* per column: SQLite converts number-like text in it */
    char **names;           /* column names, for messages (point into the table) */
    cut_buf why;
    char *table;
    int raw_ok; /* a restore (whole): a value that is not its column's canonical form is one
                   the snapshot kept raw, and goes back as the text SQLite held */
} sq_load;

static int converts_numbers(const char *decl);

static int sq_error(sqlite3 *db, cut_error *err, int code, const char *what)
{
    return cut_error_set(err, code, "SQLite: %s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

static void quote_ident(cut_buf *b, const char *name)
{
    cut_buf_appendc(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            cut_buf_appendc(b, '"');
        cut_buf_appendc(b, *p);
    }
    cut_buf_appendc(b, '"');
}

/*
 * A writer killed in the middle of a transaction leaves a hot rollback journal, which only
 * a connection that may write can roll back: a read-only one fails with
 * SQLITE_READONLY_ROLLBACK. Rolling it back is SQLite's own crash recovery, what the next
 * writer would do anyway; after it the file is as the last commit left it.
 */
static int sq_recover(const char *path)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 30000);
        rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    }
    sqlite3_close(db);
    if (rc == SQLITE_OK)
        cut_log(CUT_LOG_INFO, "SQLite: rolled back the transaction an interrupted writer left in %s",
                path);
    return rc;
}

static int sq_connect(const cut_url *url, int mode, cut_conn **out, cut_error *err)
{
    struct stat stb;
    if (stat(url->path, &stb) != 0)
        return cut_error_set(err, CUT_ECONNECT, "SQLite: cannot open '%s': %s", url->path,
                             strerror(errno));
    if (!S_ISREG(stb.st_mode))
        return cut_error_set(err, CUT_ECONNECT, "SQLite: '%s' is not a file", url->path);
    sq_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    c->mode = mode;
    int flags = (mode == CUT_OPEN_WRITE ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) |
                SQLITE_OPEN_NOMUTEX;
    cut_sqlite_init();
    int rc = sqlite3_open_v2(url->path, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        rc = cut_error_set(err, CUT_ECONNECT, "SQLite: cannot open '%s': %s", url->path,
                           c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        sqlite3_close(c->db);
        free(c);
        return rc;
    }
    sqlite3_busy_timeout(c->db, 30000);
    sqlite3_extended_result_codes(c->db, 1);
    /* A file that is not a database fails here rather than at the first scan. */
    char *msg = NULL;
    rc = sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, &msg);
    if (rc == SQLITE_READONLY_ROLLBACK && sq_recover(url->path) == SQLITE_OK) {
        sqlite3_free(msg);
        msg = NULL;
        rc = sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, &msg);
    }
    if (rc == SQLITE_OK && mode == CUT_OPEN_WRITE)
        rc = sqlite3_exec(c->db, "PRAGMA foreign_keys=ON; PRAGMA cache_size=-32768", NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        rc = cut_error_set(err, CUT_ECONNECT, "SQLite: cannot use '%s': %s", url->path,
                           msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        sqlite3_close(c->db);
        free(c);
        return rc;
    }
    *out = &c->base;
    return CUT_OK;
}

static void sq_disconnect(cut_conn *base)
{
    sq_conn *c = (sq_conn *)base;
    if (c->in_read)
        sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(c->db);
    free(c);
}

/* Parses "(p)" or "(p,s)" after a type name; returns the count of numbers read. */
static int type_args(const char *decl, int *a, int *b)
{
    const char *p = strchr(decl, '(');
    if (!p)
        return 0;
    char *end;
    long x = strtol(p + 1, &end, 10);
    if (end == p + 1)
        return 0;
    *a = (int)x;
    while (*end == ' ')
        end++;
    if (*end != ',')
        return 1;
    long y = strtol(end + 1, &end, 10);
    *b = (int)y;
    return 2;
}

/* Declared type → logical type; see the file comment. */
static cut_type sq_logical_type(const char *decl)
{
    cut_type t;
    memset(&t, 0, sizeof(t));
    char up[128];
    size_t n = 0;
    for (const char *p = decl ? decl : ""; *p && n + 1 < sizeof(up); p++)
        up[n++] = (char)((*p >= 'a' && *p <= 'z') ? *p - 32 : *p);
    up[n] = '\0';
    int a = 0, b = 0;
    if (strstr(up, "BOOL")) {
        t.kind = CUT_T_BOOL;
    } else if (strstr(up, "INT")) {
        t.kind = CUT_T_INT;
        t.width = 64; /* SQLite stores every integer in 64 bits, whatever the name says */
    } else if (strstr(up, "DECIMAL") || strstr(up, "NUMERIC")) {
        t.kind = CUT_T_NUMERIC;
        t.scale = -1;
        int k = type_args(up, &a, &b);
        if (k >= 1) {
            t.precision = a;
            t.scale = k == 2 ? b : 0;
        }
    } else if (strstr(up, "REAL") || strstr(up, "FLOA") || strstr(up, "DOUB")) {
        t.kind = CUT_T_FLOAT;
        t.width = 64;
    } else if (strstr(up, "TIMESTAMPTZ") || strstr(up, "WITH TIME ZONE")) {
        t.kind = CUT_T_TIMESTAMPTZ;
        t.precision = 6;
    } else if (strstr(up, "DATETIME") || strstr(up, "TIMESTAMP")) {
        t.kind = CUT_T_TIMESTAMP;
        t.precision = 6;
    } else if (strstr(up, "DATE")) {
        t.kind = CUT_T_DATE;
    } else if (strstr(up, "TIME")) {
        t.kind = CUT_T_TIME;
        t.precision = 6;
    } else if (strstr(up, "UUID")) {
        t.kind = CUT_T_UUID;
    } else if (strstr(up, "JSON")) {
        t.kind = CUT_T_JSON;
    } else if (strstr(up, "BLOB") || strstr(up, "BINARY") || strstr(up, "BYTEA")) {
        t.kind = CUT_T_BYTES;
    } else {
        /* CHAR, CLOB, TEXT, no declared type, and names SQLite gives NUMERIC affinity
           to without meaning a number ("STRING"): text carries them all faithfully. */
        t.kind = CUT_T_TEXT;
    }
    return t;
}

static int sq_prepare(sq_conn *c, const char *sql, sqlite3_stmt **st, cut_error *err)
{
    if (sqlite3_prepare_v2(c->db, sql, -1, st, NULL) != SQLITE_OK)
        return sq_error(c->db, err, CUT_ESERVER, "prepare");
    return CUT_OK;
}

static int sq_describe(cut_conn *base, const char *name, cut_table **out, cut_error *err)
{
    sq_conn *c = (sq_conn *)base;
    *out = NULL;
    int rc = CUT_OK;
    sqlite3_stmt *st = NULL;
    cut_table *t = calloc(1, sizeof(*t));
    if (!t)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    t->name = cut_strdup(name);

    /* The table must exist as a table or view in the main schema. */
    /* wr: WITHOUT ROWID, where an INTEGER PRIMARY KEY is an ordinary column. */
    if ((rc = sq_prepare(c, "SELECT type = 'table' AND NOT wr FROM pragma_table_list "
                            "WHERE schema = 'main' AND type IN ('table','view') AND name = ?1",
                         &st, err)))
        goto done;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int has_rowid = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        has_rowid = sqlite3_column_int(st, 0);
    else {
        rc = cut_error_set(err, CUT_ENOTFOUND, "table %s not found in %s", name,
                           base->url ? base->url->redacted : "the database");
        cut_error_set_table(err, name);
        goto done;
    }
    sqlite3_finalize(st);
    st = NULL;

    if ((rc = sq_prepare(c, "SELECT name, type, \"notnull\", dflt_value, pk, hidden "
                            "FROM pragma_table_xinfo(?1) ORDER BY cid",
                         &st, err)))
        goto done;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int pkcols[64], npk = 0, rowid_alias = -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_int(st, 5) != 0)
            continue; /* hidden / generated columns are not data to migrate */
        const char *cname = (const char *)sqlite3_column_text(st, 0);
        const char *decl = (const char *)sqlite3_column_text(st, 1);
        int idx = cut_table_add_column(t, cname, decl ? decl : "", sq_logical_type(decl));
        if (idx < 0) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
        t->cols[idx].not_null = sqlite3_column_int(st, 2);
        t->cols[idx].has_default = sqlite3_column_type(st, 3) != SQLITE_NULL;
        int pk = sqlite3_column_int(st, 4);
        if (pk > 0 && pk <= 64) {
            pkcols[pk - 1] = idx;
            if (pk > npk)
                npk = pk;
            if (decl && strcasecmp(decl, "INTEGER") == 0)
                rowid_alias = idx;
        }
    }
    if (rc != SQLITE_DONE) {
        rc = sq_error(c->db, err, CUT_ESERVER, "describe");
        goto done;
    }
    rc = CUT_OK;
    if (npk) {
        t->pk = malloc(sizeof(int) * (size_t)npk);
        if (!t->pk) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
        memcpy(t->pk, pkcols, sizeof(int) * (size_t)npk);
        t->npk = npk;
        /* INTEGER PRIMARY KEY is the rowid: it has a default (the next rowid). */
        if (npk == 1 && rowid_alias >= 0 && has_rowid) {
            t->cols[rowid_alias].identity = 1;
            t->cols[rowid_alias].has_default = 1;
        }
    }
    sqlite3_finalize(st);
    st = NULL;

    /* Foreign keys: group the rows of pragma_foreign_key_list by id. */
    if ((rc = sq_prepare(c, "SELECT id, \"table\", \"from\", \"to\" FROM "
                            "pragma_foreign_key_list(?1) ORDER BY id, seq",
                         &st, err)))
        goto done;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int last_id = -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int id = sqlite3_column_int(st, 0);
        if (id != last_id) {
            cut_fk *fks = realloc(t->fks, sizeof(*fks) * (size_t)(t->nfk + 1));
            if (!fks) {
                rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
                goto done;
            }
            t->fks = fks;
            memset(&fks[t->nfk], 0, sizeof(cut_fk));
            fks[t->nfk].ref_table = cut_strdup((const char *)sqlite3_column_text(st, 1));
            fks[t->nfk].name = cut_asprintf("fk%d", id);
            t->nfk++;
            last_id = id;
        }
        cut_fk *fk = &t->fks[t->nfk - 1];
        int *cols = realloc(fk->cols, sizeof(int) * (size_t)(fk->ncols + 1));
        char **refs = realloc(fk->ref_cols, sizeof(char *) * (size_t)(fk->ncols + 1));
        if (cols)
            fk->cols = cols;
        if (refs)
            fk->ref_cols = refs;
        if (!cols || !refs) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
        fk->cols[fk->ncols] = cut_table_column(t, (const char *)sqlite3_column_text(st, 2));
        const char *to = (const char *)sqlite3_column_text(st, 3);
        fk->ref_cols[fk->ncols] = cut_strdup(to ? to : "");
        fk->ncols++;
    }
    rc = rc == SQLITE_DONE ? CUT_OK : sq_error(c->db, err, CUT_ESERVER, "foreign keys");
done:
    sqlite3_finalize(st);
    if (rc)
        cut_table_free(t);
    else
        *out = t;
    return rc;
}

static int sq_list_tables(cut_conn *base, char ***names, int *n, cut_error *err)
{
    sq_conn *c = (sq_conn *)base;
    sqlite3_stmt *st = NULL;
    *names = NULL;
    *n = 0;
    int rc = sq_prepare(c, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT "
                           "LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                        &st, err);
    if (rc)
        return rc;
    int cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **p = realloc(*names, sizeof(char *) * (size_t)cap);
            if (!p) {
                rc = SQLITE_NOMEM;
                break;
            }
            *names = p;
        }
        (*names)[(*n)++] = cut_strdup((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        for (int i = 0; i < *n; i++)
            free((*names)[i]);
        free(*names);
        *names = NULL;
        *n = 0;
        return sq_error(c->db, err, CUT_ESERVER, "list tables");
    }
    return CUT_OK;
}

static int sq_scalar_int64(sq_conn *c, const char *sql, int64_t *v, cut_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_prepare(c, sql, &st, err);
    if (rc)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *v = sqlite3_column_int64(st, 0);
        rc = CUT_OK;
    } else {
        rc = sq_error(c->db, err, CUT_ESERVER, "query");
    }
    sqlite3_finalize(st);
    return rc;
}

static int sq_count_rows(cut_conn *base, const cut_table *t, int64_t *rows, cut_error *err)
{
    cut_buf sql = {0};
    cut_buf_printf(&sql, "SELECT count(*) FROM ");
    quote_ident(&sql, t->name);
    int rc = sq_scalar_int64((sq_conn *)base, cut_buf_cstr(&sql), rows, err);
    cut_buf_free(&sql);
    return rc;
}

static int sq_estimate_rows(cut_conn *base, const cut_table *t, int64_t *rows, cut_error *err)
{
    /* The rowid span is instant on a rowid table (each bound alone is a b-tree edge) and
       close to the count for append-only legacy tables. A span over 2^24 may be sparse
       (one key of 2^62 made a 600-row table 4096 chunks), so it is counted; so are
       WITHOUT ROWID tables, views and empty tables. */
    cut_buf q = {0};
    cut_buf_printf(&q, "SELECT CASE WHEN hi - lo < 16777216 THEN hi - lo + 1 ELSE -1 END FROM "
                       "(SELECT (SELECT min(rowid) FROM ");
    quote_ident(&q, t->name);
    cut_buf_printf(&q, ") AS lo, (SELECT max(rowid) FROM ");
    quote_ident(&q, t->name);
    cut_buf_printf(&q, ") AS hi)");
    cut_error e2;
    cut_error_clear(&e2);
    *rows = -1;
    int rc = cut_buf_cstr(&q) ? sq_scalar_int64((sq_conn *)base, q.p, rows, &e2) : CUT_ENOMEM;
    cut_buf_free(&q);
    if (rc == CUT_ENOMEM)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    if (rc || *rows < 0)
        return sq_count_rows(base, t, rows, err);
    return CUT_OK;
}

static int sq_key_bounds(cut_conn *base, const cut_table *t, int col, int64_t *min, int64_t *max,
                         int *empty, cut_error *err)
{
    sq_conn *c = (sq_conn *)base;
    cut_buf sql = {0};
    cut_buf_printf(&sql, "SELECT min(");
    quote_ident(&sql, t->cols[col].name);
    cut_buf_printf(&sql, "), max(");
    quote_ident(&sql, t->cols[col].name);
    cut_buf_printf(&sql, ") FROM ");
    quote_ident(&sql, t->name);
    sqlite3_stmt *st = NULL;
    int rc = sq_prepare(c, cut_buf_cstr(&sql), &st, err);
    cut_buf_free(&sql);
    if (rc)
        return rc;
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = sq_error(c->db, err, CUT_ESERVER, "key bounds");
    } else if (sqlite3_column_type(st, 0) != SQLITE_INTEGER ||
               sqlite3_column_type(st, 1) != SQLITE_INTEGER) {
        /* No rows, or keys SQLite does not hold as integers: not chunkable. */
        *empty = 1;
    } else {
        *empty = 0;
        *min = sqlite3_column_int64(st, 0);
        *max = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return rc;
}

static int sq_begin_read(cut_conn *base, cut_error *err)
{
    sq_conn *c = (sq_conn *)base;
    if (c->in_read)
        return CUT_OK;
    /* A deferred transaction takes its read snapshot at the first SELECT and keeps it
       for every scan on this connection. */
    if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return sq_error(c->db, err, CUT_ESERVER, "begin");
    c->in_read = 1;
    return CUT_OK;
}

static void sq_end_read(cut_conn *base)
{
    sq_conn *c = (sq_conn *)base;
    if (!c->in_read)
        return;
    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    c->in_read = 0;
}

static int sq_scan_open(cut_conn *base, const cut_table *t, const cut_scan_opts *o, cut_scan **out,
                        cut_error *err)
{
    sq_conn *c = (sq_conn *)base;
    *out = NULL;
    cut_buf sql = {0};
    cut_buf_printf(&sql, "SELECT ");
    int n = o && o->cols ? o->ncols : t->ncols;
    for (int i = 0; i < n; i++) {
        int ci = o && o->cols ? o->cols[i] : i;
        if (i)
            cut_buf_append(&sql, ", ", 2);
        quote_ident(&sql, t->cols[ci].name);
    }
    cut_buf_printf(&sql, " FROM ");
    quote_ident(&sql, t->name);
    if (o && (o->has_lo || o->has_hi)) {
        cut_buf_printf(&sql, " WHERE ");
        if (o->has_lo) {
            quote_ident(&sql, t->cols[o->key_col].name);
            cut_buf_printf(&sql, " >= %" PRId64, o->lo);
        }
        if (o->has_hi) {
            cut_buf_printf(&sql, "%s", o->has_lo ? " AND " : "");
            quote_ident(&sql, t->cols[o->key_col].name);
            cut_buf_printf(&sql, " < %" PRId64, o->hi);
        }
    }
    if (o && o->order && o->norder) {
        cut_buf_printf(&sql, " ORDER BY ");
        for (int i = 0; i < o->norder; i++) {
            if (i)
                cut_buf_append(&sql, ", ", 2);
            quote_ident(&sql, t->cols[o->order[i]].name);
        }
    }
    sq_scan *s = calloc(1, sizeof(*s));
    if (!s) {
        cut_buf_free(&sql);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    s->c = c;
    s->ncols = n;
    int rc = sq_prepare(c, cut_buf_cstr(&sql), &s->st, err);
    cut_buf_free(&sql);
    if (rc) {
        cut_error_set_table(err, t->name);
        free(s);
        return rc;
    }
    *out = &s->base;
    return CUT_OK;
}

/* Decimal rendering of an int64 into buf (>= 21 bytes); returns the length. */
static int fmt_int64(int64_t v, char *buf)
{
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    int len = 0;
    if (v < 0)
        buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    return len;
}

static int sq_scan_next(cut_scan *base, cut_batch *b, cut_error *err)
{
    sq_scan *s = (sq_scan *)base;
    cut_batch_reset(b);
    if (s->done)
        return CUT_OK;
    while (b->nrows < b->cap) {
        int rc = sqlite3_step(s->st);
        if (rc == SQLITE_DONE) {
            s->done = 1;
            break;
        }
        if (rc != SQLITE_ROW)
            return sq_error(s->c->db, err, CUT_ESERVER, "read");
        int r = b->nrows;
        for (int i = 0; i < s->ncols; i++) {
            char num[48];
            int len;
            switch (sqlite3_column_type(s->st, i)) {
            case SQLITE_NULL:
                cut_batch_set_null(b, r, i);
                continue;
            case SQLITE_INTEGER:
                len = fmt_int64(sqlite3_column_int64(s->st, i), num);
                break;
            case SQLITE_FLOAT:
                len = cut_format_double(sqlite3_column_double(s->st, i), 64, num);
                break;
            case SQLITE_BLOB: {
                const void *p = sqlite3_column_blob(s->st, i);
                int n = sqlite3_column_bytes(s->st, i);
                if (cut_batch_set_copy(b, r, i, p ? p : "", (size_t)n))
                    return cut_error_set(err, CUT_ENOMEM, "out of memory");
                continue;
            }
            default: {
                const unsigned char *p = sqlite3_column_text(s->st, i);
                int n = sqlite3_column_bytes(s->st, i);
                if (cut_batch_set_copy(b, r, i, p ? (const char *)p : "", (size_t)n))
                    return cut_error_set(err, CUT_ENOMEM, "out of memory");
                continue;
            }
            }
            if (cut_batch_set_copy(b, r, i, num, (size_t)len))
                return cut_error_set(err, CUT_ENOMEM, "out of memory");
        }
        b->pos[r] = ++s->ordinal;
        b->nrows++;
    }
    return CUT_OK;
}

static void sq_scan_close(cut_scan *base)
{
    sq_scan *s = (sq_scan *)base;
    if (!s)
        return;
    sqlite3_finalize(s->st);
    free(s);
}

static int sq_truncate(cut_conn *base, cut_table *const *tables, int n, cut_error *err)
{
    sq_conn *c = (sq_conn *)base;
    cut_buf sql = {0};
    int rc = CUT_OK;
    if (!c->in_tx && sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return sq_error(c->db, err, CUT_ESERVER, "begin");
    for (int i = 0; i < n && rc == CUT_OK; i++) {
        cut_buf_reset(&sql);
        cut_buf_printf(&sql, "DELETE FROM ");
        quote_ident(&sql, tables[i]->name);
        if (sqlite3_exec(c->db, cut_buf_cstr(&sql), NULL, NULL, NULL) != SQLITE_OK) {
            rc = sq_error(c->db, err, CUT_ESERVER, "truncate");
            cut_error_set_table(err, tables[i]->name);
        }
    }
    if (rc == CUT_OK && !c->in_tx && sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = sq_error(c->db, err, CUT_ESERVER, "truncate");
    if (rc) {
        /* Only a constraint can be a table outside the mapping that references these; a
           full disk or a lock is not, and the guess would send the reader astray. */
        if ((sqlite3_extended_errcode(c->db) & 0xFF) == SQLITE_CONSTRAINT)
            cut_error_prefix(err, "cannot empty the target tables (a table outside the mapping "
                                  "may still reference them)");
        else
            cut_error_prefix(err, "cannot empty the target tables");
        if (!c->in_tx)
            sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    }
    cut_buf_free(&sql);
    return rc;
}

static int sq_load_open(cut_conn *base, const cut_table *t, const cut_load_opts *o, cut_load **out,
                        cut_error *err)
{
    sq_conn *c = (sq_conn *)base;
    *out = NULL;
    int rc = CUT_OK;
    cut_buf sql = {0};
    sq_load *l = calloc(1, sizeof(*l));
    if (!l)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    l->c = c;
    l->ncols = o->ncols;
    l->table = cut_strdup(t->name);
    size_t nc = (size_t)(o->ncols ? o->ncols : 1);
    l->kinds = calloc(nc, sizeof(cut_kind));
    l->types = calloc(nc, sizeof(cut_type));
    l->numeric_affinity = calloc(nc, 1);
    l->names = calloc(nc, sizeof(char *));
    if (!l->kinds || !l->types || !l->numeric_affinity || !l->names || !l->table) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto fail;
    }
    l->own_tx = !c->in_tx && !o->in_tx;
    l->raw_ok = o->whole;
    if (l->own_tx && sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        rc = sq_error(c->db, err, CUT_ESERVER, "begin");
        goto fail;
    }
    if (o->ranged) {
        /* A chunk replaces its key range: loading it again never duplicates rows. */
        cut_buf q = {0}, qt = {0};
        quote_ident(&q, t->cols[o->range_col].name);
        quote_ident(&qt, t->name);
        cut_range_delete_sql(&sql, cut_buf_cstr(&qt), cut_buf_cstr(&q), o);
        cut_buf_free(&q);
        cut_buf_free(&qt);
        if (sqlite3_exec(c->db, cut_buf_cstr(&sql), NULL, NULL, NULL) != SQLITE_OK) {
            rc = sq_error(c->db, err, CUT_ESERVER, "delete chunk range");
            goto rollback;
        }
    } else if (!o->allow_nonempty) {
        cut_buf_reset(&sql);
        cut_buf_printf(&sql, "SELECT count(*) FROM ");
        quote_ident(&sql, t->name);
        int64_t n = 0;
        if ((rc = sq_scalar_int64(c, cut_buf_cstr(&sql), &n, err)))
            goto rollback;
        if (n > 0) {
            rc = cut_error_set(err, CUT_ESTATE,
                               "target table %s is not empty (%" PRId64
                               " rows); use --truncate to replace its rows",
                               t->name, n);
            goto rollback;
        }
    }
    cut_buf_reset(&sql);
    cut_buf_printf(&sql, "INSERT INTO ");
    quote_ident(&sql, t->name);
    cut_buf_printf(&sql, " (");
    for (int i = 0; i < o->ncols; i++) {
        if (i)
            cut_buf_append(&sql, ", ", 2);
        quote_ident(&sql, t->cols[o->cols[i]].name);
        const cut_column *col = &t->cols[o->cols[i]];
        l->kinds[i] = col->type.kind;
        l->types[i] = col->type;
        l->names[i] = col->name;
        l->numeric_affinity[i] = converts_numbers(col->native);
    }
    cut_buf_printf(&sql, ") VALUES (");
    for (int i = 0; i < o->ncols; i++)
        cut_buf_printf(&sql, "%s?%d", i ? ", " : "", i + 1);
    cut_buf_printf(&sql, ")");
    if ((rc = sq_prepare(c, cut_buf_cstr(&sql), &l->ins, err)))
        goto rollback;
    cut_buf_free(&sql);
    *out = &l->base;
    return CUT_OK;
rollback:
    if (l->own_tx)
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
fail:
    cut_error_set_table(err, t->name);
    cut_buf_free(&sql);
    free(l->kinds);
    free(l->types);
    free(l->numeric_affinity);
    free(l->names);
    free(l->table);
    free(l);
    return rc;
}

/* SQLite's column affinity rules (datatype3.html §3.1): INTEGER, REAL and NUMERIC
   affinity turn number-like text into numbers; TEXT and BLOB affinity keep it. */
static int converts_numbers(const char *decl)
{
    char up[128];
    size_t n = 0;
    for (const char *p = decl ? decl : ""; *p && n + 1 < sizeof(up); p++)
        up[n++] = (char)((*p >= 'a' && *p <= 'z') ? *p - 32 : *p);
    up[n] = '\0';
    if (strstr(up, "INT"))
        return 1;
    if (strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT"))
        return 0;
    if (n == 0 || strstr(up, "BLOB"))
        return 0;
    return 1;
}

/* Is p/n a number literal SQLite's affinity would convert (spaces allowed around)? */
static int looks_numeric(const char *p, size_t n, int *is_int)
{
    size_t i = 0;
    while (i < n && p[i] == ' ')
        i++;
    if (i < n && (p[i] == '+' || p[i] == '-'))
        i++;
    size_t digits = 0;
    *is_int = 1;
    while (i < n && p[i] >= '0' && p[i] <= '9')
        i++, digits++;
    if (i < n && p[i] == '.') {
        *is_int = 0;
        i++;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++, digits++;
    }
    if (!digits)
        return 0;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        *is_int = 0;
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        size_t ed = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++, ed++;
        if (!ed)
            return 0;
    }
    while (i < n && p[i] == ' ')
        i++;
    return i == n;
}

/*
 * A value bound as TEXT into a column with numeric affinity is stored as a number when
 * it looks like one, and reads back as that number's text. Returns NULL when the value
 * reads back as the same canonical value, else why it would not.
 */
static const char *affinity_changes(sq_load *l, int i, const cut_cell *v)
{
    int is_int;
    char tmp[64], back[48];
    if (v->len >= sizeof(tmp) - 1 || !looks_numeric(v->p, v->len, &is_int))
        return NULL;
    memcpy(tmp, v->p, v->len);
    tmp[v->len] = '\0';
    int64_t iv;
    int blen;
    errno = 0;
    char *end;
    long long ll = is_int ? strtoll(tmp, &end, 10) : 0;
    if (is_int && errno == 0) {
        blen = fmt_int64(ll, back);
    } else {
        double d = strtod(tmp, NULL);
        if (fabs(d) < 9.2e18 && d == floor(d)) {
            iv = (int64_t)d;
            blen = fmt_int64(iv, back);
        } else {
            blen = cut_format_double(d, 64, back);
        }
    }
    /* Compare canonical forms: 12.5 read back into numeric(8,2) is 12.50 again. */
    const char *reason = NULL;
    int rc = cut_canon(&l->types[i], back, (size_t)blen, NULL, &l->why, &reason);
    const char *bp = rc == CUT_CANON_NEW ? l->why.p : back;
    size_t bl = rc == CUT_CANON_NEW ? l->why.len : (size_t)blen;
    if ((rc == CUT_CANON_SAME || rc == CUT_CANON_NEW) && bl == v->len &&
        memcmp(bp, v->p, bl) == 0)
        return NULL;
    cut_buf_reset(&l->why);
    cut_buf_printf(&l->why,
                   "SQLite would store '%s' as the number %.*s in column %s (numeric affinity), "
                   "which reads back differently",
                   tmp, blen, back, l->names[i]);
    return cut_buf_cstr(&l->why);
}

/* Binds one canonical value; returns NULL or a reason the engine cannot take it. */
static const char *bind_value(sqlite3_stmt *st, int i, cut_kind kind, const cut_cell *v)
{
    if (cut_cell_is_null(v)) {
        sqlite3_bind_null(st, i);
        return NULL;
    }
    switch (kind) {
    case CUT_T_INT: {
        char tmp[32];
        size_t k = v->len && v->p[0] == '-';
        while (k < v->len && v->p[k] >= '0' && v->p[k] <= '9')
            k++;
        if (v->len == 0 || k < v->len || (v->len == 1 && v->p[0] == '-'))
            return "not an integer";
        if (v->len >= sizeof(tmp))
            return "integer out of SQLite's 64-bit range";
        memcpy(tmp, v->p, v->len);
        tmp[v->len] = '\0';
        errno = 0;
        long long x = strtoll(tmp, NULL, 10);
        if (errno)
            return "integer out of SQLite's 64-bit range";
        sqlite3_bind_int64(st, i, x);
        return NULL;
    }
    case CUT_T_BOOL:
        if (v->len != 1 || (v->p[0] != 't' && v->p[0] != 'f'))
            return "not a boolean";
        sqlite3_bind_int(st, i, v->p[0] == 't');
        return NULL;
    case CUT_T_FLOAT: {
        char tmp[64];
        if (v->len >= sizeof(tmp))
            return "malformed float";
        memcpy(tmp, v->p, v->len);
        tmp[v->len] = '\0';
        if (strcmp(tmp, "NaN") == 0)
            return "NaN cannot be stored in SQLite (it would become NULL)";
        double d;
        if (strcmp(tmp, "Infinity") == 0 || strcmp(tmp, "-Infinity") == 0) {
            d = tmp[0] == '-' ? -HUGE_VAL : HUGE_VAL;
        } else {
            char *end;
            d = strtod(tmp, &end);
            if (end == tmp || *end)
                return "not a number";
        }
        sqlite3_bind_double(st, i, d);
        return NULL;
    }
    case CUT_T_BYTES:
        sqlite3_bind_blob(st, i, v->len ? v->p : "", (int)v->len, SQLITE_STATIC);
        return NULL;
    default:
        sqlite3_bind_text(st, i, v->len ? v->p : "", (int)v->len, SQLITE_STATIC);
        return NULL;
    }
}

static int sq_load_rows(cut_load *base, const cut_batch *b, cut_reject_fn rej, void *ud,
                        cut_error *err)
{
    sq_load *l = (sq_load *)base;
    char reason[512];
    for (int r = 0; r < b->nrows; r++) {
        const cut_cell *row = cut_batch_crow(b, r);
        const char *bad = NULL;
        for (int i = 0; i < l->ncols && !bad; i++) {
            const cut_cell *v = &row[i];
            const char *why = bind_value(l->ins, i + 1, l->kinds[i], v);
            int named = 0; /* the reason names the column */
            if (!why && l->numeric_affinity[i] && !cut_cell_is_null(v) &&
                l->kinds[i] != CUT_T_INT && l->kinds[i] != CUT_T_FLOAT &&
                l->kinds[i] != CUT_T_BOOL && l->kinds[i] != CUT_T_BYTES)
                named = (why = affinity_changes(l, i, v)) != NULL;
            size_t off;
            if (l->raw_ok && !why && l->kinds[i] == CUT_T_TEXT && !cut_cell_is_null(v) &&
                !cut_utf8_valid(v->p, v->len, NULL, &off)) {
                /* Bytes that are not text (a BLOB in a text column) go back as a BLOB. */
                sqlite3_bind_blob(l->ins, i + 1, v->len ? v->p : "", (int)v->len, SQLITE_STATIC);
            } else if (why && l->raw_ok) {
                /* Bound as the text it was read as: SQLite's affinity stores it as the
                   legacy application's insert did ('abc' in an integer column). */
                sqlite3_bind_text(l->ins, i + 1, v->len ? v->p : "", (int)v->len,
                                  SQLITE_STATIC);
            } else if (why && !named) {
                /* The reject record of a load has no column: the reason names it. */
                snprintf(reason, sizeof(reason), "column %s: %s", l->names[i], why);
                bad = reason;
            } else {
                bad = why;
            }
        }
        if (bad) {
            sqlite3_reset(l->ins);
            rej(ud, r, bad);
            continue;
        }
        int rc = sqlite3_step(l->ins);
        if (rc == SQLITE_DONE) {
            sqlite3_reset(l->ins);
            continue;
        }
        sqlite3_reset(l->ins);
        if ((rc & 0xFF) == SQLITE_CONSTRAINT || (rc & 0xFF) == SQLITE_MISMATCH ||
            (rc & 0xFF) == SQLITE_TOOBIG) {
            snprintf(reason, sizeof(reason), "SQLite refused the row: %s",
                     sqlite3_errmsg(l->c->db));
            rej(ud, r, reason);
            continue;
        }
        cut_error_set_table(err, l->table);
        return sq_error(l->c->db, err, CUT_ESERVER, "insert");
    }
    return CUT_OK;
}

static void sq_load_free(sq_load *l)
{
    sqlite3_finalize(l->ins);
    free(l->types);
    free(l->numeric_affinity);
    free(l->names);
    cut_buf_free(&l->why);
    free(l->kinds);
    free(l->table);
    free(l);
}

static int sq_load_commit(cut_load *base, cut_error *err)
{
    sq_load *l = (sq_load *)base;
    sqlite3_finalize(l->ins);
    l->ins = NULL;
    int rc = CUT_OK;
    /* INTEGER PRIMARY KEY takes max(rowid)+1 by itself: there is no counter to move. */
    if (l->own_tx && sqlite3_exec(l->c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        /* A deferred foreign key violated at commit fails the whole load. */
        rc = sq_error(l->c->db, err, CUT_ESERVER, "commit");
        cut_error_set_table(err, l->table);
        sqlite3_exec(l->c->db, "ROLLBACK", NULL, NULL, NULL);
    }
    sq_load_free(l);
    return rc;
}

static void sq_load_abort(cut_load *base)
{
    sq_load *l = (sq_load *)base;
    if (!l)
        return;
    sqlite3_finalize(l->ins);
    l->ins = NULL;
    if (l->own_tx)
        sqlite3_exec(l->c->db, "ROLLBACK", NULL, NULL, NULL);
    sq_load_free(l);
}

static int sq_tx_begin(cut_conn *base, cut_error *err)
{
    sq_conn *c = (sq_conn *)base;
    if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return sq_error(c->db, err, CUT_ESERVER, "begin");
    c->in_tx = 1;
    return CUT_OK;
}

static int sq_tx_commit(cut_conn *base, cut_error *err)
{
    sq_conn *c = (sq_conn *)base;
    c->in_tx = 0;
    if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        int rc = sq_error(c->db, err, CUT_ESERVER, "commit");
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return CUT_OK;
}

static void sq_tx_rollback(cut_conn *base)
{
    sq_conn *c = (sq_conn *)base;
    c->in_tx = 0;
    sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

static int sq_ddl(cut_conn *base, const cut_table *t, cut_buf *out, cut_error *err)
{
    /* SQLite keeps each table's CREATE statement verbatim. */
    sq_conn *c = (sq_conn *)base;
    sqlite3_stmt *st = NULL;
    int rc = sq_prepare(c, "SELECT sql FROM sqlite_schema WHERE name = ?1 AND type IN "
                           "('table','view')",
                        &st, err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
        cut_buf_printf(out, "%s;", (const char *)sqlite3_column_text(st, 0));
    } else {
        rc = cut_error_set(err, CUT_ENOTFOUND, "table %s not found", t->name);
    }
    sqlite3_finalize(st);
    return rc;
}

static int sq_exec(cut_conn *base, const char *sql, cut_error *err)
{
    sq_conn *c = (sq_conn *)base;
    char *msg = NULL;
    if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = cut_error_set(err, CUT_ESERVER, "SQLite: %s", msg ? msg : sqlite3_errmsg(c->db));
        sqlite3_free(msg);
        return rc;
    }
    return CUT_OK;
}

const cut_driver cut_driver_sqlite = {
    .version = 1,
    .scheme = "sqlite",
    .name = "SQLite",
    .caps = CUT_DRV_SOURCE | CUT_DRV_TARGET | CUT_DRV_SINGLE_WRITER,
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .describe = sq_describe,
    .list_tables = sq_list_tables,
    .estimate_rows = sq_estimate_rows,
    .count_rows = sq_count_rows,
    .key_bounds = sq_key_bounds,
    .begin_read = sq_begin_read,
    .end_read = sq_end_read,
    .scan_open = sq_scan_open,
    .scan_next = sq_scan_next,
    .scan_close = sq_scan_close,
    .truncate = sq_truncate,
    .tx_begin = sq_tx_begin,
    .tx_commit = sq_tx_commit,
    .tx_rollback = sq_tx_rollback,
    .ddl = sq_ddl,
    .load_open = sq_load_open,
    .load_rows = sq_load_rows,
    .load_commit = sq_load_commit,
    .load_abort = sq_load_abort,
    .exec = sq_exec,
};
