/*
 * expr.c — compiles a table's mapping expressions into one SQLite statement
 * and evaluates it per row (see expr.h for the shape of the statement).
 *
 * Expressions never run against the source database: they run in a private
 * in-memory SQLite whose authorizer only lets them read the bound row.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#include "expr.h"
#include "types.h"
#include "util.h"

#define SRC_TABLE "__cutover_row"

struct cut_expr {
    sqlite3 *db;
    sqlite3_stmt *st;  /* the evaluation statement */
    int nsrc;
    int nexpr;
    int ninputs;
    int *inputs;       /* source column index of each bound parameter */
    cut_kind *in_kind; /* logical type of each input */
    char **src_names;  /* copies, for the slow path */
    char **exprs;
    char *where;
    sqlite3_stmt **single; /* per-expression statements over SRC_TABLE (slow path) */
    sqlite3_stmt *where_st; /* SELECT (where) FROM SRC_TABLE (slow path) */
    sqlite3_stmt *fill;    /* INSERT INTO SRC_TABLE … for the slow path */
    unsigned char *used;   /* per source column: read by some expression */
    char *vt_schema;       /* the virtual table's declaration */
    /* The row the evaluation statement reads next (the cutover_in virtual table):
       fresh until its scan takes it. */
    struct in_val *vals; /* per input, set by cut_expr_eval for the row */
    int fresh;
    /* The memo of results by input values (see cut_expr_eval); in use while slots is. */
    struct memo_ent *slots; /* MEMO_SLOTS, open addressing */
    int nent;
    size_t mbytes;
    cut_arena marena; /* keys and results */
    cut_buf mkey;     /* this row's key */
    uint64_t looks, hits;
};

/*
 * Rows that read the same input values get the same results when every function the
 * expressions call is a pure scalar one (no aggregate, window function or subquery,
 * whose result depends on other rows): legacy tables repeat codes, statuses and
 * categories, and `upper(gym_code)` or `lookup('classes', lower(trim(name)))` need
 * running once per distinct value, not once per row. Results are kept up to a bound;
 * a table whose rows hardly repeat stops looking after a trial.
 */
#define MEMO_SLOTS       8192       /* a power of two */
#define MEMO_MAX_ENTRIES 4096       /* the table at most half full */
#define MEMO_MAX_BYTES   (8u << 20) /* keys and results */
#define MEMO_TRIAL       4096       /* rows looked up before deciding to keep it */

typedef struct memo_ent {
    uint64_t h;
    const char *key; /* NULL: free slot */
    size_t klen;
    int keep;
    cut_cell *out; /* nexpr results */
} memo_ent;

/* Functions whose result depends on their arguments alone (SQLite's pure scalar ones
   and cutover's own); anything else, aggregates and window functions included, turns
   the memo off. */
static const char *const pure_functions[] = {
    "abs",     "char",           "coalesce",   "concat",       "concat_ws",
    "format",  "glob",           "hex",        "ifnull",       "iif",
    "instr",   "length",         "like",       "likelihood",   "likely",
    "lower",   "ltrim",          "nullif",     "octet_length", "printf",
    "quote",   "replace",        "round",      "rtrim",        "sign",
    "substr",  "substring",      "trim",       "typeof",       "unhex",
    "unicode", "unlikely",       "upper",      "zeroblob",     "lookup",
    "regexp",  "regexp_replace", "split_part", "parse_date",   NULL};

static int pure_function(const char *name)
{
    for (int i = 0; name && pure_functions[i]; i++)
        if (strcasecmp(name, pure_functions[i]) == 0)
            return 1;
    return 0;
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

typedef struct auth_ctx {
    cut_expr *e;
    const char *denied; /* why the last denial happened, for the message */
    int selects;        /* SELECTs authorized */
    int impure;         /* a function, aggregate or subquery rules the memo out */
} auth_ctx;

/* Lets expressions read the row and call functions, nothing else. */
static int authorizer(void *ud, int action, const char *a1, const char *a2, const char *db,
                      const char *trigger)
{
    auth_ctx *ctx = ud;
    switch (action) {
    case SQLITE_READ:
        if (a1 && strcmp(a1, SRC_TABLE) == 0 && a2) {
            int known = 0;
            for (int i = 0; i < ctx->e->nsrc; i++)
                if (strcmp(ctx->e->src_names[i], a2) == 0) {
                    ctx->e->used[i] = 1;
                    known = 1;
                }
            if (!known && (strcasecmp(a2, "rowid") == 0 || strcasecmp(a2, "oid") == 0 ||
                           strcasecmp(a2, "_rowid_") == 0)) {
                /* The helper table has a rowid; the source row does not. */
                ctx->denied = "the source row has no rowid; name a column";
                return SQLITE_DENY;
            }
        }
        return SQLITE_OK;
    case SQLITE_FUNCTION:
        /* A value that changes on every evaluation could never be verified. */
        if (a2 && (strcasecmp(a2, "random") == 0 || strcasecmp(a2, "randomblob") == 0)) {
            ctx->denied = "random() gives another value on every run, so migrate and verify "
                          "could never agree";
            return SQLITE_DENY;
        }
        if (!pure_function(a2))
            ctx->impure = 1;
        return SQLITE_OK;
    case SQLITE_SELECT:
        /* One per statement checked; more is a subquery. */
        ctx->selects++;
        return SQLITE_OK;
    case SQLITE_RECURSIVE:
        ctx->impure = 1;
        return SQLITE_OK;
    default:
        return SQLITE_DENY;
    }
}

/* Position of byte offset off inside an expression that starts at pos. */
static cut_pos offset_pos(const char *text, size_t off, cut_pos pos)
{
    cut_pos p = pos;
    for (size_t i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n') {
            p.line++;
            p.col = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            p.col++;
        }
    }
    return p;
}

