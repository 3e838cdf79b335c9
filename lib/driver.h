/*
 * driver.h — the interface every database connector implements (internal).
 *
 * Modelled on sqlite3_vfs: a struct of function pointers with a version, one
 * implementation per drv_*.c file, all registered in one table (driver.c).
 * The pipeline, verifier and snapshotter speak only to this interface.
 *
 * Values cross the interface as cells (row.h):
 *  - scan_next fills cells with values a driver reads, in a form cut_canon()
 *    accepts for the column's logical type (the driver translates its dialect:
 *    PG bytea hex → raw bytes, MySQL zero dates stay '0000-00-00', SQLite REAL
 *    → shortest round-trip text...);
 *  - load_rows receives canonical cells (docs/canonical.md) and translates
 *    them into the engine's load format.
 * So reading back what was loaded yields the same canonical bytes.
 */
#ifndef CUT_DRIVER_H
#define CUT_DRIVER_H

#include "cutover.h"
#include "row.h"

typedef struct cut_column {
    char *name;
    cut_type type;
    char *native;      /* the engine's type as declared ("varchar(255)") */
    int not_null;
    int has_default;   /* a default, identity or auto-increment exists */
    int identity;      /* identity / serial / auto_increment / INTEGER PRIMARY KEY */
    int unsupported;   /* the driver cannot carry this type; `native` says which */
    unsigned wire;     /* the engine's type id on the wire (PostgreSQL: the base type's
                          OID), 0 when not known */
} cut_column;

typedef struct cut_fk {
    char *name;
    int ncols;
    int *cols;         /* indices into the owning table's columns */
    char *ref_table;
    char **ref_cols;
} cut_fk;

typedef struct cut_table {
    char *name;   /* as the engine spells it */
    char *schema; /* PG schema / MySQL database, or NULL */
    int ncols;
    cut_column *cols;
    int npk;
    int *pk;      /* indices of the primary key columns, in key order */
    int nfk;
    cut_fk *fks;
} cut_table;

void cut_table_free(cut_table *t);
/* Index of the column named name: exact match first, then a unique case-insensitive one; -1. */
int cut_table_column(const cut_table *t, const char *name);
/* Adds a column (used by drivers while describing). Returns its index or CUT_ENOMEM. */
int cut_table_add_column(cut_table *t, const char *name, const char *native, cut_type type);

typedef struct cut_conn cut_conn;
typedef struct cut_scan cut_scan;
typedef struct cut_load cut_load;

enum { CUT_OPEN_READ = 1, CUT_OPEN_WRITE = 2 };

typedef struct cut_scan_opts {
    const int *cols; /* table column indices to read, in this order; NULL = all */
    int ncols;
    const int *order; /* ORDER BY these columns; NULL = any order */
    int norder;
    /* key range on one integer column: key_col >= lo (if has_lo) and < hi (if has_hi) */
    int key_col;
    int has_lo, has_hi;
    int64_t lo, hi;
} cut_scan_opts;

/* Called by load_rows for a row the engine refused on its own (not the whole batch). */
typedef void (*cut_reject_fn)(void *ud, int row, const char *reason);

typedef struct cut_load_opts {
    const int *cols; /* target column indices the batch's cells fill, in order */
    int ncols;
    int allow_nonempty; /* do not refuse a non-empty table (chunked loads, restore) */
    int in_tx;          /* the caller holds a transaction (tx_begin): the load neither
                           begins nor commits one; load_commit only finishes the load */
    /* All or nothing (a restore): the first row the engine refuses fails the load, with
       the error instead of a reject. The driver may then stream every batch through one
       statement and learn of a refusal only at load_commit; err->line is then the refused
       row's ordinal among the rows loaded (1-based), when the engine names it. */
    int whole;
    /* A chunk: first delete the table's rows whose integer column range_col is in the
       range (>= lo when has_lo, < hi when has_hi), in the load's transaction, so that a
       chunk loaded again (resume) never duplicates rows. Implies allow_nonempty. */
    int ranged;
    int range_col;
    int has_lo, has_hi;
    int64_t lo, hi;
    /* load_commit leaves the identity and serial sequences alone: the caller calls
       set_sequences once the table is loaded (all its chunks, its keys back). Ignored by
       a driver without set_sequences. */
    int sequences_later;
} cut_load_opts;

