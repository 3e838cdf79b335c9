/*
 * plan.c — binds a mapping to the real source and target tables: resolves
 * every column, compiles every expression, picks the columns to read and the
 * row keys, and orders the tables so that referenced tables load first.
 * Problems are collected (check shows them all), the first one is returned.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>
#include <strings.h>

#include "engine.h"
#include "types.h"
#include "util.h"

typedef struct pctx {
    cut_mapping *m;
    FILE *report;
    cut_error *err;
    int nproblems;
} pctx;

/* Records one problem: the first goes to err, all go to the report. */
__attribute__((format(printf, 6, 7))) static void problem(pctx *c, int code, cut_pos pos,
                                                          const char *table, const char *column,
                                                          const char *fmt, ...)
{
    cut_error e;
    cut_error_clear(&e);
    va_list ap;
    va_start(ap, fmt);
    char msg[1024];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cut_error_set(&e, code, "%s", msg);
    if (pos.line)
        cut_error_set_pos(&e, c->m->path, pos.line, pos.col);
    cut_error_set_table(&e, table);
    cut_error_set_column(&e, column);
    if (c->nproblems++ == 0)
        *c->err = e;
    if (c->report) {
        char line[2048];
        fprintf(c->report, "error: %s\n", cut_error_format(&e, line, sizeof(line)));
    }
}

/* Copies an already-formatted error into the problem list. */
static void problem_err(pctx *c, const cut_error *e)
{
    if (c->nproblems++ == 0)
        *c->err = *e;
    if (c->report) {
        char line[2048];
        fprintf(c->report, "error: %s\n", cut_error_format(e, line, sizeof(line)));
    }
}

static const char *suggest_column(const cut_table *t, const char *name, char *buf, size_t size)
{
    const char **names = malloc(sizeof(char *) * (size_t)(t->ncols + 1));
    if (!names) {
        buf[0] = '\0';
        return buf;
    }
    for (int i = 0; i < t->ncols; i++)
        names[i] = t->cols[i].name;
    cut_suggest(name, names, t->ncols, buf, size);
    free(names);
    return buf;
}

static const char *suggest_table(cut_conn *c, const char *name, char *buf, size_t size)
{
    buf[0] = '\0';
    char **names = NULL;
    int n = 0;
    cut_error e;
    cut_error_clear(&e);
    if (c->drv->list_tables(c, &names, &n, &e) == CUT_OK) {
        cut_suggest(name, (const char *const *)names, n, buf, size);
        cut_strv_free(names, n);
    }
    return buf;
}

/* "(did you mean x?)" or "" */
static const char *dym(const char *sugg, char *buf, size_t size)
{
    if (sugg[0])
        snprintf(buf, size, " (did you mean %s?)", sugg);
    else
        buf[0] = '\0';
    return buf;
}

static void tplan_free(cut_tplan *tp)
{
    cut_table_free(tp->src);
    cut_table_free(tp->tgt);
    free(tp->scan_cols);
    free(tp->scan_types);
    free(tp->scan_names);
    free(tp->out_cols);
    free(tp->out_types);
    free(tp->out_names);
    free(tp->out_notnull);
    free(tp->out_src);
    free(tp->out_expr);
    free(tp->expr_text);
    free(tp->expr_pos);
    free(tp->expr_names);
    free(tp->key_out);
    free(tp->key_scan);
    free(tp->deps);
}

void cut_plan_free(cut_plan *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n; i++)
        tplan_free(&p->t[i]);
    free(p->t);
    cut_tz_free(p->tz);
    free(p->reject_dir);
    free(p);
}

void cut_tplan_expr_spec(const cut_plan *p, const cut_tplan *tp, cut_expr_spec *spec)
{
    memset(spec, 0, sizeof(*spec));
    spec->file = p->m->path;
    spec->table = tp->mt->target;
    spec->source = tp->mt->source;
    spec->mapping = p->m;
    spec->nsrc = tp->nscan;
    spec->src_names = tp->scan_names;
    spec->src_types = tp->scan_types;
    spec->nexpr = tp->nexpr;
    spec->exprs = tp->expr_text;
    spec->expr_pos = tp->expr_pos;
    spec->expr_names = tp->expr_names;
    spec->where = tp->mt->where;
    spec->where_pos = tp->mt->where_pos;
}

