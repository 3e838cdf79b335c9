/*
 * drv_pg.c — the PostgreSQL driver (libpq), source and target.
 *
 * Connecting: the URL goes to libpq as it was written, its user name and password
 * percent-encoded again (every libpq parameter, ~/.pgpass, PGPASSWORD and sslmode work); the
 * session is then set up so that COPY's text output is what cut_canon() reads: UTF8, ISO dates,
 * UTC, shortest round-trip floats, hex bytea.
 *
 * Describing reads pg_catalog only, by OID once the name is resolved (a
 * "schema.table" name, or the first match on search_path). Built-in types map
 * onto the logical types (docs/drivers.md, "PostgreSQL"); every other type is
 * marked unsupported with its SQL name, so `check` refuses it by column.
 *
 * Reading: COPY (SELECT …) TO STDOUT in text format inside a REPEATABLE READ
 * READ ONLY transaction whose snapshot is exported; rows are unescaped in
 * place in the batch arena (pg_copy.c) and bytea hex becomes raw bytes.
 *
 * Loading: one COPY … FROM STDIN per batch, its data built in one reusable
 * buffer, inside a savepoint: in COPY's binary format when every column's type
 * has one (pg_copy.c; a batch with a value that is not canonical goes as text),
 * else in text. When the server refuses a batch for its data
 * (SQLSTATE classes 22, 23, 54), the batch is rolled back to the savepoint and
 * loaded again around the refused rows: COPY names the failing line, else the
 * range is bisected, so a few bad rows cost a few extra COPYs, not one per
 * row. Any other failure (connection lost, server shutting down, deadlock) is
 * an error for the whole load. Identity and serial sequences are moved past
 * the loaded keys before the commit.
 *
 * Foreign keys: the server checks each one with a query per inserted row,
 * most of the cost of loading a big child table. A whole table loaded in a
 * transaction of its own drops its single-column foreign keys inside that
 * transaction, checks each batch's values with one anti-join per key (the
 * rows whose parent is missing are rejected in the trigger's words), and adds
 * the constraints back, validated, before committing: no committed state ever
 * lacks them. `cutover.defer_foreign_keys = off` keeps the triggers.
 */
#include <inttypes.h>
#include <limits.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "driver.h"
#include "pg_copy.h"
#include "types.h"
#include "util.h"

/* ------------------------------------------------------------ structures */

typedef struct pg_conn {
    struct cut_conn base;
    PGconn *pg;
    int mode;
    int version;    /* server_version_num */
    int latin1;     /* the database encoding is LATIN1 */
    int in_read;    /* begin_read's transaction is open */
    int in_tx;      /* the caller's write transaction is open (tx_begin) */
    char *snapshot; /* pg_export_snapshot() of the read transaction */
    char **fresh;   /* tables (quoted) TRUNCATEd in the transaction begun by tx_begin:
                       COPY FREEZE may load them */
    int nfresh;
    unsigned stmts; /* prepared statements made so far, for unique names */
    char where[256]; /* redacted URL, for messages */
} pg_conn;

typedef struct pg_scan {
    struct cut_scan base;
    pg_conn *c;
    int ncols;
    unsigned char *bytea; /* per scanned column: decode hex to raw bytes */
    uint64_t ordinal;
    int done; /* the COPY ended (or failed) and its result was read */
    char *table;
} pg_scan;

enum { SP_NONE = 0, SP_FRESH = 1, SP_USED = 2 }; /* the load's savepoint */
enum { FK_UNDECIDED = 0, FK_KEPT = 1, FK_DEFERRED = 2 };

/* A single-column foreign key the load may check itself (see the file comment). */
typedef struct pg_fk {
    char *name;   /* constraint name */
    char *def;    /* pg_get_constraintdef(), to add it back */
    char *check;  /* batch values → ordinals of those the referenced table lacks */
    char stmt[32]; /* check, prepared once per load (planning it per batch costs more
                      than running it); "" when not prepared */
    char *column; /* referencing column */
    char *parent; /* referenced table and column, for messages */
    char *parent_col;
    int col;      /* the column's index among the loaded ones */
} pg_fk;

typedef struct pg_load {
    struct cut_load base;
    pg_conn *c;
    int own_tx;
    int ncols;
    unsigned char *bytea; /* per loaded column: send as bytea hex */
    int *bin;             /* per loaded column: its binary form (CUT_PGB_*), or NULL
                             when one has none and the table loads as text */
    char *table;          /* name for messages */
    char *qname;          /* quoted, schema-qualified */
    char *copy_sql;
    char *copy_sql_bin;   /* the same COPY in binary format */
    int batch_bin;        /* the current batch is encoded in binary */
    int whole;            /* cut_load_opts.whole: batches stream through one COPY */
    int sequences_later;  /* cut_load_opts.sequences_later: the commit leaves them */
    int streaming;        /* that COPY is open */
    int stream_bin;       /* ... in binary */
    int64_t stream_base;  /* rows sent by the COPYs before it */
    int64_t stream_rows;  /* rows sent through it */
    int sp;
    cut_buf text;   /* the COPY data of the current batch (text or binary rows) */
    size_t *rowoff; /* rowoff[r] = offset of row r in text; rowoff[n] = end */
    unsigned char *out; /* per row of the batch: refused, not to be sent again */
    int *ord;       /* scratch: array ordinal → batch row */
    int rowcap;
    cut_buf reason;
    cut_buf arr;    /* scratch: a text[] literal */
    int fk_state;
    int nfk;    /* single-column foreign keys of the table, their checks known */
    int ndefer; /* the first ndefer of them may be deferred (see find_fks) */
    pg_fk *fks;
    int fk_violation;       /* the last refused COPY failed a foreign key (SQLSTATE 23503) */
    int no_locate;          /* the keys' checks could not be prepared or run: bisect (fk_locate) */
    const cut_batch *batch; /* during load_rows */
    cut_reject_fn rej;
    void *ud;
} pg_load;

/* ----------------------------------------------------------------- helpers */

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

static void quote_table(cut_buf *b, const cut_table *t)
{
    if (t->schema && *t->schema) {
        quote_ident(b, t->schema);
        cut_buf_appendc(b, '.');
    }
    quote_ident(b, t->name);
}

/* A message from libpq without its trailing newline, continuation lines joined. */
static void tidy(char *msg)
{
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    char *w = msg;
    for (char *r = msg; *r; r++) {
        if (*r == '\n') {
            *w++ = ' ';
            while (r[1] == '\t' || r[1] == ' ')
                r++;
            continue;
        }
        *w++ = *r;
    }
    *w = '\0';
}

static int conn_lost(const pg_conn *c)
{
    return PQstatus(c->pg) == CONNECTION_BAD;
}

/*
 * Fills err from a failed result (or the connection when res is NULL):
 * "PostgreSQL: WHAT: primary (detail)". A dead connection is CUT_ECONNECT.
 */
static int pg_error(pg_conn *c, const PGresult *res, cut_error *err, const char *what,
                    const char *table)
{
    char msg[900];
    const char *prim = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *det = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    if (prim)
        snprintf(msg, sizeof(msg), "%s%s%s%s", prim, det ? " (" : "", det ? det : "",
                 det ? ")" : "");
    else
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c->pg));
    tidy(msg);
    if (!msg[0])
        snprintf(msg, sizeof(msg), "unknown error");
    /* A deadlock, a serialization failure or a lock timeout undid the transaction's
       work, not the rows': the same work may succeed when run again. */
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    int code = state && (strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0 ||
                         strcmp(state, "55P03") == 0)
                   ? CUT_ERETRY
                   : CUT_ESERVER;
    if (conn_lost(c)) {
        code = CUT_ECONNECT;
        cut_error_set(err, code, "PostgreSQL: connection lost while %s%s%s: %s", what,
                      table ? " table " : "", table ? table : "", msg);
    } else {
        cut_error_set(err, code, "PostgreSQL: %s%s%s: %s", what, table ? " table " : "",
                      table ? table : "", msg);
    }
    if (table)
        cut_error_set_table(err, table);
    return code;
}

