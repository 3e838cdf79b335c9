/*
 * mapping.h — the parsed form of a mapping file (internal). mapping.c builds
 * it from YAML with positions for every node, so that later checks against
 * the databases (plan.c) can point at file:line:col.
 */
#ifndef CUT_MAPPING_H
#define CUT_MAPPING_H

#include <stdint.h>

#include "cutover.h"

typedef struct cut_pos {
    long line, col; /* 1-based; 0 when unknown */
} cut_pos;

typedef struct cut_map_column {
    char *target; /* target column name */
    cut_pos target_pos;
    char *expr;   /* the value: an SQLite SQL expression over source columns */
    cut_pos expr_pos;
    char *bare;   /* when expr is just a column name (plain or "quoted"): that name, else NULL */
} cut_map_column;

typedef struct cut_map_lookup {
    char *name;
    cut_pos pos;
    int n;
    char **keys;
    char **values; /* a YAML null value is stored as NULL */
} cut_map_lookup;

typedef struct cut_map_table {
    char *target; /* target table name (the key under `tables:`) */
    cut_pos pos;
    char *source; /* `from:`, defaults to target */
    cut_pos source_pos;
    int nkey;     /* `key:` a column name or a list of them; 0 = use the primary key */
    char **key;
    cut_pos key_pos;
    char *where;  /* `where:` SQLite expression, NULL if absent */
    cut_pos where_pos;
    int has_columns; /* 0: every target column is copied from the same-named source column */
    int ncols;
    cut_map_column *cols;
    int64_t max_rejects; /* -1 = use options.max_rejects */
} cut_map_table;

typedef struct cut_map_options {
    char *source_timezone;       /* IANA name; NULL = UTC */
    cut_pos source_timezone_pos;
    cut_zero_dates zero_dates;   /* `zero_dates: null|reject`, default null */
    cut_dst_policy dst_overlap;  /* `dst_overlap: reject|earlier|later`, default reject */
    int64_t max_rejects;         /* default 0 */
    char *reject_dir;            /* NULL = default (see cut_run_opts) */
    int batch_rows;              /* 0 = default */
    int64_t chunk_rows;          /* 0 = default; -1 = never chunk */
    int defer_constraints;       /* drop FKs and secondary indexes while loading */
    char *source_encoding;       /* NULL = utf8; also latin1, cp1252 */
    cut_pos source_encoding_pos;
} cut_map_options;

struct cut_mapping {
    char *path;     /* as given */
    char *source;   /* URL, ${VAR}-expanded; may hold a password */
    cut_pos source_pos;
    char *target;
    cut_pos target_pos;
    /* The ${VAR} that was set but empty and so left source:/target: without a URL (at
       source_pos/target_pos), else NULL: a command that needs the URL names it. */
    char *source_empty_var, *target_empty_var;
    cut_map_options opts;
    int ntables;
    cut_map_table *tables; /* in file order */
    int nlookups;
    cut_map_lookup *lookups;
    char hash[33]; /* XXH3-128 hex of the file's bytes */
};

enum { CUT_NEED_SOURCE = 1, CUT_NEED_TARGET = 2 };
/*
 * Checks that the mapping has the URLs a command needs (CUT_NEED_SOURCE and/or
 * CUT_NEED_TARGET): 0, or CUT_EMAPPING naming the file, and, when a ${VAR} set but
 * empty left one out, the variable and its file:line:col.
 */
int cut_mapping_need_urls(const cut_mapping *m, int need, cut_error *err);

/* Index of the table whose target name is name, or -1. */
int cut_mapping_find_table(const cut_mapping *m, const char *target);

#endif