/* Offset of identifier word in text (whole word, case-insensitive, outside '…' string
   literals), or -1. */
static long find_word(const char *text, const char *word)
{
    size_t wl = strlen(word);
    int in_str = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\'') {
            in_str = !in_str; /* '' inside a literal toggles twice: still inside */
            continue;
        }
        if (in_str || strncasecmp(p, word, wl) != 0)
            continue;
        int before = p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
        int after = !(isalnum((unsigned char)p[wl]) || p[wl] == '_');
        if (before && after)
            return p - text;
    }
    return -1;
}

/* Turns a prepare error into a mapping error at the expression's position. */
static int compile_error(const cut_expr_spec *spec, cut_expr *e, const char *what,
                         const char *text, cut_pos pos, const char *colname,
                         const char *actx_denied, cut_error *err)
{
    const char *msg = sqlite3_errmsg(e->db);
    const char *nosuch = "no such column: ";
    cut_pos at = pos;
    if (strncmp(msg, nosuch, strlen(nosuch)) == 0) {
        const char *name = msg + strlen(nosuch);
        long off = find_word(text, name);
        if (off >= 0)
            at = offset_pos(text, (size_t)off, pos);
        char sugg[256];
        cut_suggest(name, (const char *const *)e->src_names, e->nsrc, sugg, sizeof(sugg));
        cut_error_set(err, CUT_EMAPPING, "%s%sunknown source column '%s' in table %s%s%s%s",
                      what, *what ? ": " : "", name, spec->source ? spec->source : spec->table,
                      sugg[0] ? " (did you mean " : "", sugg, sugg[0] ? "?)" : "");
    } else if (strstr(msg, "not authorized")) {
        cut_error_set(err, CUT_EMAPPING, "%s%s%s", what, *what ? ": " : "",
                      actx_denied ? actx_denied : "only expressions over the source row are allowed");
    } else {
        cut_error_set(err, CUT_EMAPPING, "%s%s%s", what, *what ? ": " : "", msg);
    }
    cut_error_set_pos(err, spec->file, at.line, at.col);
    cut_error_set_table(err, spec->table);
    if (colname)
        cut_error_set_column(err, colname);
    return CUT_EMAPPING;
}

static int is_blank(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return *s == '\0' || (s[0] == ';' && s[1] == '\0');
}

/* Places err (a mapping error) at byte off of an expression that starts at pos. */
static int error_at(const cut_expr_spec *spec, const char *text, cut_pos pos, size_t off,
                    const char *colname, cut_error *err)
{
    cut_pos at = offset_pos(text, off, pos);
    cut_error_set_pos(err, spec->file, at.line, at.col);
    cut_error_set_table(err, spec->table);
    if (colname)
        cut_error_set_column(err, colname);
    return CUT_EMAPPING;
}

/* lookup('name', …) with a literal name must name a lookup of the mapping: a typo would
   otherwise reject every row at run time. */
static int check_lookups(const cut_expr_spec *spec, const char *text, cut_pos pos,
                         const char *what, const char *colname, cut_error *err)
{
    const cut_mapping *m = spec->mapping;
    for (long base = 0, rel; (rel = find_word(text + base, "lookup")) >= 0;) {
        long at = base + rel;
        const char *p = text + at + 6;
        base = at + 6;
        while (isspace((unsigned char)*p))
            p++;
        if (*p++ != '(')
            continue;
        while (isspace((unsigned char)*p))
            p++;
        if (*p != '\'')
            continue;
        const char *end = strchr(p + 1, '\'');
        if (!end || end[1] == '\'')
            continue;
        /* Only a plain literal: 'a' || 'b' is computed at run time. */
        const char *after = end + 1;
        while (isspace((unsigned char)*after))
            after++;
        if (*after != ',' && *after != ')')
            continue;
        size_t n = (size_t)(end - p - 1);
        int found = 0;
        for (int i = 0; m && i < m->nlookups && !found; i++)
            found = strlen(m->lookups[i].name) == n && strncmp(m->lookups[i].name, p + 1, n) == 0;
        if (found)
            continue;
        char name[128], sugg[256] = "";
        snprintf(name, sizeof(name), "%.*s", (int)(n < 100 ? n : 100), p + 1);
        const char *names[64];
        int nn = 0;
        for (int i = 0; m && i < m->nlookups && nn < 64; i++)
            names[nn++] = m->lookups[i].name;
        cut_suggest(name, names, nn, sugg, sizeof(sugg));
        cut_error_set(err, CUT_EMAPPING, "%s%sunknown lookup '%s'%s%s%s", what,
                      *what ? ": " : "", name,
                      sugg[0] ? " (did you mean " : (nn ? "" : " (the mapping has no lookups:)"),
                      sugg, sugg[0] ? "?)" : "");
        return error_at(spec, text, pos, (size_t)at, colname, err);
    }
    return CUT_OK;
}

/* --------------------------------------- text compared with a number */

/* A token of an expression, as far as the check below needs one. */
enum { TK_END, TK_NAME, TK_NUM, TK_OP, TK_OTHER };
typedef struct token {
    int kind;
    const char *p; /* in the text */
    size_t n;
    char name[128]; /* TK_NAME: unquoted */
} token;

