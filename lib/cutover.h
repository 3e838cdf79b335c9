/*
 * cutover.h — the public interface of libcutover, the data migration and
 * integrity verification engine.
 *
 * Conventions (see docs/library.md):
 *  - every public symbol starts with cut_ / CUT_;
 *  - fallible functions return int: 0 (CUT_OK) or a negative CUT_E* code, and
 *    fill the caller's cut_error with a message and context (table, column,
 *    row key, file, line);
 *  - handles are opaque, created by the _open, _new and _load functions and
 *    released by the matching _close or _free; a _free(NULL) is a no-op;
 *  - the library never exits and never prints except through the logger or a
 *    FILE* the caller hands it.
 */
#ifndef CUTOVER_H
#define CUTOVER_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <signal.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CUT_VERSION_STRING "0.1.0"

/* ---------------------------------------------------------------- errors */

enum {
    CUT_OK = 0,
    CUT_EINVAL = -1,       /* bad argument or bad input (usage) */
    CUT_ENOMEM = -2,       /* out of memory */
    CUT_EIO = -3,          /* file or stream I/O failed */
    CUT_ECONNECT = -4,     /* could not connect / authenticate */
    CUT_ESCHEMA = -5,      /* table/column absent or incompatible */
    CUT_EMAPPING = -6,     /* mapping file invalid */
    CUT_EDATA = -7,        /* a value cannot be made canonical */
    CUT_ENOTFOUND = -8,    /* named object does not exist */
    CUT_EUNSUPPORTED = -9, /* a type or feature the driver cannot carry */
    CUT_ESERVER = -10,     /* the database server reported an error */
    CUT_EINTR = -11,       /* interrupted (signal / cancellation) */
    CUT_ECORRUPT = -12,    /* a file failed its checksum or structure checks */
    CUT_ESTATE = -13,      /* refused because of the target's state */
    CUT_ERETRY = -14,      /* a transient conflict (deadlock, lock timeout, serialization
                              failure): the server rolled the work back; it may succeed
                              when run again */
};

/*
 * An error value: a code, a message and whatever context is known. Fixed-size
 * buffers so that filling one never allocates; strings are truncated to fit.
 */
typedef struct cut_error {
    int code;
    char msg[1024];
    char table[128];
    char column[128];
    char key[256];
    char file[512];
    long line; /* 1-based; 0 = unknown */
    long col;  /* 1-based; 0 = unknown */
} cut_error;