/* A deferral of some of a table's constraints (defer_constraints, defer_keys below). */
typedef int cut_defer_fn(cut_conn *c, const cut_table *t,
                         int (*keep)(void *ud, char *const *stmts, int n, cut_error *err),
                         void *ud, cut_error *err);

typedef struct cut_driver {
    int version; /* 1 */
    const char *scheme;
    const char *name; /* for messages: "SQLite", "PostgreSQL", "MariaDB/MySQL", "CSV" */
    unsigned caps;

    int (*connect)(const cut_url *url, int mode, cut_conn **out, cut_error *err);
    void (*disconnect)(cut_conn *c);

    /* Describes a table; CUT_ENOTFOUND (with the name in err) when it does not exist. */
    int (*describe)(cut_conn *c, const char *name, cut_table **out, cut_error *err);
    /* Names of the tables of the database, not its views (a snapshot of the database
       holds its tables; caller frees each and the array). A view is still described by
       name, as a source. */
    int (*list_tables)(cut_conn *c, char ***names, int *n, cut_error *err);
    /* A cheap row estimate (statistics); exact counts are allowed. */
    int (*estimate_rows)(cut_conn *c, const cut_table *t, int64_t *rows, cut_error *err);
    /* The exact number of rows. */
    int (*count_rows)(cut_conn *c, const cut_table *t, int64_t *rows, cut_error *err);
    /* min and max of integer column col (for key-range chunks); *empty when no row has a
       value. NULL when the driver cannot (then tables are not chunked). */
    int (*key_bounds)(cut_conn *c, const cut_table *t, int col, int64_t *min, int64_t *max,
                      int *empty, cut_error *err);

    /* Starts a consistent read-only view for the scans that follow (may be a no-op). */
    int (*begin_read)(cut_conn *c, cut_error *err);
    void (*end_read)(cut_conn *c);
    /* Parallel readers of one consistent view (PostgreSQL): the id of the view begun by
       begin_read (NULL when none), and a read view begun at that id on another
       connection, valid while the first one's read is open. NULL when unsupported. */
    const char *(*read_view)(cut_conn *c);
    int (*begin_read_at)(cut_conn *c, const char *view, cut_error *err);

    int (*scan_open)(cut_conn *c, const cut_table *t, const cut_scan_opts *o, cut_scan **out,
                     cut_error *err);
    /* Fills b (ncols as opened) with up to b->cap rows; b->nrows == 0 at the end. */
    int (*scan_next)(cut_scan *s, cut_batch *b, cut_error *err);
    void (*scan_close)(cut_scan *s);

    /* Empties the tables; they come children first (referencing tables before the
       tables they reference), so foreign keys hold at every step. In one transaction of
       its own, or inside the caller's when tx_begin was called. */
    int (*truncate)(cut_conn *c, cut_table *const *tables, int n, cut_error *err);
    /* Deferred constraints (options.defer_constraints): in a transaction of its own,
       drops t's foreign keys and its non-unique secondary indexes; before committing it
       hands keep() the statements that recreate them exactly (the indexes, then each
       foreign key added NOT VALID, then validated), and commits only if keep() returns 0
       (the caller stores them first, so that a crash cannot lose a definition). Each
       statement can run again harmlessly. Inside a transaction begun by tx_begin, the
       drops happen in that transaction instead (a savepoint, no commit of their own).
       NULL when the engine has nothing to gain. */
    cut_defer_fn *defer_constraints;
    /* Drops t's primary key and unique constraints that nothing references any more
       (call it after defer_constraints of every table), handing keep() the statements
       that add them back, in a transaction of its own or inside tx_begin's, as
       defer_constraints does: building a key once after the load is cheaper than keeping
       it up row by row. A duplicate key then fails the key's rebuild instead of being
       refused at its row (a restore rolls back; a deferred migrate fails and keeps the
       statement). NULL when the engine has nothing to gain. */
    cut_defer_fn *defer_keys;
    /* An explicit write transaction spanning several loads (restore). */
    int (*tx_begin)(cut_conn *c, cut_error *err);
    int (*tx_commit)(cut_conn *c, cut_error *err);
    void (*tx_rollback)(cut_conn *c);
    /* CREATE TABLE statement of t in the engine's dialect (columns, types, NOT NULL,
       primary key), appended to out. For snapshots: the schema a restore expects. */
    int (*ddl)(cut_conn *c, const cut_table *t, cut_buf *out, cut_error *err);
    /* Starts a load into t inside a transaction; refuses a non-empty table (CUT_ESTATE)
       unless o->allow_nonempty. */
    int (*load_open)(cut_conn *c, const cut_table *t, const cut_load_opts *o, cut_load **out,
                     cut_error *err);
    /* Loads b's rows (canonical cells). Rows the engine refuses individually go to rej and
       are not loaded; any other failure is an error for the whole load. */
    int (*load_rows)(cut_load *l, const cut_batch *b, cut_reject_fn rej, void *ud,
                     cut_error *err);
    /* Finishes the load: identity / serial / auto-increment counters are moved past the
       loaded keys (unless o->sequences_later), then the transaction commits (unless
       in_tx). Frees l. */
    int (*load_commit)(cut_load *l, cut_error *err);
    void (*load_abort)(cut_load *l);                  /* rolls back and frees */
    /* Moves t's identity / serial counters past its largest key (back to their start
       when it is empty), in a statement of its own: after the chunks of a table, once
       (each would otherwise read the table's largest key at its commit, which costs a
       scan while a deferred migrate has the key dropped). NULL when each load_commit
       does it. */
    int (*set_sequences)(cut_conn *c, const cut_table *t, cut_error *err);
    /* Tidies t after a bulk load, outside any transaction, before the constraints
       deferred for the load are rebuilt (PostgreSQL: VACUUM, which sets the rows' hint
       bits and the visibility map once, so that the key and index builds read less and
       the foreign key validations scan indexes only). NULL when nothing would help. */
    int (*tidy)(cut_conn *c, const cut_table *t, cut_error *err);

    /* Runs one SQL statement (tests, DDL for restore). NULL for CSV. */
    int (*exec)(cut_conn *c, const char *sql, cut_error *err);
} cut_driver;