/* The token at *pp (skipping blanks, comments and string literals, which are TK_OTHER). */
static token next_token(const char **pp)
{
    const char *p = *pp;
    token t = {TK_END, p, 0, ""};
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
        } else {
            break;
        }
    }
    t.p = p;
    if (!*p) {
        *pp = p;
        return t;
    }
    char close = *p == '"' ? '"' : *p == '`' ? '`' : *p == '[' ? ']' : 0;
    if (*p == '\'' || close) {
        char q = close ? close : '\'';
        const char *e = p + 1;
        size_t k = 0;
        while (*e && !(*e == q && e[1] != q)) {
            if (*e == q) /* doubled */
                e++;
            if (close && k + 1 < sizeof(t.name))
                t.name[k++] = *e;
            e++;
        }
        t.name[k] = '\0';
        t.kind = close ? TK_NAME : TK_OTHER;
        p = *e ? e + 1 : e;
    } else if (isalpha((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80) {
        const char *e = p;
        while (isalnum((unsigned char)*e) || *e == '_' || *e == '$' || (unsigned char)*e >= 0x80)
            e++;
        snprintf(t.name, sizeof(t.name), "%.*s", (int)(e - p), p);
        t.kind = TK_NAME;
        p = e;
    } else if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
        const char *e = p;
        while (isalnum((unsigned char)*e) || *e == '.' ||
               ((*e == '+' || *e == '-') && (e[-1] == 'e' || e[-1] == 'E')))
            e++;
        t.kind = TK_NUM;
        p = e;
    } else if ((p[0] == '=' && p[1] == '=') || (p[0] == '!' && p[1] == '=') ||
               (p[0] == '<' && (p[1] == '>' || p[1] == '=')) || (p[0] == '>' && p[1] == '=')) {
        t.kind = TK_OP;
        p += 2;
    } else if (*p == '=' || *p == '<' || *p == '>') {
        t.kind = TK_OP;
        p++;
    } else {
        t.kind = TK_OTHER;
        p++;
    }
    t.n = (size_t)(p - t.p);
    *pp = p;
    return t;
}

static int tok_is(const token *t, const char *word)
{
    return t->kind == TK_NAME && t->p[0] != '"' && t->p[0] != '`' && t->p[0] != '[' &&
           strcasecmp(t->name, word) == 0;
}

static int tok_char(const token *t, char c)
{
    return t->kind == TK_OTHER && t->n == 1 && t->p[0] == c;
}

/*
 * A source column of text (every CSV column is) compared with a number literal — `is_active
 * = 1`, `amt > 10`, `code IN (1, 2)`, `CASE status WHEN 1` — gives the same result for
 * every row: SQLite never finds a text equal to a number, and sorts every text after every
 * number. The mapping is refused at the comparison, with the two ways to write it.
 */
static int check_text_vs_number(const cut_expr_spec *spec, const char *text, cut_pos pos,
                                const char *what, const char *colname, cut_error *err)
{
    enum { WIN = 5 };
    token w[WIN]; /* the last tokens, w[WIN - 1] the newest */
    memset(w, 0, sizeof(w));
    const char *p = text;
    for (;;) {
        memmove(w, w + 1, sizeof(token) * (WIN - 1));
        w[WIN - 1] = next_token(&p);
        if (w[WIN - 1].kind == TK_END && w[WIN - 2].kind == TK_END)
            break; /* (one more round after the end: NUM OP NAME ends at the name) */
        /* Look for NAME OP [sign] NUM, NUM OP NAME, NAME [NOT] IN ( NUM, NAME [NOT]
           BETWEEN [sign] NUM, CASE NAME WHEN [sign] NUM: the window ends at the number,
           or just after the name for NUM OP NAME (the newest token must not open a call). */
#define W(i) ((i) >= 0 ? &w[(i)] : &none)
        static const token none = {TK_END, "", 0, ""};
        const token *num = W(WIN - 1), *col = NULL;
        int k = WIN - 2, c = -1; /* before the number; the column's index */
        if (num->kind == TK_NUM) {
            if (tok_char(W(k), '-') || tok_char(W(k), '+'))
                k--;
            if (W(k)->kind == TK_OP)
                c = k - 1;
            else if (tok_char(W(k), '(') && tok_is(W(k - 1), "in"))
                c = tok_is(W(k - 2), "not") ? k - 3 : k - 2;
            else if (tok_is(W(k), "between"))
                c = tok_is(W(k - 1), "not") ? k - 2 : k - 1;
            else if (tok_is(W(k), "when") && tok_is(W(k - 2), "case"))
                c = k - 1;
        } else if (W(WIN - 3)->kind == TK_OP && W(WIN - 4)->kind == TK_NUM &&
                   !tok_char(W(WIN - 1), '(') && !tok_char(W(WIN - 1), '.')) {
            c = WIN - 2;
            num = W(WIN - 4);
        }
        /* A column of a table in a subquery (t.x) is no source column. */
        if (c >= 0 && !tok_char(W(c - 1), '.'))
            col = W(c);
#undef W
        if (!col || col->kind != TK_NAME)
            continue;
        int idx = -1;
        for (int i = 0; i < spec->nsrc && idx < 0; i++)
            if (strcasecmp(spec->src_names[i], col->name) == 0)
                idx = i;
        if (idx < 0 || !spec->src_types || spec->src_types[idx].kind != CUT_T_TEXT)
            continue;
        const char *from = col->p < num->p ? col->p : num->p;
        const char *to = col->p < num->p ? num->p + num->n : col->p + col->n;
        char cmp[160];
        snprintf(cmp, sizeof(cmp), "%.*s", (int)(to - from < 150 ? to - from : 150), from);
        cut_error_set(err, CUT_EMAPPING,
                      "%s%s%s is text in %s, so `%s` compares text with a number and gives the "
                      "same result for every row (SQLite never finds a text equal to a number, "
                      "and sorts texts after numbers): convert it, CAST(%s AS INTEGER) or "
                      "CAST(%s AS REAL), or compare with text ('%.*s')",
                      what, *what ? ": " : "", col->name,
                      spec->source ? spec->source : spec->table, cmp, col->name, col->name,
                      (int)(num->n < 40 ? num->n : 40), num->p);
        return error_at(spec, text, pos, (size_t)(from - text), colname, err);
    }
    return CUT_OK;
}