/* Runs a command without parameters; 0 or an error (the result is cleared). */
static int pg_cmd(pg_conn *c, const char *sql, cut_error *err, const char *what, const char *table)
{
    PGresult *res = PQexec(c->pg, sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = CUT_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
        rc = pg_error(c, res, err, what, table);
    PQclear(res);
    return rc;
}

/* COMMIT, noticing a transaction the server rolled back instead. */
static int pg_commit(pg_conn *c, cut_error *err, const char *table)
{
    PGresult *res = PQexec(c->pg, "COMMIT");
    int rc = CUT_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = pg_error(c, res, err, "committing", table);
    else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
        rc = cut_error_set(err, CUT_ESERVER,
                           "PostgreSQL: the transaction%s%s was rolled back instead of committed "
                           "(an earlier statement failed)",
                           table ? " loading " : "", table ? table : "");
    if (rc && table)
        cut_error_set_table(err, table);
    PQclear(res);
    return rc;
}

/* Runs a catalog query with text parameters; returns the result or NULL with err set. */
static PGresult *pg_query(pg_conn *c, const char *sql, int n, const char *const *params,
                          cut_error *err, const char *what, const char *table)
{
    PGresult *res = PQexecParams(c->pg, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        pg_error(c, res, err, what, table);
        PQclear(res);
        return NULL;
    }
    return res;
}

static void notice_to_log(void *arg, const char *message)
{
    CUT_UNUSED(arg);
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", message);
    tidy(buf);
    cut_log(CUT_LOG_DEBUG, "PostgreSQL: %s", buf);
}

/* -------------------------------------------------------------- connect */

/* Hides in a connection message what libpq might quote of the URL's secrets: the URL as
   given and as handed to libpq, the password, and password= parameters' values. */
static void scrub_secrets(char *msg, size_t size, const cut_url *url, const char *text)
{
    cut_scrub(msg, size, url->raw);
    cut_scrub(msg, size, text);
    cut_scrub(msg, size, url->password);
    for (int i = 0; i < url->nparams; i++) {
        size_t n = strlen(url->keys[i]);
        if (n >= 8 && strcasecmp(url->keys[i] + n - 8, "password") == 0)
            cut_scrub(msg, size, url->values[i]);
    }
}

static int pg_connect(const cut_url *url, int mode, cut_conn **out, cut_error *err)
{
    *out = NULL;
    pg_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    c->mode = mode;
    snprintf(c->where, sizeof(c->where), "%s", url->redacted ? url->redacted : "PostgreSQL");
    /* The URL is expanded by libpq itself; the keywords after it override it. libpq ends
       the user information at the first '@', cut_url_parse at the last: it gets the user
       name and password percent-encoded, or a password holding an '@' would be split and
       its tail quoted as the host name ("could not translate host name "Pw9x@db""). */
    char *text = cut_url_text_encoded(url);
    if (!text) {
        free(c);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    const char *keys[] = {"dbname", "fallback_application_name", "client_encoding", NULL};
    const char *vals[] = {text, "cutover", "UTF8", NULL};
    c->pg = PQconnectdbParams(keys, vals, 1);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        char msg[900];
        snprintf(msg, sizeof(msg), "%s", c->pg ? PQerrorMessage(c->pg) : "out of memory");
        tidy(msg);
        scrub_secrets(msg, sizeof(msg), url, text);
        int rc = cut_error_set(err, CUT_ECONNECT, "PostgreSQL: cannot connect to %s: %s",
                               c->where, msg);
        PQfinish(c->pg);
        free(text);
        free(c);
        return rc;
    }
    free(text);
    PQsetNoticeProcessor(c->pg, notice_to_log, NULL);
    c->version = PQserverVersion(c->pg);
    const char *enc = PQparameterStatus(c->pg, "server_encoding");
    c->latin1 = enc && strcmp(enc, "LATIN1") == 0;
    char setup[512];
    /* extra_float_digits > 0 means shortest round-trip output from PostgreSQL 12 on; older
       servers need 3 for exact (if longer) digits, which cut_canon shortens. A writer's
       commits are synchronous whatever the server's default: a chunk journaled as
       committed must survive a crash of the server (and the rows of a commit that is not
       flushed yet get no hint bits, so a VACUUM right after the load could not mark their
       pages all-visible). */
    snprintf(setup, sizeof(setup),
             "SET DateStyle = ISO; SET TimeZone = 'UTC'; SET IntervalStyle = iso_8601; "
             "SET extra_float_digits = %d; SET bytea_output = hex; SET statement_timeout = 0; "
             "SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0%s",
             c->version >= 120000 ? 1 : 3,
             mode == CUT_OPEN_WRITE ? "; SET synchronous_commit = on"
                                    : "; SET default_transaction_read_only = on");
    int rc = pg_cmd(c, setup, err, "setting up the session", NULL);
    if (rc) {
        cut_error_prefix(err, "%s", c->where);
        PQfinish(c->pg);
        free(c);
        return rc;
    }
    *out = &c->base;
    return CUT_OK;
}

/* Forgets the tables truncated in the transaction that ends. */
static void fresh_clear(pg_conn *c)
{
    cut_strv_free(c->fresh, c->nfresh);
    c->fresh = NULL;
    c->nfresh = 0;
}

/* Whether the table qname was truncated in the open transaction begun by tx_begin (its
   rows can go in frozen, and with them the visibility map: PostgreSQL 14 and later). */
static int fresh_in_tx(const pg_conn *c, const char *qname)
{
    for (int i = 0; c->in_tx && c->version >= 140000 && i < c->nfresh; i++)
        if (strcmp(c->fresh[i], qname) == 0)
            return 1;
    return 0;
}

static void pg_disconnect(cut_conn *base)
{
    pg_conn *c = (pg_conn *)base;
    PQfinish(c->pg);
    free(c->snapshot);
    fresh_clear(c);
    free(c);
}

/* ------------------------------------------------------------- describe */

/* Built-in type OIDs (pg_type.dat); stable across versions. */
enum {
    OID_BOOL = 16, OID_BYTEA = 17, OID_CHAR = 18, OID_NAME = 19, OID_INT8 = 20, OID_INT2 = 21,
    OID_INT4 = 23, OID_TEXT = 25, OID_OID = 26, OID_JSON = 114, OID_FLOAT4 = 700,
    OID_FLOAT8 = 701, OID_BPCHAR = 1042, OID_VARCHAR = 1043, OID_DATE = 1082, OID_TIME = 1083,
    OID_TIMESTAMP = 1114, OID_TIMESTAMPTZ = 1184, OID_NUMERIC = 1700, OID_UUID = 2950,
    OID_JSONB = 3802,
};

/* Maps a (base) type onto a logical type; *ok = 0 when cutover cannot carry it. */
static cut_type pg_logical_type(const pg_conn *c, long oid, long typmod, const char *typname,
                                char typtype, int *ok)
{
    cut_type t;
    memset(&t, 0, sizeof(t));
    *ok = 1;
    switch (oid) {
    case OID_BOOL: t.kind = CUT_T_BOOL; break;
    case OID_BYTEA: t.kind = CUT_T_BYTES; break;
    case OID_INT2: t.kind = CUT_T_INT; t.width = 16; break;
    case OID_INT4: t.kind = CUT_T_INT; t.width = 32; break;
    case OID_INT8: t.kind = CUT_T_INT; t.width = 64; break;
    case OID_OID: t.kind = CUT_T_INT; t.width = 32; t.flags = CUT_TF_UNSIGNED; break;
    case OID_FLOAT4: t.kind = CUT_T_FLOAT; t.width = 32; break;
    case OID_FLOAT8: t.kind = CUT_T_FLOAT; t.width = 64; break;
    case OID_JSON:
    case OID_JSONB: t.kind = CUT_T_JSON; break;
    case OID_UUID: t.kind = CUT_T_UUID; break;
    case OID_DATE: t.kind = CUT_T_DATE; break;
    case OID_TIME:
    case OID_TIMESTAMP:
    case OID_TIMESTAMPTZ:
        t.kind = oid == OID_TIME ? CUT_T_TIME : oid == OID_TIMESTAMP ? CUT_T_TIMESTAMP
                                                                      : CUT_T_TIMESTAMPTZ;
        t.precision = typmod >= 0 && typmod <= 6 ? (int)typmod : 6;
        break;
    case OID_NUMERIC:
        t.kind = CUT_T_NUMERIC;
        if (typmod < 4) {
            t.precision = 0;
            t.scale = -1;
        } else {
            long m = typmod - 4;
            t.precision = (int)((m >> 16) & 0xFFFF);
            /* PostgreSQL 15 stores the scale as an 11-bit signed number. */
            long s = ((m & 0x7FF) ^ 1024) - 1024;
            if (s < 0)
                *ok = 0; /* numeric(p,-s) rounds to tens, hundreds...: not a logical type */
            t.scale = (int)s;
        }
        break;
    case OID_BPCHAR:
    case OID_VARCHAR:
    case OID_TEXT:
    case OID_NAME:
    case OID_CHAR:
        t.kind = CUT_T_TEXT;
        if ((oid == OID_BPCHAR || oid == OID_VARCHAR) && typmod >= 4)
            t.length = (int)(typmod - 4);
        if (oid == OID_BPCHAR)
            t.flags |= CUT_TF_FIXED;
        break;
    default:
        if (typtype == 'e' || (typname && strcmp(typname, "citext") == 0))
            t.kind = CUT_T_TEXT; /* enum labels and case-insensitive text travel as text */
        else
            *ok = 0;
    }
    if (t.kind == CUT_T_TEXT) {
        t.flags |= CUT_TF_NO_NUL;
        if (c->latin1)
            t.flags |= CUT_TF_LATIN1;
    }
    if (!*ok)
        t.kind = CUT_T_UNKNOWN;
    return t;
}

/* Finds a relation: 0 with oid/schema/relname (caller frees), CUT_ENOTFOUND, or an error. */
static int resolve(pg_conn *c, const char *name, char **oid, char **nsp, char **rel,
                   cut_error *err)
{
    static const char *const exact =
        "SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname = $1 AND "
        "CASE WHEN $2::text IS NULL THEN n.nspname = ANY (pg_catalog.current_schemas(true)) "
        "ELSE n.nspname = $2 END "
        "ORDER BY pg_catalog.array_position(pg_catalog.current_schemas(true), n.nspname) "
        "LIMIT 1";
    /* PostgreSQL folds unquoted names to lower case: "Members" in a mapping means members. */
    static const char *const folded =
        "SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND pg_catalog.lower(c.relname) = "
        "pg_catalog.lower($1) AND "
        "CASE WHEN $2::text IS NULL THEN n.nspname = ANY (pg_catalog.current_schemas(true)) "
        "ELSE pg_catalog.lower(n.nspname) = pg_catalog.lower($2) END "
        "ORDER BY pg_catalog.array_position(pg_catalog.current_schemas(true), n.nspname), "
        "c.relname LIMIT 2";
    char *schema = NULL, *table = NULL;
    const char *dot = strchr(name, '.');
    if (dot && dot != name && dot[1]) {
        schema = cut_strndup(name, (size_t)(dot - name));
        table = cut_strdup(dot + 1);
        if (!schema || !table) {
            free(schema);
            free(table);
            return cut_error_set(err, CUT_ENOMEM, "out of memory");
        }
    }
    /* exact whole name, exact schema.table, folded whole name, folded schema.table */
    const char *tries[4][3] = {{exact, name, NULL},
                               {exact, table, schema},
                               {folded, name, NULL},
                               {folded, table, schema}};
    int rc = CUT_ENOTFOUND;
    for (int i = 0; i < 4 && rc == CUT_ENOTFOUND; i++) {
        if (!tries[i][1])
            continue;
        const char *params[2] = {tries[i][1], tries[i][2]};
        PGresult *res = pg_query(c, tries[i][0], 2, params, err, "describing", name);
        if (!res) {
            rc = err->code;
            break;
        }
        /* A folded match must be unique: "a" and "A" both existing is ambiguous. */
        if (PQntuples(res) == 1 || (PQntuples(res) > 1 && tries[i][0] == exact)) {
            *oid = cut_strdup(PQgetvalue(res, 0, 0));
            *nsp = cut_strdup(PQgetvalue(res, 0, 1));
            *rel = cut_strdup(PQgetvalue(res, 0, 2));
            rc = *oid && *nsp && *rel ? CUT_OK : cut_error_set(err, CUT_ENOMEM, "out of memory");
        }
        PQclear(res);
    }
    free(schema);
    free(table);
    if (rc == CUT_ENOTFOUND) {
        cut_error_set(err, CUT_ENOTFOUND, "table %s not found in %s", name, c->where);
        cut_error_set_table(err, name);
    }
    return rc;
}

static int pg_describe(cut_conn *base, const char *name, cut_table **out, cut_error *err)
{
    pg_conn *c = (pg_conn *)base;
    *out = NULL;
    char *oid = NULL, *nsp = NULL, *rel = NULL;
    PGresult *res = NULL;
    int *attidx = NULL; /* attnum → column index (-1: not a data column) */
    int maxatt = 0;
    int rc = resolve(c, name, &oid, &nsp, &rel, err);
    if (rc)
        return rc;
    cut_table *t = calloc(1, sizeof(*t));
    if (!t) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    t->name = rel;
    t->schema = nsp;
    rel = nsp = NULL;

    /* Columns. Domains are described by their base type; identity needs PostgreSQL 10,
       generated columns 12. */
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "SELECT a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
             "bt.oid, CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END, "
             "bt.typname, bt.typtype, a.attnotnull OR (t.typtype = 'd' AND t.typnotnull), "
             "a.atthasdef, %s, %s, "
             "pg_catalog.pg_get_serial_sequence(pg_catalog.quote_ident(n.nspname) || '.' || "
             "pg_catalog.quote_ident(c.relname), a.attname) IS NOT NULL "
             "FROM pg_catalog.pg_attribute a "
             "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
             "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
             "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
             "JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' "
             "THEN t.typbasetype ELSE a.atttypid END "
             "WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
             c->version >= 100000 ? "a.attidentity::text" : "''",
             c->version >= 120000 ? "a.attgenerated::text" : "''");
    const char *p1[1] = {oid};
    if (!(res = pg_query(c, sql, 1, p1, err, "describing", name))) {
        rc = err->code;
        goto done;
    }
    int nrows = PQntuples(res);
    maxatt = nrows ? atoi(PQgetvalue(res, nrows - 1, 0)) : 0;
    attidx = malloc(sizeof(int) * (size_t)(maxatt + 1));
    if (!attidx) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i <= maxatt; i++)
        attidx[i] = -1;
    for (int r = 0; r < nrows; r++) {
        int attnum = atoi(PQgetvalue(res, r, 0));
        const char *generated = PQgetvalue(res, r, 10);
        if (generated[0])
            continue; /* computed by the server: not data to migrate */
        int ok;
        cut_type ty = pg_logical_type(c, atol(PQgetvalue(res, r, 3)), atol(PQgetvalue(res, r, 4)),
                                      PQgetvalue(res, r, 5), PQgetvalue(res, r, 6)[0], &ok);
        int idx = cut_table_add_column(t, PQgetvalue(res, r, 1), PQgetvalue(res, r, 2), ty);
        if (idx < 0) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
        cut_column *col = &t->cols[idx];
        const char *identity = PQgetvalue(res, r, 9);
        col->not_null = PQgetvalue(res, r, 7)[0] == 't';
        col->identity = identity[0] != '\0' || PQgetvalue(res, r, 11)[0] == 't';
        col->has_default = PQgetvalue(res, r, 8)[0] == 't' || col->identity;
        col->unsupported = !ok;
        col->wire = (unsigned)strtoul(PQgetvalue(res, r, 3), NULL, 10);
        if (attnum >= 0 && attnum <= maxatt)
            attidx[attnum] = idx;
    }
    PQclear(res);
    res = NULL;

    /* Primary key, in key order. */
    static const char *const pk_sql =
        "SELECT k.attnum FROM pg_catalog.pg_index i "
        "CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::pg_catalog.int2[]) "
        "WITH ORDINALITY AS k(attnum, ord) "
        "WHERE i.indrelid = $1 AND i.indisprimary ORDER BY k.ord";
    if (!(res = pg_query(c, pk_sql, 1, p1, err, "describing", name))) {
        rc = err->code;
        goto done;
    }
    if (PQntuples(res) > 0) {
        t->pk = malloc(sizeof(int) * (size_t)PQntuples(res));
        if (!t->pk) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
        for (int r = 0; r < PQntuples(res); r++) {
            int a = atoi(PQgetvalue(res, r, 0));
            if (a > 0 && a <= maxatt && attidx[a] >= 0)
                t->pk[t->npk++] = attidx[a];
        }
    }
    PQclear(res);
    res = NULL;

    /* Foreign keys: one row per column pair, grouped by constraint. The referenced table is
       named as the engine spells it (its relname), which is what plans match on. */
    static const char *const fk_sql =
        "SELECT con.conname, k.n, fa.attname, fc.relname "
        "FROM pg_catalog.pg_constraint con "
        "CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(con.conkey), "
        "pg_catalog.unnest(con.confkey)) WITH ORDINALITY AS k(n, fnum, ord) "
        "JOIN pg_catalog.pg_attribute fa ON fa.attrelid = con.confrelid AND fa.attnum = k.fnum "
        "JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid "
        "WHERE con.conrelid = $1 AND con.contype = 'f' ORDER BY con.conname, con.oid, k.ord";
    if (!(res = pg_query(c, fk_sql, 1, p1, err, "describing", name))) {
        rc = err->code;
        goto done;
    }
    const char *last = NULL;
    for (int r = 0; r < PQntuples(res); r++) {
        const char *conname = PQgetvalue(res, r, 0);
        if (!last || strcmp(last, conname) != 0) {
            cut_fk *fks = realloc(t->fks, sizeof(*fks) * (size_t)(t->nfk + 1));
            if (!fks) {
                rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
                goto done;
            }
            t->fks = fks;
            memset(&fks[t->nfk], 0, sizeof(cut_fk));
            fks[t->nfk].name = cut_strdup(conname);
            fks[t->nfk].ref_table = cut_strdup(PQgetvalue(res, r, 3));
            t->nfk++;
            last = conname;
        }
        cut_fk *fk = &t->fks[t->nfk - 1];
        int *cols = realloc(fk->cols, sizeof(int) * (size_t)(fk->ncols + 1));
        if (cols)
            fk->cols = cols;
        char **refs = realloc(fk->ref_cols, sizeof(char *) * (size_t)(fk->ncols + 1));
        if (refs)
            fk->ref_cols = refs;
        if (!cols || !refs) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
        int a = atoi(PQgetvalue(res, r, 1));
        fk->cols[fk->ncols] = a > 0 && a <= maxatt ? attidx[a] : -1;
        fk->ref_cols[fk->ncols] = cut_strdup(PQgetvalue(res, r, 2));
        fk->ncols++;
    }