enum {
    CUT_DRV_SOURCE = 1,        /* can be read */
    CUT_DRV_TARGET = 2,        /* can be loaded */
    CUT_DRV_SINGLE_WRITER = 4, /* one load at a time per database (SQLite) */
};

/* Every connection starts with this header so the core can find its driver. */
struct cut_conn {
    const cut_driver *drv;
    cut_url *url;       /* owned by the connection */
    int names_encoding; /* a cut_encoding: how names the engine cannot say the encoding of
                           are written (a CSV header), set from the mapping's
                           source_encoding before describing; 0 = UTF-8 */
};
struct cut_scan {
    const cut_driver *drv;
};
struct cut_load {
    const cut_driver *drv;
};

/* driver.c: the registry, and connecting by URL. */
const cut_driver *cut_driver_find(const char *scheme);
/* Parses url, finds the driver, connects. The connection owns the parsed URL. */
int cut_connect(const char *url, int mode, cut_conn **out, cut_error *err);
void cut_disconnect(cut_conn *c);

/* Sets out to the statement that empties a chunk's key range before it is loaded again
   (o->ranged): "DELETE FROM qtable WHERE qcol >= lo AND qcol < hi", the bounds that apply.
   qtable and qcol are already quoted for the dialect. */
void cut_range_delete_sql(cut_buf *out, const char *qtable, const char *qcol,
                          const cut_load_opts *o);

/* Driver-neutral conveniences used by the core. */
int cut_describe(cut_conn *c, const char *name, cut_table **out, cut_error *err);

extern const cut_driver cut_driver_sqlite;
extern const cut_driver cut_driver_csv;
extern const cut_driver cut_driver_pg;
extern const cut_driver cut_driver_mysql;

#endif