/* Prepares SELECT (text) FROM SRC_TABLE to validate one expression and record its inputs. */
static int check_one(const cut_expr_spec *spec, cut_expr *e, auth_ctx *actx, const char *text,
                     cut_pos pos, const char *what, const char *colname, sqlite3_stmt **keep,
                     cut_error *err)
{
    cut_buf sql = {0};
    cut_buf_printf(&sql, "SELECT (%s\n) FROM %s", text, SRC_TABLE);
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    actx->denied = NULL;
    int rc = sqlite3_prepare_v2(e->db, cut_buf_cstr(&sql), -1, &st, &tail);
    if (rc != SQLITE_OK) {
        compile_error(spec, e, what, text, pos, colname, actx->denied, err);
        cut_buf_free(&sql);
        return CUT_EMAPPING;
    }
    /* A second statement after it, or a second value in it ("a), (b" closes the
       parenthesis around the text and opens another): either would shift the outputs
       of the evaluation statement, which puts the expressions side by side. */
    if ((tail && !is_blank(tail)) || sqlite3_column_count(st) != 1) {
        sqlite3_finalize(st);
        cut_buf_free(&sql);
        cut_error_set(err, CUT_EMAPPING, "%s%smust be a single SQL expression", what,
                      *what ? ": " : "");
        cut_error_set_pos(err, spec->file, pos.line, pos.col);
        cut_error_set_table(err, spec->table);
        if (colname)
            cut_error_set_column(err, colname);
        return CUT_EMAPPING;
    }
    cut_buf_free(&sql);
    if (check_lookups(spec, text, pos, what, colname, err) ||
        check_text_vs_number(spec, text, pos, what, colname, err)) {
        sqlite3_finalize(st);
        return CUT_EMAPPING;
    }
    if (keep)
        *keep = st;
    else
        sqlite3_finalize(st);
    return CUT_OK;
}

/* Significant digits of a canonical decimal: first to last non-zero digit ("0012.340" → 4). */
static int sig_digits(const char *p, size_t len)
{
    int first = -1, last = -1, idx = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            continue;
        if (p[i] != '0') {
            if (first < 0)
                first = idx;
            last = idx;
        }
        idx++;
    }
    return first < 0 ? 0 : last - first + 1;
}

/*
 * A canonical value with the storage class its logical type has in SQLite:
 * integers as INTEGER, floats as REAL, bools as 1/0, numerics as SQLite's
 * NUMERIC affinity would store them (INTEGER if integral, REAL if no digit is
 * lost, else TEXT), bytes as BLOB, the rest as TEXT (pointing into the cell;
 * with length -1 when the cell ends in a NUL and holds none, so that SQLite
 * knows it terminated and reads it as a string without a copy).
 */
typedef struct in_val {
    int type; /* SQLITE_NULL, _INTEGER, _FLOAT, _BLOB or _TEXT */
    sqlite3_int64 i;
    double d;
    const char *p;
    int n;
} in_val;

static void input_value(cut_kind kind, const cut_cell *v, in_val *o)
{
    if (cut_cell_is_null(v)) {
        o->type = SQLITE_NULL;
        return;
    }
    char tmp[64];
    switch (kind) {
    case CUT_T_INT: {
        int64_t x;
        if (cut_parse_int64(v->p, v->len, &x) == 0) {
            o->type = SQLITE_INTEGER;
            o->i = x;
            return;
        }
        break; /* beyond int64 (unsigned 64-bit): as text */
    }
    case CUT_T_BOOL:
        o->type = SQLITE_INTEGER;
        o->i = v->len == 1 && v->p[0] == 't';
        return;
    case CUT_T_FLOAT:
    case CUT_T_NUMERIC: {
        if (v->len >= sizeof(tmp) || memchr(v->p, 'N', v->len))
            break; /* NaN, and long decimals: as text */
        if (kind == CUT_T_NUMERIC && !memchr(v->p, '.', v->len) && !memchr(v->p, 'I', v->len)) {
            int64_t x;
            if (cut_parse_int64(v->p, v->len, &x) == 0) {
                o->type = SQLITE_INTEGER;
                o->i = x;
                return;
            }
        }
        if (kind == CUT_T_NUMERIC && sig_digits(v->p, v->len) > 15)
            break;
        memcpy(tmp, v->p, v->len);
        tmp[v->len] = '\0';
        o->type = SQLITE_FLOAT;
        o->d = strtod(tmp, NULL);
        return;
    }
    case CUT_T_BYTES:
        o->type = SQLITE_BLOB;
        o->p = v->len ? v->p : "";
        o->n = (int)v->len;
        return;
    default:
        break;
    }
    o->type = SQLITE_TEXT;
    o->p = v->len ? v->p : "";
    o->n = (v->flags & CUT_CELL_NUL) && v->len && !memchr(v->p, 0, v->len) ? -1 : (int)v->len;
}

/* ------------------------------------------------- the row virtual table */

/*
 * cutover_in: a table of one row at a time, the row cut_expr_eval hands over in
 * e->vals. Its scan takes the row when it starts (xFilter) or moves on (xNext), and
 * ends when no fresh row is there, so a statement over it can run for a whole table
 * without a reset between rows. Values point into the row's cells (no copy).
 */
typedef struct in_vtab {
    sqlite3_vtab base;
    cut_expr *e;
} in_vtab;

typedef struct in_cursor {
    sqlite3_vtab_cursor base;
    int eof;
    sqlite3_int64 rowid;
} in_cursor;