/* Grows an int list by one (lists here are tiny). */
static int push_int(int **a, int *n, int v)
{
    int *x = realloc(*a, sizeof(int) * (size_t)(*n + 1));
    if (!x)
        return CUT_ENOMEM;
    x[(*n)++] = v;
    *a = x;
    return CUT_OK;
}

static int index_of(const int *a, int n, int v)
{
    for (int i = 0; i < n; i++)
        if (a[i] == v)
            return i;
    return -1;
}

/* Resolves one mapped table. Returns 0, or CUT_ENOMEM; problems go to c. */
static int bind_table(pctx *c, cut_plan *p, const cut_map_table *mt, cut_conn *src, cut_conn *tgt,
                      cut_tplan *tp)
{
    char sugg[512], dbuf[600];
    cut_error e;
    cut_error_clear(&e);
    tp->mt = mt;
    tp->max_rejects = mt->max_rejects >= 0 ? mt->max_rejects : p->m->opts.max_rejects;

    int rc = cut_describe(src, mt->source, &tp->src, &e);
    if (rc == CUT_ENOTFOUND) {
        suggest_table(src, mt->source, sugg, sizeof(sugg));
        problem(c, CUT_ESCHEMA, mt->source_pos.line ? mt->source_pos : mt->pos, mt->target, NULL,
                "source table %s not found%s", mt->source, dym(sugg, dbuf, sizeof(dbuf)));
    } else if (rc) {
        problem_err(c, &e);
    }
    cut_error_clear(&e);
    rc = cut_describe(tgt, mt->target, &tp->tgt, &e);
    if (rc == CUT_ENOTFOUND) {
        suggest_table(tgt, mt->target, sugg, sizeof(sugg));
        problem(c, CUT_ESCHEMA, mt->pos, mt->target, NULL, "target table %s not found%s",
                mt->target, dym(sugg, dbuf, sizeof(dbuf)));
    } else if (rc) {
        problem_err(c, &e);
    }
    if (!tp->src || !tp->tgt)
        return CUT_OK;
    const cut_table *S = tp->src, *T = tp->tgt;

    /* Outputs: target column ← bare source column or expression text. */
    int *out_cols = NULL, nout = 0, *bare_src = NULL;
    const char **texts = NULL, **etext = NULL, **enames = NULL;
    cut_pos *tpos = NULL, *epos = NULL;
    int nalloc = mt->has_columns ? mt->ncols : T->ncols;
    bare_src = calloc((size_t)nalloc + 1, sizeof(int));
    texts = calloc((size_t)nalloc + 1, sizeof(char *));
    tpos = calloc((size_t)nalloc + 1, sizeof(cut_pos));
    out_cols = calloc((size_t)nalloc + 1, sizeof(int));
    if (!bare_src || !texts || !tpos || !out_cols) {
        rc = CUT_ENOMEM;
        goto done;
    }
    if (mt->has_columns) {
        for (int i = 0; i < mt->ncols; i++) {
            const cut_map_column *mc = &mt->cols[i];
            int ti = cut_table_column(T, mc->target);
            if (ti < 0) {
                suggest_column(T, mc->target, sugg, sizeof(sugg));
                problem(c, CUT_ESCHEMA, mc->target_pos, mt->target, mc->target,
                        "unknown target column '%s' in table %s%s", mc->target, mt->target,
                        dym(sugg, dbuf, sizeof(dbuf)));
                continue;
            }
            /* Two keys of columns: that name one target column (names that differ only
               in case, where the target ignores it) would both be written, one lost. */
            int twice = -1;
            for (int j = 0; j < i && twice < 0; j++)
                if (cut_table_column(T, mt->cols[j].target) == ti)
                    twice = j;
            if (twice >= 0) {
                problem(c, CUT_EMAPPING, mc->target_pos, mt->target, T->cols[ti].name,
                        "target column %s is mapped twice (lines %ld and %ld)", T->cols[ti].name,
                        mt->cols[twice].target_pos.line, mc->target_pos.line);
                continue;
            }
            int si = -1;
            if (mc->bare) {
                si = cut_table_column(S, mc->bare);
                if (si < 0) {
                    suggest_column(S, mc->bare, sugg, sizeof(sugg));
                    problem(c, CUT_ESCHEMA, mc->expr_pos, mt->target, mc->target,
                            "unknown source column '%s' in table %s%s", mc->bare, mt->source,
                            dym(sugg, dbuf, sizeof(dbuf)));
                    continue;
                }
            }
            out_cols[nout] = ti;
            bare_src[nout] = si;
            texts[nout] = si >= 0 ? NULL : mc->expr;
            tpos[nout] = mc->expr_pos;
            nout++;
        }
    } else {
        for (int ti = 0; ti < T->ncols; ti++) {
            int si = cut_table_column(S, T->cols[ti].name);
            if (si < 0)
                continue; /* checked below with the other unmapped columns */
            out_cols[nout] = ti;
            bare_src[nout] = si;
            texts[nout] = NULL;
            tpos[nout] = mt->pos;
            nout++;
        }
    }
    /* Unmapped target columns must be able to take their default. */
    for (int ti = 0; ti < T->ncols; ti++) {
        if (index_of(out_cols, nout, ti) >= 0)
            continue;
        const cut_column *tc = &T->cols[ti];
        if (tc->not_null && !tc->has_default)
            problem(c, CUT_ESCHEMA, mt->pos, mt->target, tc->name,
                    "target column %s is NOT NULL without a default, and the mapping gives it "
                    "no value%s",
                    tc->name,
                    mt->has_columns ? "" : " (no source column has the same name)");
    }
    for (int k = 0; k < nout; k++) {
        const cut_column *tc = &T->cols[out_cols[k]];
        if (tc->unsupported)
            problem(c, CUT_EUNSUPPORTED, tpos[k], mt->target, tc->name,
                    "target column %s has type %s, which cutover cannot load", tc->name,
                    tc->native);
    }

    /* Expressions are compiled once over every source column to learn what they read. */
    int nexpr = 0;
    for (int k = 0; k < nout; k++)
        nexpr += texts[k] != NULL;
    const char **all_names = calloc((size_t)S->ncols + 1, sizeof(char *));
    cut_type *all_types = calloc((size_t)S->ncols + 1, sizeof(cut_type));
    etext = calloc((size_t)nexpr + 1, sizeof(char *));
    enames = calloc((size_t)nexpr + 1, sizeof(char *));
    epos = calloc((size_t)nexpr + 1, sizeof(cut_pos));
    int *used = calloc((size_t)S->ncols + 1, sizeof(int));
    if (!all_names || !all_types || !etext || !enames || !epos || !used) {
        free(all_names);
        free(all_types);
        free(etext);
        free(enames);
        free(epos);
        free(used);
        rc = CUT_ENOMEM;
        goto done;
    }
    for (int i = 0; i < S->ncols; i++) {
        all_names[i] = S->cols[i].name;
        all_types[i] = S->cols[i].type;
    }
    int ei = 0;
    for (int k = 0; k < nout; k++) {
        if (!texts[k])
            continue;
        etext[ei] = texts[k];
        enames[ei] = T->cols[out_cols[k]].name;
        epos[ei] = tpos[k];
        ei++;
    }
    int expr_ok = 1;
    if (nexpr || mt->where) {
        cut_expr_spec spec = {
            .file = p->m->path, .table = mt->target, .source = mt->source, .mapping = p->m,
            .nsrc = S->ncols, .src_names = all_names, .src_types = all_types,
            .nexpr = nexpr, .exprs = etext, .expr_pos = epos, .expr_names = enames,
            .where = mt->where, .where_pos = mt->where_pos,
        };
        cut_expr *ex = NULL;
        cut_error_clear(&e);
        if (cut_expr_compile(&spec, &ex, &e)) {
            problem_err(c, &e);
            expr_ok = 0;
        } else {
            int nin;
            const int *in = cut_expr_inputs(ex, &nin);
            for (int k = 0; k < nin; k++)
                used[in[k]] = 1;
            cut_expr_free(ex);
        }
    }
    for (int k = 0; k < nout; k++)
        if (bare_src[k] >= 0)
            used[bare_src[k]] = 1;

    /* The source key: the mapping's key, else the source primary key. */
    int *skey = NULL, nskey = 0;
    if (mt->nkey) {
        for (int k = 0; k < mt->nkey; k++) {
            int si = cut_table_column(S, mt->key[k]);
            if (si < 0) {
                suggest_column(S, mt->key[k], sugg, sizeof(sugg));
                problem(c, CUT_ESCHEMA, mt->key_pos, mt->target, mt->key[k],
                        "unknown key column '%s' in source table %s%s", mt->key[k], mt->source,
                        dym(sugg, dbuf, sizeof(dbuf)));
                continue;
            }
            push_int(&skey, &nskey, si);
        }
    } else {
        for (int k = 0; k < S->npk; k++)
            push_int(&skey, &nskey, S->pk[k]);
    }
    for (int k = 0; k < nskey; k++)
        used[skey[k]] = 1;
    for (int i = 0; i < S->ncols; i++)
        if (used[i] && S->cols[i].unsupported)
            problem(c, CUT_EUNSUPPORTED, mt->source_pos.line ? mt->source_pos : mt->pos,
                    mt->target, S->cols[i].name,
                    "source column %s.%s has type %s, which cutover cannot read", mt->source,
                    S->cols[i].name, S->cols[i].native);

    /* Scan exactly the columns something uses, in table order. */
    tp->scan_cols = calloc((size_t)S->ncols + 1, sizeof(int));
    tp->scan_types = calloc((size_t)S->ncols + 1, sizeof(cut_type));
    tp->scan_names = calloc((size_t)S->ncols + 1, sizeof(char *));
    tp->out_cols = calloc((size_t)nout + 1, sizeof(int));
    tp->out_types = calloc((size_t)nout + 1, sizeof(cut_type));
    tp->out_names = calloc((size_t)nout + 1, sizeof(char *));
    tp->out_notnull = calloc((size_t)nout + 1, sizeof(int));
    tp->out_src = calloc((size_t)nout + 1, sizeof(int));
    tp->out_expr = calloc((size_t)nout + 1, sizeof(int));
    tp->expr_text = etext;
    tp->expr_names = enames;
    tp->expr_pos = epos;
    tp->nexpr = expr_ok ? nexpr : 0;
    etext = enames = NULL;
    epos = NULL;
    if (!tp->scan_cols || !tp->scan_types || !tp->scan_names || !tp->out_cols ||
        !tp->out_types || !tp->out_names || !tp->out_notnull || !tp->out_src || !tp->out_expr) {
        free(all_names);
        free(all_types);
        free(used);
        free(skey);
        rc = CUT_ENOMEM;
        goto done;
    }
    for (int i = 0; i < S->ncols; i++) {
        if (!used[i])
            continue;
        tp->scan_cols[tp->nscan] = i;
        tp->scan_types[tp->nscan] = S->cols[i].type;
        tp->scan_names[tp->nscan] = S->cols[i].name;
        tp->nscan++;
    }
    ei = 0;
    for (int k = 0; k < nout; k++) {
        const cut_column *tc = &T->cols[out_cols[k]];
        tp->out_cols[k] = out_cols[k];
        tp->out_types[k] = tc->type;
        tp->out_names[k] = tc->name;
        tp->out_notnull[k] = tc->not_null;
        tp->out_src[k] = bare_src[k] >= 0 ? index_of(tp->scan_cols, tp->nscan, bare_src[k]) : -1;
        tp->out_expr[k] = bare_src[k] >= 0 ? -1 : ei++;
    }
    tp->nout = nout;
    for (int k = 0; k < nskey; k++)
        push_int(&tp->key_scan, &tp->nskey, index_of(tp->scan_cols, tp->nscan, skey[k]));

    /* The row key among outputs: the target primary key when every part is written,
       else the outputs copied bare from the source key. */
    int pk_ok = T->npk > 0;
    for (int k = 0; k < T->npk; k++)
        pk_ok = pk_ok && index_of(tp->out_cols, nout, T->pk[k]) >= 0;
    if (pk_ok) {
        for (int k = 0; k < T->npk; k++)
            push_int(&tp->key_out, &tp->nkey, index_of(tp->out_cols, nout, T->pk[k]));
    } else {
        for (int k = 0; k < nskey; k++)
            for (int o = 0; o < nout; o++)
                if (bare_src[o] == skey[k]) {
                    push_int(&tp->key_out, &tp->nkey, o);
                    break;
                }
        if (tp->nkey != nskey || nskey == 0) {
            /* No key: the whole row is its own key (changes show as missing + extra). */
            free(tp->key_out);
            tp->key_out = NULL;
            tp->nkey = 0;
            for (int o = 0; o < nout; o++)
                push_int(&tp->key_out, &tp->nkey, o);
        }
    }
    free(all_names);
    free(all_types);
    free(used);
    free(skey);
done:
    free(etext);
    free(enames);
    free(epos);
    free(bare_src);
    free(texts);
    free(tpos);
    free(out_cols);
    return rc;
}