done:
    PQclear(res);
    free(attidx);
    free(oid);
    free(nsp);
    free(rel);
    if (rc)
        cut_table_free(t);
    else
        *out = t;
    return rc;
}

static int pg_list_tables(cut_conn *base, char ***names, int *n, cut_error *err)
{
    pg_conn *c = (pg_conn *)base;
    *names = NULL;
    *n = 0;
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "SELECT CASE WHEN pg_catalog.pg_table_is_visible(c.oid) THEN c.relname "
             "ELSE n.nspname || '.' || c.relname END "
             "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
             "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') %s "
             "AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%%' "
             "ORDER BY 1",
             c->version >= 100000 ? "AND NOT c.relispartition" : "");
    PGresult *res = pg_query(c, sql, 0, NULL, err, "listing tables", NULL);
    if (!res)
        return err->code;
    int k = PQntuples(res);
    char **v = calloc((size_t)k + 1, sizeof(char *));
    if (!v) {
        PQclear(res);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    for (int i = 0; i < k; i++) {
        v[i] = cut_strdup(PQgetvalue(res, i, 0));
        if (!v[i]) {
            for (int j = 0; j < i; j++)
                free(v[j]);
            free(v);
            PQclear(res);
            return cut_error_set(err, CUT_ENOMEM, "out of memory");
        }
    }
    PQclear(res);
    *names = v;
    *n = k;
    return CUT_OK;
}

/* One int64 from a one-row, one-column query on table t. */
static int scalar_int64(pg_conn *c, const char *sql, int n, const char *const *params, int64_t *v,
                        cut_error *err, const char *table)
{
    PGresult *res = pg_query(c, sql, n, params, err, "counting rows of", table);
    if (!res)
        return err->code;
    int rc = CUT_OK;
    if (PQntuples(res) != 1 || cut_parse_int64(PQgetvalue(res, 0, 0), strlen(PQgetvalue(res, 0, 0)), v))
        rc = cut_error_set(err, CUT_ESERVER, "PostgreSQL: unexpected answer counting %s", table);
    PQclear(res);
    return rc;
}

static int pg_count_rows(cut_conn *base, const cut_table *t, int64_t *rows, cut_error *err)
{
    cut_buf sql = {0};
    cut_buf_printf(&sql, "SELECT count(*) FROM ");
    quote_table(&sql, t);
    int rc = scalar_int64((pg_conn *)base, cut_buf_cstr(&sql), 0, NULL, rows, err, t->name);
    cut_buf_free(&sql);
    return rc;
}

static int pg_estimate_rows(cut_conn *base, const cut_table *t, int64_t *rows, cut_error *err)
{
    pg_conn *c = (pg_conn *)base;
    /* The planner's own estimate: tuples per page from the last ANALYZE/VACUUM times the
       pages the table has now. Never analyzed (-1), or not a plain table: count. */
    static const char *const sql =
        "SELECT CASE WHEN c.relkind NOT IN ('r', 'm') THEN -1 "
        "WHEN c.reltuples > 0 AND c.relpages > 0 THEN "
        "(c.reltuples / c.relpages * (pg_catalog.pg_relation_size(c.oid) / "
        "pg_catalog.current_setting('block_size')::int))::int8 "
        "WHEN pg_catalog.pg_relation_size(c.oid) = 0 THEN 0 ELSE -1 END "
        "FROM pg_catalog.pg_class c WHERE c.oid = $1::pg_catalog.regclass";
    cut_buf q = {0};
    quote_table(&q, t);
    const char *p[1] = {cut_buf_cstr(&q)};
    int64_t v = -1;
    int rc = scalar_int64(c, sql, 1, p, &v, err, t->name);
    cut_buf_free(&q);
    if (rc == CUT_OK && v < 0)
        return pg_count_rows(base, t, rows, err);
    if (rc == CUT_OK)
        *rows = v;
    return rc;
}

/* ----------------------------------------------------------------- read */

static int pg_begin_read(cut_conn *base, cut_error *err)
{
    pg_conn *c = (pg_conn *)base;
    if (c->in_read || c->in_tx)
        return CUT_OK;
    int rc = pg_cmd(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err,
                    "starting a read transaction", NULL);
    if (rc)
        return rc;
    c->in_read = 1;
    /* Exported so that parallel readers can share this snapshot (SET TRANSACTION SNAPSHOT).
       A standby before PostgreSQL 10 cannot export one: read without it. */
    PGresult *res = PQexec(c->pg, "SELECT pg_catalog.pg_export_snapshot()");
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        free(c->snapshot);
        c->snapshot = cut_strdup(PQgetvalue(res, 0, 0));
        PQclear(res);
        return CUT_OK;
    }
    PQclear(res);
    pg_cmd(c, "ROLLBACK", err, "starting a read transaction", NULL);
    c->in_read = 0;
    if (conn_lost(c))
        return pg_error(c, NULL, err, "starting a read transaction", NULL);
    cut_log(CUT_LOG_DEBUG, "PostgreSQL: cannot export a snapshot; reading without one");
    rc = pg_cmd(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err,
                "starting a read transaction", NULL);
    c->in_read = rc == CUT_OK;
    return rc;
}

static const char *pg_read_view(cut_conn *base)
{
    pg_conn *c = (pg_conn *)base;
    return c->in_read ? c->snapshot : NULL;
}

static int pg_begin_read_at(cut_conn *base, const char *view, cut_error *err)
{
    pg_conn *c = (pg_conn *)base;
    if (c->in_read || c->in_tx)
        return CUT_OK;
    /* A snapshot id is hex digits and dashes: never anything else in this statement. */
    for (const char *p = view; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'F') || *p == '-'))
            return cut_error_set(err, CUT_EINVAL, "PostgreSQL: malformed snapshot id");
    int rc = pg_cmd(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err,
                    "starting a read transaction", NULL);
    if (rc)
        return rc;
    char sql[128];
    snprintf(sql, sizeof(sql), "SET TRANSACTION SNAPSHOT '%s'", view);
    if ((rc = pg_cmd(c, sql, err, "sharing the read snapshot", NULL))) {
        PQclear(PQexec(c->pg, "ROLLBACK"));
        return rc;
    }
    c->in_read = 1;
    return CUT_OK;
}

static void pg_end_read(cut_conn *base)
{
    pg_conn *c = (pg_conn *)base;
    if (!c->in_read)
        return;
    /* Read only: ROLLBACK and COMMIT are the same, and ROLLBACK also ends an aborted one. */
    PQclear(PQexec(c->pg, "ROLLBACK"));
    c->in_read = 0;
    free(c->snapshot);
    c->snapshot = NULL;
}