static int in_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                      sqlite3_vtab **out, char **errmsg)
{
    CUT_UNUSED(argc);
    CUT_UNUSED(argv);
    CUT_UNUSED(errmsg);
    cut_expr *e = aux;
    int rc = sqlite3_declare_vtab(db, e->vt_schema);
    if (rc != SQLITE_OK)
        return rc;
    in_vtab *v = sqlite3_malloc(sizeof(*v));
    if (!v)
        return SQLITE_NOMEM;
    memset(v, 0, sizeof(*v));
    v->e = e;
    *out = &v->base;
    return SQLITE_OK;
}

static int in_disconnect(sqlite3_vtab *v)
{
    sqlite3_free(v);
    return SQLITE_OK;
}

static int in_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
    CUT_UNUSED(v);
    info->estimatedCost = 1;
    info->estimatedRows = 1;
    return SQLITE_OK;
}

static int in_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
    CUT_UNUSED(v);
    in_cursor *c = sqlite3_malloc(sizeof(*c));
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof(*c));
    *out = &c->base;
    return SQLITE_OK;
}

static int in_close(sqlite3_vtab_cursor *c)
{
    sqlite3_free(c);
    return SQLITE_OK;
}

static int in_take(sqlite3_vtab_cursor *cur)
{
    in_cursor *c = (in_cursor *)cur;
    cut_expr *e = ((in_vtab *)cur->pVtab)->e;
    c->eof = !e->fresh;
    e->fresh = 0;
    c->rowid++;
    return SQLITE_OK;
}

static int in_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxstr, int argc,
                     sqlite3_value **argv)
{
    CUT_UNUSED(idx);
    CUT_UNUSED(idxstr);
    CUT_UNUSED(argc);
    CUT_UNUSED(argv);
    return in_take(cur);
}

static int in_eof(sqlite3_vtab_cursor *cur)
{
    return ((in_cursor *)cur)->eof;
}

static int in_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i)
{
    cut_expr *e = ((in_vtab *)cur->pVtab)->e;
    if (i < 0 || i >= e->ninputs) {
        sqlite3_result_null(ctx);
        return SQLITE_OK;
    }
    const in_val *x = &e->vals[i];
    switch (x->type) {
    case SQLITE_NULL: sqlite3_result_null(ctx); break;
    case SQLITE_INTEGER: sqlite3_result_int64(ctx, x->i); break;
    case SQLITE_FLOAT: sqlite3_result_double(ctx, x->d); break;
    case SQLITE_BLOB: sqlite3_result_blob(ctx, x->p, x->n, SQLITE_STATIC); break;
    default: sqlite3_result_text(ctx, x->p, x->n, SQLITE_STATIC); break;
    }
    return SQLITE_OK;
}

static int in_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    *rowid = ((in_cursor *)cur)->rowid;
    return SQLITE_OK;
}

static sqlite3_module in_module = {
    .iVersion = 0,
    .xCreate = in_connect,
    .xConnect = in_connect,
    .xBestIndex = in_best_index,
    .xDisconnect = in_disconnect,
    .xDestroy = in_disconnect,
    .xOpen = in_open,
    .xClose = in_close,
    .xFilter = in_filter,
    .xNext = in_take,
    .xEof = in_eof,
    .xColumn = in_column,
    .xRowid = in_rowid,
};