/* Orders plans so that a table comes after the tables its foreign keys reference. */
static int order_tables(cut_plan *p, FILE *report)
{
    int n = p->n;
    for (int i = 0; i < n; i++) {
        cut_tplan *tp = &p->t[i];
        if (!tp->tgt)
            continue;
        for (int f = 0; f < tp->tgt->nfk; f++) {
            for (int j = 0; j < n; j++) {
                if (j == i || !p->t[j].tgt)
                    continue;
                if (strcasecmp(tp->tgt->fks[f].ref_table, p->t[j].tgt->name) == 0 &&
                    index_of(tp->deps, tp->ndeps, j) < 0)
                    if (push_int(&tp->deps, &tp->ndeps, j))
                        return CUT_ENOMEM;
            }
        }
    }
    /* Kahn's algorithm, stable in file order. */
    int *order = calloc((size_t)n + 1, sizeof(int)), *placed = calloc((size_t)n + 1, sizeof(int));
    if (!order || !placed) {
        free(order);
        free(placed);
        return CUT_ENOMEM;
    }
    int k = 0;
    while (k < n) {
        int progress = 0;
        for (int i = 0; i < n; i++) {
            if (placed[i])
                continue;
            int ready = 1;
            for (int d = 0; d < p->t[i].ndeps; d++)
                ready = ready && placed[p->t[i].deps[d]];
            if (ready) {
                placed[i] = 1;
                order[k++] = i;
                progress = 1;
            }
        }
        if (!progress) {
            /* A cycle: load the rest in file order; the target must defer its checks. */
            for (int i = 0; i < n; i++) {
                if (!placed[i]) {
                    if (report)
                        fprintf(report,
                                "warning: table %s is part of a foreign key cycle; loading "
                                "in file order\n",
                                p->t[i].mt->target);
                    placed[i] = 1;
                    order[k++] = i;
                }
            }
        }
    }
    cut_tplan *sorted = calloc((size_t)n + 1, sizeof(cut_tplan));
    int *newpos = calloc((size_t)n + 1, sizeof(int));
    if (!sorted || !newpos) {
        free(order);
        free(placed);
        free(sorted);
        free(newpos);
        return CUT_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        sorted[i] = p->t[order[i]];
        newpos[order[i]] = i;
    }
    for (int i = 0; i < n; i++)
        for (int d = 0; d < sorted[i].ndeps; d++)
            sorted[i].deps[d] = newpos[sorted[i].deps[d]];
    free(p->t);
    p->t = sorted;
    free(order);
    free(placed);
    free(newpos);
    return CUT_OK;
}