/* Resets err to "no error". */
void cut_error_clear(cut_error *err);
/* Sets code and printf-style message; keeps existing context. Returns code. */
int cut_error_set(cut_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes the message with printf-style text ("while ...: "). Returns err->code. */
int cut_error_prefix(cut_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cut_error_set_table(cut_error *err, const char *table);
void cut_error_set_column(cut_error *err, const char *column);
void cut_error_set_key(cut_error *err, const char *key);
void cut_error_set_pos(cut_error *err, const char *file, long line, long col);
/*
 * Renders "file:line:col: table T, column C, key K: message" into buf (only
 * the parts that are known). Returns buf.
 */
const char *cut_error_format(const cut_error *err, char *buf, size_t size);
/* A short name for a code ("data error", "connection failed", ...). */
const char *cut_strerror(int code);

/* --------------------------------------------------------------- logging */

typedef enum { CUT_LOG_ERROR = 0, CUT_LOG_WARN, CUT_LOG_INFO, CUT_LOG_DEBUG } cut_log_level;
typedef void (*cut_log_sink)(void *ud, cut_log_level level, const char *line);

void cut_log_set_level(cut_log_level level);
cut_log_level cut_log_get_level(void);
/* Replaces the sink (default: stderr with a level prefix). NULL restores it. */
void cut_log_set_sink(cut_log_sink sink, void *ud);
void cut_log(cut_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------ URLs */

/*
 * Connection URLs (docs/urls.md):
 *   sqlite:path/to/file.db        sqlite:///abs/path.db
 *   csv:path/to/dir               (one <table>.csv per table; source only)
 *   postgresql://user:pw@host:port/db?param=v   (postgres:// too)
 *   mysql://user:pw@host:port/db?socket=/path   (mariadb:// too)
 * Passwords may also come from the environment (PGPASSWORD, ~/.pgpass,
 * MYSQL_PWD) and are never printed: use cut_url_redact() for display.
 */
typedef struct cut_url {
    char *raw;      /* as given, may contain a password: never print */
    char *redacted; /* password replaced by "***": safe to print */
    char *scheme;   /* "sqlite", "csv", "postgresql", "mysql" */
    char *user;     /* percent-decoded, NULL if absent */
    char *password; /* percent-decoded, NULL if absent */
    char *host;     /* NULL if absent */
    int port;       /* 0 if absent */
    char *path;     /* database name (network URLs) or file/dir path */
    int nparams;
    char **keys;    /* query parameters, percent-decoded */
    char **values;
} cut_url;

int cut_url_parse(const char *text, cut_url **out, cut_error *err);
void cut_url_free(cut_url *url);
const char *cut_url_param(const cut_url *url, const char *key);
/* Writes text with any password replaced by "***" into a new string (caller frees). */
char *cut_url_redact(const char *text);
/*
 * 1 when URLs a and b name the same database, 0 otherwise: the same driver, host,
 * port and database (defaults filled in; user and password do not count, shown or
 * "***"), or for sqlite: and csv: the same file or directory by its absolute path.
 * Text that does not parse is the same only byte for byte.
 */
int cut_url_same_database(const char *a, const char *b);
/*
 * When url (redacted or not) holds a password: where a command that gets the URL
 * without it (a restore from a snapshot, which records no password) must find it,
 * as a clause for a message ("set PGPASSWORD or use ~/.pgpass, or give --target
 * URL with the password"). "" when url holds no password. Static storage.
 */
const char *cut_url_password_hint(const char *url);

/* ------------------------------------------------------ logical types */

typedef enum {
    CUT_T_UNKNOWN = 0,
    CUT_T_INT,         /* width 16/32/64 bits, CUT_TF_UNSIGNED */
    CUT_T_NUMERIC,     /* precision, scale (-1 = unconstrained) */
    CUT_T_FLOAT,       /* width 32 or 64 */
    CUT_T_BOOL,
    CUT_T_TEXT,        /* length = max characters (0 = unlimited), CUT_TF_FIXED for char(n) */
    CUT_T_DATE,
    CUT_T_TIME,        /* precision = fractional digits (0..6) */
    CUT_T_TIMESTAMP,   /* precision = fractional digits (0..6) */
    CUT_T_TIMESTAMPTZ, /* precision = fractional digits (0..6) */
    CUT_T_BYTES,       /* length = max bytes (0 = unlimited) */
    CUT_T_UUID,
    CUT_T_JSON,
} cut_kind;

enum {
    CUT_TF_UNSIGNED = 1 << 0, /* int: unsigned range */
    CUT_TF_FIXED = 1 << 1,    /* text: char(n), trailing blanks are not significant */
    CUT_TF_NO_NUL = 1 << 2,   /* text: the engine cannot store U+0000 (PostgreSQL) */
    CUT_TF_BMP_ONLY = 1 << 3, /* text: 3-byte utf8 only (MySQL utf8mb3) */
    CUT_TF_LATIN1 = 1 << 4,   /* text: the engine stores latin1 */
};

typedef struct cut_type {
    cut_kind kind;
    int width;     /* int: 8/16/24/32/64 bits; float: 32/64 */
    int precision; /* numeric: total digits (0 = unconstrained); time*: fractional digits */
    int scale;     /* numeric: digits after the point (-1 = unconstrained) */
    int length;    /* text: characters, bytes: bytes; 0 = unlimited */
    unsigned flags;
} cut_type;

/* "int", "numeric", ... */
const char *cut_kind_name(cut_kind kind);
/* Renders a type as "numeric(8,2)", "text(255)", "int64", "timestamptz(3)". */
const char *cut_type_format(const cut_type *t, char *buf, size_t size);

/* What canonicalization does with '0000-00-00' style dates (MySQL zero dates). */
typedef enum { CUT_ZERO_NULL = 0, CUT_ZERO_REJECT = 1 } cut_zero_dates;
/* What it does with a local time that falls in a DST overlap. */
typedef enum { CUT_DST_REJECT = 0, CUT_DST_EARLIER = 1, CUT_DST_LATER = 2 } cut_dst_policy;

typedef struct cut_tz cut_tz; /* an IANA time zone; thread-safe once opened */
int cut_tz_open(const char *name, cut_tz **out, cut_error *err);
void cut_tz_free(cut_tz *tz);
const char *cut_tz_name(const cut_tz *tz);

typedef struct cut_canon_opts {
    const cut_tz *source_tz;    /* naive timestamps → timestamptz; NULL = UTC */
    cut_zero_dates zero_dates;  /* default CUT_ZERO_NULL */
    cut_dst_policy dst_overlap; /* default CUT_DST_REJECT */
    int exact;                  /* refuse (CUT_EDATA) a value its type would round: more
                                   fractional digits than a numeric's scale or a time's
                                   precision keeps. Values read back from a target whose
                                   engine does not enforce its types (SQLite) */
} cut_canon_opts;

/* Result of cut_canon besides CUT_EDATA. */
enum {
    CUT_CANON_SAME = 1,  /* the input is already canonical: use it as it is */
    CUT_CANON_NEW = 2,   /* the canonical form was written to out */
    CUT_CANON_NULL = 3,  /* the value becomes NULL (a zero date under CUT_ZERO_NULL) */
};

/*
 * Canonicalizes one non-NULL value for type t (DESIGN §6, docs/canonical.md).
 * in/len is the value as the source driver hands it (text, or raw bytes for
 * CUT_T_BYTES). Returns CUT_CANON_SAME, CUT_CANON_NEW (out->p/out->len set;
 * out is reused by the caller), CUT_CANON_NULL, or CUT_EDATA with *reason
 * pointing to a static or out-owned explanation ("value too long for
 * text(10): 12 characters"). Thread-safe; never allocates unless out grows.
 */
typedef struct cut_buf {
    char *p;
    size_t len;
    size_t cap;
} cut_buf;

int cut_canon(const cut_type *t, const char *in, size_t len, const cut_canon_opts *opts,
              cut_buf *out, const char **reason);

/* Small growable byte buffer helpers (the buffer is zero-initialised to start). */
int cut_buf_reserve(cut_buf *b, size_t extra);
int cut_buf_append(cut_buf *b, const void *p, size_t n);
int cut_buf_appendc(cut_buf *b, char c);
int cut_buf_printf(cut_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ensures p[len] == '\0' (not counted in len); returns b->p. */
char *cut_buf_cstr(cut_buf *b);
void cut_buf_reset(cut_buf *b);
void cut_buf_free(cut_buf *b);

/* --------------------------------------------------------------- digests */

/* XXH3-128 of a row's canonical encoding, as two 64-bit halves. */
typedef struct cut_hash128 {
    uint64_t lo, hi;
} cut_hash128;

/* A table digest: row count and the sum of row hashes mod 2^128 (DESIGN §7). */
typedef struct cut_digest {
    uint64_t rows;
    cut_hash128 sum;
} cut_digest;

void cut_digest_init(cut_digest *d);
void cut_digest_add(cut_digest *d, cut_hash128 h);
void cut_digest_merge(cut_digest *d, const cut_digest *other);
int cut_digest_equal(const cut_digest *a, const cut_digest *b);
/* 32 lowercase hex digits of the sum (hi then lo) into buf[33]. */
char *cut_digest_hex(const cut_digest *d, char buf[33]);
int cut_digest_parse_hex(const char *hex, cut_hash128 *out);

/* ------------------------------------------------- mappings (YAML files) */

typedef struct cut_mapping cut_mapping;

/*
 * Reads and validates the syntax of a mapping file (DESIGN §5,
 * docs/mapping.md). ${VAR} and ${VAR:-default} in values are replaced from
 * the environment. Column names are checked against the databases later, by
 * cut_check / cut_migrate / cut_verify. Errors carry file:line:col.
 */
int cut_mapping_load(const char *path, cut_mapping **out, cut_error *err);
/* Parses a mapping from memory; name is used in messages as the file name. */
int cut_mapping_parse(const char *name, const char *text, size_t len, cut_mapping **out,
                      cut_error *err);
void cut_mapping_free(cut_mapping *m);
/* Overrides the source/target URL of a loaded mapping (the CLI's --source/--target). */
int cut_mapping_set_source(cut_mapping *m, const char *url, cut_error *err);
int cut_mapping_set_target(cut_mapping *m, const char *url, cut_error *err);
const char *cut_mapping_path(const cut_mapping *m);
const char *cut_mapping_source(const cut_mapping *m); /* raw URL: may hold a password */
const char *cut_mapping_target(const cut_mapping *m);
int cut_mapping_table_count(const cut_mapping *m);
const char *cut_mapping_table_name(const cut_mapping *m, int i); /* target table name */
/* Hex XXH3-128 of the file's bytes, for the journal. */
const char *cut_mapping_hash(const cut_mapping *m);

/* ----------------------------------------------- operations and results */

typedef enum {
    CUT_DIFF_MISSING = 1, /* in the source-after-mapping, not in the target */
    CUT_DIFF_EXTRA = 2,   /* in the target, not in the source-after-mapping */
    CUT_DIFF_CHANGED = 3, /* same key, different values */
} cut_diff_kind;

typedef struct cut_diff_col {
    char *column;
    char *expected; /* NULL for SQL NULL; printable rendering */
    char *actual;
} cut_diff_col;

typedef struct cut_diff {
    cut_diff_kind kind;
    char *key; /* "id=42" or "a=1, b=x" */
    int ncols;
    cut_diff_col *cols; /* CHANGED: the columns that differ */
} cut_diff;

typedef enum {
    CUT_TABLE_PENDING = 0,
    CUT_TABLE_OK = 1,       /* loaded / verified Go */
    CUT_TABLE_MISMATCH = 2, /* verify: counts or digests differ, or too many rejects */
    CUT_TABLE_FAILED = 3,   /* an error stopped this table */
} cut_table_status;

typedef struct cut_table_result {
    char *table;  /* target table */
    char *source; /* source table */
    cut_table_status status;
    int64_t source_rows; /* rows read from the source */
    int64_t filtered;    /* rows the mapping's where excluded */
    int64_t rejected;    /* rows that could not be converted or loaded */
    int64_t loaded;      /* rows written (migrate) / expected in the target (verify) */
    int64_t target_rows; /* rows found in the target (verify) */
    int64_t zero_dates;  /* zero dates that became NULL */
    cut_digest expected; /* digest of the rows sent / expected */
    cut_digest actual;   /* verify: digest of the target's rows */
    double seconds;
    /* verify --locate: the first differences found, and how many in all */
    int ndiffs;
    cut_diff *diffs;
    int64_t diff_missing, diff_extra, diff_changed;
    int64_t diff_unexamined; /* rows in differing buckets not examined (memory cap) */
    char *error;             /* formatted error when status == CUT_TABLE_FAILED */
    char *reject_file;       /* where this table's rejects were written, if any */
} cut_table_result;

typedef struct cut_result {
    int ntables;
    cut_table_result *tables;
    double seconds;
    int go; /* verify: 1 when every table is CUT_TABLE_OK */
    int64_t max_rejects;
    char *source;  /* redacted URLs */
    char *target;
    char *mapping; /* mapping path */
} cut_result;

void cut_result_free(cut_result *r);

/* Progress callback: called from worker threads, serialised by the library. */
typedef struct cut_progress {
    const char *table;
    const char *phase; /* "empty" (--truncate), "migrate", "verify", "locate" */
    int64_t rows;      /* source rows processed so far */
    int64_t estimate;  /* estimated total (0 = unknown) */
    int done;          /* 1 when the table finished, -1 when it stopped (an error, an
                          interruption) */
} cut_progress;
typedef void (*cut_progress_fn)(void *ud, const cut_progress *p);

/*
 * A chunk of a table: the rows whose (single, integer) key falls in a range,
 * loaded in a transaction of its own. A table that is not chunked is one chunk
 * (ranged = 0). Chunks are what a resumed migration skips or redoes.
 */
typedef struct cut_chunk {
    const char *table; /* target table */
    int index, count;  /* this is chunk index of count */
    int ranged;
    int has_lo, has_hi;
    int64_t lo, hi;    /* key >= lo (has_lo) and key < hi (has_hi) */
    /* the chunk's results */
    int64_t source_rows, filtered, rejected, loaded, zero_dates;
    cut_digest digest; /* of the rows loaded */
} cut_chunk;

/* Hooks of a resumable migration (the runbook journals chunks with them). */
typedef struct cut_chunk_hooks {
    void *ud;
    /* 1 when this chunk (same table, index, count and range) committed earlier: then its
       results are filled in *c and it is not loaded again. */
    int (*is_done)(void *ud, cut_chunk *c);
    /* A chunk committed (called from a worker thread, serialised). */
    void (*done)(void *ud, const cut_chunk *c);
} cut_chunk_hooks;

typedef struct cut_run_opts {
    int jobs;                  /* parallel tables (0 = number of cores) */
    const char *const *tables; /* NULL-terminated subset of target tables, or NULL for all */
    int truncate;              /* migrate: empty non-empty target tables first */
    const char *reject_dir;    /* where <table>.rejects.jsonl go (NULL = mapping option or
                                  "<mapping stem>.rejects" in the current directory) */
    int locate;                /* verify: name differing keys when digests differ */
    int max_diffs;             /* verify: differences kept per table (0 = 20) */
    int batch_rows;            /* rows per batch (0 = default) */
    cut_progress_fn progress;
    void *progress_ud;
    volatile sig_atomic_t *cancel; /* set non-zero to stop at the next batch */
    /* migrate: split a table with a single integer key (copied as is into the target)
       into key ranges of about this many rows, each loaded in its own transaction and in
       parallel (0 = options.chunk_rows, else 250000; < 0 = never) */
    int64_t chunk_rows;
    const cut_chunk_hooks *chunks; /* resumable migration (NULL = none) */
    /* migrate: drop the targets' foreign keys and non-unique secondary indexes while
       loading, recreate them after (foreign keys validated) — also when the load fails
       (0 = options.defer_constraints, 1 = yes, -1 = no) */
    int defer_constraints;
} cut_run_opts;

void cut_run_opts_init(cut_run_opts *o);

/*
 * check: parses nothing new; connects to both ends, resolves every table and
 * column of the mapping, prepares every expression, and reports problems.
 * Writes a human-readable summary to out (may be NULL). Returns 0 when the
 * mapping is usable, or the first error; every problem, the one returned included,
 * is written to out once, as an "error: ..." line, so a caller printing out need
 * not print err again;
 * CUT_EINTR when o->cancel was set while it worked (a wait on a lock or a
 * connection is not cut short, but its outcome is not reported as ready).
 */
int cut_check(cut_mapping *m, const cut_run_opts *o, FILE *out, cut_error *err);

/*
 * migrate: streams every table of the mapping (FK order) from source to target.
 * On success *res holds per-table counts (caller frees with cut_result_free).
 * A table that fails is rolled back and reported; the call then returns its error.
 */
int cut_migrate(cut_mapping *m, const cut_run_opts *o, cut_result **res, cut_error *err);

/*
 * Constraints a deferred migrate dropped are stored in
 * <reject dir>/<table>.constraints.sql until they are recreated. This recreates the
 * ones a migrate left behind (interrupted, or followed by a restore); *restored counts
 * the tables. cut_deferred_constraints_pending counts (and lists into files, if given)
 * the tables that have such a file.
 */
int cut_restore_constraints(cut_mapping *m, const cut_run_opts *o, int *restored,
                            cut_error *err);
int cut_deferred_constraints_pending(cut_mapping *m, const cut_run_opts *o, cut_buf *files);

/*
 * verify: recomputes source → mapping → canonical rows, reads the target back,
 * compares counts and digests, and (o->locate) names differing keys. Returns 0
 * when it ran (res->go says Go or No-Go), or an error.
 */
int cut_verify(cut_mapping *m, const cut_run_opts *o, cut_result **res, cut_error *err);

/* Reports: the verify table as aligned text, and as JSON (docs/verify-json.md). */
void cut_report_verify_text(const cut_result *r, FILE *out);
int cut_report_verify_json(const cut_result *r, FILE *out);
void cut_report_migrate_text(const cut_result *r, FILE *out);

/* ------------------------------------------------------------ snapshots */

/*
 * Snapshots (.cutsnap, docs/snapshot-format.md): zstd-compressed, checksummed
 * copies of tables in the digest's row encoding, restored with a digest proof.
 */
typedef struct cut_snapshot_opts {
    const char *const *tables; /* NULL-terminated subset, or NULL for all */
    int level;                 /* zstd level (0 = 3) */
    int threads;               /* zstd workers (0 = number of cores) */
    cut_progress_fn progress;
    void *progress_ud;
    volatile sig_atomic_t *cancel;
} cut_snapshot_opts;

typedef struct cut_snap_table {
    char *name;
    int64_t rows;
    uint64_t raw_bytes;        /* row encoding, uncompressed */
    uint64_t stored_bytes;     /* compressed frames in the file */
    int nframes;
    int ncols;
    cut_digest digest;         /* as written (snapshot) or as found (inspect --verify, restore) */
    int verified;              /* inspect --verify / restore: recomputed digest equals the index */
    int read_back;             /* restore: read back after loading (digest = as read back) */
    char *ddl;                 /* the source driver's CREATE TABLE statement ("" if none) */
    char *error;               /* inspect --verify / restore: why this table failed, else NULL */
} cut_snap_table;

typedef struct cut_snap_info {
    int format_version;
    char *created;      /* ISO 8601 UTC */
    char *tool_version;
    char *source;       /* redacted URL the snapshot was taken from */
    char *driver;       /* its driver's name ("SQLite", "PostgreSQL", ...) */
    char *target;       /* restore: redacted URL restored into, else NULL */
    int ntables;
    cut_snap_table *tables; /* snapshot: as written; inspect: every table; restore: those restored */
    uint64_t file_bytes;
    double seconds;
    int committed; /* restore: 1 once its transaction committed */
} cut_snap_info;

void cut_snapshot_opts_init(cut_snapshot_opts *o);
void cut_snap_info_free(cut_snap_info *info);

/*
 * Snapshots the tables of the database at url (all of them, or o->tables) into
 * path: one consistent read, rows canonicalized by their own types as verify
 * reads a target, written to path.tmp-PID, fsync'ed and renamed over path (a
 * failure or cancellation leaves path as it was). On success *info (caller
 * frees with cut_snap_info_free) holds per-table rows, sizes and digests.
 * Errors: CUT_ECONNECT, CUT_ENOTFOUND (a named table), CUT_EIO, CUT_EINTR, ...
 */
int cut_snapshot_url(const char *url, const char *path, const cut_snapshot_opts *o,
                     cut_snap_info **info, cut_error *err);
/* Snapshots the target tables a mapping writes (o->tables: a subset of them), from its target. */
int cut_snapshot_mapping(cut_mapping *m, const char *path, const cut_snapshot_opts *o,
                         cut_snap_info **info, cut_error *err);
/*
 * Checks the footer, index and header and returns what they say in *info. With
 * verify, also checks every data frame: checksums, decompression, row
 * structure and digests, table after table; a table that fails gets its
 * error in tables[i].error, the others are still checked, and the call
 * returns CUT_ECORRUPT with the first failure in err (and *info set).
 * A file that fails before the tables are known returns CUT_ECORRUPT (or
 * CUT_EIO) with *info NULL. err names the frame: "footer", "index frame",
 * "header frame", or "table T, data frame k of n (offset O)".
 */
int cut_snapshot_inspect(const char *path, int verify, cut_snap_info **info, cut_error *err);
/*
 * Restores the snapshot's tables (or o->tables) into target_url (NULL: the URL
 * recorded in the snapshot, without its redacted password). Before connecting
 * to write it checks the file (footer, index, header, and the checksums and
 * frame headers of the chosen tables' frames); then, before writing, that each
 * table exists in the target with the same column names (any order) and kinds,
 * and that no other non-empty table references one of them. Then in one
 * transaction: empty the tables (children first), load them (parents first),
 * read each back, canonicalize and hash it; commits only if every digest
 * equals the snapshot's. Returns CUT_ECORRUPT when the file fails a check or a
 * digest differs (rolled back), CUT_ESCHEMA / CUT_ESTATE when the target does
 * not fit, CUT_EINTR when cancelled (rolled back). *info is set when the file
 * could be read (tables[] = the chosen tables, digest = as read back).
 */
int cut_snapshot_restore(const char *path, const char *target_url, const cut_snapshot_opts *o,
                         cut_snap_info **info, cut_error *err);

/* -------------------------------------- the runbook, its journal, reports */

/*
 * The go-live runbook (DESIGN §1, §10; docs/runbook.md). cut_runbook() runs
 * preflight check → snapshot of the target tables → migrate (with truncate:
 * the snapshot is the way back) → verify → gate (Go when verify says Go) →
 * on No-Go, restore the snapshot (a digest-proved restore). Every step is
 * timed and written to a run journal, a SQLite file (schema: docs/runbook.md)
 * that keeps the history of rehearsals and production runs for reports and
 * forecasts.
 */
typedef struct cut_journal cut_journal;

/*
 * Opens (creating it if needed) the journal at path; a journal written by an
 * older cutover is migrated forward, one written by a newer one is refused
 * (CUT_EUNSUPPORTED), a SQLite file that is not a journal too (CUT_EINVAL).
 * Close with cut_journal_close().
 */
int cut_journal_open(const char *path, cut_journal **out, cut_error *err);
void cut_journal_close(cut_journal *j);
const char *cut_journal_path(const cut_journal *j);
/* "cutover.db" beside the mapping file (in the current directory when mapping_path is
   NULL). Caller frees; NULL when out of memory. */
char *cut_journal_default_path(const char *mapping_path);

typedef enum { CUT_RUN_REHEARSAL = 0, CUT_RUN_PRODUCTION = 1 } cut_run_kind;

typedef enum {
    CUT_OUTCOME_GO = 0,
    CUT_OUTCOME_NOGO = 1,        /* verification failed; rolled back unless no_rollback */
    CUT_OUTCOME_ERROR = 2,       /* a step failed; rolled back if migrate had begun */
    CUT_OUTCOME_INTERRUPTED = 3, /* cancelled: the target stays as it was when it stopped */
} cut_run_outcome;

/* A step starting (status "running") or ending ("ok", "failed", "interrupted", "skipped"). */
typedef struct cut_step_event {
    int64_t run;
    const char *step;   /* "check", "snapshot", "migrate", "verify", "gate", "restore" */
    const char *status;
    double seconds;     /* duration when it ends, else 0 */
    const char *detail; /* one line, or NULL */
} cut_step_event;
typedef void (*cut_step_fn)(void *ud, const cut_step_event *ev);

typedef struct cut_runbook_opts {
    cut_run_kind kind;
    int no_rollback;      /* on No-Go or error, keep the failed state (journaled as such) */
    int resume;           /* continue the interrupted run on this target (see cut_runbook) */
    const char *snapshot; /* rollback snapshot path (NULL: cutover-run-<id>.cutsnap beside
                             the journal) */
    int jobs;             /* as cut_run_opts.jobs */
    cut_progress_fn progress; /* per-table progress of snapshot, migrate, verify, restore */
    void *progress_ud;
    cut_step_fn step; /* step start / end; called from the calling thread */
    void *step_ud;
    volatile sig_atomic_t *cancel; /* set non-zero to stop: the open load is rolled back, the
                                      run is journaled interrupted */
    int force; /* replace an existing snapshot file; without it, an existing o->snapshot is
                  refused before anything (CUT_EINVAL, *run 0), and an existing default
                  file fails the snapshot step */
} cut_runbook_opts;

void cut_runbook_opts_init(cut_runbook_opts *o);

/*
 * Runs the runbook for m, journaling into j. Before anything it looks for a
 * run on the same target (same redacted URL) that did not finish: one still
 * marked running whose process is gone (or whose pid was reused) becomes
 * interrupted. A live run, a run from another host marked running, or an
 * interrupted run that had begun to write the target stops it with
 * CUT_ESTATE (err names the run, the step, and the ways out), until that run
 * is resumed (o->resume) or its snapshot restored (cut_journal_mark_restored).
 * With o->resume, the interrupted run's snapshot stays the way back; the
 * tables it committed are kept, the others migrated again (truncating only
 * those), then every table is verified and gated.
 * Returns 0 when the run reached a verdict (*outcome GO or NOGO), or the
 * error that stopped it (*outcome ERROR or INTERRUPTED). *run is the run's id
 * in the journal (0 when no run was started).
 */
int cut_runbook(cut_mapping *m, cut_journal *j, const cut_runbook_opts *o, int64_t *run,
                cut_run_outcome *outcome, cut_error *err);

/*
 * Before a restore recorded in j: *run = the run of j that took snapshot_path
 * (matched by absolute path), or 0 when none did. When target (the URL the
 * restore goes to, its password shown or not: --target, else the database the
 * snapshot records) names another database than that run's target
 * (cut_url_same_database), CUT_EINVAL names both: recording such a restore
 * would lift the block on a target that was not put back.
 */
int cut_journal_restore_check(cut_journal *j, const char *snapshot_path, const char *target,
                              int64_t *run, cut_error *err);

/*
 * Records in j that snapshot_path was restored (by `cutover restore --journal`):
 * the run that took that snapshot (matched by absolute path) gets a restore
 * step, and a block it held on its target is lifted. info (may be NULL) is
 * what cut_snapshot_restore returned; when its target is another database than
 * the run's, CUT_EINVAL as cut_journal_restore_check, and nothing is written.
 * *run = that run's id, or 0 when no run of j took this snapshot (nothing is
 * written then).
 */
int cut_journal_mark_restored(cut_journal *j, const char *snapshot_path,
                              const cut_snap_info *info, int64_t *run, cut_error *err);

/*
 * After run `run`'s snapshot was restored: recreates the constraints an interrupted
 * deferred migrate of that run dropped (their statements wait in its mapping's reject
 * directory), so that the target is as it was, keys included, and not only once the next
 * run starts. The mapping is read from the path the run journaled; *restored = tables
 * whose constraints came back. CUT_ESTATE when the mapping is gone or has changed since
 * (its hash): the statements stay, and the message names where.
 */
int cut_runbook_restore_constraints(cut_journal *j, int64_t run, int *restored, cut_error *err);

typedef enum { CUT_REPORT_TEXT = 0, CUT_REPORT_JSON = 1, CUT_REPORT_HTML = 2 } cut_report_format;

/*
 * The report of one run (run 0: the latest): aligned text, JSON (schema
 * cutover-run version 1, docs/report-json.md), or a self-contained HTML page
 * (inline CSS and SVG, no network). CUT_ENOTFOUND when there is no such run.
 */
int cut_report_run(cut_journal *j, int64_t run, cut_report_format fmt, FILE *out, cut_error *err);
/*
 * The run history as text: every run, the step durations of the rehearsals
 * side by side, and a forecast of a production run per step (mean, worst, and
 * rows/s scaled to the current row counts). With m, only m's runs (same
 * mapping hash), and the current counts come from m's databases (driver
 * estimates), else from the latest run (the text says which).
 */
int cut_report_runs(cut_journal *j, cut_mapping *m, FILE *out, cut_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CUTOVER_H */