static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void sqlite_setup(void)
{
    /* SQLITE_MISUSE when the program initialized SQLite first: then its choice stands. */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

void cut_sqlite_init(void)
{
    pthread_once(&sqlite_once, sqlite_setup);
}

int cut_expr_compile(const cut_expr_spec *spec, cut_expr **out, cut_error *err)
{
    *out = NULL;
    int rc = CUT_OK;
    cut_buf sql = {0};
    cut_expr *e = calloc(1, sizeof(*e));
    if (!e)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    e->nsrc = spec->nsrc;
    e->nexpr = spec->nexpr;
    e->src_names = calloc((size_t)spec->nsrc + 1, sizeof(char *));
    e->used = calloc((size_t)spec->nsrc + 1, 1);
    e->exprs = calloc((size_t)spec->nexpr + 1, sizeof(char *));
    e->single = calloc((size_t)spec->nexpr + 1, sizeof(sqlite3_stmt *));
    e->inputs = calloc((size_t)spec->nsrc + 1, sizeof(int));
    e->in_kind = calloc((size_t)spec->nsrc + 1, sizeof(cut_kind));
    e->vals = calloc((size_t)spec->nsrc + 1, sizeof(in_val));
    if (!e->src_names || !e->used || !e->exprs || !e->single || !e->inputs || !e->in_kind ||
        !e->vals) {
        rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < spec->nsrc; i++)
        if (!(e->src_names[i] = cut_strdup(spec->src_names[i]))) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
    for (int i = 0; i < spec->nexpr; i++)
        if (!(e->exprs[i] = cut_strdup(spec->exprs[i]))) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory");
            goto done;
        }
    e->where = cut_strdup(spec->where);

    cut_sqlite_init();
    if (sqlite3_open_v2(":memory:", &e->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = cut_error_set(err, CUT_ENOMEM, "cannot open the expression engine");
        goto done;
    }
    if ((rc = cut_sqlfunc_register(e->db, spec->mapping))) {
        cut_error_set(err, rc, "cannot register SQL functions: %s", sqlite3_errmsg(e->db));
        goto done;
    }
    /* A table with the source's column names lets SQLite resolve (and report) names. */
    cut_buf_printf(&sql, "CREATE TABLE %s (", SRC_TABLE);
    for (int i = 0; i < spec->nsrc; i++) {
        if (i)
            cut_buf_append(&sql, ", ", 2);
        quote_ident(&sql, spec->src_names[i]);
    }
    if (spec->nsrc == 0)
        cut_buf_printf(&sql, "__cutover_none");
    cut_buf_printf(&sql, ")");
    if (sqlite3_exec(e->db, cut_buf_cstr(&sql), NULL, NULL, NULL) != SQLITE_OK) {
        /* SQLite's limit (SQLITE_MAX_COLUMN, 2000 by default) on the row expressions see. */
        if (strstr(sqlite3_errmsg(e->db), "too many columns"))
            rc = cut_error_set(err, CUT_EMAPPING,
                               "table %s: source table %s has %d columns, more than expressions "
                               "can see (SQLite's limit: %d); copy its columns by name, without "
                               "expressions or where:, or give the source fewer columns",
                               spec->table, spec->source ? spec->source : spec->table,
                               spec->nsrc, sqlite3_limit(e->db, SQLITE_LIMIT_COLUMN, -1));
        else
            rc = cut_error_set(err, CUT_ESCHEMA, "source table for %s: %s", spec->table,
                               sqlite3_errmsg(e->db));
        cut_error_set_pos(err, spec->file, spec->nexpr ? spec->expr_pos[0].line : spec->where_pos.line,
                          spec->nexpr ? spec->expr_pos[0].col : spec->where_pos.col);
        cut_error_set_table(err, spec->table);
        goto done;
    }
    auth_ctx actx = {e, NULL, 0, 0};
    sqlite3_set_authorizer(e->db, authorizer, &actx);
    for (int i = 0; i < spec->nexpr; i++) {
        /* The column is the error's context: the message need not repeat it. */
        const char *what = spec->expr_names ? "" : "column ?";
        if ((rc = check_one(spec, e, &actx, spec->exprs[i], spec->expr_pos[i], what,
                            spec->expr_names ? spec->expr_names[i] : NULL, &e->single[i], err)))
            goto done;
    }
    if (spec->where && (rc = check_one(spec, e, &actx, spec->where, spec->where_pos, "where",
                                       NULL, &e->where_st, err)))
        goto done;

    cut_arena_init(&e->marena, 64 * 1024);
    if (!actx.impure && actx.selects == spec->nexpr + (spec->where ? 1 : 0) &&
        getenv("CUTOVER_NO_MEMO") == NULL)
        e->slots = calloc(MEMO_SLOTS, sizeof(memo_ent)); /* none: no memo */

    /* The evaluation statement reads only the inputs the expressions use. */
    for (int i = 0; i < spec->nsrc; i++) {
        if (e->used[i]) {
            e->in_kind[e->ninputs] = spec->src_types ? spec->src_types[i].kind : CUT_T_TEXT;
            e->inputs[e->ninputs++] = i;
        }
    }
    cut_buf_reset(&sql);
    cut_buf_printf(&sql, "SELECT ");
    for (int i = 0; i < spec->nexpr; i++)
        cut_buf_printf(&sql, "%s(%s\n)", i ? ", " : "", spec->exprs[i]);
    if (spec->nexpr == 0)
        cut_buf_printf(&sql, "1");
    /* The rows stream through one statement: a virtual table whose next row is the one
       cut_expr_eval hands it, so a row costs a step, not a bind, step and reset. */
    cut_buf t = {0};
    cut_buf_printf(&t, "CREATE TABLE x(");
    for (int k = 0; k < e->ninputs; k++) {
        if (k)
            cut_buf_append(&t, ", ", 2);
        quote_ident(&t, spec->src_names[e->inputs[k]]);
    }
    if (e->ninputs == 0)
        cut_buf_printf(&t, "__cutover_none");
    cut_buf_printf(&t, ")");
    e->vt_schema = t.p;
    sqlite3_set_authorizer(e->db, NULL, NULL); /* the checks are done */
    if (!e->vt_schema ||
        sqlite3_create_module_v2(e->db, "cutover_in", &in_module, e, NULL) != SQLITE_OK ||
        sqlite3_exec(e->db, "CREATE VIRTUAL TABLE temp.__cutover_in USING cutover_in", NULL, NULL,
                     NULL) != SQLITE_OK) {
        rc = cut_error_set(err, CUT_ENOMEM, "expression engine: %s", sqlite3_errmsg(e->db));
        goto done;
    }
    cut_buf_printf(&sql, " FROM temp.__cutover_in");
    /* The filter is a WHERE clause: a row it excludes never evaluates the expressions,
       so `where: d <> 'n/a'` protects `parse_date(d, ...)` as it would in SQL. */
    if (spec->where)
        cut_buf_printf(&sql, " WHERE (%s\n)", spec->where);
    if (sqlite3_prepare_v2(e->db, cut_buf_cstr(&sql), -1, &e->st, NULL) != SQLITE_OK) {
        rc = cut_error_set(err, CUT_EMAPPING, "table %s: expressions do not compile together: %s",
                           spec->table, sqlite3_errmsg(e->db));
        cut_error_set_pos(err, spec->file, 0, 0);
        goto done;
    }
    /* An aggregate query returns its one row even when the WHERE leaves nothing to
       aggregate (count 0, max NULL), so a filtered row would be loaded with made-up values.
       Run over no row at all (the input is not fresh), a statement that still returns one
       aggregates (or fails, which is as uncertain): it is grouped, so that no input row
       means no output row. Only then: the grouping halves the rate of a table whose
       expressions merely call date() (members at SF=20: 0.35 s against 0.60 s). */
    if (spec->where && actx.impure) {
        e->fresh = 0;
        int probe = sqlite3_step(e->st);
        sqlite3_reset(e->st);
        if (probe != SQLITE_DONE) {
            sqlite3_finalize(e->st);
            e->st = NULL;
            cut_buf_printf(&sql, " GROUP BY NULL");
            if (sqlite3_prepare_v2(e->db, cut_buf_cstr(&sql), -1, &e->st, NULL) != SQLITE_OK) {
                rc = cut_error_set(err, CUT_EMAPPING,
                                   "table %s: expressions do not compile together: %s",
                                   spec->table, sqlite3_errmsg(e->db));
                cut_error_set_pos(err, spec->file, 0, 0);
                goto done;
            }
        }
    }
    /* The slow path refills the helper table with the failing row. */
    cut_buf_reset(&sql);
    cut_buf_printf(&sql, "INSERT INTO %s VALUES (", SRC_TABLE);
    for (int i = 0; i < (spec->nsrc ? spec->nsrc : 1); i++)
        cut_buf_printf(&sql, "%s?%d", i ? ", " : "", i + 1);
    cut_buf_printf(&sql, ")");
    if (sqlite3_prepare_v2(e->db, cut_buf_cstr(&sql), -1, &e->fill, NULL) != SQLITE_OK) {
        rc = cut_error_set(err, CUT_ENOMEM, "expression engine: %s", sqlite3_errmsg(e->db));
        goto done;
    }
done:
    cut_buf_free(&sql);
    if (rc) {
        cut_expr_free(e);
        return rc;
    }
    *out = e;
    return CUT_OK;
}

void cut_expr_free(cut_expr *e)
{
    if (!e)
        return;
    sqlite3_finalize(e->st);
    sqlite3_finalize(e->fill);
    sqlite3_finalize(e->where_st);
    if (e->single)
        for (int i = 0; i < e->nexpr; i++)
            sqlite3_finalize(e->single[i]);
    sqlite3_close(e->db);
    if (e->src_names)
        for (int i = 0; i < e->nsrc; i++)
            free(e->src_names[i]);
    if (e->exprs)
        for (int i = 0; i < e->nexpr; i++)
            free(e->exprs[i]);
    free(e->src_names);
    free(e->exprs);
    free(e->where);
    free(e->single);
    free(e->used);
    free(e->vt_schema);
    free(e->inputs);
    free(e->in_kind);
    free(e->vals);
    free(e->slots);
    cut_arena_free(&e->marena);
    cut_buf_free(&e->mkey);
    free(e);
}

const int *cut_expr_inputs(const cut_expr *e, int *n)
{
    *n = e->ninputs;
    return e->inputs;
}

static void bind_input(sqlite3_stmt *st, int i, cut_kind kind, const cut_cell *v)
{
    in_val x;
    input_value(kind, v, &x);
    switch (x.type) {
    case SQLITE_NULL: sqlite3_bind_null(st, i); break;
    case SQLITE_INTEGER: sqlite3_bind_int64(st, i, x.i); break;
    case SQLITE_FLOAT: sqlite3_bind_double(st, i, x.d); break;
    case SQLITE_BLOB: sqlite3_bind_blob(st, i, x.p, x.n, SQLITE_STATIC); break;
    default: sqlite3_bind_text(st, i, x.p, x.n, SQLITE_STATIC); break;
    }
}

/* Copies result column i of st into cell out. */
static int take_result(sqlite3_stmt *st, int i, cut_cell *out, cut_arena *arena)
{
    char num[48];
    const void *p;
    size_t n;
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
        out->p = NULL;
        out->len = 0;
        out->flags = CUT_CELL_NULL;
        return CUT_OK;
    case SQLITE_INTEGER:
        n = (size_t)snprintf(num, sizeof(num), "%lld", (long long)sqlite3_column_int64(st, i));
        p = num;
        break;
    case SQLITE_FLOAT:
        n = (size_t)cut_format_double(sqlite3_column_double(st, i), 64, num);
        p = num;
        break;
    case SQLITE_BLOB:
        p = sqlite3_column_blob(st, i);
        n = (size_t)sqlite3_column_bytes(st, i);
        break;
    default:
        p = sqlite3_column_text(st, i);
        n = (size_t)sqlite3_column_bytes(st, i);
        break;
    }
    char *d = cut_arena_dup(arena, p ? p : "", n);
    if (!d)
        return CUT_ENOMEM;
    out->p = d;
    out->len = (uint32_t)n;
    out->flags = 0;
    return CUT_OK;
}