/* A host as the same server sees it: the loopback names and Unix sockets are one. */
static int local_host(const char *h)
{
    return !h || !*h || h[0] == '/' || strcasecmp(h, "localhost") == 0 ||
           strcmp(h, "127.0.0.1") == 0 || strcmp(h, "::1") == 0;
}

/*
 * Whether source and target are one database: the same SQLite file (device and inode),
 * or the same database name on the same PostgreSQL/MySQL server (port, and host, the
 * local spellings taken as one). *rollback is set for a SQLite file not in WAL mode,
 * where a read transaction blocks another connection's commit.
 */
static int same_database(const cut_url *a, const cut_url *b, int *rollback)
{
    *rollback = 0;
    if (!a || !b || strcmp(a->scheme, b->scheme) != 0)
        return 0;
    if (strcmp(a->scheme, "sqlite") == 0) {
        struct stat sa, sb;
        if (!a->path || !b->path || stat(a->path, &sa) != 0 || stat(b->path, &sb) != 0 ||
            sa.st_dev != sb.st_dev || sa.st_ino != sb.st_ino)
            return 0;
        /* Header bytes 18 and 19 (file format versions) are 2 in WAL mode. */
        unsigned char hdr[20] = {0};
        FILE *f = fopen(a->path, "rb");
        if (f) {
            if (fread(hdr, 1, sizeof(hdr), f) != sizeof(hdr))
                hdr[18] = 0;
            fclose(f);
        }
        *rollback = hdr[18] != 2;
        return 1;
    }
    if (strcmp(a->scheme, "postgresql") != 0 && strcmp(a->scheme, "mysql") != 0)
        return 0;
    int def = strcmp(a->scheme, "mysql") == 0 ? 3306 : 5432;
    int pa = a->port ? a->port : def, pb = b->port ? b->port : def;
    int hosts = local_host(a->host) && local_host(b->host)
                    ? 1
                    : a->host && b->host && strcasecmp(a->host, b->host) == 0;
    int dbs = (!a->path && !b->path) || (a->path && b->path && strcmp(a->path, b->path) == 0);
    return pa == pb && hosts && dbs;
}