static int pg_scan_open(cut_conn *base, const cut_table *t, const cut_scan_opts *o,
                        cut_scan **out, cut_error *err)
{
    pg_conn *c = (pg_conn *)base;
    *out = NULL;
    int n = o && o->cols ? o->ncols : t->ncols;
    pg_scan *s = calloc(1, sizeof(*s));
    if (!s)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    s->c = c;
    s->ncols = n;
    s->bytea = calloc((size_t)n + 1, 1);
    s->table = cut_strdup(t->name);
    cut_buf sql = {0};
    cut_buf_printf(&sql, "COPY (SELECT ");
    for (int i = 0; i < n; i++) {
        int ci = o && o->cols ? o->cols[i] : i;
        if (i)
            cut_buf_append(&sql, ", ", 2);
        quote_ident(&sql, t->cols[ci].name);
        if (s->bytea)
            s->bytea[i] = t->cols[ci].type.kind == CUT_T_BYTES;
    }
    cut_buf_printf(&sql, " FROM ");
    quote_table(&sql, t);
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
    cut_buf_printf(&sql, ") TO STDOUT");
    if (!s->bytea || !s->table || !cut_buf_cstr(&sql)) {
        cut_buf_free(&sql);
        free(s->bytea);
        free(s->table);
        free(s);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    PGresult *res = PQexec(c->pg, sql.p);
    cut_buf_free(&sql);
    int rc = CUT_OK;
    if (PQresultStatus(res) != PGRES_COPY_OUT)
        rc = pg_error(c, res, err, "reading", t->name);
    PQclear(res);
    if (rc) {
        /* A failed COPY leaves nothing to drain; a successful non-COPY result cannot happen. */
        free(s->bytea);
        free(s->table);
        free(s);
        return rc;
    }
    *out = &s->base;
    return CUT_OK;
}

/* Reads the results that end a COPY; 0 when it completed. */
static int copy_finish(pg_conn *c, cut_error *err, const char *what, const char *table)
{
    int rc = CUT_OK;
    PGresult *res;
    while ((res = PQgetResult(c->pg)) != NULL) {
        if (rc == CUT_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = pg_error(c, res, err, what, table);
        PQclear(res);
        if (conn_lost(c))
            break;
    }
    return rc;
}

static int pg_scan_next(cut_scan *base, cut_batch *b, cut_error *err)
{
    pg_scan *s = (pg_scan *)base;
    cut_batch_reset(b);
    while (!s->done && b->nrows < b->cap) {
        char *buf = NULL;
        int n = PQgetCopyData(s->c->pg, &buf, 0);
        if (n > 0) {
            size_t len = (size_t)n;
            if (buf[len - 1] == '\n')
                len--;
            char *line = cut_arena_alloc(&b->arena, len + 1);
            if (!line) {
                PQfreemem(buf);
                return cut_error_set(err, CUT_ENOMEM, "out of memory");
            }
            memcpy(line, buf, len);
            PQfreemem(buf);
            int r = b->nrows;
            cut_cell *cells = cut_batch_row(b, r);
            const char *why = NULL;
            if (cut_pg_copy_split(line, len, s->ncols, cells, &why)) {
                cut_error_set(err, CUT_ESERVER, "PostgreSQL: reading table %s: %s", s->table, why);
                cut_error_set_table(err, s->table);
                return CUT_ESERVER;
            }
            for (int i = 0; i < s->ncols; i++) {
                if (!s->bytea[i] || cut_cell_is_null(&cells[i]))
                    continue;
                size_t blen;
                if (cut_pg_bytea_decode((char *)cells[i].p, cells[i].len, &blen)) {
                    cut_error_set(err, CUT_ESERVER,
                                  "PostgreSQL: reading table %s: malformed bytea text", s->table);
                    cut_error_set_table(err, s->table);
                    return CUT_ESERVER;
                }
                cells[i].len = (uint32_t)blen;
            }
            b->pos[r] = ++s->ordinal;
            b->nrows++;
            continue;
        }
        s->done = 1;
        if (n == -1)
            return copy_finish(s->c, err, "reading", s->table);
        /* -2: the connection failed, or the server ended the COPY with an error. */
        int rc = pg_error(s->c, NULL, err, "reading", s->table);
        copy_finish(s->c, err, "reading", s->table);
        return rc;
    }
    return CUT_OK;
}

static void pg_scan_close(cut_scan *base)
{
    pg_scan *s = (pg_scan *)base;
    if (!s)
        return;
    if (!s->done && !conn_lost(s->c)) {
        /* Stopped early: cancel the COPY rather than reading the rest of the table, then
           drain what is in flight. The read transaction ends aborted; end_read rolls it back. */
        PGcancel *cn = PQgetCancel(s->c->pg);
        if (cn) {
            char ebuf[256];
            PQcancel(cn, ebuf, sizeof(ebuf));
            PQfreeCancel(cn);
        }
        char *buf = NULL;
        int n;
        while ((n = PQgetCopyData(s->c->pg, &buf, 0)) > 0)
            PQfreemem(buf);
        PGresult *res;
        while ((res = PQgetResult(s->c->pg)) != NULL)
            PQclear(res);
    }
    free(s->bytea);
    free(s->table);
    free(s);
}

/* ------------------------------------------------------------ transactions */

/* Whether a table outside tables[0..n) has a foreign key to one of them. */
static int referenced_from_outside(pg_conn *c, cut_table *const *tables, int n, int *outside,
                                   cut_error *err)
{
    cut_buf sql = {0}, in = {0};
    char **names = calloc((size_t)n, sizeof(char *));
    int rc = names ? CUT_OK : cut_error_set(err, CUT_ENOMEM, "out of memory");
    for (int i = 0; rc == CUT_OK && i < n; i++) {
        cut_buf q = {0};
        quote_table(&q, tables[i]);
        names[i] = q.p; /* owned from here */
        cut_buf_printf(&in, "%s$%d::pg_catalog.regclass", i ? ", " : "", i + 1);
        if (!names[i])
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    cut_buf_printf(&sql,
                   "SELECT count(*) FROM pg_catalog.pg_constraint WHERE contype = 'f' AND "
                   "confrelid IN (%s) AND conrelid NOT IN (%s)",
                   cut_buf_cstr(&in), cut_buf_cstr(&in));
    int64_t refs = 0;
    if (rc == CUT_OK)
        rc = cut_buf_cstr(&sql)
                 ? scalar_int64(c, sql.p, n, (const char *const *)names, &refs, err,
                                tables[0]->name)
                 : cut_error_set(err, CUT_ENOMEM, "out of memory");
    *outside = refs > 0;
    cut_strv_free(names, n);
    cut_buf_free(&sql);
    cut_buf_free(&in);
    return rc;
}

static int pg_truncate(cut_conn *base, cut_table *const *tables, int n, cut_error *err)
{
    pg_conn *c = (pg_conn *)base;
    if (n <= 0)
        return CUT_OK;
    /* One TRUNCATE empties them all at once, so the order of foreign keys does not matter.
       But TRUNCATE refuses a table that a table outside the list references, even an
       empty one: DELETE then does the emptying (the tables come children first), and its
       foreign key checks refuse only a referencing row that really exists. */
    int outside = 0;
    int rc = referenced_from_outside(c, tables, n, &outside, err);
    int own_tx = rc == CUT_OK && outside && n > 1 && !c->in_tx;
    if (own_tx)
        rc = pg_cmd(c, "BEGIN", err, "emptying the target tables", NULL);
    cut_buf sql = {0};
    if (rc == CUT_OK && !outside) {
        cut_buf_printf(&sql, "TRUNCATE TABLE ");
        for (int i = 0; i < n; i++) {
            if (i)
                cut_buf_append(&sql, ", ", 2);
            quote_table(&sql, tables[i]);
        }
        rc = cut_buf_cstr(&sql) ? pg_cmd(c, sql.p, err, "emptying the target tables", NULL)
                                : cut_error_set(err, CUT_ENOMEM, "out of memory");
        for (int i = 0; rc == CUT_OK && c->in_tx && i < n; i++) {
            cut_buf q = {0};
            quote_table(&q, tables[i]);
            cut_strv_push(&c->fresh, &c->nfresh, q.p); /* a miss only costs FREEZE */
        }
    }
    for (int i = 0; rc == CUT_OK && outside && i < n; i++) {
        cut_buf_reset(&sql);
        cut_buf_printf(&sql, "DELETE FROM ");
        quote_table(&sql, tables[i]);
        rc = cut_buf_cstr(&sql) ? pg_cmd(c, sql.p, err, "emptying", tables[i]->name)
                                : cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    cut_buf_free(&sql);
    if (own_tx && rc == CUT_OK)
        rc = pg_commit(c, err, NULL);
    else if (own_tx)
        PQclear(PQexec(c->pg, "ROLLBACK"));
    if (rc && rc != CUT_ENOMEM && rc != CUT_ECONNECT)
        cut_error_prefix(err, "cannot empty the target tables (a table outside the mapping may "
                              "still reference them)");
    return rc;
}

static int pg_tx_begin(cut_conn *base, cut_error *err)
{
    pg_conn *c = (pg_conn *)base;
    int rc = pg_cmd(c, "BEGIN", err, "starting a transaction", NULL);
    if (rc == CUT_OK)
        c->in_tx = 1;
    return rc;
}

static int pg_tx_commit(cut_conn *base, cut_error *err)
{
    pg_conn *c = (pg_conn *)base;
    c->in_tx = 0;
    fresh_clear(c);
    return pg_commit(c, err, NULL);
}

static void pg_tx_rollback(cut_conn *base)
{
    pg_conn *c = (pg_conn *)base;
    c->in_tx = 0;
    fresh_clear(c);
    PQclear(PQexec(c->pg, "ROLLBACK"));
}

/* ----------------------------------------------------------------- DDL */

static int pg_ddl(cut_conn *base, const cut_table *t, cut_buf *out, cut_error *err)
{
    pg_conn *c = (pg_conn *)base;
    char sql[1536];
    snprintf(sql, sizeof(sql),
             "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, "
             "pg_catalog.pg_get_expr(d.adbin, d.adrelid), %s, %s, "
             "pg_catalog.pg_get_serial_sequence($1, a.attname) IS NOT NULL "
             "FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d "
             "ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
             "WHERE a.attrelid = $1::pg_catalog.regclass AND a.attnum > 0 "
             "AND NOT a.attisdropped ORDER BY a.attnum",
             c->version >= 100000 ? "a.attidentity::text" : "''",
             c->version >= 120000 ? "a.attgenerated::text" : "''");
    cut_buf q = {0};
    quote_table(&q, t);
    const char *p[1] = {cut_buf_cstr(&q)};
    PGresult *res = pg_query(c, sql, 1, p, err, "describing", t->name);
    if (!res) {
        cut_buf_free(&q);
        return err->code;
    }
    cut_buf_printf(out, "CREATE TABLE ");
    quote_table(out, t);
    cut_buf_printf(out, " (");
    for (int r = 0; r < PQntuples(res); r++) {
        cut_buf_printf(out, "%s\n  ", r ? "," : "");
        quote_ident(out, PQgetvalue(res, r, 0));
        cut_buf_printf(out, " %s", PQgetvalue(res, r, 1));
        const char *def = PQgetisnull(res, r, 3) ? NULL : PQgetvalue(res, r, 3);
        const char *ident = PQgetvalue(res, r, 4), *gen = PQgetvalue(res, r, 5);
        if (gen[0] == 's' && def)
            cut_buf_printf(out, " GENERATED ALWAYS AS (%s) STORED", def);
        else if (ident[0] == 'a' || ident[0] == 'd')
            cut_buf_printf(out, " GENERATED %s AS IDENTITY", ident[0] == 'a' ? "ALWAYS"
                                                                             : "BY DEFAULT");
        else if (def)
            cut_buf_printf(out, " DEFAULT %s", def);
        if (PQgetvalue(res, r, 2)[0] == 't')
            cut_buf_printf(out, " NOT NULL");
    }
    PQclear(res);
    static const char *const pk_sql =
        "SELECT con.conname, pg_catalog.pg_get_constraintdef(con.oid) "
        "FROM pg_catalog.pg_constraint con WHERE con.conrelid = $1::pg_catalog.regclass "
        "AND con.contype = 'p'";
    res = pg_query(c, pk_sql, 1, p, err, "describing", t->name);
    cut_buf_free(&q);
    if (!res)
        return err->code;
    if (PQntuples(res) == 1) {
        cut_buf_printf(out, ",\n  CONSTRAINT ");
        quote_ident(out, PQgetvalue(res, 0, 0));
        cut_buf_printf(out, " %s", PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    cut_buf_printf(out, "\n);");
    return CUT_OK;
}

/*
 * The frame of a deferral: BEGIN (a savepoint inside the caller's transaction, where the
 * drops and the statements that undo them commit or roll back with it), drops that each
 * keep the statements undoing them, then keep() and the commit, or a rollback.
 */
typedef struct defer_tx {
    pg_conn *c;
    const cut_table *t;
    cut_buf q; /* the table, quoted */
    char **v;  /* the statements that undo the drops, in order */
    int nv;
    int nested;
} defer_tx;

static int defer_begin(defer_tx *d, pg_conn *c, const cut_table *t, cut_error *err)
{
    memset(d, 0, sizeof(*d));
    d->c = c;
    d->t = t;
    d->nested = c->in_tx;
    quote_table(&d->q, t);
    return pg_cmd(c, d->nested ? "SAVEPOINT cutover_defer" : "BEGIN", err,
                  "deferring the constraints of", t->name);
}

/* Keeps undo (one or two statements) and runs drop; all three are owned from here. */
static int defer_drop(defer_tx *d, char *undo1, char *undo2, char *drop, const char *what,
                      cut_error *err)
{
    int rc = cut_strv_push(&d->v, &d->nv, undo1);
    if (rc == CUT_OK && undo2)
        rc = cut_strv_push(&d->v, &d->nv, undo2);
    else
        free(undo2);
    if (rc == CUT_OK && drop)
        rc = pg_cmd(d->c, drop, err, what, d->t->name);
    else
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
    free(drop);
    return rc;
}

static int defer_end(defer_tx *d, int rc,
                     int (*keep)(void *ud, char *const *stmts, int n, cut_error *err), void *ud,
                     cut_error *err)
{
    pg_conn *c = d->c;
    if (rc == CUT_OK && d->nv)
        rc = keep(ud, d->v, d->nv, err);
    if (rc == CUT_OK)
        rc = d->nested ? pg_cmd(c, "RELEASE SAVEPOINT cutover_defer", err,
                                "deferring the constraints of", d->t->name)
                       : pg_commit(c, err, d->t->name);
    else
        PQclear(PQexec(c->pg, d->nested ? "ROLLBACK TO SAVEPOINT cutover_defer" : "ROLLBACK"));
    cut_strv_free(d->v, d->nv);
    cut_buf_free(&d->q);
    return rc;
}

static int pg_defer_constraints(cut_conn *base, const cut_table *t,
                                int (*keep)(void *ud, char *const *stmts, int n, cut_error *err),
                                void *ud, cut_error *err)
{
    defer_tx d;
    int rc = defer_begin(&d, (pg_conn *)base, t, err);
    const char *qt = cut_buf_cstr(&d.q);
    const char *params[1] = {qt};
    PGresult *idx = NULL, *fks = NULL;
    if (rc == CUT_OK) {
        /* Secondary indexes that enforce nothing: not unique, no constraint behind them. */
        idx = pg_query(d.c,
                       "SELECT pg_catalog.quote_ident(n.nspname) || '.' || "
                       "pg_catalog.quote_ident(i.relname), pg_catalog.pg_get_indexdef(i.oid) "
                       "FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = "
                       "x.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = i.relnamespace "
                       "WHERE x.indrelid = $1::pg_catalog.regclass AND NOT x.indisunique AND "
                       "NOT x.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint "
                       "k WHERE k.conindid = x.indexrelid) ORDER BY i.relname",
                       1, params, err, "reading the indexes of", t->name);
        if (!idx)
            rc = err->code;
    }
    if (rc == CUT_OK) {
        /* With each foreign key, whether an index of the table (one dropped here comes
           back before the key does) starts with its columns, and the two tables as
           literals. */
        fks = pg_query(d.c,
                       "SELECT pg_catalog.quote_ident(k.conname), "
                       "pg_catalog.pg_get_constraintdef(k.oid), EXISTS (SELECT 1 FROM "
                       "pg_catalog.pg_index x WHERE x.indrelid = k.conrelid AND x.indpred IS "
                       "NULL AND x.indexprs IS NULL AND (x.indkey::pg_catalog.int2[])"
                       "[0:pg_catalog.array_length(k.conkey, 1) - 1] = k.conkey), "
                       "pg_catalog.quote_literal($1), "
                       "pg_catalog.quote_literal(k.confrelid::pg_catalog.regclass::text) "
                       "FROM pg_catalog.pg_constraint k WHERE k.conrelid = "
                       "$1::pg_catalog.regclass AND k.contype = 'f' ORDER BY k.conname",
                       1, params, err, "reading the foreign keys of", t->name);
        if (!fks)
            rc = err->code;
    }
    for (int r = 0; rc == CUT_OK && idx && r < PQntuples(idx); r++) {
        const char *def = PQgetvalue(idx, r, 1);
        /* "CREATE INDEX name ON ..." or "CREATE INDEX CONCURRENTLY ..." never: from catalog. */
        const char *head = "CREATE INDEX ";
        char *undo = strncmp(def, head, strlen(head)) == 0
                         ? cut_asprintf("CREATE INDEX IF NOT EXISTS %s", def + strlen(head))
                         : cut_strdup(def);
        rc = defer_drop(&d, undo, NULL, cut_asprintf("DROP INDEX %s", PQgetvalue(idx, r, 0)),
                        "dropping an index of", err);
    }
    for (int r = 0; rc == CUT_OK && fks && r < PQntuples(fks); r++) {
        const char *name = PQgetvalue(fks, r, 0), *def = PQgetvalue(fks, r, 1);
        char *add = cut_asprintf("DO $cutover$ BEGIN ALTER TABLE %s ADD CONSTRAINT %s %s NOT "
                                 "VALID; EXCEPTION WHEN duplicate_object THEN NULL; END $cutover$",
                                 qt, name, def);
        /* The validation is one anti-join of the table with the referenced one. When an
           index leads with the key's columns and both tables are all-visible by then (a
           migrate VACUUMs them first, a restore loads them frozen, and the index builds
           count the pages), a merge of two index-only scans reads them in order: 0.13 s
           for the gym's 1.2M bookings, against 0.8 s for the hash join the planner picks
           on a freshly loaded table's statistics. Whether they are is decided when the
           statement runs: while a long transaction keeps VACUUM from marking the pages,
           the merge would fetch every row's page at random (38 s instead of 1.8 s for
           12M bookings), and the planner keeps its hash join. */
        char *val = PQgetvalue(fks, r, 2)[0] == 't'
                        ? cut_asprintf(
                              "DO $cutover$ DECLARE h text := pg_catalog.current_setting("
                              "'enable_hashjoin'); BEGIN IF NOT EXISTS (SELECT 1 FROM "
                              "pg_catalog.pg_class c WHERE c.oid IN (%s::pg_catalog.regclass, "
                              "%s::pg_catalog.regclass) AND c.relallvisible < 0.9 * c.relpages) "
                              "THEN PERFORM pg_catalog.set_config('enable_hashjoin', 'off', "
                              "true); END IF; ALTER TABLE %s VALIDATE CONSTRAINT %s; PERFORM "
                              "pg_catalog.set_config('enable_hashjoin', h, true); END $cutover$",
                              PQgetvalue(fks, r, 3), PQgetvalue(fks, r, 4), qt, name)
                        : cut_asprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s", qt, name);
        rc = defer_drop(&d, add, val, cut_asprintf("ALTER TABLE %s DROP CONSTRAINT %s", qt, name),
                        "dropping a foreign key of", err);
    }
    PQclear(idx);
    PQclear(fks);
    return defer_end(&d, rc, keep, ud, err);
}

static int pg_defer_keys(cut_conn *base, const cut_table *t,
                         int (*keep)(void *ud, char *const *stmts, int n, cut_error *err),
                         void *ud, cut_error *err)
{
    defer_tx d;
    int rc = defer_begin(&d, (pg_conn *)base, t, err);
    const char *qt = cut_buf_cstr(&d.q);
    const char *params[1] = {qt};
    PGresult *keys = NULL;
    if (rc == CUT_OK) {
        /* A plain table's own primary key and unique constraints (not inherited, not a
           partition's) that no foreign key depends on: the loaded tables' own foreign
           keys are dropped already, another table's would keep its key in place. */
        keys = pg_query(d.c,
                        "SELECT pg_catalog.quote_ident(k.conname), "
                        "pg_catalog.pg_get_constraintdef(k.oid), "
                        "pg_catalog.quote_literal(k.conname), pg_catalog.quote_literal($1) "
                        "FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class r "
                        "ON r.oid = k.conrelid WHERE k.conrelid = $1::pg_catalog.regclass "
                        "AND k.contype IN ('p', 'u') AND r.relkind = 'r' AND k.conparentid = 0 "
                        "AND k.coninhcount = 0 AND NOT EXISTS (SELECT 1 FROM "
                        "pg_catalog.pg_constraint f WHERE f.contype = 'f' "
                        "AND f.conindid = k.conindid) "
                        "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index x WHERE "
                        "x.indexrelid = k.conindid AND (x.indisreplident OR x.indisclustered)) "
                        "ORDER BY k.contype, k.conname",
                        1, params, err, "reading the keys of", t->name);
        if (!keys)
            rc = err->code;
    }
    for (int r = 0; rc == CUT_OK && keys && r < PQntuples(keys); r++) {
        const char *name = PQgetvalue(keys, r, 0), *def = PQgetvalue(keys, r, 1);
        /* Stored before the drop commits, so it may find the key still there. */
        char *add = cut_asprintf("DO $cutover$ BEGIN IF NOT EXISTS (SELECT 1 FROM "
                                 "pg_catalog.pg_constraint WHERE conrelid = "
                                 "%s::pg_catalog.regclass AND conname = %s) THEN ALTER TABLE %s "
                                 "ADD CONSTRAINT %s %s; END IF; END $cutover$",
                                 PQgetvalue(keys, r, 3), PQgetvalue(keys, r, 2), qt, name, def);
        rc = defer_drop(&d, add, NULL, cut_asprintf("ALTER TABLE %s DROP CONSTRAINT %s", qt, name),
                        "dropping a key of", err);
    }
    PQclear(keys);
    return defer_end(&d, rc, keep, ud, err);
}

static int pg_exec(cut_conn *base, const char *sql, cut_error *err)
{
    return pg_cmd((pg_conn *)base, sql, err, "running a statement", NULL);
}

/* ----------------------------------------------------------------- load */

static void load_free(pg_load *l)
{
    for (int i = 0; i < l->nfk; i++) {
        pg_fk *fk = &l->fks[i];
        if (fk->stmt[0] && !conn_lost(l->c)) {
            char sql[64];
            snprintf(sql, sizeof(sql), "DEALLOCATE %s", fk->stmt);
            PQclear(PQexec(l->c->pg, sql));
        }
        free(fk->name);
        free(fk->def);
        free(fk->check);
        free(fk->column);
        free(fk->parent);
        free(fk->parent_col);
    }
    free(l->fks);
    free(l->bytea);
    free(l->bin);
    free(l->table);
    free(l->qname);
    free(l->copy_sql);
    free(l->copy_sql_bin);
    free(l->rowoff);
    free(l->out);
    free(l->ord);
    cut_buf_free(&l->text);
    cut_buf_free(&l->reason);
    cut_buf_free(&l->arr);
    free(l);
}

/* Below this many rows in its first batch a load keeps the per-row checks: deferring
   costs catalog changes and locks that only pay off on big tables. */
#define FK_DEFER_MIN_ROWS 1000

/*
 * The foreign keys of t whose check a load can run itself, one query per batch:
 * single-column, not self-referencing, the column loaded. The first l->ndefer of them
 * may also be deferred (the load drops them and checks each batch): the table ours (we
 * may drop and add constraints), the referenced one REFERENCES-able, and not turned off
 * with the setting cutover.defer_foreign_keys = off (for the role, the database, or in
 * the URL's options). The others keep their triggers; their checks only find which rows
 * a trigger refused (fk_locate).
 */
static int find_fks(pg_load *l, const cut_table *t, const cut_load_opts *o, cut_error *err)
{
    pg_conn *c = l->c;
    if (c->version < 110000)
        return CUT_OK;
    static const char *const sql =
        "SELECT con.conname, pg_catalog.pg_get_constraintdef(con.oid), a.attname, "
        "pg_catalog.format_type(a.atttypid, a.atttypmod), fa.attname, "
        "pg_catalog.quote_ident(fn.nspname) || '.' || pg_catalog.quote_ident(fc.relname), "
        "fc.relname, fc.relkind, "
        "(SELECT pg_catalog.quote_ident(opn.nspname) || '.' || op.oprname "
        " FROM pg_catalog.pg_operator op JOIN pg_catalog.pg_namespace opn "
        " ON opn.oid = op.oprnamespace WHERE op.oid = con.conpfeqop[1]), d.ok "
        "FROM pg_catalog.pg_constraint con "
        "JOIN pg_catalog.pg_class c ON c.oid = con.conrelid "
        "JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1] "
        "JOIN pg_catalog.pg_attribute fa ON fa.attrelid = con.confrelid "
        "AND fa.attnum = con.confkey[1] "
        "JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid "
        "JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace "
        "CROSS JOIN LATERAL (SELECT con.conparentid = 0 AND c.relkind = 'r' "
        "AND pg_catalog.pg_has_role(c.relowner, 'USAGE') "
        "AND pg_catalog.has_table_privilege(con.confrelid, 'REFERENCES') "
        "AND pg_catalog.lower(COALESCE(pg_catalog.current_setting("
        "'cutover.defer_foreign_keys', true), 'on')) NOT IN ('off', 'false', 'no', '0') "
        "AS ok) d "
        "WHERE con.conrelid = $1::pg_catalog.regclass AND con.contype = 'f' "
        "AND pg_catalog.array_length(con.conkey, 1) = 1 AND con.confrelid <> con.conrelid "
        "ORDER BY d.ok DESC, con.confrelid, con.conname";
    const char *p[1] = {l->qname};
    PGresult *res = pg_query(c, sql, 1, p, err, "reading the foreign keys of", t->name);
    if (!res)
        return err->code;
    int rc = CUT_OK;
    l->fks = calloc((size_t)PQntuples(res) + 1, sizeof(pg_fk));
    if (!l->fks)
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
    for (int r = 0; rc == CUT_OK && r < PQntuples(res); r++) {
        int k = -1;
        for (int i = 0; i < o->ncols && k < 0; i++)
            if (strcmp(t->cols[o->cols[i]].name, PQgetvalue(res, r, 2)) == 0)
                k = i;
        if (k < 0 || PQgetisnull(res, r, 8))
            continue; /* a column the load does not write keeps its check */
        pg_fk *fk = &l->fks[l->nfk];
        fk->col = k;
        fk->name = cut_strdup(PQgetvalue(res, r, 0));
        fk->def = cut_strdup(PQgetvalue(res, r, 1));
        fk->column = cut_strdup(PQgetvalue(res, r, 2));
        fk->parent = cut_strdup(PQgetvalue(res, r, 6));
        fk->parent_col = cut_strdup(PQgetvalue(res, r, 4));
        cut_buf q = {0};
        /* The constraint's own equality operator, referenced value on the left, as the
           trigger it replaces compares them; the values sorted, so that the index and the
           referenced table are read in order rather than at random. */
        cut_buf_printf(&q,
                       "SELECT s.i FROM (SELECT x.v::%s AS k, x.i FROM "
                       "pg_catalog.unnest($1::pg_catalog.text[]) WITH ORDINALITY AS x(v, i) "
                       "WHERE x.v IS NOT NULL ORDER BY 1) s WHERE NOT EXISTS "
                       "(SELECT 1 FROM %s%s p WHERE p.",
                       PQgetvalue(res, r, 3), PQgetvalue(res, r, 7)[0] == 'r' ? "ONLY " : "",
                       PQgetvalue(res, r, 5));
        quote_ident(&q, fk->parent_col);
        cut_buf_printf(&q, " OPERATOR(%s) s.k)", PQgetvalue(res, r, 8));
        fk->check = cut_strdup(cut_buf_cstr(&q));
        cut_buf_free(&q);
        if (PQgetvalue(res, r, 9)[0] == 't' && l->ndefer == l->nfk)
            l->ndefer++;
        l->nfk++;
        if (!fk->name || !fk->def || !fk->column || !fk->parent || !fk->parent_col || !fk->check)
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    PQclear(res);
    return rc;
}

static int pg_key_bounds(cut_conn *base, const cut_table *t, int col, int64_t *min,
                         int64_t *max, int *empty, cut_error *err)
{
    pg_conn *c = (pg_conn *)base;
    cut_buf q = {0}, qc = {0};
    quote_table(&q, t);
    quote_ident(&qc, t->cols[col].name);
    char *sql = cut_asprintf("SELECT min(%s)::bigint, max(%s)::bigint FROM %s", cut_buf_cstr(&qc),
                             cut_buf_cstr(&qc), cut_buf_cstr(&q));
    cut_buf_free(&q);
    cut_buf_free(&qc);
    if (!sql)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    PGresult *res = pg_query(c, sql, 0, NULL, err, "reading the key range of", t->name);
    free(sql);
    if (!res)
        return err->code;
    int rc = CUT_OK;
    *empty = PQntuples(res) != 1 || PQgetisnull(res, 0, 0) || PQgetisnull(res, 0, 1);
    if (!*empty) {
        const char *a0 = PQgetvalue(res, 0, 0), *a1 = PQgetvalue(res, 0, 1);
        if (cut_parse_int64(a0, strlen(a0), min) || cut_parse_int64(a1, strlen(a1), max))
            rc = cut_error_set(err, CUT_ESERVER, "PostgreSQL: unexpected key range of %s",
                               t->name);
    }
    PQclear(res);
    return rc;
}

static int pg_load_open(cut_conn *base, const cut_table *t, const cut_load_opts *o,
                        cut_load **out, cut_error *err)
{
    pg_conn *c = (pg_conn *)base;
    *out = NULL;
    int rc = CUT_OK;
    pg_load *l = calloc(1, sizeof(*l));
    if (!l)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    l->c = c;
    l->ncols = o->ncols;
    l->table = cut_strdup(t->name);
    l->bytea = calloc((size_t)o->ncols + 1, 1);
    l->bin = calloc((size_t)o->ncols + 1, sizeof(int));
    cut_buf q = {0}, sql = {0};
    quote_table(&q, t);
    cut_buf_printf(&sql, "COPY %s (", cut_buf_cstr(&q));
    int binary = l->bin != NULL;
    for (int i = 0; i < o->ncols; i++) {
        const cut_column *col = &t->cols[o->cols[i]];
        if (i)
            cut_buf_append(&sql, ", ", 2);
        quote_ident(&sql, col->name);
        if (l->bytea)
            l->bytea[i] = col->type.kind == CUT_T_BYTES;
        if (l->bin && !(l->bin[i] = cut_pg_bin_kind(col->wire)))
            binary = 0;
    }
    cut_buf_printf(&sql, ") FROM STDIN");
    l->qname = cut_strdup(cut_buf_cstr(&q));
    /* A table emptied by this restore's TRUNCATE takes its rows frozen, its pages marked
       all-visible: the key and index builds, the foreign key validations (index-only
       scans) and the read-back then check no row's visibility. */
    int freeze = o->whole && q.p && fresh_in_tx(c, q.p);
    size_t head = sql.len;
    cut_buf_printf(&sql, "%s", freeze ? " (FREEZE)" : "");
    l->copy_sql = cut_strdup(cut_buf_cstr(&sql));
    sql.len = head;
    cut_buf_printf(&sql, " (FORMAT binary%s)", freeze ? ", FREEZE" : "");
    l->copy_sql_bin = cut_strdup(cut_buf_cstr(&sql));
    cut_buf_free(&q);
    cut_buf_free(&sql);
    if (!binary && l->bin) {
        free(l->bin);
        l->bin = NULL;
    }
    cut_log(CUT_LOG_DEBUG, "PostgreSQL: %s loads in COPY's %s format", t->name,
            l->bin ? "binary" : "text (a column's type has no binary form here)");
    if (!l->table || !l->bytea || !l->qname || !l->copy_sql || !l->copy_sql_bin) {
        load_free(l);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    l->own_tx = !c->in_tx && !o->in_tx;
    if (l->own_tx && (rc = pg_cmd(c, "BEGIN", err, "starting a load of", t->name))) {
        load_free(l);
        return rc;
    }
    if (o->ranged && rc == CUT_OK) {
        /* A chunk replaces its key range: loading it again never duplicates rows. */
        cut_buf q2 = {0}, del = {0};
        quote_ident(&q2, t->cols[o->range_col].name);
        cut_range_delete_sql(&del, l->qname, cut_buf_cstr(&q2), o);
        rc = pg_cmd(c, cut_buf_cstr(&del), err, "deleting a chunk's key range of", t->name);
        cut_buf_free(&q2);
        cut_buf_free(&del);
    } else if (!o->allow_nonempty) {
        char *check = cut_asprintf("SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 1) x",
                                   l->qname);
        int64_t n = 0;
        rc = check ? scalar_int64(c, check, 0, NULL, &n, err, t->name)
                   : cut_error_set(err, CUT_ENOMEM, "out of memory");
        free(check);
        if (rc == CUT_OK && n > 0) {
            char *count = cut_asprintf("SELECT count(*) FROM %s", l->qname);
            if (count)
                scalar_int64(c, count, 0, NULL, &n, err, t->name);
            free(count);
            rc = cut_error_set(err, CUT_ESTATE,
                               "target table %s is not empty (%" PRId64
                               " rows); use --truncate to replace its rows",
                               t->name, n);
            cut_error_set_table(err, t->name);
        }
        /* Only a load in a transaction of its own may trade its per-row foreign key
           checks for one check per batch: restores keep them. */
        if (rc == CUT_OK && l->own_tx)
            rc = find_fks(l, t, o, err);
    }
    l->whole = o->whole;
    l->sequences_later = o->sequences_later;
    l->fk_state = l->ndefer && !l->whole ? FK_UNDECIDED : FK_KEPT;
    if (rc) {
        if (l->own_tx)
            PQclear(PQexec(c->pg, "ROLLBACK"));
        load_free(l);
        return rc;
    }
    *out = &l->base;
    return CUT_OK;
}

/* Builds b's rows in COPY's binary format in l->text. Returns 0, CUT_ENOMEM, or
   CUT_EDATA when a value has no binary form (it is not canonical). */
static int encode_batch_bin(pg_load *l, const cut_batch *b)
{
    cut_buf_reset(&l->text);
    for (int r = 0; r < b->nrows; r++) {
        l->rowoff[r] = l->text.len;
        const cut_cell *row = cut_batch_crow(b, r);
        int rc = cut_pg_bin_row(&l->text, l->ncols);
        for (int i = 0; i < l->ncols && rc == CUT_OK; i++)
            rc = cut_pg_bin_field(&l->text, l->bin[i], &row[i]);
        if (rc == CUT_EDATA)
            cut_log(CUT_LOG_DEBUG, "PostgreSQL: a batch of %s goes as text: a value of row %d "
                    "has no binary form", l->table, r + 1);
        if (rc)
            return rc;
    }
    l->rowoff[b->nrows] = l->text.len;
    return CUT_OK;
}

/* Builds the COPY data of b's rows in l->text, with the offset of every row: binary when
   the table's columns and the batch's values allow it, else text. */
static int encode_batch(pg_load *l, const cut_batch *b)
{
    if (b->nrows + 1 > l->rowcap) {
        size_t *p = realloc(l->rowoff, sizeof(size_t) * (size_t)(b->nrows + 1));
        if (p)
            l->rowoff = p;
        unsigned char *o = realloc(l->out, (size_t)(b->nrows + 1));
        if (o)
            l->out = o;
        int *d = realloc(l->ord, sizeof(int) * (size_t)(b->nrows + 1));
        if (d)
            l->ord = d;
        if (!p || !o || !d)
            return CUT_ENOMEM;
        l->rowcap = b->nrows + 1;
    }
    memset(l->out, 0, (size_t)b->nrows);
    l->batch_bin = 0;
    if (l->bin) {
        int rc = encode_batch_bin(l, b);
        if (rc != CUT_EDATA) {
            l->batch_bin = rc == CUT_OK;
            return rc;
        }
    }
    cut_buf_reset(&l->text);
    for (int r = 0; r < b->nrows; r++) {
        l->rowoff[r] = l->text.len;
        const cut_cell *row = cut_batch_crow(b, r);
        for (int i = 0; i < l->ncols; i++) {
            const cut_cell *v = &row[i];
            int rc;
            if (i && cut_buf_appendc(&l->text, '\t'))
                return CUT_ENOMEM;
            if (cut_cell_is_null(v))
                rc = cut_buf_append(&l->text, "\\N", 2);
            else if (l->bytea[i])
                rc = cut_pg_copy_bytea(&l->text, v->p, v->len);
            else
                rc = cut_pg_copy_escape(&l->text, v->p, v->len);
            if (rc)
                return CUT_ENOMEM;
        }
        if (cut_buf_appendc(&l->text, '\n'))
            return CUT_ENOMEM;
    }
    l->rowoff[b->nrows] = l->text.len;
    return CUT_OK;
}

/* Server errors that concern the rows sent, not the load: data exceptions (22), integrity
   constraint violations (23) and program limits such as an oversized index row (54). */
static int is_row_error(const PGresult *res)
{
    const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    return st && (strncmp(st, "22", 2) == 0 || strncmp(st, "23", 2) == 0 ||
                  strncmp(st, "54", 2) == 0);
}

/* The line COPY was reading when it failed ("COPY t, line 17, column x: ..."), or 0. */
static long copy_line(const PGresult *res, char *column, size_t colsize)
{
    const char *ctx = PQresultErrorField(res, PG_DIAG_CONTEXT);
    column[0] = '\0';
    if (!ctx)
        return 0;
    const char *p = strstr(ctx, ", line ");
    if (!p)
        return 0;
    long line = strtol(p + 7, NULL, 10);
    const char *cp = strstr(p, ", column ");
    if (cp) {
        cp += 9;
        size_t n = strcspn(cp, ":\n");
        if (n >= colsize)
            n = colsize - 1;
        memcpy(column, cp, n);
        column[n] = '\0';
    }
    return line;
}

/* Keeps a reject line readable: a detail may repeat the whole row. */
static const char *reason_done(cut_buf *b)
{
    if (b->len > 600) {
        b->len = 597;
        cut_buf_append(b, "...", 3);
    }
    return cut_buf_cstr(b);
}

/* Describes a refused row for the reject file from the server's fields. */
static const char *row_reason(pg_load *l, const PGresult *res, const char *ctx_column)
{
    const char *prim = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    const char *det = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    const char *col = PQresultErrorField(res, PG_DIAG_COLUMN_NAME);
    const char *con = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
    if (!col && ctx_column && *ctx_column)
        col = ctx_column;
    cut_buf *b = &l->reason;
    cut_buf_reset(b);
    cut_buf_printf(b, "PostgreSQL refused the row: %s", prim ? prim : "error");
    if (det)
        cut_buf_printf(b, "; %s", det);
    if (col)
        cut_buf_printf(b, " [column %s]", col);
    if (con)
        cut_buf_printf(b, " [constraint %s]", con);
    return reason_done(b);
}

/* The row refused by a deferred foreign key, worded as the server words it. */
static const char *fk_reason(pg_load *l, const pg_fk *fk, const cut_cell *v)
{
    cut_buf *b = &l->reason;
    cut_buf_reset(b);
    cut_buf_printf(b,
                   "PostgreSQL refused the row: insert or update on table \"%s\" violates "
                   "foreign key constraint \"%s\"; Key (%s)=(%.*s) is not present in table "
                   "\"%s\". [constraint %s]",
                   l->table, fk->name, fk->column, (int)(v->len > 200 ? 200 : v->len), v->p,
                   fk->parent, fk->name);
    return reason_done(b);
}

/* Rows of [a, b) not refused yet. */
static int live_rows(const pg_load *l, int a, int b)
{
    int n = 0;
    for (int r = a; r < b; r++)
        n += !l->out[r];
    return n;
}

/* The batch row of the line-th row sent from [a, b) (1-based), or -1. */
static int row_of_line(const pg_load *l, int a, int b, long line)
{
    for (int r = a; r < b; r++)
        if (!l->out[r] && --line == 0)
            return r;
    return -1;
}

/* Appends one value to a text[] literal ("..." with \ and " escaped). */
static int arr_add(cut_buf *b, const cut_cell *v, int bytea)
{
    if (b->len > 1 && cut_buf_appendc(b, ','))
        return CUT_ENOMEM;
    if (cut_cell_is_null(v))
        return cut_buf_append(b, "NULL", 4);
    static const char hex[] = "0123456789abcdef";
    if (cut_buf_reserve(b, (size_t)v->len * 4 + 8))
        return CUT_ENOMEM;
    char *w = b->p + b->len;
    *w++ = '"';
    if (bytea) {
        *w++ = '\\';
        *w++ = '\\';
        *w++ = 'x';
        for (uint32_t i = 0; i < v->len; i++) {
            *w++ = hex[(unsigned char)v->p[i] >> 4];
            *w++ = hex[(unsigned char)v->p[i] & 15];
        }
    } else {
        for (uint32_t i = 0; i < v->len; i++) {
            if (v->p[i] == '"' || v->p[i] == '\\')
                *w++ = '\\';
            *w++ = v->p[i];
        }
    }
    *w++ = '"';
    b->len = (size_t)(w - b->p);
    b->p[b->len] = '\0';
    return CUT_OK;
}

/* Prepares fk's check unless it is: NULL when it is ready, else the failed result (the
   caller clears it; inside a transaction, a failed PREPARE aborts it). */
static PGresult *prepare_check(pg_conn *c, pg_fk *fk)
{
    if (fk->stmt[0])
        return NULL;
    snprintf(fk->stmt, sizeof(fk->stmt), "cut_fk_%u", ++c->stmts);
    PGresult *res = PQprepare(c->pg, fk->stmt, fk->check, 1, NULL);
    if (PQresultStatus(res) == PGRES_COMMAND_OK) {
        PQclear(res);
        return NULL;
    }
    fk->stmt[0] = '\0';
    return res;
}

/*
 * The check of the first nfk foreign keys for the rows of [a, b): each key's values go
 * to the server as one array and come back as the ordinals the referenced table lacks.
 * Those rows are refused (and marked); returns how many, or an error.
 */
static int fk_check(pg_load *l, int a, int b, int nfk, cut_error *err)
{
    int refused = 0;
    for (int k = 0; k < nfk; k++) {
        const pg_fk *fk = &l->fks[k];
        cut_buf_reset(&l->arr);
        cut_buf_appendc(&l->arr, '{');
        int n = 0;
        for (int r = a; r < b; r++) {
            if (l->out[r])
                continue;
            if (arr_add(&l->arr, &cut_batch_crow(l->batch, r)[fk->col], l->bytea[fk->col]))
                return cut_error_set(err, CUT_ENOMEM, "out of memory");
            l->ord[n++] = r;
        }
        if (cut_buf_appendc(&l->arr, '}'))
            return cut_error_set(err, CUT_ENOMEM, "out of memory");
        const char *p[1] = {l->arr.p};
        PGresult *res = PQexecPrepared(l->c->pg, fk->stmt, 1, p, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            int rc = pg_error(l->c, res, err, "checking the foreign keys of", l->table);
            PQclear(res);
            return rc;
        }
        /* Marked first, then refused in the batch's order (the server's is the keys'). */
        for (int i = 0; i < PQntuples(res); i++) {
            long ord = strtol(PQgetvalue(res, i, 0), NULL, 10);
            if (ord >= 1 && ord <= n && !l->out[l->ord[ord - 1]])
                l->out[l->ord[ord - 1]] = 2;
        }
        PQclear(res);
        for (int r = a; r < b; r++) {
            if (l->out[r] != 2)
                continue;
            l->out[r] = 1;
            refused++;
            const cut_cell *v = &cut_batch_crow(l->batch, r)[fk->col];
            l->rej(l->ud, r, fk_reason(l, fk, v));
        }
    }
    return refused;
}

enum { COPY_OK = 0, COPY_ROW_ERROR = 1, COPY_AGAIN = 2 }; /* else a negative CUT_E* */

/* Reads the results that end a COPY FROM: COPY_OK; COPY_ROW_ERROR when the server refused
   a row for its data (*line: the COPY's line number of it, or 0; the reason in l->reason);
   or an error. */
static int copy_verdict(pg_load *l, long *line, cut_error *err)
{
    pg_conn *c = l->c;
    int rc = COPY_OK;
    PGresult *res;
    *line = 0;
    while ((res = PQgetResult(c->pg)) != NULL) {
        if (rc == COPY_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
            if (!conn_lost(c) && is_row_error(res)) {
                char column[128];
                const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
                *line = copy_line(res, column, sizeof(column));
                row_reason(l, res, column);
                l->fk_violation = st && strcmp(st, "23503") == 0;
                rc = COPY_ROW_ERROR;
            } else {
                rc = pg_error(c, res, err, "loading", l->table);
            }
        }
        PQclear(res);
        if (conn_lost(c))
            break;
    }
    if (rc == COPY_OK && conn_lost(c))
        rc = pg_error(c, NULL, err, "loading", l->table);
    return rc;
}

/*
 * COPYs the rows of [a, b) not refused yet, in the load's savepoint, then checks the
 * deferred foreign keys. Returns COPY_OK; COPY_ROW_ERROR (rolled back to the savepoint;
 * *line is the failing line counted among the rows sent, or 0; the reason is in
 * l->reason); COPY_AGAIN (rolled back: foreign key checks refused rows, send the rest
 * again); or an error.
 */
static int copy_range(pg_load *l, int a, int b, long *line, cut_error *err)
{
    pg_conn *c = l->c;
    int rc;
    *line = 0;
    if (l->sp != SP_FRESH) {
        rc = pg_cmd(c, l->sp == SP_NONE ? "SAVEPOINT cut_load"
                                        : "RELEASE SAVEPOINT cut_load; SAVEPOINT cut_load",
                    err, "loading", l->table);
        if (rc)
            return rc;
        l->sp = SP_FRESH;
    }
    PGresult *res = PQexec(c->pg, l->batch_bin ? l->copy_sql_bin : l->copy_sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        rc = pg_error(c, res, err, "loading", l->table);
        PQclear(res);
        return rc;
    }
    PQclear(res);
    l->sp = SP_USED;
    /* Runs of rows not refused, straight from the batch's data. */
    int ok = !l->batch_bin || PQputCopyData(c->pg, (const char *)cut_pg_bin_header,
                                            CUT_PG_BIN_HEADER_LEN) == 1;
    for (int r = a; r < b && ok;) {
        while (r < b && l->out[r])
            r++;
        int e = r;
        while (e < b && !l->out[e])
            e++;
        if (e > r)
            ok = PQputCopyData(c->pg, l->text.p + l->rowoff[r],
                               (int)(l->rowoff[e] - l->rowoff[r])) == 1;
        r = e;
    }
    if (ok && l->batch_bin)
        ok = PQputCopyData(c->pg, "\377\377", 2) == 1; /* the trailer: a field count of -1 */
    if (!ok || PQputCopyEnd(c->pg, NULL) != 1) {
        rc = pg_error(c, NULL, err, "loading", l->table);
        copy_finish(c, err, "loading", l->table);
        return rc;
    }
    rc = copy_verdict(l, line, err);
    if (rc == COPY_OK && l->fk_state == FK_DEFERRED) {
        int n = fk_check(l, a, b, l->ndefer, err);
        if (n < 0)
            return n;
        if (n > 0)
            rc = COPY_AGAIN;
    }
    if (rc == COPY_ROW_ERROR || rc == COPY_AGAIN) {
        int r2 = pg_cmd(c, "ROLLBACK TO SAVEPOINT cut_load", err, "loading", l->table);
        if (r2)
            return r2;
        l->sp = SP_FRESH;
    }
    return rc;
}

/*
 * A COPY that a foreign key's trigger failed names no row (the triggers fire at its end),
 * so load_range would find the refused rows by bisection: for each of them a COPY of
 * half the range, of a quarter, and so on; with most rows refused (the parent table not
 * loaded, say) that is two COPYs per row: an hour for a million. The keys' checks, the
 * anti-join a deferred load runs per batch, find them all with one query per key.
 * Returns the rows refused, 0 when the checks cannot tell (then bisection), or an error.
 */
static int fk_locate(pg_load *l, int a, int b, cut_error *err)
{
    pg_conn *c = l->c;
    cut_error e;
    cut_error_clear(&e);
    int n = 0;
    for (int k = 0; k < l->nfk && n == 0; k++) {
        PGresult *res = prepare_check(c, &l->fks[k]);
        if (res) {
            n = pg_error(c, res, &e, "preparing the foreign keys' check of", l->table);
            PQclear(res);
        }
    }
    if (n == 0 && (n = fk_check(l, a, b, l->nfk, &e)) >= 0)
        return n;
    if (n == CUT_ENOMEM || conn_lost(c)) {
        *err = e;
        return n;
    }
    /* A check the server would not prepare or run (the referenced table not readable by
       this role, whose trigger runs as the table's owner): bisection, for this load. */
    cut_log(CUT_LOG_DEBUG, "PostgreSQL: %s: %s; bisecting", l->table, e.msg);
    l->no_locate = 1;
    int rc = pg_cmd(c, "ROLLBACK TO SAVEPOINT cut_load", err, "loading", l->table);
    return rc ? rc : 0;
}

/*
 * Loads rows [a, b) so that only the rows the server refuses are left out. A failure
 * that names its line splits the range around that row; one that does not (a foreign
 * key checked by its trigger at the end of the statement) is located by the keys'
 * checks, else bisected.
 */
static int load_range(pg_load *l, int a, int b, cut_error *err)
{
    for (;;) {
        int live = live_rows(l, a, b);
        if (live == 0)
            return CUT_OK;
        long line;
        int rc = copy_range(l, a, b, &line, err);
        if (rc == COPY_OK)
            return CUT_OK;
        if (rc < 0)
            return rc;
        if (rc == COPY_AGAIN)
            continue; /* the refused rows are marked: the others again */
        int bad = line >= 1 ? row_of_line(l, a, b, line) : -1;
        if (live == 1)
            bad = row_of_line(l, a, b, 1);
        if (bad < 0 && l->fk_violation && l->nfk && !l->no_locate) {
            int n = fk_locate(l, a, b, err);
            if (n < 0)
                return n;
            if (n > 0)
                continue; /* the refused rows are marked: the others again */
        }
        if (bad >= 0) {
            /* The reason belongs to row bad; the rows before it are loaded first. */
            char *why = cut_strdup(cut_buf_cstr(&l->reason));
            if (!why)
                return cut_error_set(err, CUT_ENOMEM, "out of memory");
            if (bad > a && (rc = load_range(l, a, bad, err))) {
                free(why);
                return rc;
            }
            l->out[bad] = 1;
            l->rej(l->ud, bad, why);
            free(why);
            a = bad + 1;
            continue;
        }
        int mid = a + (b - a) / 2;
        if ((rc = load_range(l, a, mid, err)))
            return rc;
        a = mid;
    }
}

/*
 * Trades the per-row foreign key triggers for a check per batch: the constraints are
 * dropped inside the load's transaction and added back, validated, before its commit,
 * so no committed state ever lacks them. Dropping locks the referenced tables until
 * the commit; the constraints go in the order of their tables' OIDs, the same in every
 * load, so two loads wait for each other instead of deadlocking. When the constraints
 * cannot be dropped, the triggers stay.
 */
static int defer_fks(pg_load *l, cut_error *err)
{
    pg_conn *c = l->c;
    int rc = pg_cmd(c, "SAVEPOINT cut_fk", err, "loading", l->table);
    if (rc)
        return rc;
    /* The checks first: a key whose check cannot be prepared keeps its triggers. */
    PGresult *res = NULL;
    for (int k = 0; k < l->ndefer && !res; k++)
        res = prepare_check(c, &l->fks[k]);
    if (!res) {
        cut_buf sql = {0};
        cut_buf_printf(&sql, "ALTER TABLE %s ", l->qname);
        for (int k = 0; k < l->ndefer; k++) {
            cut_buf_printf(&sql, "%sDROP CONSTRAINT ", k ? ", " : "");
            quote_ident(&sql, l->fks[k].name);
        }
        cut_buf_printf(&sql, "; RELEASE SAVEPOINT cut_fk");
        if (!cut_buf_cstr(&sql))
            return cut_error_set(err, CUT_ENOMEM, "out of memory");
        res = PQexec(c->pg, sql.p);
        cut_buf_free(&sql);
        if (PQresultStatus(res) == PGRES_COMMAND_OK) {
            l->fk_state = FK_DEFERRED;
            PQclear(res);
            return CUT_OK;
        }
    }
    if (conn_lost(c)) {
        rc = pg_error(c, res, err, "loading", l->table);
    } else {
        cut_log(CUT_LOG_DEBUG, "PostgreSQL: %s keeps its foreign key triggers: %s", l->table,
                PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
        rc = pg_cmd(c, "ROLLBACK TO SAVEPOINT cut_fk; RELEASE SAVEPOINT cut_fk", err, "loading",
                    l->table);
    }
    PQclear(res);
    return rc;
}

static int restore_fks(pg_load *l, cut_error *err)
{
    cut_buf sql = {0};
    cut_buf_printf(&sql, "ALTER TABLE %s ", l->qname);
    for (int k = 0; k < l->ndefer; k++) {
        cut_buf_printf(&sql, "%sADD CONSTRAINT ", k ? ", " : "");
        quote_ident(&sql, l->fks[k].name);
        cut_buf_printf(&sql, " %s", l->fks[k].def);
    }
    int rc = cut_buf_cstr(&sql) ? pg_cmd(l->c, sql.p, err, "adding back the foreign keys of",
                                         l->table)
                                : cut_error_set(err, CUT_ENOMEM, "out of memory");
    cut_buf_free(&sql);
    if (rc == CUT_OK)
        l->fk_state = FK_KEPT;
    return rc;
}

/*
 * An all-or-nothing load (cut_load_opts.whole) sends its batches through one COPY, with
 * no savepoint and no wait for the server between batches: the client encodes the next
 * batch while the server takes in the last. A batch that must go in the other format
 * ends the COPY and starts one in its own. stream_end ends it and reads its verdict.
 */
static int stream_end(pg_load *l, cut_error *err)
{
    pg_conn *c = l->c;
    l->streaming = 0;
    if ((l->stream_bin && PQputCopyData(c->pg, "\377\377", 2) != 1) ||
        PQputCopyEnd(c->pg, NULL) != 1) {
        int rc = pg_error(c, NULL, err, "loading", l->table);
        copy_finish(c, err, "loading", l->table);
        return rc;
    }
    long line;
    int rc = copy_verdict(l, &line, err);
    if (rc == COPY_ROW_ERROR) {
        const char *why = cut_buf_cstr(&l->reason);
        if (line > 0)
            rc = cut_error_set(err, CUT_ESERVER, "row %" PRId64 " of the rows loaded: %s",
                               l->stream_base + line, why);
        else
            rc = cut_error_set(err, CUT_ESERVER, "a row loaded: %s", why);
        cut_error_set_table(err, l->table);
        err->line = line > 0 ? (long)(l->stream_base + line) : 0;
    }
    l->stream_base += l->stream_rows;
    l->stream_rows = 0;
    return rc;
}

static int stream_rows(pg_load *l, const cut_batch *b, cut_error *err)
{
    pg_conn *c = l->c;
    int rc;
    if (encode_batch(l, b))
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    if (l->streaming && l->stream_bin != l->batch_bin && (rc = stream_end(l, err)))
        return rc;
    if (!l->streaming) {
        PGresult *res = PQexec(c->pg, l->batch_bin ? l->copy_sql_bin : l->copy_sql);
        if (PQresultStatus(res) != PGRES_COPY_IN) {
            rc = pg_error(c, res, err, "loading", l->table);
            PQclear(res);
            return rc;
        }
        PQclear(res);
        l->streaming = 1;
        l->stream_bin = l->batch_bin;
        if (l->stream_bin && PQputCopyData(c->pg, (const char *)cut_pg_bin_header,
                                           CUT_PG_BIN_HEADER_LEN) != 1)
            return pg_error(c, NULL, err, "loading", l->table);
    }
    if (l->text.len > INT_MAX || PQputCopyData(c->pg, l->text.p, (int)l->text.len) != 1)
        return pg_error(c, NULL, err, "loading", l->table);
    l->stream_rows += b->nrows;
    return CUT_OK;
}

static int pg_load_rows(cut_load *base, const cut_batch *b, cut_reject_fn rej, void *ud,
                        cut_error *err)
{
    pg_load *l = (pg_load *)base;
    if (b->nrows == 0)
        return CUT_OK;
    if (l->whole)
        return stream_rows(l, b, err);
    int rc;
    if (l->fk_state == FK_UNDECIDED) {
        l->fk_state = FK_KEPT;
        if (b->nrows >= FK_DEFER_MIN_ROWS && (rc = defer_fks(l, err)))
            return rc;
    }
    if (encode_batch(l, b))
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    l->batch = b;
    l->rej = rej;
    l->ud = ud;
    rc = load_range(l, 0, b->nrows, err);
    l->batch = NULL;
    return rc;
}

/* Moves every identity / serial sequence of the table qname past its largest key (or back
   to its start when the table is empty, so that nextval gives the first value). */
static int reset_sequences(pg_conn *c, const char *qname, const char *table, cut_error *err)
{
    static const char *const seq_sql =
        "SELECT a.attname, pg_catalog.pg_get_serial_sequence($1, a.attname) "
        "FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1::pg_catalog.regclass "
        "AND a.attnum > 0 AND NOT a.attisdropped "
        "AND pg_catalog.pg_get_serial_sequence($1, a.attname) IS NOT NULL";
    const char *p1[1] = {qname};
    PGresult *res = pg_query(c, seq_sql, 1, p1, err, "setting the sequences of", table);
    if (!res)
        return err->code;
    int rc = CUT_OK;
    cut_buf sql = {0};
    for (int r = 0; r < PQntuples(res) && rc == CUT_OK; r++) {
        const char *seq = PQgetvalue(res, r, 1);
        cut_buf_reset(&sql);
        /* Past the keys, and never back: setval is not undone by a rollback (a restore
           that failed would have left the counter below the keys still there), and a value
           the sequence gave out may be in use outside the table. */
        cut_buf_printf(&sql,
                       "SELECT pg_catalog.setval($1::pg_catalog.regclass, "
                       "coalesce(m.v::int8, s.seqstart), m.v IS NOT NULL) "
                       "FROM pg_catalog.pg_sequence s, (SELECT CASE WHEN (SELECT seqincrement "
                       "FROM pg_catalog.pg_sequence WHERE seqrelid = $1::pg_catalog.regclass) "
                       "> 0 THEN greatest(max(");
        quote_ident(&sql, PQgetvalue(res, r, 0));
        cut_buf_printf(&sql, "), pg_catalog.pg_sequence_last_value($1::pg_catalog.regclass)) "
                             "ELSE least(min(");
        quote_ident(&sql, PQgetvalue(res, r, 0));
        cut_buf_printf(&sql, "), pg_catalog.pg_sequence_last_value($1::pg_catalog.regclass)) "
                             "END AS v FROM %s) m WHERE s.seqrelid = $1::pg_catalog.regclass",
                       qname);
        const char *p[1] = {seq};
        PGresult *r2 = cut_buf_cstr(&sql)
                           ? pg_query(c, sql.p, 1, p, err, "setting the sequences of", table)
                           : NULL;
        if (!r2)
            rc = sql.p ? err->code : cut_error_set(err, CUT_ENOMEM, "out of memory");
        PQclear(r2);
    }
    cut_buf_free(&sql);
    PQclear(res);
    return rc;
}

static int pg_load_commit(cut_load *base, cut_error *err)
{
    pg_load *l = (pg_load *)base;
    pg_conn *c = l->c;
    int rc = l->streaming ? stream_end(l, err) : CUT_OK;
    if (rc == CUT_OK && l->sp != SP_NONE && !l->own_tx)
        rc = pg_cmd(c, "RELEASE SAVEPOINT cut_load", err, "loading", l->table);
    if (rc == CUT_OK && l->fk_state == FK_DEFERRED)
        rc = restore_fks(l, err);
    if (rc == CUT_OK && !l->sequences_later)
        rc = reset_sequences(c, l->qname, l->table, err);
    if (l->own_tx) {
        if (rc == CUT_OK)
            rc = pg_commit(c, err, l->table);
        else
            PQclear(PQexec(c->pg, "ROLLBACK"));
    }
    load_free(l);
    return rc;
}

static int pg_tidy(cut_conn *base, const cut_table *t, cut_error *err)
{
    cut_buf q = {0};
    cut_buf_printf(&q, "VACUUM ");
    quote_table(&q, t);
    int rc = cut_buf_cstr(&q) ? pg_cmd((pg_conn *)base, q.p, err, "vacuuming", t->name)
                              : cut_error_set(err, CUT_ENOMEM, "out of memory");
    cut_buf_free(&q);
    return rc;
}

static int pg_set_sequences(cut_conn *base, const cut_table *t, cut_error *err)
{
    cut_buf q = {0};
    quote_table(&q, t);
    int rc = cut_buf_cstr(&q) ? reset_sequences((pg_conn *)base, q.p, t->name, err)
                              : cut_error_set(err, CUT_ENOMEM, "out of memory");
    cut_buf_free(&q);
    return rc;
}

static void pg_load_abort(cut_load *base)
{
    pg_load *l = (pg_load *)base;
    if (!l)
        return;
    if (l->streaming) {
        /* The server ends the COPY with an error: nothing of it stays. */
        PQputCopyEnd(l->c->pg, "the load was abandoned");
        while (!conn_lost(l->c)) {
            PGresult *res = PQgetResult(l->c->pg);
            if (!res)
                break;
            PQclear(res);
        }
    }
    /* Inside the caller's transaction the caller rolls back (tx_rollback); foreign keys
       are only ever deferred in a transaction of the load's own. */
    if (l->own_tx)
        PQclear(PQexec(l->c->pg, "ROLLBACK"));
    load_free(l);
}

const cut_driver cut_driver_pg = {
    .version = 1,
    .scheme = "postgresql",
    .name = "PostgreSQL",
    .caps = CUT_DRV_SOURCE | CUT_DRV_TARGET,
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .describe = pg_describe,
    .list_tables = pg_list_tables,
    .estimate_rows = pg_estimate_rows,
    .count_rows = pg_count_rows,
    .read_view = pg_read_view,
    .begin_read_at = pg_begin_read_at,
    .defer_constraints = pg_defer_constraints,
    .defer_keys = pg_defer_keys,
    .set_sequences = pg_set_sequences,
    .tidy = pg_tidy,
    .key_bounds = pg_key_bounds,
    .begin_read = pg_begin_read,
    .end_read = pg_end_read,
    .scan_open = pg_scan_open,
    .scan_next = pg_scan_next,
    .scan_close = pg_scan_close,
    .truncate = pg_truncate,
    .tx_begin = pg_tx_begin,
    .tx_commit = pg_tx_commit,
    .tx_rollback = pg_tx_rollback,
    .ddl = pg_ddl,
    .load_open = pg_load_open,
    .load_rows = pg_load_rows,
    .load_commit = pg_load_commit,
    .load_abort = pg_load_abort,
    .exec = pg_exec,
};