static void find_failure_in(cut_expr *e, const cut_cell *in, int *failed, cut_buf *msg);

/* After a failure of the whole statement: which expression failed, and why. The helper
   table is emptied afterwards: a subquery over it must never see another row. */
static void find_failure(cut_expr *e, const cut_cell *in, int *failed, cut_buf *msg)
{
    find_failure_in(e, in, failed, msg);
    sqlite3_exec(e->db, "DELETE FROM " SRC_TABLE, NULL, NULL, NULL);
}

static void find_failure_in(cut_expr *e, const cut_cell *in, int *failed, cut_buf *msg)
{
    *failed = -1;
    sqlite3_exec(e->db, "DELETE FROM " SRC_TABLE, NULL, NULL, NULL);
    for (int i = 0; i < e->nsrc; i++) {
        /* Inputs the program does not read are bound NULL: they cannot matter. */
        int k;
        for (k = 0; k < e->ninputs && e->inputs[k] != i; k++)
            ;
        if (k < e->ninputs)
            bind_input(e->fill, i + 1, e->in_kind[k], &in[i]);
        else
            sqlite3_bind_null(e->fill, i + 1);
    }
    sqlite3_step(e->fill);
    sqlite3_reset(e->fill);
    sqlite3_clear_bindings(e->fill);
    if (e->where_st) {
        int rc = sqlite3_step(e->where_st);
        if (rc != SQLITE_ROW) {
            *failed = -1;
            cut_buf_reset(msg);
            cut_buf_printf(msg, "%s", sqlite3_errmsg(e->db));
            sqlite3_reset(e->where_st);
            return;
        }
        sqlite3_reset(e->where_st);
    }
    for (int i = 0; i < e->nexpr; i++) {
        int rc = sqlite3_step(e->single[i]);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            *failed = i;
            cut_buf_reset(msg);
            cut_buf_printf(msg, "%s", sqlite3_errmsg(e->db));
            sqlite3_reset(e->single[i]);
            return;
        }
        sqlite3_reset(e->single[i]);
    }
}

