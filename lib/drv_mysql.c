/*
 * drv_mysql.c — the MariaDB/MySQL driver, source and target (MariaDB
 * Connector/C, or libmysqlclient: only the common API is used).
 *
 * Sessions: utf8mb4, time_zone '+00:00'. A target session runs in a strict
 * sql_mode so that the server refuses, rather than truncates or coerces, a
 * value it cannot store; a source session is permissive and read-only, so
 * zero dates read back as written and nothing is ever written.
 *
 * Types come from information_schema (docs/drivers.md, "MariaDB and MySQL").
 * The text protocol renders values the way cut_canon() reads them, with three
 * exceptions handled here: BIT arrives as big-endian bytes (rendered as an
 * integer), TIMESTAMP is UTC in this session (given a "+00" suffix so no
 * source_timezone applies to it), and FLOAT is printed with 6 digits (so it is
 * selected as a double and narrowed again by cut_canon).
 *
 * Reading streams with mysql_use_result inside a consistent-snapshot,
 * read-only transaction: memory stays constant whatever the table size.
 *
 * Loading sends each batch through LOAD DATA LOCAL INFILE, fed from memory by
 * a local-infile handler that never opens a file, or by multi-row prepared
 * INSERTs when local infile is off (?local_infile=0) or refused by the server.
 * LOAD DATA LOCAL turns data errors into warnings (the server cannot stop the
 * client's stream), so warnings are treated as errors: a batch with an error or
 * a warning is rolled back to a savepoint and its rows are inserted one at a
 * time, each behind its own savepoint; the rows the server refuses go to the
 * reject callback with the server's message, the others are loaded.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "driver.h"
#include "types.h"
#include "util.h"

/* The session modes (docs/drivers.md). NO_AUTO_VALUE_ON_ZERO: an explicit id 0 is data.
   Zero dates are let in: canonical values never hold one (a migrate makes them NULL or
   rejects them), and a restore puts back those a snapshot kept. */
#define MY_TARGET_SQL_MODE                                                                         \
    "STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO"
#define MY_SOURCE_SQL_MODE "NO_ENGINE_SUBSTITUTION"

/* Rows per multi-row INSERT (MySQL allows at most 65535 placeholders per statement). */
#define MY_INSERT_ROWS      500
#define MY_SPLIT            16 /* a refused part is sent again as this many parts */
#define MY_WATCH            8  /* batches checked for orphans after one had some */
#define MY_MAX_PLACEHOLDERS 65535

typedef struct my_load my_load;

/* A single-column foreign key of a loaded table, and the query that lists which of a
   part's values its referenced table lacks: the values go in as a JSON array. */
typedef struct my_fk {
    char *name; /* the constraint, as the server's message names it */
    int col;    /* the loaded column (index into the load's columns) */
    char *tail; /* after "SELECT j.i FROM JSON_TABLE(<values>": ", '$[*]' COLUMNS (...)) j
                   WHERE ... NOT EXISTS (...)"; NULL once the
                   server could not run it */
    char *why;  /* the reason given for its refused rows, in the server's words */
} my_fk;

typedef struct my_conn {
    struct cut_conn base;
    MYSQL *db;
    int mode;
    int in_read;       /* a consistent-snapshot read transaction is open */
    int in_tx;         /* the caller's write transaction is open (tx_begin) */
    int local_infile;  /* LOAD DATA LOCAL is worth trying on this connection */
    const char *label; /* "MariaDB" or "MySQL", for messages */
    my_load *feeding;  /* the load whose batch the local-infile handler sends */
    char **emptied;    /* tables my_truncate emptied in the caller's open transaction */
    int nemptied;
} my_conn;

/* How a scanned column's text must be adjusted before cut_canon sees it. */
enum { SC_PLAIN = 0, SC_BIT, SC_TSTZ };

typedef struct my_scan {
    struct cut_scan base;
    my_conn *c;
    MYSQL_RES *res;
    int ncols;
    unsigned char *cls;
    uint64_t ordinal;
    int done;
} my_scan;

/* How a loaded column's canonical value travels to the server. */
enum {
    LC_TEXT = 0, LC_BYTES, LC_BIT, LC_BOOL, LC_TSTZ, LC_FLOAT, LC_FLOAT32, LC_NUMERIC, LC_DATE,
    LC_YEAR
};

struct my_load {
    struct cut_load base;
    my_conn *c;
    int own_tx;
    char *table;  /* the table's name, for messages */
    char *qtable; /* `table`, quoted */
    int ncols;
    unsigned char *cls;
    const char **names; /* the loaded columns' names, for messages (point into the table) */
    int *fixlen;        /* BINARY(n): n, else 0 */
    char *load_sql;   /* the LOAD DATA LOCAL statement */
    char *ins_head;   /* "INSERT INTO `t` (`a`, ...) VALUES " */
    char *ins_tuple;  /* "(?, CAST(? AS UNSIGNED), ...)" */
    MYSQL_STMT *ins1; /* one row */
    MYSQL_STMT *insn; /* insn_rows rows */
    int insn_rows;
    MYSQL_STMT *tail; /* the last partial chunk of a batch */
    int tail_rows;
    MYSQL_BIND *binds; /* room for max(insn_rows, 1) rows */
    unsigned long *lens;
    my_bool *nulls;
    char (*nums)[40]; /* rewritten float32 values, one per bind */
    int *idx;         /* the batch's rows to send (not refused before sending) */
    int *pos;         /* locate_fk's answer: positions in the part it checked */
    int idx_cap;
    cut_buf data;    /* the batch as LOAD DATA text */
    size_t data_off; /* how much of it the handler has sent */
    cut_buf msg;     /* reject reasons */
    char *auto_col;  /* the AUTO_INCREMENT column, quoted, or NULL */
    my_fk *fks;      /* the foreign keys whose refusals a check can locate (find_fks) */
    int nfk;
    unsigned int fail_code; /* the server's error that refused the last part sent, or 0 */
    my_fk *watch;           /* a key that refused rows: batches are checked before sending */
    int watching;           /* for this many more batches (reset when the check finds one) */
    int fk_only;            /* LOAD DATA skipped only rows whose parent is missing, */
    my_ulonglong skipped;   /* this many */
    cut_buf fail_msg;       /* and its message */
    cut_buf json;           /* a part's values of one column, as a JSON array */
};

static pthread_once_t my_once = PTHREAD_ONCE_INIT;
static int my_lib_rc;

static void my_lib_init(void)
{
    /* Not thread-safe inside mysql_init, so done once before any connection. */
    my_lib_rc = mysql_library_init(0, NULL, NULL);
}

/* CUT_ERETRY for a deadlock or a lock wait timeout (the server undid the work, which
   may succeed when run again), else code. */
static int retry_or(unsigned int errnum, int code)
{
    return errnum == ER_LOCK_DEADLOCK || errnum == ER_LOCK_WAIT_TIMEOUT ? CUT_ERETRY : code;
}

/* An error of the client library (connection lost, out of memory...), not the server's. */
static int client_error(unsigned int errnum)
{
    return errnum >= CR_MIN_ERROR && errnum <= CR_MAX_ERROR;
}

static int my_error(my_conn *c, cut_error *err, int code, const char *what)
{
    return cut_error_set(err, c->db ? retry_or(mysql_errno(c->db), code) : code, "%s: %s: %s",
                         c->label, what, c->db ? mysql_error(c->db) : "out of memory");
}

static void quote_ident(cut_buf *b, const char *name)
{
    cut_buf_appendc(b, '`');
    for (const char *p = name; *p; p++) {
        if (*p == '`')
            cut_buf_appendc(b, '`');
        cut_buf_appendc(b, *p);
    }
    cut_buf_appendc(b, '`');
}

/* Appends s as an SQL string literal (names for catalog lookups, a foreign key check's
   JSON array): escaped by the client library for the connection's character set. */
static int quote_literal(my_conn *c, cut_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (cut_buf_reserve(b, 2 * n + 3))
        return CUT_ENOMEM;
    b->p[b->len++] = '\'';
    b->len += mysql_real_escape_string(c->db, b->p + b->len, s, (unsigned long)n);
    b->p[b->len++] = '\'';
    b->p[b->len] = '\0';
    return CUT_OK;
}

/* Runs a statement that returns no rows (any result set is discarded). */
static int my_exec_sql(my_conn *c, const char *sql, cut_error *err, const char *what)
{
    if (mysql_real_query(c->db, sql, (unsigned long)strlen(sql)))
        return my_error(c, err, CUT_ESERVER, what);
    do {
        MYSQL_RES *res = mysql_store_result(c->db);
        if (res)
            mysql_free_result(res);
        else if (mysql_field_count(c->db) != 0)
            return my_error(c, err, CUT_ESERVER, what);
    } while (mysql_next_result(c->db) == 0);
    if (mysql_errno(c->db))
        return my_error(c, err, CUT_ESERVER, what);
    return CUT_OK;
}

/* Runs a query and keeps its (small) result. */
static int my_store(my_conn *c, const char *sql, MYSQL_RES **res, cut_error *err, const char *what)
{
    *res = NULL;
    if (mysql_real_query(c->db, sql, (unsigned long)strlen(sql)))
        return my_error(c, err, CUT_ESERVER, what);
    *res = mysql_store_result(c->db);
    if (!*res)
        return my_error(c, err, CUT_ESERVER, what);
    return CUT_OK;
}

/* The first column of the first row as an integer; NULL or no row gives *null_out = 1. */
static int my_scalar(my_conn *c, const char *sql, int64_t *v, int *is_null, cut_error *err,
                     const char *what)
{
    MYSQL_RES *res;
    int rc = my_store(c, sql, &res, err, what);
    if (rc)
        return rc;
    MYSQL_ROW row = mysql_fetch_row(res);
    *is_null = 1;
    if (row && row[0]) {
        unsigned long *len = mysql_fetch_lengths(res);
        int64_t x = 0;
        if (cut_parse_int64(row[0], len[0], &x) == 0) {
            *v = x;
            *is_null = 0;
        } else {
            /* An unsigned value beyond int64 (a counter): saturate. */
            *v = INT64_MAX;
            *is_null = 0;
        }
    }
    mysql_free_result(res);
    return CUT_OK;
}

/* ---------------------------------------------------------------- connect */

static const char *const my_params[] = {"socket", "local_infile", "connect_timeout"};