/* Source and target one database: a target table must not be a table the run reads. */
static void check_same_database(pctx *c, cut_plan *p, cut_conn *src, cut_conn *tgt)
{
    int rollback = 0;
    if (!same_database(src->url, tgt->url, &rollback))
        return;
    int exact = strcmp(src->url->scheme, "postgresql") == 0;
    for (int i = 0; i < p->n; i++) {
        const cut_table *T = p->t[i].tgt;
        for (int j = 0; T && j < p->n; j++) {
            const cut_table *S = p->t[j].src;
            if (!S || !((!S->schema && !T->schema) ||
                        (S->schema && T->schema && strcmp(S->schema, T->schema) == 0)))
                continue;
            if (exact ? strcmp(S->name, T->name) != 0 : strcasecmp(S->name, T->name) != 0)
                continue;
            problem(c, CUT_ESCHEMA, p->t[i].mt->pos, p->t[i].mt->target, NULL,
                    "target table %s is the source table %s: source and target are the same "
                    "database, and the run would write the table it reads (--truncate would "
                    "empty it first)",
                    p->t[i].mt->target, p->t[j].mt->source);
            break;
        }
    }
    if (rollback && strcmp(src->url->scheme, "sqlite") == 0) {
        /* Every scan of a run shares one read transaction on the source connection. */
        problem(c, CUT_EUNSUPPORTED, (cut_pos){0, 0}, NULL, NULL,
                "source and target are the same SQLite file %s, which is not in WAL mode: "
                "the source's read transaction would block every commit of the target; "
                "switch it to WAL (PRAGMA journal_mode=WAL) or copy the source to another file",
                src->url->path);
    }
}

