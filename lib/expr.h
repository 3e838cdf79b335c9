/*
 * expr.h — mapping expressions, evaluated by an in-memory SQLite (internal).
 *
 * A program holds one prepared statement per table:
 *   SELECT (e1), (e2), … FROM temp.__cutover_in WHERE (where)
 * over a virtual table (cutover_in) whose columns are the source columns the
 * expressions actually read (found with the authorizer at compile time). The
 * table holds one row at a time, the one cut_expr_eval hands it, each value
 * with the SQLite storage class of its logical type; the statement runs on
 * from row to row, one step each, and is reset only when a row is filtered or
 * fails (then the row is asked again alone, so an aggregate or a window
 * function sees one row, as it would in a table of one).
 *
 * When every function called is a pure scalar one, results are memoized by
 * the row's input values: a row that repeats inputs seen before is answered
 * without running the statement (CUTOVER_NO_MEMO in the environment turns
 * this off, for comparisons).
 */
#ifndef CUT_EXPR_H
#define CUT_EXPR_H

#include "cutover.h"
#include "mapping.h"
#include "row.h"

typedef struct cut_expr cut_expr;

typedef struct cut_expr_spec {
    const char *file;              /* mapping path, for messages */
    const char *table;             /* target table, for messages */
    const char *source;            /* source table, for messages (NULL: table) */
    const cut_mapping *mapping;    /* lookups */
    int nsrc;                      /* source columns available */
    const char *const *src_names;
    const cut_type *src_types;
    int nexpr;                     /* expressions to compute */
    const char *const *exprs;
    const cut_pos *expr_pos;
    const char *const *expr_names; /* target column of each expression */
    const char *where;             /* NULL = keep every row */
    cut_pos where_pos;
} cut_expr_spec;

/*
 * Compiles the program. On an error (unknown column, syntax error, unknown
 * function) err names the mapping file, the line:col of the expression and,
 * for an unknown column, the nearest source column names.
 */
/* Once per process, before the first SQLite connection: turns off SQLite's memory
   statistics, whose process-wide mutex every allocation of every connection takes (16% of a
   parallel migrate's CPU was spent on it). Without effect when SQLite was already initialized
   by the program; the library never reads those statistics. */
void cut_sqlite_init(void);

int cut_expr_compile(const cut_expr_spec *spec, cut_expr **out, cut_error *err);
void cut_expr_free(cut_expr *e);

/* Source columns (indices into spec->src_names) the program reads. */
const int *cut_expr_inputs(const cut_expr *e, int *n);

/*
 * Evaluates one row. in[] has spec->nsrc cells (only the inputs are read).
 * out[] receives nexpr cells, copied into arena. *keep = the where result.
 * Returns 0, CUT_EDATA with *failed_expr (index, or -1 for where) and a
 * message in msg (a row to reject), or CUT_ENOMEM.
 */
int cut_expr_eval(cut_expr *e, const cut_cell *in, cut_cell *out, cut_arena *arena, int *keep,
                  int *failed_expr, cut_buf *msg);

/* The memo of results by input values: whether it is in use, rows looked up and rows
   answered from it (a memo turned off keeps its counts). */
void cut_expr_memo_stats(const cut_expr *e, int *on, uint64_t *looks, uint64_t *hits);

/* sqlfunc.c: registers lower/upper (Unicode), regexp, regexp_replace, split_part,
   parse_date and lookup on db. */
struct sqlite3;
int cut_sqlfunc_register(struct sqlite3 *db, const cut_mapping *m);

#endif