static int my_connect(const cut_url *url, int mode, cut_conn **out, cut_error *err)
{
    *out = NULL;
    pthread_once(&my_once, my_lib_init);
    if (my_lib_rc)
        return cut_error_set(err, CUT_ECONNECT, "%s: cannot initialise the MariaDB client library",
                             url->redacted);
    unsigned int timeout = 10, local = mode == CUT_OPEN_WRITE;
    for (int i = 0; i < url->nparams; i++) {
        int known = 0;
        for (size_t k = 0; k < CUT_ARRAY_LEN(my_params); k++)
            known = known || strcmp(url->keys[i], my_params[k]) == 0;
        if (!known)
            return cut_error_set(err, CUT_EINVAL,
                                 "%s: unknown parameter '%s' (MySQL URLs take socket, "
                                 "local_infile and connect_timeout)",
                                 url->redacted, url->keys[i]);
    }
    const char *v = cut_url_param(url, "local_infile");
    if (v && mode == CUT_OPEN_WRITE)
        local = strcmp(v, "0") != 0 && strcmp(v, "false") != 0 && strcmp(v, "off") != 0;
    v = cut_url_param(url, "connect_timeout");
    if (v) {
        char *end;
        long t = strtol(v, &end, 10);
        if (*v == '\0' || *end || t < 1 || t > 3600)
            return cut_error_set(err, CUT_EINVAL, "%s: connect_timeout must be 1 to 3600 seconds",
                                 url->redacted);
        timeout = (unsigned int)t;
    }
    if (!url->path || !url->path[0])
        return cut_error_set(err, CUT_EINVAL,
                             "%s: the URL names no database (mysql://user@host:port/DATABASE)",
                             url->redacted);

    my_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    c->mode = mode;
    c->label = "MariaDB/MySQL";
    c->db = mysql_init(NULL);
    if (!c->db) {
        free(c);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    unsigned long max_packet = 1024UL * 1024 * 1024;
    mysql_options(c->db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(c->db, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_options(c->db, MYSQL_OPT_LOCAL_INFILE, &local);
    mysql_options(c->db, MYSQL_OPT_MAX_ALLOWED_PACKET, &max_packet);
    const char *socket = cut_url_param(url, "socket");
    const char *host = url->host;
    if (socket && (!host || !host[0]))
        host = "localhost";
    const char *pw = url->password ? url->password : getenv("MYSQL_PWD");
    if (!mysql_real_connect(c->db, host, url->user, pw, url->path, (unsigned int)url->port,
                            socket && socket[0] ? socket : NULL, 0)) {
        /* The server's message names the user and host, not the password: the client
           library gets the URL's parts, never its text. Scrubbed all the same. */
        char msg[900];
        snprintf(msg, sizeof(msg), "%s", mysql_error(c->db));
        cut_scrub(msg, sizeof(msg), url->raw);
        cut_scrub(msg, sizeof(msg), pw);
        int rc = cut_error_set(err, CUT_ECONNECT, "cannot connect to %s: %s", url->redacted, msg);
        mysql_close(c->db);
        free(c);
        return rc;
    }
    const char *info = mysql_get_server_info(c->db);
    c->label = info && strstr(info, "MariaDB") ? "MariaDB" : "MySQL";
    /* Sessions: UTC, and a strict (target) or permissive read-only (source) mode. */
    const char *setup = mode == CUT_OPEN_WRITE
                            ? "SET time_zone = '+00:00', sql_mode = '" MY_TARGET_SQL_MODE "'"
                            : "SET time_zone = '+00:00', sql_mode = '" MY_SOURCE_SQL_MODE "', "
                              "net_write_timeout = 3600";
    int rc = my_exec_sql(c, setup, err, "session setup");
    if (rc == CUT_OK && mode != CUT_OPEN_WRITE)
        rc = my_exec_sql(c, "SET SESSION TRANSACTION READ ONLY", err, "session setup");
    if (rc) {
        cut_error_prefix(err, "%s", url->redacted);
        rc = CUT_ECONNECT;
        err->code = rc;
        mysql_close(c->db);
        free(c);
        return rc;
    }
    c->local_infile = local;
    *out = &c->base;
    return CUT_OK;
}

static void my_disconnect(cut_conn *base)
{
    my_conn *c = (my_conn *)base;
    if (c->in_read || c->in_tx)
        mysql_real_query(c->db, "ROLLBACK", 8);
    mysql_close(c->db);
    cut_strv_free(c->emptied, c->nemptied);
    free(c);
}

/* -------------------------------------------------------------- describe */

/* Logical type of an information_schema.COLUMNS row (docs/drivers.md). */
static cut_type my_logical_type(const char *dt, const char *ct, int64_t charlen, int prec,
                                int scale, int dtprec, const char *charset, int is_json,
                                int *unsupported)
{
    cut_type t;
    memset(&t, 0, sizeof(t));
    *unsupported = 0;
    int is_unsigned = ct && strstr(ct, "unsigned") != NULL;
    if (strcasecmp(dt, "tinyint") == 0 || strcasecmp(dt, "smallint") == 0 ||
        strcasecmp(dt, "mediumint") == 0 || strcasecmp(dt, "int") == 0 ||
        strcasecmp(dt, "integer") == 0 || strcasecmp(dt, "bigint") == 0) {
        t.kind = CUT_T_INT;
        t.width = dt[0] == 't' || dt[0] == 'T'   ? 8
                  : dt[0] == 's' || dt[0] == 'S' ? 16
                  : dt[0] == 'm' || dt[0] == 'M' ? 24
                  : dt[0] == 'b' || dt[0] == 'B' ? 64
                                                 : 32;
        if (is_unsigned)
            t.flags |= CUT_TF_UNSIGNED;
    } else if (strcasecmp(dt, "bit") == 0) {
        if (prec <= 1) {
            t.kind = CUT_T_BOOL;
        } else {
            t.kind = CUT_T_INT;
            t.flags |= CUT_TF_UNSIGNED;
            t.width = prec <= 8 ? 8 : prec <= 16 ? 16 : prec <= 24 ? 24 : prec <= 32 ? 32 : 64;
        }
    } else if (strcasecmp(dt, "year") == 0) {
        t.kind = CUT_T_INT;
        t.width = 16;
    } else if (strcasecmp(dt, "decimal") == 0 || strcasecmp(dt, "numeric") == 0) {
        t.kind = CUT_T_NUMERIC;
        t.precision = prec;
        t.scale = scale;
    } else if (strcasecmp(dt, "float") == 0) {
        t.kind = CUT_T_FLOAT;
        t.width = 32;
    } else if (strcasecmp(dt, "double") == 0 || strcasecmp(dt, "real") == 0 ||
               strcasecmp(dt, "double precision") == 0) {
        t.kind = CUT_T_FLOAT;
        t.width = 64;
    } else if (strcasecmp(dt, "date") == 0) {
        t.kind = CUT_T_DATE;
    } else if (strcasecmp(dt, "datetime") == 0) {
        t.kind = CUT_T_TIMESTAMP;
        t.precision = dtprec;
    } else if (strcasecmp(dt, "timestamp") == 0) {
        t.kind = CUT_T_TIMESTAMPTZ; /* stored as UTC, shown in the session's zone (+00:00) */
        t.precision = dtprec;
    } else if (strcasecmp(dt, "time") == 0) {
        t.kind = CUT_T_TIME;
        t.precision = dtprec;
    } else if (strcasecmp(dt, "char") == 0 || strcasecmp(dt, "varchar") == 0 ||
               strcasecmp(dt, "enum") == 0 || strcasecmp(dt, "set") == 0) {
        t.kind = CUT_T_TEXT;
        t.length = charlen > 0 && charlen <= INT32_MAX ? (int)charlen : 0;
        if (strcasecmp(dt, "char") == 0)
            t.flags |= CUT_TF_FIXED;
    } else if (strcasecmp(dt, "tinytext") == 0 || strcasecmp(dt, "text") == 0 ||
               strcasecmp(dt, "mediumtext") == 0 || strcasecmp(dt, "longtext") == 0) {
        /* TEXT limits are in bytes, not characters: the strict server refuses what is over. */
        t.kind = is_json ? CUT_T_JSON : CUT_T_TEXT;
    } else if (strcasecmp(dt, "json") == 0) {
        t.kind = CUT_T_JSON;
    } else if (strcasecmp(dt, "binary") == 0 || strcasecmp(dt, "varbinary") == 0) {
        t.kind = CUT_T_BYTES;
        t.length = charlen > 0 && charlen <= INT32_MAX ? (int)charlen : 0;
    } else if (strcasecmp(dt, "tinyblob") == 0 || strcasecmp(dt, "blob") == 0 ||
               strcasecmp(dt, "mediumblob") == 0 || strcasecmp(dt, "longblob") == 0) {
        t.kind = CUT_T_BYTES;
    } else if (strcasecmp(dt, "uuid") == 0) {
        t.kind = CUT_T_UUID; /* MariaDB 10.7+ */
    } else if (strcasecmp(dt, "inet4") == 0 || strcasecmp(dt, "inet6") == 0) {
        t.kind = CUT_T_TEXT; /* MariaDB: read and written as text, validated by the server */
    } else {
        /* GEOMETRY and the other spatial types, VECTOR, anything new. */
        *unsupported = 1;
    }
    if (t.kind == CUT_T_TEXT && charset &&
        (strcasecmp(charset, "utf8mb3") == 0 || strcasecmp(charset, "utf8") == 0))
        t.flags |= CUT_TF_BMP_ONLY;
    /* latin1 is not flagged CUT_TF_LATIN1: MySQL's latin1 is cp1252 (it stores '€' but not
       U+0080), and the strict session makes the server refuse what it cannot store. */
    return t;
}

/* Finds the table's real name: an exact match, else a unique case-insensitive one. */
static int my_find_table(my_conn *c, const char *name, char **real, int *is_view, cut_error *err)
{
    *real = NULL;
    cut_buf sql = {0};
    /* information_schema compares names as the file system does: ask for every case. */
    cut_buf_printf(&sql, "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE "
                         "TABLE_SCHEMA = DATABASE() AND LOWER(TABLE_NAME) = LOWER(");
    if (quote_literal(c, &sql, name) || cut_buf_appendc(&sql, ')')) {
        cut_buf_free(&sql);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    MYSQL_RES *res;
    int rc = my_store(c, cut_buf_cstr(&sql), &res, err, "describe");
    cut_buf_free(&sql);
    if (rc)
        return rc;
    MYSQL_ROW row;
    int ci = 0;
    while ((row = mysql_fetch_row(res))) {
        if (!row[0])
            continue;
        if (strcmp(row[0], name) == 0) {
            free(*real);
            *real = cut_strdup(row[0]);
            *is_view = row[1] && strcmp(row[1], "VIEW") == 0;
            ci = -1;
            break;
        }
        if (strcasecmp(row[0], name) == 0) {
            ci++;
            free(*real);
            *real = cut_strdup(row[0]);
            *is_view = row[1] && strcmp(row[1], "VIEW") == 0;
        }
    }
    mysql_free_result(res);
    if (ci > 1) {
        free(*real);
        *real = NULL;
        return cut_error_set(err, CUT_ENOTFOUND,
                             "table %s not found in %s (several tables differ from it only "
                             "by case)",
                             name, c->base.url ? c->base.url->redacted : "the database");
    }
    if (!*real)
        return cut_error_set(err, CUT_ENOTFOUND, "table %s not found in %s", name,
                             c->base.url ? c->base.url->redacted : "the database");
    return CUT_OK;
}

static int64_t row_int(MYSQL_ROW row, int i, int64_t dflt)
{
    if (!row[i])
        return dflt;
    return strtoll(row[i], NULL, 10);
}

/* MariaDB's JSON is LONGTEXT with a CHECK (json_valid(`col`)): the names of such columns. */
static int my_json_columns(my_conn *c, const char *table, char ***names, int *n)
{
    *names = NULL;
    *n = 0;
    if (strcmp(c->label, "MariaDB") != 0)
        return CUT_OK;
    cut_buf sql = {0};
    cut_buf_printf(&sql,
                   "SELECT TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
                   "WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ");
    quote_literal(c, &sql, table);
    cut_error e;
    cut_error_clear(&e);
    MYSQL_RES *res;
    int rc = my_store(c, cut_buf_cstr(&sql), &res, &e, "check constraints");
    cut_buf_free(&sql);
    if (rc)
        return CUT_OK; /* no such view: then there is no JSON alias either */
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res))) {
        if (!row[0] || !row[1] || strcmp(row[0], table) != 0)
            continue;
        const char *cl = row[1];
        size_t len = strlen(cl);
        if (len < 14 || strncasecmp(cl, "json_valid(`", 12) != 0 || strcmp(cl + len - 2, "`)"))
            continue;
        char **nn = realloc(*names, sizeof(char *) * (size_t)(*n + 1));
        if (!nn)
            break;
        *names = nn;
        /* Unquote `a``b` → a`b. */
        char *col = malloc(len);
        if (!col)
            break;
        size_t k = 0;
        for (size_t i = 12; i < len - 2; i++) {
            col[k++] = cl[i];
            if (cl[i] == '`' && cl[i + 1] == '`')
                i++;
        }
        col[k] = '\0';
        (*names)[(*n)++] = col;
    }
    mysql_free_result(res);
    return CUT_OK;
}

static int my_describe(cut_conn *base, const char *name, cut_table **out, cut_error *err)
{
    my_conn *c = (my_conn *)base;
    *out = NULL;
    char *real = NULL;
    int is_view = 0;
    int rc = my_find_table(c, name, &real, &is_view, err);
    if (rc) {
        cut_error_set_table(err, name);
        return rc;
    }
    cut_table *t = calloc(1, sizeof(*t));
    cut_buf sql = {0};
    MYSQL_RES *res = NULL;
    char **jcols = NULL;
    int njcols = 0;
    if (!t) {
        free(real);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    t->name = real;
    t->schema = cut_strdup(c->base.url ? c->base.url->path : NULL);
    my_json_columns(c, real, &jcols, &njcols);

    cut_buf_printf(&sql, "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, "
                         "COLUMN_DEFAULT, EXTRA, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, "
                         "NUMERIC_SCALE, DATETIME_PRECISION, CHARACTER_SET_NAME, "
                         "GENERATION_EXPRESSION FROM information_schema.COLUMNS WHERE "
                         "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ");
    quote_literal(c, &sql, real);
    cut_buf_printf(&sql, " ORDER BY ORDINAL_POSITION");
    if ((rc = my_store(c, cut_buf_cstr(&sql), &res, err, "describe")))
        goto done;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res))) {
        if (!row[0] || strcmp(row[0], real) != 0 || !row[1] || !row[2])
            continue;
        if (row[12] && row[12][0])
            continue; /* generated columns are computed, not data to migrate */
        int is_json = 0;
        for (int k = 0; k < njcols; k++)
            is_json = is_json || strcmp(jcols[k], row[1]) == 0;
        int unsupported = 0;
        cut_type ty = my_logical_type(row[2], row[3], row_int(row, 7, 0), (int)row_int(row, 8, 0),
                                      (int)row_int(row, 9, 0), (int)row_int(row, 10, 0), row[11],
                                      is_json, &unsupported);
        int idx = cut_table_add_column(t, row[1], row[3] ? row[3] : row[2], ty);
        if (idx < 0) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
        cut_column *col = &t->cols[idx];
        col->unsupported = unsupported;
        col->not_null = row[4] && strcmp(row[4], "NO") == 0;
        /* MariaDB spells "DEFAULT NULL" as the text NULL; MySQL as SQL NULL. */
        int has_dflt = row[5] && strcmp(row[5], "NULL") != 0;
        col->identity = row[6] && strcasestr(row[6], "auto_increment") != NULL;
        col->has_default = has_dflt || col->identity;
    }
    mysql_free_result(res);
    res = NULL;

    /* Primary key, in key order. */
    cut_buf_reset(&sql);
    cut_buf_printf(&sql, "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE "
                         "WHERE TABLE_SCHEMA = DATABASE() AND CONSTRAINT_NAME = 'PRIMARY' AND "
                         "TABLE_NAME = ");
    quote_literal(c, &sql, real);
    cut_buf_printf(&sql, " ORDER BY ORDINAL_POSITION");
    if ((rc = my_store(c, cut_buf_cstr(&sql), &res, err, "primary key")))
        goto done;
    while ((row = mysql_fetch_row(res))) {
        if (!row[0] || strcmp(row[0], real) != 0 || !row[1])
            continue;
        int ci = cut_table_column(t, row[1]);
        if (ci < 0)
            continue;
        int *pk = realloc(t->pk, sizeof(int) * (size_t)(t->npk + 1));
        if (!pk) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
        t->pk = pk;
        t->pk[t->npk++] = ci;
    }
    mysql_free_result(res);
    res = NULL;

    /* Foreign keys: rows of KEY_COLUMN_USAGE grouped by constraint. */
    cut_buf_reset(&sql);
    cut_buf_printf(&sql, "SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, "
                         "REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE "
                         "TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL AND "
                         "TABLE_NAME = ");
    quote_literal(c, &sql, real);
    cut_buf_printf(&sql, " ORDER BY CONSTRAINT_NAME, ORDINAL_POSITION");
    if ((rc = my_store(c, cut_buf_cstr(&sql), &res, err, "foreign keys")))
        goto done;
    while ((row = mysql_fetch_row(res))) {
        if (!row[0] || strcmp(row[0], real) != 0 || !row[1] || !row[2] || !row[3])
            continue;
        if (t->nfk == 0 || strcmp(t->fks[t->nfk - 1].name, row[1]) != 0) {
            cut_fk *fks = realloc(t->fks, sizeof(*fks) * (size_t)(t->nfk + 1));
            if (!fks) {
                rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
                goto done;
            }
            t->fks = fks;
            memset(&fks[t->nfk], 0, sizeof(cut_fk));
            fks[t->nfk].name = cut_strdup(row[1]);
            fks[t->nfk].ref_table = cut_strdup(row[3]);
            t->nfk++;
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
        fk->cols[fk->ncols] = cut_table_column(t, row[2]);
        fk->ref_cols[fk->ncols] = cut_strdup(row[4] ? row[4] : "");
        fk->ncols++;
    }
    CUT_UNUSED(is_view);
done:
    if (res)
        mysql_free_result(res);
    for (int k = 0; k < njcols; k++)
        free(jcols[k]);
    free(jcols);
    cut_buf_free(&sql);
    if (rc) {
        cut_error_set_table(err, name);
        cut_table_free(t);
    } else {
        *out = t;
    }
    return rc;
}