static char *default_reject_dir(const cut_mapping *m);

char *cut_reject_dir(const cut_mapping *m, const cut_run_opts *o)
{
    if (o && o->reject_dir)
        return cut_strdup(o->reject_dir);
    if (m->opts.reject_dir)
        return cut_strdup(m->opts.reject_dir);
    return default_reject_dir(m);
}

static char *default_reject_dir(const cut_mapping *m)
{
    const char *base = strrchr(m->path, '/');
    base = base ? base + 1 : m->path;
    size_t n = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base)
        n = (size_t)(dot - base);
    return cut_asprintf("%.*s.rejects", (int)n, base);
}

int cut_plan_build(cut_mapping *m, const cut_run_opts *o, cut_conn *src, cut_conn *tgt,
                   FILE *report, cut_plan **out, cut_error *err)
{
    *out = NULL;
    pctx c = {m, report, err, 0};
    int rc = CUT_OK;
    cut_plan *p = calloc(1, sizeof(*p));
    if (!p)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    p->m = m;
    p->src_drv = src->drv;
    p->tgt_drv = tgt->drv;
    p->canon.zero_dates = m->opts.zero_dates;
    p->canon.dst_overlap = m->opts.dst_overlap;
    if (m->opts.source_timezone) {
        cut_error e;
        cut_error_clear(&e);
        if (cut_tz_open(m->opts.source_timezone, &p->tz, &e)) {
            cut_error_set_pos(&e, m->path, m->opts.source_timezone_pos.line,
                              m->opts.source_timezone_pos.col);
            problem_err(&c, &e);
        }
        p->canon.source_tz = p->tz;
    }
    cut_encoding enc = CUT_ENC_UTF8;
    if (cut_encoding_parse(m->opts.source_encoding, &enc))
        problem(&c, CUT_EMAPPING, m->opts.source_encoding_pos, NULL, NULL,
                "source_encoding: unknown encoding '%s' (utf8, latin1 or cp1252)",
                m->opts.source_encoding);
    p->encoding = (int)enc;
    if (src)
        src->names_encoding = (int)enc; /* before any table is described */
    p->reject_dir = cut_reject_dir(m, o);

    /* The tables to run: all, or the ones named (each must be in the mapping). */
    int *pick = calloc((size_t)m->ntables + 1, sizeof(int)), npick = 0;
    if (!pick || !p->reject_dir) {
        free(pick);
        cut_plan_free(p);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    if (o && o->tables && !o->tables[0])
        /* An empty selection is not "nothing to do": a verify of it would say Go. */
        problem(&c, CUT_EINVAL, (cut_pos){0, 0}, NULL, NULL,
                "--tables: the list names no table of mapping %s", m->path);
    if (o && o->tables) {
        for (const char *const *t = o->tables; *t; t++) {
            int i = cut_mapping_find_table(m, *t);
            if (i < 0) {
                const char **names = calloc((size_t)m->ntables + 1, sizeof(char *));
                char sugg[512] = "", dbuf[600];
                if (names) {
                    for (int k = 0; k < m->ntables; k++)
                        names[k] = m->tables[k].target;
                    cut_suggest(*t, names, m->ntables, sugg, sizeof(sugg));
                    free(names);
                }
                problem(&c, CUT_EINVAL, (cut_pos){0, 0}, NULL, NULL,
                        "--tables: %s is not a table of mapping %s%s", *t, m->path,
                        dym(sugg, dbuf, sizeof(dbuf)));
                continue;
            }
            if (index_of(pick, npick, i) < 0)
                pick[npick++] = i;
        }
    } else {
        for (int i = 0; i < m->ntables; i++)
            pick[npick++] = i;
    }
    p->t = calloc((size_t)npick + 1, sizeof(cut_tplan));
    if (!p->t) {
        free(pick);
        cut_plan_free(p);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    for (int k = 0; k < npick; k++) {
        p->n++;
        if ((rc = bind_table(&c, p, &m->tables[pick[k]], src, tgt, &p->t[k])))
            break;
    }
    free(pick);
    if (rc == CUT_OK)
        check_same_database(&c, p, src, tgt);
    if (rc == CUT_OK && (rc = order_tables(p, report)) == CUT_OK && c.nproblems)
        rc = err->code ? err->code : CUT_EMAPPING;
    if (rc) {
        if (rc == CUT_ENOMEM && !c.nproblems)
            cut_error_set(err, CUT_ENOMEM, "out of memory");
        cut_plan_free(p);
        return rc;
    }
    *out = p;
    return CUT_OK;
}

const char *cut_render_key(const cut_cell *cells, const int *idx, int n,
                           const char *const *names, cut_buf *out)
{
    cut_buf_reset(out);
    cut_buf v = {0};
    for (int k = 0; k < n; k++) {
        const cut_cell *cell = &cells[idx[k]];
        cut_buf_printf(out, "%s%s=", k ? ", " : "", names[idx[k]]);
        /* Integers read better without quotes. */
        int numeric = !cut_cell_is_null(cell) && cell->len > 0 && cell->len < 24;
        for (uint32_t i = 0; numeric && i < cell->len; i++)
            numeric = (cell->p[i] >= '0' && cell->p[i] <= '9') || (i == 0 && cell->p[i] == '-');
        if (numeric)
            cut_buf_append(out, cell->p, cell->len);
        else {
            cut_printable(cell->p, cell->len, cut_cell_is_null(cell), 64, &v);
            cut_buf_append(out, v.p, v.len);
        }
    }
    cut_buf_free(&v);
    return cut_buf_cstr(out);
}

int cut_reject_dir_create(const cut_plan *p, cut_error *err)
{
    char *path = cut_strdup(p->reject_dir);
    if (!path)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    int rc = CUT_OK;
    /* mkdir -p: each prefix in turn; existing directories are fine. */
    for (char *s = path + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            rc = cut_error_set(err, CUT_EIO, "cannot create reject directory %s: %s", path,
                               strerror(errno));
            break;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    if (rc == CUT_OK && access(p->reject_dir, W_OK) != 0)
        rc = cut_error_set(err, CUT_EIO, "cannot write in reject directory %s: %s",
                           p->reject_dir, strerror(errno));
    free(path);
    return rc;
}

/* <dir>/<table name made safe for a file name> (any character may be in a name). */
char *cut_table_stem(const char *dir, const char *table)
{
    cut_buf name = {0};
    for (const char *s = table; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '_' || ch == '-' || (ch == '.' && s != table) || ch >= 0x80)
            cut_buf_appendc(&name, (char)ch);
        else
            cut_buf_printf(&name, "%%%02X", ch);
    }
    char *stem = cut_asprintf("%s/%s", dir, cut_buf_cstr(&name));
    cut_buf_free(&name);
    return stem;
}

static char *reject_stem(const cut_plan *p, const cut_tplan *tp)
{
    return cut_table_stem(p->reject_dir, tp->mt->target);
}

char *cut_table_file(const cut_plan *p, const cut_tplan *tp, const char *suffix)
{
    char *stem = reject_stem(p, tp);
    char *path = stem ? cut_asprintf("%s%s", stem, suffix) : NULL;
    free(stem);
    return path;
}

char *cut_reject_path(const cut_plan *p, const cut_tplan *tp)
{
    return cut_reject_chunk_path(p, tp, 0, 1);
}

char *cut_reject_chunk_path(const cut_plan *p, const cut_tplan *tp, int k, int n)
{
    char *stem = reject_stem(p, tp);
    if (!stem)
        return NULL;
    char *path = n <= 1  ? cut_asprintf("%s.rejects.jsonl", stem)
                 : k < 0 ? cut_asprintf("%s.part-*.rejects.jsonl", stem)
                         : cut_asprintf("%s.part-%04d.rejects.jsonl", stem, k);
    free(stem);
    return path;
}

int cut_reject_files(const cut_plan *p, const cut_tplan *tp,
                     int (*fn)(void *ud, const char *path), void *ud)
{
    char *stem = reject_stem(p, tp);
    if (!stem)
        return CUT_ENOMEM;
    int rc = CUT_OK;
    char *whole = cut_asprintf("%s.rejects.jsonl", stem);
    if (!whole)
        rc = CUT_ENOMEM;
    if (rc == CUT_OK && access(whole, F_OK) == 0)
        rc = fn(ud, whole);
    free(whole);
    /* Chunk files: the directory is read, not globbed: table names may hold glob syntax. */
    const char *base = strrchr(stem, '/') ? strrchr(stem, '/') + 1 : stem;
    size_t bl = strlen(base);
    DIR *d = rc == CUT_OK ? opendir(p->reject_dir) : NULL;
    struct dirent *e;
    while (d && rc == CUT_OK && (e = readdir(d))) {
        const char *nm = e->d_name, *tail = ".rejects.jsonl";
        size_t n = strlen(nm), tl = strlen(tail);
        if (n == bl + 10 + tl && strncmp(nm, base, bl) == 0 &&
            strncmp(nm + bl, ".part-", 6) == 0 && strcmp(nm + n - tl, tail) == 0) {
            char *path = cut_asprintf("%s/%s", p->reject_dir, nm);
            rc = path ? fn(ud, path) : CUT_ENOMEM;
            free(path);
        }
    }
    if (d)
        closedir(d);
    free(stem);
    return rc;
}

int cut_plan_open(cut_mapping *m, const cut_run_opts *o, int target_mode, cut_conn **src,
                  cut_conn **tgt, cut_plan **p, cut_error *err)
{
    int rc = cut_mapping_need_urls(m, CUT_NEED_SOURCE | CUT_NEED_TARGET, err);
    if (rc)
        return rc;
    rc = cut_connect(m->source, CUT_OPEN_READ, src, err);
    if (rc == CUT_OK)
        rc = cut_connect(m->target, target_mode, tgt, err);
    if (rc == CUT_OK)
        rc = cut_plan_build(m, o, *src, *tgt, NULL, p, err);
    return rc;
}