void cut_expr_memo_stats(const cut_expr *e, int *on, uint64_t *looks, uint64_t *hits)
{
    *on = e->slots != NULL;
    *looks = e->looks;
    *hits = e->hits;
}

/* The memo's key of the row: each input's storage class and value. */
static void memo_key(cut_expr *e, cut_buf *k)
{
    cut_buf_reset(k);
    for (int i = 0; i < e->ninputs; i++) {
        const in_val *v = &e->vals[i];
        unsigned char t = (unsigned char)v->type;
        cut_buf_append(k, &t, 1);
        if (v->type == SQLITE_INTEGER) {
            cut_buf_append(k, &v->i, sizeof(v->i));
        } else if (v->type == SQLITE_FLOAT) {
            cut_buf_append(k, &v->d, sizeof(v->d));
        } else if (v->type != SQLITE_NULL) {
            uint32_t n = v->n < 0 ? (uint32_t)strlen(v->p) : (uint32_t)v->n;
            cut_buf_append(k, &n, sizeof(n));
            if (n)
                cut_buf_append(k, v->p, n);
        }
    }
}

static void memo_off(cut_expr *e)
{
    free(e->slots);
    e->slots = NULL;
    e->nent = 0;
    cut_arena_free(&e->marena);
}

/* Keeps the row's results in the free slot found for its key. */
static void memo_put(cut_expr *e, memo_ent *slot, uint64_t h, const cut_cell *out, int keep)
{
    size_t bytes = e->mkey.len + sizeof(cut_cell) * (size_t)(e->nexpr + 1);
    char *key = cut_arena_dup(&e->marena, e->mkey.len ? e->mkey.p : "", e->mkey.len);
    cut_cell *res = cut_arena_alloc(&e->marena, sizeof(cut_cell) * (size_t)(e->nexpr + 1));
    if (!key || !res) {
        memo_off(e);
        return;
    }
    for (int i = 0; keep && i < e->nexpr; i++) {
        res[i] = out[i];
        if (cut_cell_is_null(&out[i]))
            continue;
        if (!(res[i].p = cut_arena_dup(&e->marena, out[i].p, out[i].len))) {
            memo_off(e);
            return;
        }
        bytes += out[i].len + 1;
    }
    slot->h = h;
    slot->key = key;
    slot->klen = e->mkey.len;
    slot->keep = keep;
    slot->out = res;
    e->nent++;
    e->mbytes += bytes;
}

int cut_expr_eval(cut_expr *e, const cut_cell *in, cut_cell *out, cut_arena *arena, int *keep,
                  int *failed_expr, cut_buf *msg)
{
    /* Each input once per row, however often the expressions read it. */
    for (int k = 0; k < e->ninputs; k++)
        input_value(e->in_kind[k], &in[e->inputs[k]], &e->vals[k]);
    memo_ent *slot = NULL;
    uint64_t h = 0;
    if (e->slots) {
        memo_key(e, &e->mkey);
        if (!e->mkey.p && e->ninputs) {
            memo_off(e); /* out of memory for the key: evaluate without */
        } else {
            const char *kp = e->mkey.p ? e->mkey.p : "";
            h = XXH3_64bits(kp, e->mkey.len);
            size_t i = (size_t)h & (MEMO_SLOTS - 1);
            while (e->slots[i].key && (e->slots[i].h != h || e->slots[i].klen != e->mkey.len ||
                                       memcmp(e->slots[i].key, kp, e->mkey.len) != 0))
                i = (i + 1) & (MEMO_SLOTS - 1);
            e->looks++;
            memo_ent *m = &e->slots[i];
            if (m->key) {
                e->hits++;
                *keep = m->keep;
                for (int x = 0; m->keep && x < e->nexpr; x++) {
                    out[x] = m->out[x];
                    if (cut_cell_is_null(&out[x]))
                        continue;
                    if (!(out[x].p = cut_arena_dup(arena, m->out[x].p, m->out[x].len)))
                        return CUT_ENOMEM;
                }
                return CUT_OK;
            }
            if (e->looks >= MEMO_TRIAL && e->hits * 4 < e->looks)
                memo_off(e); /* the rows hardly repeat: keeping them costs more than it saves */
            else if (e->nent < MEMO_MAX_ENTRIES && e->mbytes < MEMO_MAX_BYTES)
                slot = m;
        }
    }
    e->fresh = 1;
    int rc = sqlite3_step(e->st);
    if (rc == SQLITE_DONE) {
        /* The scan found no row: the where clause excluded this one, or the statement
           had ended (an aggregate or window function ends it after one row). Asked
           again from the start, the row is alone, as it is meant to be. */
        sqlite3_reset(e->st);
        e->fresh = 1;
        rc = sqlite3_step(e->st);
        if (rc == SQLITE_DONE) {
            *keep = 0;
            sqlite3_reset(e->st);
            if (slot)
                memo_put(e, slot, h, out, 0);
            return CUT_OK;
        }
    }
    if (rc != SQLITE_ROW) {
        cut_buf_reset(msg);
        cut_buf_printf(msg, "%s", sqlite3_errmsg(e->db));
        sqlite3_reset(e->st);
        find_failure(e, in, failed_expr, msg);
        return CUT_EDATA;
    }
    for (int i = 0; i < e->nexpr; i++) {
        if (take_result(e->st, i, &out[i], arena)) {
            sqlite3_reset(e->st);
            return CUT_ENOMEM;
        }
    }
    *keep = 1;
    if (slot)
        memo_put(e, slot, h, out, 1);
    return CUT_OK;
}