static int my_list_tables(cut_conn *base, char ***names, int *n, cut_error *err)
{
    my_conn *c = (my_conn *)base;
    *names = NULL;
    *n = 0;
    MYSQL_RES *res;
    int rc = my_store(c,
                      "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                      "DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
                      &res, err, "list tables");
    if (rc)
        return rc;
    int cap = 0;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res))) {
        if (!row[0])
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **p = realloc(*names, sizeof(char *) * (size_t)cap);
            if (!p) {
                rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
                break;
            }
            *names = p;
        }
        if (!((*names)[*n] = cut_strdup(row[0]))) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            break;
        }
        (*n)++;
    }
    mysql_free_result(res);
    if (rc) {
        for (int i = 0; i < *n; i++)
            free((*names)[i]);
        free(*names);
        *names = NULL;
        *n = 0;
    }
    return rc;
}

static int my_count_rows(cut_conn *base, const cut_table *t, int64_t *rows, cut_error *err)
{
    my_conn *c = (my_conn *)base;
    cut_buf sql = {0};
    cut_buf_printf(&sql, "SELECT COUNT(*) FROM ");
    quote_ident(&sql, t->name);
    int is_null = 0;
    int rc = my_scalar(c, cut_buf_cstr(&sql), rows, &is_null, err, "count");
    cut_buf_free(&sql);
    if (rc)
        cut_error_set_table(err, t->name);
    return rc;
}

static int my_estimate_rows(cut_conn *base, const cut_table *t, int64_t *rows, cut_error *err)
{
    /* InnoDB's statistics: instant, and within tens of percent of the count. */
    my_conn *c = (my_conn *)base;
    cut_buf sql = {0};
    cut_buf_printf(&sql, "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                         "DATABASE() AND TABLE_NAME = ");
    quote_literal(c, &sql, t->name);
    int is_null = 1;
    int rc = my_scalar(c, cut_buf_cstr(&sql), rows, &is_null, err, "estimate");
    cut_buf_free(&sql);
    if (rc || is_null)
        return my_count_rows(base, t, rows, err); /* views have no statistics */
    return CUT_OK;
}

/* ------------------------------------------------------------------ read */

static int my_begin_read(cut_conn *base, cut_error *err)
{
    my_conn *c = (my_conn *)base;
    if (c->in_read || c->in_tx)
        return CUT_OK;
    /* Every scan on this connection sees the same snapshot (InnoDB tables). */
    int rc =
        my_exec_sql(c, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ", err, "begin");
    if (rc == CUT_OK)
        rc = my_exec_sql(c, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", err, "begin");
    if (rc == CUT_OK)
        c->in_read = 1;
    return rc;
}

static void my_end_read(cut_conn *base)
{
    my_conn *c = (my_conn *)base;
    if (!c->in_read)
        return;
    mysql_real_query(c->db, "COMMIT", 6);
    c->in_read = 0;
}

static int starts_with_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int my_scan_open(cut_conn *base, const cut_table *t, const cut_scan_opts *o, cut_scan **out,
                        cut_error *err)
{
    my_conn *c = (my_conn *)base;
    *out = NULL;
    int n = o && o->cols ? o->ncols : t->ncols;
    my_scan *s = calloc(1, sizeof(*s));
    unsigned char *cls = calloc((size_t)n + 1, 1);
    if (!s || !cls) {
        free(s);
        free(cls);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    s->c = c;
    s->ncols = n;
    s->cls = cls;
    cut_buf sql = {0};
    cut_buf_printf(&sql, "SELECT ");
    for (int i = 0; i < n; i++) {
        const cut_column *col = &t->cols[o && o->cols ? o->cols[i] : i];
        if (i)
            cut_buf_append(&sql, ", ", 2);
        if (col->type.kind == CUT_T_FLOAT && col->type.width == 32) {
            /* The text protocol prints FLOAT with 6 digits; as a double it is exact. */
            cut_buf_appendc(&sql, '(');
            quote_ident(&sql, col->name);
            cut_buf_printf(&sql, " + 0e0)");
        } else {
            quote_ident(&sql, col->name);
        }
        if (starts_with_ci(col->native, "bit"))
            cls[i] = SC_BIT;
        else if (col->type.kind == CUT_T_TIMESTAMPTZ)
            cls[i] = SC_TSTZ;
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
    int rc = CUT_OK;
    if (!sql.p) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
    } else if (mysql_real_query(c->db, sql.p, (unsigned long)sql.len)) {
        rc = my_error(c, err, CUT_ESERVER, "read");
    } else if (!(s->res = mysql_use_result(c->db))) {
        rc = my_error(c, err, CUT_ESERVER, "read");
    }
    cut_buf_free(&sql);
    if (rc) {
        cut_error_set_table(err, t->name);
        free(s->cls);
        free(s);
        return rc;
    }
    *out = &s->base;
    return CUT_OK;
}

/* Decimal text of an unsigned value into buf (>= 21 bytes); returns the length. */
static int fmt_uint64(uint64_t u, char *buf)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

/* A zero or partly zero date ("0000-00-00 ...", "2024-00-10 ...") must reach cut_canon as is. */
static int is_zero_date(const char *p, size_t len)
{
    if (len < 10)
        return 0;
    return memcmp(p, "0000", 4) == 0 || memcmp(p + 5, "00", 2) == 0 || memcmp(p + 8, "00", 2) == 0;
}

static int my_scan_next(cut_scan *base, cut_batch *b, cut_error *err)
{
    my_scan *s = (my_scan *)base;
    cut_batch_reset(b);
    if (s->done)
        return CUT_OK;
    while (b->nrows < b->cap) {
        MYSQL_ROW row = mysql_fetch_row(s->res);
        if (!row) {
            if (mysql_errno(s->c->db))
                return my_error(s->c, err, CUT_ESERVER, "read");
            s->done = 1;
            break;
        }
        unsigned long *lens = mysql_fetch_lengths(s->res);
        int r = b->nrows;
        for (int i = 0; i < s->ncols; i++) {
            if (!row[i]) {
                cut_batch_set_null(b, r, i);
                continue;
            }
            int rc = CUT_OK;
            switch (s->cls[i]) {
            case SC_BIT: {
                /* BIT(n) arrives as ceil(n/8) big-endian bytes. */
                uint64_t u = 0;
                for (unsigned long k = 0; k < lens[i]; k++)
                    u = (u << 8) | (unsigned char)row[i][k];
                char num[24];
                rc = cut_batch_set_copy(b, r, i, num, (size_t)fmt_uint64(u, num));
                break;
            }
            case SC_TSTZ:
                if (!is_zero_date(row[i], lens[i])) {
                    char *d = cut_arena_alloc(&b->arena, lens[i] + 4);
                    if (!d)
                        return cut_error_set(err, CUT_ENOMEM, "out of memory");
                    memcpy(d, row[i], lens[i]);
                    memcpy(d + lens[i], "+00", 4);
                    cut_batch_set_ref(b, r, i, d, lens[i] + 3);
                    break;
                }
                /* fall through */
            default:
                rc = cut_batch_set_copy(b, r, i, row[i], lens[i]);
                break;
            }
            if (rc)
                return cut_error_set(err, CUT_ENOMEM, "out of memory");
        }
        b->pos[r] = ++s->ordinal;
        b->nrows++;
    }
    return CUT_OK;
}

static void my_scan_close(cut_scan *base)
{
    my_scan *s = (my_scan *)base;
    if (!s)
        return;
    /* An unfinished unbuffered result is read to its end here: the protocol needs it. */
    if (s->res)
        mysql_free_result(s->res);
    free(s->cls);
    free(s);
}

/* ------------------------------------------------------------ transactions */

/* Whether a table outside tables[0..n) (in any database) has a foreign key to one of
   them: then emptying them must keep checking foreign keys. */
static int referenced_from_outside(my_conn *c, cut_table *const *tables, int n, int *outside,
                                   cut_error *err)
{
    cut_buf sql = {0}, in = {0};
    for (int i = 0; i < n; i++) {
        if (i)
            cut_buf_append(&in, ", ", 2);
        quote_literal(c, &in, tables[i]->name);
    }
    cut_buf_printf(&sql,
                   "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS "
                   "WHERE UNIQUE_CONSTRAINT_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IN (%s) "
                   "AND (CONSTRAINT_SCHEMA <> DATABASE() OR TABLE_NAME NOT IN (%s))",
                   cut_buf_cstr(&in), cut_buf_cstr(&in));
    int64_t count = 0;
    int is_null = 0;
    int rc = sql.p && in.p ? my_scalar(c, sql.p, &count, &is_null, err, "truncate")
                           : cut_error_set(err, CUT_ENOMEM, "out of memory");
    *outside = count > 0;
    cut_buf_free(&sql);
    cut_buf_free(&in);
    return rc;
}

static int my_truncate(cut_conn *base, cut_table *const *tables, int n, cut_error *err)
{
    /* DELETE, not TRUNCATE: TRUNCATE commits by itself, and refuses a referenced table. */
    my_conn *c = (my_conn *)base;
    cut_buf sql = {0};
    int outside = 1;
    int rc = referenced_from_outside(c, tables, n, &outside, err);
    if (rc == CUT_OK && !c->in_tx)
        rc = my_exec_sql(c, "START TRANSACTION", err, "begin");
    if (rc)
        return rc;
    /* Every table that refers to these is emptied with them: no row can lose its parent,
       and InnoDB need not look for children row by row (deleting 498,005 members took
       4.3 s with the checks, 0.8 s without). */
    cut_error e;
    cut_error_clear(&e);
    int unchecked =
        !outside && my_exec_sql(c, "SET SESSION foreign_key_checks = 0", &e, "truncate") == CUT_OK;
    for (int i = 0; i < n && rc == CUT_OK; i++) {
        cut_buf_reset(&sql);
        cut_buf_printf(&sql, "DELETE FROM ");
        quote_ident(&sql, tables[i]->name);
        if ((rc = my_exec_sql(c, cut_buf_cstr(&sql), err, "truncate")))
            cut_error_set_table(err, tables[i]->name);
    }
    if (unchecked) {
        int back = my_exec_sql(c, "SET SESSION foreign_key_checks = 1", &e, "truncate");
        if (back && rc == CUT_OK) {
            *err = e;
            rc = back;
        }
    }
    if (rc == CUT_OK && !c->in_tx)
        rc = my_exec_sql(c, "COMMIT", err, "truncate");
    for (int i = 0; rc == CUT_OK && c->in_tx && i < n; i++)
        if (cut_strv_push(&c->emptied, &c->nemptied, cut_strdup(tables[i]->name)))
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
    if (rc) {
        cut_error_prefix(err, "cannot empty the target tables (a table outside the mapping "
                              "may still reference them)");
        if (!c->in_tx)
            mysql_real_query(c->db, "ROLLBACK", 8);
    }
    cut_buf_free(&sql);
    return rc;
}

/* Whether my_truncate emptied table in the caller's open transaction and no load has
   opened on it since; the first load to ask takes the mark. */
static int take_emptied(my_conn *c, const char *table)
{
    for (int i = 0; c->in_tx && i < c->nemptied; i++)
        if (strcmp(c->emptied[i], table) == 0) {
            free(c->emptied[i]);
            c->emptied[i] = c->emptied[--c->nemptied];
            return 1;
        }
    return 0;
}

static void tx_ended(my_conn *c)
{
    c->in_tx = 0;
    cut_strv_free(c->emptied, c->nemptied);
    c->emptied = NULL;
    c->nemptied = 0;
}

static int my_tx_begin(cut_conn *base, cut_error *err)
{
    my_conn *c = (my_conn *)base;
    int rc = my_exec_sql(c, "START TRANSACTION", err, "begin");
    if (rc == CUT_OK)
        c->in_tx = 1;
    return rc;
}

static int my_tx_commit(cut_conn *base, cut_error *err)
{
    my_conn *c = (my_conn *)base;
    tx_ended(c);
    int rc = my_exec_sql(c, "COMMIT", err, "commit");
    if (rc)
        mysql_real_query(c->db, "ROLLBACK", 8);
    return rc;
}

static void my_tx_rollback(cut_conn *base)
{
    my_conn *c = (my_conn *)base;
    tx_ended(c);
    mysql_real_query(c->db, "ROLLBACK", 8);
}

static int my_ddl(cut_conn *base, const cut_table *t, cut_buf *out, cut_error *err)
{
    my_conn *c = (my_conn *)base;
    cut_buf sql = {0};
    cut_buf_printf(&sql, "SHOW CREATE TABLE ");
    quote_ident(&sql, t->name);
    MYSQL_RES *res;
    int rc = my_store(c, cut_buf_cstr(&sql), &res, err, "ddl");
    cut_buf_free(&sql);
    if (rc)
        return rc;
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row && mysql_num_fields(res) >= 2 && row[1])
        cut_buf_printf(out, "%s;", row[1]);
    else
        rc = cut_error_set(err, CUT_ENOTFOUND, "table %s not found", t->name);
    mysql_free_result(res);
    return rc;
}

static int my_exec(cut_conn *base, const char *sql, cut_error *err)
{
    return my_exec_sql((my_conn *)base, sql, err, "exec");
}

/* ------------------------------------------------------------------ load */

/* A server error that concerns the row(s) sent, not the connection or transaction. */
static int is_row_error(unsigned int code, const char *sqlstate)
{
    if (client_error(code))
        return 0;
    switch (code) {
    case ER_LOCK_DEADLOCK:
    case ER_LOCK_WAIT_TIMEOUT:
    case 1180: /* ER_ERROR_DURING_COMMIT */
    case 1290: /* ER_OPTION_PREVENTS_STATEMENT (read only) */
    case 1153: /* ER_NET_PACKET_TOO_LARGE */
        return 0;
    case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: /* 1366, SQLSTATE HY000 */
    case WARN_DATA_TRUNCATED:                /* 1265 */
    case ER_CONSTRAINT_FAILED:               /* 4025, MariaDB CHECK */
    case 3819:                               /* MySQL CHECK constraint violated */
    case 3140:                               /* MySQL invalid JSON text */
    case 1411:                               /* ER_WRONG_VALUE_FOR_TYPE */
    case 1367:                               /* ER_ILLEGAL_VALUE_FOR_TYPE */
        return 1;
    default:
        break;
    }
    return sqlstate && (strncmp(sqlstate, "22", 2) == 0 || strncmp(sqlstate, "23", 2) == 0);
}

/* The server refused LOAD DATA LOCAL itself (disabled on the server or the client). */
static int is_local_infile_refused(unsigned int code)
{
    return code == ER_NOT_ALLOWED_COMMAND || code == 4166 /* MariaDB 10.6+ */ ||
           code == 3948 /* MySQL 8 */ || code == 2068 /* MySQL 8 client */;
}

static int infile_init(void **ptr, const char *filename, void *ud)
{
    /* Whatever file the server names, only the batch prepared by load_rows is sent. */
    my_conn *c = ud;
    CUT_UNUSED(filename);
    *ptr = c->feeding;
    if (!c->feeding)
        return 1;
    c->feeding->data_off = 0;
    return 0;
}

static int infile_read(void *ptr, char *buf, unsigned int len)
{
    my_load *l = ptr;
    if (!l)
        return -1;
    size_t left = l->data.len - l->data_off;
    size_t n = left < len ? left : len;
    if (n)
        memcpy(buf, l->data.p + l->data_off, n);
    l->data_off += n;
    return (int)n;
}

static void infile_end(void *ptr)
{
    CUT_UNUSED(ptr);
}

static int infile_error(void *ptr, char *msg, unsigned int len)
{
    CUT_UNUSED(ptr);
    snprintf(msg, len, "cutover: unexpected LOAD DATA LOCAL request");
    return CR_UNKNOWN_ERROR;
}

/* Why a canonical value cannot be stored as it is by MySQL, or NULL. */
static const char *my_refusal(my_load *l, int i, const cut_cell *v)
{
    if (cut_cell_is_null(v))
        return NULL;
    switch (l->cls[i]) {
    case LC_BYTES:
        /* BINARY(n) pads a shorter value with zero bytes, silently: refuse it instead. */
        if (l->fixlen[i] > 0 && v->len < (uint32_t)l->fixlen[i]) {
            cut_buf_reset(&l->msg);
            cut_buf_printf(&l->msg,
                           "a %u-byte value would be padded with zero bytes by BINARY(%d) "
                           "(VARBINARY keeps it as it is)",
                           (unsigned)v->len, l->fixlen[i]);
            return cut_buf_cstr(&l->msg);
        }
        return NULL;
    case LC_FLOAT:
    case LC_FLOAT32:
        if ((v->len == 3 && memcmp(v->p, "NaN", 3) == 0) ||
            (v->len >= 8 && v->p[v->len - 1] == 'y'))
            return "MySQL FLOAT/DOUBLE columns cannot store NaN or Infinity";
        return NULL;
    case LC_NUMERIC:
        if ((v->len == 3 && memcmp(v->p, "NaN", 3) == 0) ||
            (v->len >= 8 && v->p[v->len - 1] == 'y'))
            return "MySQL DECIMAL columns cannot store NaN or Infinity";
        return NULL;
    case LC_DATE:
    case LC_TSTZ:
        if (v->len >= 8 && (v->p[0] == 'i' || v->p[0] == '-'))
            return "MySQL dates cannot store infinity";
        return NULL;
    case LC_YEAR: {
        /* YEAR keeps 0 and 1901..2155; it takes 1..99 for 2001..2069 and 1970..1999. */
        char num[8] = "";
        long y = -1;
        if (v->len < sizeof(num)) {
            memcpy(num, v->p, v->len);
            y = strtol(num, NULL, 10);
        }
        if (y == 0 || (y >= 1901 && y <= 2155))
            return NULL;
        cut_buf_reset(&l->msg);
        cut_buf_printf(&l->msg, "MySQL YEAR holds only 0 and 1901 to 2155");
        if (y >= 1 && y <= 99)
            cut_buf_printf(&l->msg, " (it would read %ld as %ld)", y, y < 70 ? 2000 + y : 1900 + y);
        return cut_buf_cstr(&l->msg);
    }
    default:
        return NULL;
    }
}

/*
 * The bytes that represent a canonical value for the server (as text). num is
 * room for a rewritten number: the shortest text of a float32 can exceed the
 * float as a double (FLT_MAX is "3.4028235e+38"), and MySQL range-checks the
 * double, so a float32 travels as the exact double of the float.
 */
static void wire_value(int cls, const cut_cell *v, const char **p, size_t *len, char num[40])
{
    *p = v->p ? v->p : "";
    *len = v->len;
    if (cls == LC_FLOAT32 && v->len < 40) {
        char tmp[40];
        memcpy(tmp, v->p, v->len);
        tmp[v->len] = '\0';
        float x = strtof(tmp, NULL);
        int n = snprintf(num, 40, "%.17g", (double)x);
        *p = num;
        *len = (size_t)n;
    } else if (cls == LC_BOOL) {
        *p = v->len == 1 && v->p[0] == 't' ? "1" : "0";
        *len = 1;
    } else if (cls == LC_TSTZ && *len > 3 && memcmp(*p + *len - 3, "+00", 3) == 0) {
        *len -= 3; /* the session's time zone is UTC */
    }
}

/* Appends one row to the LOAD DATA text (tab-separated, backslash escapes, \N = NULL). */
static int append_load_row(my_load *l, const cut_cell *row)
{
    static const char hex[] = "0123456789abcdef";
    cut_buf *d = &l->data;
    for (int i = 0; i < l->ncols; i++) {
        const cut_cell *v = &row[i];
        if (i && cut_buf_appendc(d, '\t'))
            return CUT_ENOMEM;
        if (cut_cell_is_null(v)) {
            if (cut_buf_append(d, "\\N", 2))
                return CUT_ENOMEM;
            continue;
        }
        const char *p;
        size_t len;
        char num[40];
        wire_value(l->cls[i], v, &p, &len, num);
        if (cut_buf_reserve(d, len * 2 + 1))
            return CUT_ENOMEM;
        char *o = d->p + d->len;
        if (l->cls[i] == LC_BYTES) {
            /* Bytes go as hex through UNHEX(): no character set applies to them. */
            for (size_t k = 0; k < len; k++) {
                *o++ = hex[(unsigned char)p[k] >> 4];
                *o++ = hex[(unsigned char)p[k] & 15];
            }
        } else {
            for (size_t k = 0; k < len; k++) {
                char ch = p[k];
                switch (ch) {
                case '\\':
                    *o++ = '\\';
                    *o++ = '\\';
                    break;
                case '\t':
                    *o++ = '\\';
                    *o++ = 't';
                    break;
                case '\n':
                    *o++ = '\\';
                    *o++ = 'n';
                    break;
                case '\r':
                    *o++ = '\\';
                    *o++ = 'r';
                    break;
                case '\0':
                    *o++ = '\\';
                    *o++ = '0';
                    break;
                default:
                    *o++ = ch;
                    break;
                }
            }
        }
        d->len = (size_t)(o - d->p);
    }
    return cut_buf_appendc(d, '\n');
}

static int my_prepare(my_load *l, int nrows, MYSQL_STMT **out, cut_error *err)
{
    my_conn *c = l->c;
    cut_buf sql = {0};
    cut_buf_printf(&sql, "%s", l->ins_head);
    for (int r = 0; r < nrows; r++)
        cut_buf_printf(&sql, "%s%s", r ? ", " : "", l->ins_tuple);
    if (!sql.p)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    MYSQL_STMT *st = mysql_stmt_init(c->db);
    if (!st) {
        cut_buf_free(&sql);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    if (mysql_stmt_prepare(st, sql.p, (unsigned long)sql.len)) {
        int rc = cut_error_set(err, CUT_ESERVER, "%s: prepare insert: %s", c->label,
                               mysql_stmt_error(st));
        mysql_stmt_close(st);
        cut_buf_free(&sql);
        return rc;
    }
    cut_buf_free(&sql);
    *out = st;
    return CUT_OK;
}

/* Binds rows idx[0..n) of b into st and executes it. Returns 0, or the server's errno. */
static unsigned int exec_rows(my_load *l, MYSQL_STMT *st, const cut_batch *b, const int *idx, int n)
{
    MYSQL_BIND *bd = l->binds;
    memset(bd, 0, sizeof(MYSQL_BIND) * (size_t)n * (size_t)l->ncols);
    for (int k = 0; k < n; k++) {
        const cut_cell *row = cut_batch_crow(b, idx[k]);
        for (int i = 0; i < l->ncols; i++) {
            size_t j = (size_t)k * (size_t)l->ncols + (size_t)i;
            const cut_cell *v = &row[i];
            bd[j].length = &l->lens[j];
            bd[j].is_null = &l->nulls[j];
            l->nulls[j] = cut_cell_is_null(v);
            bd[j].buffer_type = l->cls[i] == LC_BYTES ? MYSQL_TYPE_BLOB : MYSQL_TYPE_STRING;
            if (l->nulls[j]) {
                l->lens[j] = 0;
                bd[j].buffer = NULL;
                continue;
            }
            const char *p;
            size_t len;
            wire_value(l->cls[i], v, &p, &len, l->nums[j]);
            bd[j].buffer = (void *)p;
            bd[j].buffer_length = (unsigned long)len;
            l->lens[j] = (unsigned long)len;
        }
    }
    if (mysql_stmt_bind_param(st, bd) || mysql_stmt_execute(st))
        return mysql_stmt_errno(st) ? mysql_stmt_errno(st) : CR_UNKNOWN_ERROR;
    return 0;
}

/* "Warning 1265: Data truncated for column 'x' at row 1; ..." from SHOW WARNINGS. */
static const char *warnings_text(my_load *l)
{
    cut_buf *m = &l->msg;
    cut_buf_reset(m);
    MYSQL_RES *res = NULL;
    if (mysql_real_query(l->c->db, "SHOW WARNINGS", 13) == 0)
        res = mysql_store_result(l->c->db);
    MYSQL_ROW row;
    int n = 0;
    while (res && (row = mysql_fetch_row(res)) && n < 3) {
        cut_buf_printf(m, "%s%s %s: %s", n ? "; " : "", row[0] ? row[0] : "?",
                       row[1] ? row[1] : "?", row[2] ? row[2] : "?");
        n++;
    }
    if (res)
        mysql_free_result(res);
    if (!n)
        cut_buf_printf(m, "the server reported a warning");
    return cut_buf_cstr(m);
}

/* Row r alone, behind a savepoint: taken, or refused (an error, or a warning that the
   server stored something else than what was sent) and undone, its reason to rej. */
static int load_row(my_load *l, const cut_batch *b, int r, cut_reject_fn rej, void *ud,
                    cut_error *err)
{
    my_conn *c = l->c;
    int rc;
    if (!l->ins1 && (rc = my_prepare(l, 1, &l->ins1, err)))
        return rc;
    if ((rc = my_exec_sql(c, "SAVEPOINT cut_row", err, "savepoint")))
        return rc;
    unsigned int code = exec_rows(l, l->ins1, b, &r, 1);
    if (code) {
        if (!is_row_error(code, mysql_stmt_sqlstate(l->ins1)))
            return cut_error_set(err, retry_or(code, CUT_ESERVER), "%s: insert: %s", c->label,
                                 mysql_stmt_error(l->ins1));
        cut_buf_reset(&l->msg);
        cut_buf_printf(&l->msg, "%s refused the row: %s", c->label, mysql_stmt_error(l->ins1));
        if ((rc = my_exec_sql(c, "ROLLBACK TO SAVEPOINT cut_row", err, "rollback")))
            return rc;
        rej(ud, r, cut_buf_cstr(&l->msg));
        return CUT_OK;
    }
    if (mysql_warning_count(c->db)) {
        char reason[1200];
        snprintf(reason, sizeof(reason), "%s refused the row: %s", c->label, warnings_text(l));
        if ((rc = my_exec_sql(c, "ROLLBACK TO SAVEPOINT cut_row", err, "rollback")))
            return rc;
        rej(ud, r, reason);
    }
    return CUT_OK;
}

/* Keeps the error that refused a part, for locate_fk. */
static int part_refused(my_load *l, unsigned int code, const char *msg)
{
    l->fail_code = code;
    cut_buf_reset(&l->fail_msg);
    cut_buf_printf(&l->fail_msg, "%s", msg);
    return CUT_OK;
}

/*
 * LOAD DATA LOCAL goes on past a row it cannot take (the client's stream cannot be
 * stopped), so a missing parent is a warning there: the first one is kept for
 * locate_fk, and l->fk_only says whether every row the statement skipped is such a
 * warning (skipped rows, warnings and warnings for missing parents all equal).
 */
static void fk_warning(my_load *l, my_ulonglong skipped)
{
    my_conn *c = l->c;
    unsigned int total = mysql_warning_count(c->db);
    MYSQL_RES *res = NULL;
    if (mysql_real_query(c->db, "SHOW WARNINGS", 13) == 0)
        res = mysql_store_result(c->db);
    MYSQL_ROW row;
    my_ulonglong shown = 0, fk = 0;
    while (res && (row = mysql_fetch_row(res))) {
        shown++;
        if (row[1] && row[2] && strtol(row[1], NULL, 10) == ER_NO_REFERENCED_ROW_2) {
            if (!fk++)
                part_refused(l, ER_NO_REFERENCED_ROW_2, row[2]);
        }
    }
    if (res)
        mysql_free_result(res);
    l->fk_only = fk > 0 && fk == shown && shown == total && fk == skipped;
    l->skipped = skipped;
}

/*
 * Sends rows idx[0..n) of b with one LOAD DATA LOCAL. Returns 0 with *clean = 1 when
 * the server took every row without a warning; 0 with *clean = 0 when it did not (the
 * caller rolls back and looks for the rows); CUT_EUNSUPPORTED when local infile is
 * refused; another error when the connection failed.
 */
static int load_data_local(my_load *l, const cut_batch *b, const int *idx, int n, int *clean,
                           cut_error *err)
{
    my_conn *c = l->c;
    *clean = 0;
    cut_buf_reset(&l->data);
    for (int k = 0; k < n; k++)
        if (append_load_row(l, cut_batch_crow(b, idx[k])))
            return cut_error_set(err, CUT_ENOMEM, "out of memory");
    c->feeding = l;
    int failed = mysql_real_query(c->db, l->load_sql, (unsigned long)strlen(l->load_sql));
    c->feeding = NULL;
    if (failed) {
        unsigned int code = mysql_errno(c->db);
        if (is_local_infile_refused(code))
            return CUT_EUNSUPPORTED;
        if (is_row_error(code, mysql_sqlstate(c->db)))
            return part_refused(l, code, mysql_error(c->db));
        return my_error(c, err, CUT_ESERVER, "load data");
    }
    my_ulonglong took = mysql_affected_rows(c->db);
    *clean = took == (my_ulonglong)n && mysql_warning_count(c->db) == 0;
    if (!*clean && l->nfk && took <= (my_ulonglong)n)
        fk_warning(l, (my_ulonglong)n - took);
    return CUT_OK;
}

/* Sends rows idx[0..n) of b with multi-row INSERTs; *clean as for load_data_local. */
static int load_inserts(my_load *l, const cut_batch *b, const int *idx, int n, int *clean,
                        cut_error *err)
{
    my_conn *c = l->c;
    *clean = 0;
    int rc;
    for (int k = 0; k < n;) {
        int m = n - k < l->insn_rows ? n - k : l->insn_rows;
        MYSQL_STMT *st;
        if (m == l->insn_rows) {
            if (!l->insn && (rc = my_prepare(l, m, &l->insn, err)))
                return rc;
            st = l->insn;
        } else {
            if (l->tail && l->tail_rows != m) {
                mysql_stmt_close(l->tail);
                l->tail = NULL;
            }
            if (!l->tail && (rc = my_prepare(l, m, &l->tail, err)))
                return rc;
            l->tail_rows = m;
            st = l->tail;
        }
        unsigned int code = exec_rows(l, st, b, idx + k, m);
        if (code) {
            if (is_row_error(code, mysql_stmt_sqlstate(st)))
                return part_refused(l, code, mysql_stmt_error(st));
            return cut_error_set(err, retry_or(code, CUT_ESERVER), "%s: insert: %s", c->label,
                                 mysql_stmt_error(st));
        }
        if (mysql_warning_count(c->db) || mysql_stmt_affected_rows(st) != (my_ulonglong)m)
            return CUT_OK;
        k += m;
    }
    *clean = 1;
    return CUT_OK;
}

/*
 * The foreign keys of t whose refused rows locate_fk can find: single-column, not
 * referring to t itself (a row's parent may be in the same part), on a loaded column
 * that travels as text. The check reads the part's values through JSON_TABLE (MariaDB
 * 10.6, MySQL 8.0): where the server lacks it, the check fails once and the load splits
 * parts as before.
 */
static int find_fks(my_load *l, const cut_table *t, const cut_load_opts *o, cut_error *err)
{
    my_conn *c = l->c;
    cut_buf sql = {0};
    cut_buf_printf(&sql, "SELECT k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, "
                         "k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, c.COLUMN_TYPE, "
                         "c.CHARACTER_SET_NAME, c.COLLATION_NAME "
                         "FROM information_schema.KEY_COLUMN_USAGE k "
                         "JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = k.TABLE_SCHEMA "
                         "AND c.TABLE_NAME = k.TABLE_NAME AND c.COLUMN_NAME = k.COLUMN_NAME "
                         "WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = ");
    quote_literal(c, &sql, t->name);
    cut_buf_printf(&sql,
                   " AND k.REFERENCED_TABLE_NAME IS NOT NULL AND NOT (k.REFERENCED_TABLE_SCHEMA "
                   "= k.TABLE_SCHEMA AND k.REFERENCED_TABLE_NAME = k.TABLE_NAME) AND (SELECT "
                   "COUNT(*) FROM information_schema.KEY_COLUMN_USAGE k2 WHERE "
                   "k2.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND k2.TABLE_NAME = k.TABLE_NAME "
                   "AND k2.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND k2.REFERENCED_TABLE_NAME IS "
                   "NOT NULL) = 1 ORDER BY k.CONSTRAINT_NAME");
    MYSQL_RES *res = NULL;
    int rc = sql.p ? my_store(c, sql.p, &res, err, "reading the foreign keys")
                   : cut_error_set(err, CUT_ENOMEM, "out of memory");
    cut_buf_free(&sql);
    unsigned int code = rc && rc != CUT_ENOMEM ? mysql_errno(c->db) : 0;
    if (code && !client_error(code)) {
        /* Locating is a shortcut: without the keys, refused parts are split. (CI saw
           MariaDB fail this catalog query once, on its own temporary file.) */
        cut_log(CUT_LOG_INFO, "%s: %s: %s; rows refused for a missing parent are found by parts",
                c->label, t->name, err->msg);
        cut_error_clear(err);
        return CUT_OK;
    }
    if (rc)
        return rc;
    l->fks = calloc(mysql_num_rows(res) + 1, sizeof(my_fk));
    if (!l->fks)
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
    MYSQL_ROW row;
    while (rc == CUT_OK && (row = mysql_fetch_row(res))) {
        int k = -1;
        for (int i = 0; i < o->ncols && k < 0; i++)
            if (row[1] && strcmp(t->cols[o->cols[i]].name, row[1]) == 0)
                k = i;
        if (k < 0 || !row[0] || !row[2] || !row[3] || !row[4] || !row[5] || l->cls[k] == LC_BYTES ||
            l->cls[k] == LC_BIT || l->cls[k] == LC_BOOL || l->cls[k] == LC_YEAR)
            continue;
        cut_buf q = {0};
        cut_buf_printf(&q, ", '$[*]' COLUMNS (i FOR ORDINALITY, v %s", row[5]);
        if (row[6] && row[7])
            cut_buf_printf(&q, " CHARACTER SET %s COLLATE %s", row[6], row[7]);
        cut_buf_printf(&q, " PATH '$')) j WHERE j.v IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ");
        quote_ident(&q, row[2]);
        cut_buf_appendc(&q, '.');
        quote_ident(&q, row[3]);
        cut_buf_printf(&q, " p WHERE p.");
        quote_ident(&q, row[4]);
        cut_buf_printf(&q, " = j.v)");
        my_fk *fk = &l->fks[l->nfk++];
        fk->col = k;
        fk->name = cut_strdup(row[0]);
        fk->tail = q.p;
        if (!fk->name || !fk->tail)
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    mysql_free_result(res);
    return rc;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The foreign key the server's message for the last refused part names, with that
   message kept as its rows' reason; NULL when it is not one find_fks kept. */
static my_fk *named_fk(my_load *l)
{
    const char *msg = cut_buf_cstr(&l->fail_msg);
    const char *at = msg ? strstr(msg, "CONSTRAINT `") : NULL;
    for (int k = 0; at && k < l->nfk; k++) {
        my_fk *fk = &l->fks[k];
        size_t len = strlen(fk->name);
        if (fk->tail && strncmp(at + 12, fk->name, len) == 0 && at[12 + len] == '`') {
            free(fk->why);
            fk->why = cut_asprintf("%s refused the row: %s", l->c->label, msg);
            return fk->why ? fk : NULL;
        }
    }
    return NULL;
}

/*
 * The rows of idx[0..n) (a part of the batch) whose value of fk's column its referenced
 * table lacks, found by one query: their positions in idx go to l->pos, ascending, and
 * *nout. *nout = 0 also when the check cannot be trusted (it failed, or raised a warning:
 * a value the column's type bent); the caller then sends the rows as they are.
 */
static int locate_fk(my_load *l, my_fk *fk, const cut_batch *b, const int *idx, int n, int *nout,
                     cut_error *err)
{
    int *out = l->pos;
    my_conn *c = l->c;
    *nout = 0;
    if (!fk->tail)
        return CUT_OK;
    cut_buf *j = &l->json;
    cut_buf_reset(j);
    cut_buf_appendc(j, '[');
    for (int k = 0; k < n; k++) {
        const cut_cell *v = &cut_batch_crow(b, idx[k])[fk->col];
        if (k)
            cut_buf_appendc(j, ',');
        if (cut_cell_is_null(v)) {
            cut_buf_append(j, "null", 4);
        } else {
            const char *p;
            size_t len;
            char num[40];
            wire_value(l->cls[fk->col], v, &p, &len, num);
            cut_json_string(j, p, len);
        }
    }
    cut_buf_appendc(j, ']');
    cut_buf sql = {0};
    cut_buf_printf(&sql, "SELECT j.i FROM JSON_TABLE(");
    if (cut_buf_cstr(j))
        quote_literal(c, &sql, j->p);
    cut_buf_printf(&sql, "%s", fk->tail);
    if (!j->p || !cut_buf_cstr(&sql)) {
        cut_buf_free(&sql);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    int failed = mysql_real_query(c->db, sql.p, (unsigned long)sql.len);
    cut_buf_free(&sql);
    MYSQL_RES *res = failed ? NULL : mysql_store_result(c->db);
    if (!res) {
        unsigned int code = mysql_errno(c->db);
        if (client_error(code))
            return my_error(c, err, CUT_ESERVER, "checking a foreign key");
        cut_log(CUT_LOG_DEBUG, "%s: %s: the rows foreign key %s refuses are found by parts: %s",
                c->label, l->table, fk->name, mysql_error(c->db));
        free(fk->tail);
        fk->tail = NULL; /* not again */
        return CUT_OK;
    }
    if (mysql_warning_count(c->db) == 0) {
        MYSQL_ROW row;
        while ((row = mysql_fetch_row(res))) {
            long i = row[0] ? strtol(row[0], NULL, 10) : 0;
            if (i >= 1 && i <= n)
                out[(*nout)++] = (int)i - 1;
        }
        qsort(out, (size_t)*nout, sizeof(int), cmp_int);
    }
    mysql_free_result(res);
    return CUT_OK;
}

static int load_part(my_load *l, const cut_batch *b, const int *idx, int n, int batch,
                     cut_reject_fn rej, void *ud, cut_error *err);
static int load_split(my_load *l, const cut_batch *b, const int *idx, int n, cut_reject_fn rej,
                      void *ud, cut_error *err);

/* Rows without a parent seldom come alone: the next MY_WATCH batches are checked for
   them before they are sent. A skipped row leaves InnoDB's gap lock behind, and with
   loads side by side (chunks), one holding LOAD DATA's AUTO-INC lock, that deadlocked. */
static void watch(my_load *l, my_fk *fk)
{
    l->watch = fk;
    l->watching = MY_WATCH;
}

/* Refuses the rows at positions l->pos[0..npos) of idx with fk's reason and moves the
   others to rest, in order (rest may be idx itself, or NULL); returns how many. */
static int refuse_located(const my_load *l, const my_fk *fk, const int *idx, int n, int npos,
                          int *rest, cut_reject_fn rej, void *ud)
{
    int nrest = 0;
    for (int k = 0, q = 0; k < n; k++) {
        if (q < npos && l->pos[q] == k) {
            rej(ud, idx[k], fk->why);
            q++;
        } else if (rest) {
            rest[nrest++] = idx[k];
        }
    }
    return nrest;
}

/* After a LOAD DATA that skipped only rows without a parent (l->fk_only): when the key's
   check finds exactly as many rows as it skipped, they are refused with the server's
   warning and *kept = 1; otherwise nothing is done and the caller undoes the part. */
static int keep_located(my_load *l, const cut_batch *b, const int *idx, int n, cut_reject_fn rej,
                        void *ud, int *kept, cut_error *err)
{
    *kept = 0;
    my_fk *fk = named_fk(l);
    if (!fk)
        return CUT_OK;
    int npos = 0;
    int rc = locate_fk(l, fk, b, idx, n, &npos, err);
    if (rc == CUT_OK && npos > 0 && (my_ulonglong)npos == l->skipped) {
        refuse_located(l, fk, idx, n, npos, NULL, rej, ud); /* the others are in */
        *kept = 1;
        watch(l, fk);
    }
    return rc;
}

/* A part refused for a missing parent: the rows the key's check finds go to rej with the
   server's words, and the others are sent again (without the check finding any, the
   part is split). */
static int load_located(my_load *l, const cut_batch *b, const int *idx, int n, cut_reject_fn rej,
                        void *ud, cut_error *err)
{
    my_fk *fk = named_fk(l);
    if (!fk)
        return load_split(l, b, idx, n, rej, ud, err);
    int npos = 0;
    int rc = locate_fk(l, fk, b, idx, n, &npos, err);
    if (rc || npos == 0)
        return rc ? rc : load_split(l, b, idx, n, rej, ud, err);
    /* The rest is sent again below, where a nested check reuses l->pos: its own copy. */
    int *rest = malloc(sizeof(int) * (size_t)n);
    if (!rest)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    watch(l, fk);
    int nrest = refuse_located(l, fk, idx, n, npos, rest, rej, ud);
    if (nrest)
        rc = load_part(l, b, rest, nrest, 0, rej, ud, err);
    free(rest);
    return rc;
}

/*
 * Rows idx[0..n) of b, sent together behind a savepoint. A part the server does not take
 * cleanly (an error or a warning that names no row) is undone and sent again as MY_SPLIT
 * parts, down to single rows: a refused row costs about MY_SPLIT statements and
 * MY_SPLIT rows sent again per level (three levels for a batch of 4,096), where sending
 * every row of the batch alone cost one statement per row. A part refused for a missing
 * parent first asks the foreign key's check (load_located): one query finds every such
 * row of the part.
 */
static int load_part(my_load *l, const cut_batch *b, const int *idx, int n, int batch,
                     cut_reject_fn rej, void *ud, cut_error *err)
{
    my_conn *c = l->c;
    if (n == 1)
        return load_row(l, b, idx[0], rej, ud, err);
    int rc = my_exec_sql(c, "SAVEPOINT cut_part", err, "savepoint");
    int clean = 0, sent = 0;
    l->fail_code = 0;
    l->fk_only = 0;
    /* A batch goes by LOAD DATA; a part sent again, when it fits one INSERT, by that. */
    if (rc == CUT_OK && c->local_infile && (batch || n > l->insn_rows)) {
        rc = load_data_local(l, b, idx, n, &clean, err);
        sent = rc != CUT_EUNSUPPORTED;
        if (!sent) {
            cut_log(CUT_LOG_INFO,
                    "%s: LOAD DATA LOCAL INFILE refused by the server; loading "
                    "with INSERT",
                    c->label);
            c->local_infile = 0;
            rc = CUT_OK;
        }
    }
    if (rc == CUT_OK && !sent)
        rc = load_inserts(l, b, idx, n, &clean, err);
    if (rc || clean)
        return rc;
    /* LOAD DATA took every row but those without a parent: when the key's check finds
       as many, those are the rows it skipped, and the others stay. */
    if (l->fk_only) {
        int kept = 0;
        if ((rc = keep_located(l, b, idx, n, rej, ud, &kept, err)) || kept)
            return rc;
    }
    /* Something was refused or changed: undo the part, then find the rows. */
    if ((rc = my_exec_sql(c, "ROLLBACK TO SAVEPOINT cut_part", err, "rollback")))
        return rc;
    if (l->fail_code == ER_NO_REFERENCED_ROW_2 && l->nfk && n > MY_SPLIT)
        return load_located(l, b, idx, n, rej, ud, err);
    return load_split(l, b, idx, n, rej, ud, err);
}

/* The rows of a refused part, found by sending it again as MY_SPLIT parts (or row by
   row when it is that small). */
static int load_split(my_load *l, const cut_batch *b, const int *idx, int n, cut_reject_fn rej,
                      void *ud, cut_error *err)
{
    int rc = CUT_OK;
    if (n <= MY_SPLIT) {
        for (int k = 0; k < n && rc == CUT_OK; k++)
            rc = load_row(l, b, idx[k], rej, ud, err);
        return rc;
    }
    int size = (n + MY_SPLIT - 1) / MY_SPLIT;
    for (int k = 0; k < n && rc == CUT_OK; k += size)
        rc = load_part(l, b, idx + k, n - k < size ? n - k : size, 0, rej, ud, err);
    return rc;
}

static int my_load_rows(cut_load *base, const cut_batch *b, cut_reject_fn rej, void *ud,
                        cut_error *err)
{
    my_load *l = (my_load *)base;
    if (b->nrows > l->idx_cap) {
        int *p = realloc(l->idx, sizeof(int) * (size_t)b->nrows);
        if (p)
            l->idx = p;
        int *q = realloc(l->pos, sizeof(int) * (size_t)b->nrows);
        if (q)
            l->pos = q;
        if (!p || !q)
            return cut_error_set(err, CUT_ENOMEM, "out of memory");
        l->idx_cap = b->nrows;
    }
    /* Values MySQL cannot hold at all are refused before anything is sent. */
    int nsend = 0;
    for (int r = 0; r < b->nrows; r++) {
        const cut_cell *row = cut_batch_crow(b, r);
        const char *why = NULL;
        int i = 0;
        for (; i < l->ncols && !why; i++)
            why = my_refusal(l, i, &row[i]);
        if (why) {
            /* The reject record of a load has no column: the reason names it. */
            char reason[600];
            snprintf(reason, sizeof(reason), "column %s: %s", l->names[i - 1], why);
            rej(ud, r, reason);
        }
        else
            l->idx[nsend++] = r;
    }
    int rc = CUT_OK;
    if (l->watching > 0 && nsend > MY_SPLIT) {
        int npos = 0;
        rc = locate_fk(l, l->watch, b, l->idx, nsend, &npos, err);
        l->watching = npos ? MY_WATCH : l->watching - 1;
        if (rc == CUT_OK)
            nsend = refuse_located(l, l->watch, l->idx, nsend, npos, l->idx, rej, ud);
    }
    if (rc == CUT_OK && nsend)
        rc = load_part(l, b, l->idx, nsend, 1, rej, ud, err);
    if (rc)
        cut_error_set_table(err, l->table);
    return rc;
}

static void my_load_free(my_load *l)
{
    if (!l)
        return;
    if (l->ins1)
        mysql_stmt_close(l->ins1);
    if (l->insn)
        mysql_stmt_close(l->insn);
    if (l->tail)
        mysql_stmt_close(l->tail);
    free(l->table);
    free(l->qtable);
    free(l->cls);
    free(l->names);
    free(l->fixlen);
    free(l->load_sql);
    free(l->ins_head);
    free(l->ins_tuple);
    free(l->binds);
    free(l->lens);
    free(l->nulls);
    free(l->nums);
    free(l->idx);
    free(l->pos);
    free(l->auto_col);
    for (int k = 0; k < l->nfk; k++) {
        free(l->fks[k].name);
        free(l->fks[k].tail);
        free(l->fks[k].why);
    }
    free(l->fks);
    cut_buf_free(&l->fail_msg);
    cut_buf_free(&l->json);
    cut_buf_free(&l->data);
    cut_buf_free(&l->msg);
    free(l);
}

static int my_key_bounds(cut_conn *base, const cut_table *t, int col, int64_t *min,
                         int64_t *max, int *empty, cut_error *err)
{
    my_conn *c = (my_conn *)base;
    cut_buf sql = {0};
    for (int k = 0; k < 2; k++) {
        cut_buf_reset(&sql);
        cut_buf_printf(&sql, "SELECT %s(", k ? "MAX" : "MIN");
        quote_ident(&sql, t->cols[col].name);
        cut_buf_printf(&sql, ") FROM ");
        quote_ident(&sql, t->name);
        int is_null = 0;
        int rc = my_scalar(c, cut_buf_cstr(&sql), k ? max : min, &is_null, err, "key bounds");
        if (rc) {
            cut_buf_free(&sql);
            return rc;
        }
        *empty = is_null;
        if (is_null)
            break;
    }
    cut_buf_free(&sql);
    return CUT_OK;
}

static int my_load_open(cut_conn *base, const cut_table *t, const cut_load_opts *o, cut_load **out,
                        cut_error *err)
{
    my_conn *c = (my_conn *)base;
    *out = NULL;
    int rc = CUT_OK;
    cut_buf sql = {0}, b2 = {0};
    my_load *l = calloc(1, sizeof(*l));
    if (!l)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    l->c = c;
    l->ncols = o->ncols;
    l->table = cut_strdup(t->name);
    l->cls = calloc((size_t)o->ncols + 1, 1);
    l->names = calloc((size_t)o->ncols + 1, sizeof(char *));
    l->fixlen = calloc((size_t)o->ncols + 1, sizeof(int));
    l->insn_rows = o->ncols ? MY_MAX_PLACEHOLDERS / o->ncols : MY_INSERT_ROWS;
    if (l->insn_rows > MY_INSERT_ROWS)
        l->insn_rows = MY_INSERT_ROWS;
    if (l->insn_rows < 1)
        l->insn_rows = 1;
    size_t nb = (size_t)l->insn_rows * (size_t)(o->ncols ? o->ncols : 1);
    l->binds = calloc(nb, sizeof(MYSQL_BIND));
    l->lens = calloc(nb, sizeof(unsigned long));
    l->nulls = calloc(nb, sizeof(my_bool));
    l->nums = calloc(nb, sizeof(*l->nums));
    if (!l->table || !l->cls || !l->names || !l->fixlen || !l->binds || !l->lens || !l->nulls ||
        !l->nums) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto fail;
    }

    /* Rolling back a refused batch needs a transactional engine. */
    cut_buf_printf(&sql, "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                         "DATABASE() AND TABLE_NAME = ");
    quote_literal(c, &sql, t->name);
    MYSQL_RES *res;
    if ((rc = my_store(c, cut_buf_cstr(&sql), &res, err, "engine")))
        goto fail;
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row && row[0] && strcasecmp(row[0], "InnoDB") != 0) {
        rc = cut_error_set(err, CUT_EUNSUPPORTED,
                           "target table %s uses the %s engine, which cannot roll back a "
                           "refused batch; convert it (ALTER TABLE %s ENGINE=InnoDB)",
                           t->name, row[0], t->name);
        mysql_free_result(res);
        goto fail;
    }
    mysql_free_result(res);

    l->own_tx = !c->in_tx && !o->in_tx;
    /* Chunks of one table load side by side, each first deleting its own key range. Under
       REPEATABLE READ that DELETE takes next-key locks past the range's end, on the gap
       the neighbouring chunk inserts into, and InnoDB kills one of them as a deadlock;
       READ COMMITTED locks only the rows it deletes. */
    if (l->own_tx && o->ranged &&
        (rc = my_exec_sql(c, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED", err, "begin")))
        goto fail;
    if (l->own_tx && (rc = my_exec_sql(c, "START TRANSACTION", err, "begin")))
        goto fail;
    if (o->ranged) {
        /* A chunk replaces its key range: loading it again never duplicates rows. */
        cut_buf q = {0}, qt = {0};
        quote_ident(&q, t->cols[o->range_col].name);
        quote_ident(&qt, t->name);
        cut_range_delete_sql(&sql, cut_buf_cstr(&qt), cut_buf_cstr(&q), o);
        cut_buf_free(&q);
        cut_buf_free(&qt);
        if ((rc = my_exec_sql(c, cut_buf_cstr(&sql), err, "delete chunk range")))
            goto rollback;
    } else if (!o->allow_nonempty && !take_emptied(c, t->name)) {
        /* (A table this transaction emptied is not counted: InnoDB would step over every
           row it deleted, 2.4 s for 1.2M bookings.) */
        cut_buf_reset(&sql);
        cut_buf_printf(&sql, "SELECT COUNT(*) FROM ");
        quote_ident(&sql, t->name);
        int64_t n = 0;
        int is_null;
        if ((rc = my_scalar(c, cut_buf_cstr(&sql), &n, &is_null, err, "count")))
            goto rollback;
        if (n > 0) {
            rc = cut_error_set(err, CUT_ESTATE,
                               "target table %s is not empty (%" PRId64
                               " rows); use --truncate to replace its rows",
                               t->name, n);
            goto rollback;
        }
    }
    for (int i = 0; i < t->ncols; i++)
        if (t->cols[i].identity) {
            cut_buf_reset(&b2);
            quote_ident(&b2, t->cols[i].name);
            l->auto_col = cut_strdup(cut_buf_cstr(&b2));
            break;
        }

    /* Column list and SET clauses of LOAD DATA; head and tuple of INSERT. */
    cut_buf qt = {0};
    quote_ident(&qt, t->name);
    l->qtable = cut_strdup(cut_buf_cstr(&qt));
    cut_buf_free(&qt);
    cut_buf cols = {0}, sets = {0}, tuple = {0};
    for (int i = 0; i < o->ncols; i++) {
        const cut_column *col = &t->cols[o->cols[i]];
        int cls = LC_TEXT;
        if (starts_with_ci(col->native, "bit"))
            cls = col->type.kind == CUT_T_BOOL ? LC_BOOL : LC_BIT;
        else if (starts_with_ci(col->native, "year"))
            cls = LC_YEAR;
        else if (col->type.kind == CUT_T_BYTES)
            cls = LC_BYTES;
        if (cls == LC_BYTES && starts_with_ci(col->native, "binary("))
            l->fixlen[i] = col->type.length;
        else if (col->type.kind == CUT_T_TIMESTAMPTZ)
            cls = LC_TSTZ;
        else if (col->type.kind == CUT_T_FLOAT)
            cls = col->type.width == 32 ? LC_FLOAT32 : LC_FLOAT;
        else if (col->type.kind == CUT_T_NUMERIC)
            cls = LC_NUMERIC;
        else if (col->type.kind == CUT_T_DATE || col->type.kind == CUT_T_TIMESTAMP)
            cls = LC_DATE;
        l->cls[i] = (unsigned char)cls;
        l->names[i] = col->name;
        if (i) {
            cut_buf_append(&cols, ", ", 2);
            cut_buf_append(&tuple, ", ", 2);
        }
        if (cls == LC_BYTES || cls == LC_BIT || cls == LC_BOOL || cls == LC_YEAR) {
            /* BIT and YEAR take numbers, not the digits' characters (YEAR reads the
               string '0' as 2000, the number 0 as 0); bytes travel as hex. */
            cut_buf_printf(&cols, "@v%d", i);
            cut_buf_printf(&sets, "%s", sets.len ? ", " : " SET ");
            quote_ident(&sets, col->name);
            cut_buf_printf(&sets, cls == LC_BYTES ? " = UNHEX(@v%d)" : " = CAST(@v%d AS UNSIGNED)",
                           i);
            cut_buf_printf(&tuple, cls == LC_BYTES ? "?" : "CAST(? AS UNSIGNED)");
        } else {
            quote_ident(&cols, col->name);
            cut_buf_printf(&tuple, "?");
        }
    }
    cut_buf_reset(&sql);
    cut_buf_printf(&sql,
                   "LOAD DATA LOCAL INFILE 'cutover-batch' INTO TABLE %s CHARACTER SET utf8mb4 "
                   "FIELDS TERMINATED BY '\\t' ENCLOSED BY '' ESCAPED BY '\\\\' "
                   "LINES TERMINATED BY '\\n' STARTING BY '' (%s)%s",
                   l->qtable, cols.p ? cols.p : "", sets.p ? sets.p : "");
    l->load_sql = cut_strdup(cut_buf_cstr(&sql));
    cut_buf_reset(&sql);
    cut_buf_printf(&sql, "INSERT INTO %s (", l->qtable);
    for (int i = 0; i < o->ncols; i++) {
        if (i)
            cut_buf_append(&sql, ", ", 2);
        quote_ident(&sql, t->cols[o->cols[i]].name);
    }
    cut_buf_printf(&sql, ") VALUES ");
    l->ins_head = cut_strdup(cut_buf_cstr(&sql));
    cut_buf_reset(&b2);
    cut_buf_printf(&b2, "(%s)", tuple.p ? tuple.p : "");
    l->ins_tuple = cut_strdup(cut_buf_cstr(&b2));
    cut_buf_free(&cols);
    cut_buf_free(&sets);
    cut_buf_free(&tuple);
    if (!l->qtable || !l->load_sql || !l->ins_head || !l->ins_tuple) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto rollback;
    }
    /* An all-or-nothing load stops at its first refused row: it needs no locating. */
    if (!o->whole && (rc = find_fks(l, t, o, err)))
        goto rollback;
    mysql_set_local_infile_handler(c->db, infile_init, infile_read, infile_end, infile_error, c);
    cut_buf_free(&sql);
    cut_buf_free(&b2);
    *out = &l->base;
    return CUT_OK;
rollback:
    if (l->own_tx)
        mysql_real_query(c->db, "ROLLBACK", 8);
fail:
    cut_error_set_table(err, t->name);
    cut_buf_free(&sql);
    cut_buf_free(&b2);
    my_load_free(l);
    return rc;
}

static int my_load_commit(cut_load *base, cut_error *err)
{
    my_load *l = (my_load *)base;
    my_conn *c = l->c;
    int rc = CUT_OK;
    if (l->own_tx) {
        if ((rc = my_exec_sql(c, "COMMIT", err, "commit"))) {
            mysql_real_query(c->db, "ROLLBACK", 8);
        } else if (l->auto_col) {
            /* InnoDB moves the counter past explicit values by itself; other engines and
               older servers may not. ALTER TABLE commits implicitly, hence after COMMIT
               and never inside the caller's transaction; and only when the counter is
               behind, for it waits for every open transaction that uses the table (or
               one of its children: a lock wait timeout failed a committed load so). */
            cut_buf sql = {0};
            cut_buf_printf(&sql, "SELECT MAX(%s) FROM %s", l->auto_col, l->qtable);
            int64_t max = 0, next = 0;
            int is_null = 1, next_null = 1;
            rc = my_scalar(c, cut_buf_cstr(&sql), &max, &is_null, err, "auto_increment");
            if (rc == CUT_OK && !is_null) {
                cut_buf_reset(&sql);
                cut_buf_printf(&sql, "SELECT AUTO_INCREMENT FROM information_schema.TABLES "
                                     "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ");
                quote_literal(c, &sql, l->table);
                rc = my_scalar(c, cut_buf_cstr(&sql), &next, &next_null, err, "auto_increment");
            }
            if (rc == CUT_OK && !is_null && max >= 0 && max < INT64_MAX &&
                (next_null || next <= max)) {
                cut_buf_reset(&sql);
                cut_buf_printf(&sql, "ALTER TABLE %s AUTO_INCREMENT = %" PRId64, l->qtable,
                               max + 1);
                rc = my_exec_sql(c, cut_buf_cstr(&sql), err, "auto_increment");
            }
            cut_buf_free(&sql);
            if (rc) {
                /* Not undone, so not to be loaded again: the rows are in. */
                cut_error_prefix(err, "the rows are committed, but moving AUTO_INCREMENT "
                                      "past them failed");
                if (rc == CUT_ERETRY)
                    err->code = rc = CUT_ESERVER;
            }
        }
    }
    if (rc)
        cut_error_set_table(err, l->table);
    my_load_free(l);
    return rc;
}

static void my_load_abort(cut_load *base)
{
    my_load *l = (my_load *)base;
    if (!l)
        return;
    if (l->own_tx)
        mysql_real_query(l->c->db, "ROLLBACK", 8);
    my_load_free(l);
}

const cut_driver cut_driver_mysql = {
    .version = 1,
    .scheme = "mysql",
    .name = "MariaDB/MySQL",
    .caps = CUT_DRV_SOURCE | CUT_DRV_TARGET,
    .connect = my_connect,
    .disconnect = my_disconnect,
    .describe = my_describe,
    .list_tables = my_list_tables,
    .estimate_rows = my_estimate_rows,
    .count_rows = my_count_rows,
    .key_bounds = my_key_bounds,
    .begin_read = my_begin_read,
    .end_read = my_end_read,
    .scan_open = my_scan_open,
    .scan_next = my_scan_next,
    .scan_close = my_scan_close,
    .truncate = my_truncate,
    .tx_begin = my_tx_begin,
    .tx_commit = my_tx_commit,
    .tx_rollback = my_tx_rollback,
    .ddl = my_ddl,
    .load_open = my_load_open,
    .load_rows = my_load_rows,
    .load_commit = my_load_commit,
    .load_abort = my_load_abort,
    .exec = my_exec,
};
