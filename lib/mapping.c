/*
 * mapping.c — mapping files: YAML text → struct cut_mapping (mapping.h).
 *
 * Owns the shape of a mapping file: which keys exist at each level, what kind
 * of YAML node each must be, the option values, ${VAR} substitution, and the
 * file:line:col of every value kept, so that later checks against the
 * databases (plan.c) can point at the line to fix. Whether tables, columns and
 * expressions make sense is decided later, against the databases.
 *
 * libyaml's document API is used: it resolves anchors and aliases and keeps a
 * start mark on every node, which is all the position information needed.
 * The walk is driven by the expected structure (root → tables → table →
 * columns → scalar), never by the document's shape, so a recursive alias
 * cannot make it loop. Errors are reported in file order: the first one wins.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>
#include <yaml.h>

#include "mapping.h"
#include "util.h"

/* Mapping files are hand-written; anything this large is a wrong path (/dev/zero). */
#define MAX_MAPPING_BYTES (64L * 1024 * 1024)
#define MAX_BATCH_ROWS    1000000

static const char *const root_keys[] = {"source", "target", "options", "lookups", "tables"};
static const char *const option_keys[] = {"source_timezone", "zero_dates", "dst_overlap",
                                          "max_rejects",     "reject_dir", "batch_rows",
                                          "source_encoding", "chunk_rows",
                                          "defer_constraints"};
static const char *const table_keys[] = {"from", "key", "where", "max_rejects", "columns"};
static const char *const encodings[] = {"utf8", "latin1", "cp1252"};

typedef struct parse_ctx {
    const char *name; /* file name for messages */
    yaml_document_t *doc;
    cut_error *err;
    cut_buf scratch; /* for describe() */
    /* Set by expand_env: the first ${VAR} without a default that was set but empty. */
    char empty_var[128];
} parse_ctx;

/* ------------------------------------------------------------ positions */

static cut_pos mark_pos(yaml_mark_t mark)
{
    /* libyaml marks are 0-based; ours are 1-based like every editor's. */
    cut_pos p = {(long)mark.line + 1, (long)mark.column + 1};
    return p;
}

static cut_pos node_pos(const yaml_node_t *n)
{
    return mark_pos(n->start_mark);
}

/* Line and column (in characters) of a byte offset, for reader errors that carry no mark. */
static cut_pos offset_pos(const char *text, size_t len, size_t offset)
{
    cut_pos p = {1, 1};
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n') {
            p.line++;
            p.col = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            p.col++;
        }
    }
    return p;
}

/* --------------------------------------------------------------- errors */

static int vfail_at(parse_ctx *c, cut_pos pos, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static int vfail_at(parse_ctx *c, cut_pos pos, const char *fmt, va_list ap)
{
    char msg[sizeof(((cut_error *)0)->msg)];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    cut_error_set(c->err, CUT_EMAPPING, "%s", msg);
    cut_error_set_pos(c->err, c->name, pos.line, pos.col);
    return CUT_EMAPPING;
}

static int fail_at(parse_ctx *c, cut_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(parse_ctx *c, cut_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail_at(c, pos, fmt, ap);
    va_end(ap);
    return rc;
}

/* Fails with CUT_EMAPPING at node n's position. */
static int fail(parse_ctx *c, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(parse_ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail_at(c, node_pos(n), fmt, ap);
    va_end(ap);
    return rc;
}

static int oom(parse_ctx *c)
{
    return cut_error_set(c->err, CUT_ENOMEM, "out of memory while reading mapping %s", c->name);
}

/* -------------------------------------------------------- node helpers */

static const char *sval(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static size_t slen(const yaml_node_t *n)
{
    return n->data.scalar.length;
}

/*
 * YAML 1.1 null: an explicit !!null tag, or a plain scalar that is empty,
 * "~" or null/Null/NULL. libyaml tags every untagged scalar !!str, so the
 * plain spellings must be recognised here.
 */
static int is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE)
        return 0;
    if (n->tag && strcmp((const char *)n->tag, YAML_NULL_TAG) == 0)
        return 1;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    const char *v = sval(n);
    size_t len = slen(n);
    return len == 0 || (len == 1 && v[0] == '~') ||
           (len == 4 && (!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) || !memcmp(v, "NULL", 4)));
}

/* "a mapping", "a sequence", "nothing", or the scalar quoted: for "found ..." messages. */
static const char *describe(parse_ctx *c, const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a sequence";
    case YAML_SCALAR_NODE:
        if (is_null(n))
            return slen(n) ? "null" : "nothing";
        return cut_printable(sval(n), slen(n), 0, 40, &c->scratch);
    default:
        return "nothing";
    }
}

static int key_is(const yaml_node_t *k, const char *s)
{
    size_t n = strlen(s);
    return slen(k) == n && memcmp(sval(k), s, n) == 0;
}

static int pair_count(const yaml_node_t *map)
{
    return (int)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

static yaml_node_t *node_at(parse_ctx *c, int index)
{
    return yaml_document_get_node(c->doc, index);
}

static int has_nul(const yaml_node_t *n)
{
    return memchr(sval(n), '\0', slen(n)) != NULL;
}

/*
 * Checks the key of one pair of map: a non-empty scalar (empty allowed when
 * allow_empty), not a merge key, not a repeat of an earlier key of the same
 * mapping. what names the key ("table", "column", "key"), where says where it
 * is (" in table members"), both for messages.
 */
static int check_key(parse_ctx *c, const yaml_node_t *map, const yaml_node_pair_t *pair,
                     const char *what, const char *where, int allow_empty)
{
    const yaml_node_t *k = node_at(c, pair->key);
    if (k->type != YAML_SCALAR_NODE)
        return fail(c, k, "expected a %s name%s, found %s", what, where, describe(c, k));
    /* libyaml leaves "<<" as an ordinary key; silently keeping it would drop the merge. */
    if (k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && key_is(k, "<<"))
        return fail(c, k,
                    "merge keys (<<) are not supported%s: write the keys out, or use an alias "
                    "(*name) for a whole value",
                    where);
    if (has_nul(k))
        return fail(c, k, "%s name%s contains a NUL character", what, where);
    if (slen(k) == 0 && !allow_empty)
        return fail(c, k, "empty %s name%s", what, where);
    for (const yaml_node_pair_t *p = map->data.mapping.pairs.start; p < pair; p++) {
        const yaml_node_t *prev = node_at(c, p->key);
        if (prev->type == YAML_SCALAR_NODE && slen(prev) == slen(k) &&
            memcmp(sval(prev), sval(k), slen(k)) == 0)
            return fail(c, k, "duplicate %s '%.*s'%s (lines %ld and %ld)", what, (int)slen(k),
                        sval(k), where, node_pos(prev).line, node_pos(k).line);
    }
    return CUT_OK;
}

/* An unknown key: suggests the nearest valid ones, or lists them all when none is near. */
static int unknown_key(parse_ctx *c, const yaml_node_t *k, const char *what, const char *where,
                       const char *const *valid, int nvalid)
{
    char word[128], near[256];
    snprintf(word, sizeof(word), "%.*s", (int)slen(k), sval(k));
    cut_suggest(word, valid, nvalid, near, sizeof(near));
    if (near[0])
        return fail(c, k, "unknown %s '%s'%s (did you mean %s?)", what, word, where, near);
    char all[256];
    size_t off = 0;
    all[0] = '\0';
    for (int i = 0; i < nvalid && off < sizeof(all); i++) {
        int w = snprintf(all + off, sizeof(all) - off, "%s%s", i ? ", " : "", valid[i]);
        if (w > 0)
            off += (size_t)w;
    }
    return fail(c, k, "unknown %s '%s'%s (valid: %s)", what, word, where, all);
}

/* ------------------------------------------------ ${VAR} substitution */

static int env_name_start(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
}

static int env_name_char(char ch)
{
    return env_name_start(ch) || (ch >= '0' && ch <= '9');
}

/*
 * Expands ${VAR}, ${VAR:-default} and $$ in a scalar value. The default is
 * literal text up to the first '}' (no nesting), and is used when VAR is
 * unset or empty, as in the shell. Any other '$' is kept: SQLite identifiers
 * and parameters may contain one. Errors point at the node: inside a quoted
 * or folded scalar, offsets in the value do not map back to the file.
 */
static int expand_env(parse_ctx *c, const yaml_node_t *n, char **out)
{
    const char *in = sval(n);
    size_t len = slen(n);
    cut_buf b = {0};
    int rc = CUT_OK;
    size_t i = 0;
    while (i < len) {
        const char *dollar = memchr(in + i, '$', len - i);
        size_t run = dollar ? (size_t)(dollar - (in + i)) : len - i;
        if (cut_buf_append(&b, in + i, run))
            goto nomem;
        i += run;
        if (i >= len)
            break;
        if (i + 1 < len && in[i + 1] == '$') {
            if (cut_buf_appendc(&b, '$'))
                goto nomem;
            i += 2;
            continue;
        }
        if (i + 1 >= len || in[i + 1] != '{') {
            if (cut_buf_appendc(&b, '$'))
                goto nomem;
            i++;
            continue;
        }
        const char *body = in + i + 2;
        const char *close = memchr(body, '}', len - (i + 2));
        if (!close) {
            rc = fail(c, n, "unterminated ${ in a value (write $$ for a literal $)");
            goto done;
        }
        size_t blen = (size_t)(close - body), nlen = 0;
        if (blen > 0 && env_name_start(body[0]))
            while (nlen < blen && env_name_char(body[nlen]))
                nlen++;
        int has_default =
            nlen > 0 && blen - nlen >= 2 && body[nlen] == ':' && body[nlen + 1] == '-';
        if (nlen == 0 || (nlen != blen && !has_default)) {
            rc = fail(c, n,
                      "invalid ${%.*s}: expected ${NAME} or ${NAME:-default}, NAME made of "
                      "letters, digits and _",
                      (int)blen, body);
            goto done;
        }
        char name[256];
        if (nlen >= sizeof(name)) {
            rc = fail(c, n, "environment variable name too long in ${%.*s}", (int)nlen, body);
            goto done;
        }
        memcpy(name, body, nlen);
        name[nlen] = '\0';
        const char *value = getenv(name);
        if (has_default && (!value || !*value)) {
            if (cut_buf_append(&b, body + nlen + 2, blen - nlen - 2))
                goto nomem;
        } else if (!value) {
            rc = fail(c, n, "environment variable %s is not set (use ${%s:-default})", name, name);
            goto done;
        } else if (!*value && !c->empty_var[0] && nlen < sizeof(c->empty_var)) {
            memcpy(c->empty_var, name, nlen + 1);
        } else if (cut_buf_append(&b, value, strlen(value))) {
            goto nomem;
        }
        i = (size_t)(close - in) + 1;
    }
    if (!cut_buf_cstr(&b))
        goto nomem;
    *out = b.p;
    b.p = NULL;
    goto done;
nomem:
    rc = oom(c);
done:
    cut_buf_free(&b);
    return rc;
}

/* The text of a scalar value, ${VAR}-expanded; *out is malloc'd. */
static int scalar_text(parse_ctx *c, const yaml_node_t *n, char **out)
{
    *out = NULL;
    if (has_nul(n))
        return fail(c, n, "value contains a NUL character");
    return expand_env(c, n, out);
}

/* A required non-empty string value (table name, directory, time zone). */
static int string_value(parse_ctx *c, const yaml_node_t *n, const char *label, const char *expected,
                        char **out, cut_pos *pos)
{
    if (n->type != YAML_SCALAR_NODE || is_null(n))
        return fail(c, n, "%s: expected %s, found %s", label, expected, describe(c, n));
    char *s = NULL;
    int rc = scalar_text(c, n, &s);
    if (rc)
        return rc;
    if (!*s) {
        free(s);
        return fail(c, n, "%s: expected %s, found an empty string", label, expected);
    }
    free(*out);
    *out = s;
    if (pos)
        *pos = node_pos(n);
    return CUT_OK;
}

/* Decimal digits only: YAML 1.1's 0x, 0o, 1_000 and signs are refused rather than guessed. */
static int parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!*s)
        return -1;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        int d = *p - '0';
        if (v > (INT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int int_value(parse_ctx *c, const yaml_node_t *n, const char *label, int64_t min,
                     int64_t max, int64_t *out)
{
    char expected[96];
    if (max == INT64_MAX)
        snprintf(expected, sizeof(expected), "an integer >= %lld", (long long)min);
    else
        snprintf(expected, sizeof(expected), "an integer from %lld to %lld", (long long)min,
                 (long long)max);
    if (n->type != YAML_SCALAR_NODE || is_null(n))
        return fail(c, n, "%s: expected %s, found %s", label, expected, describe(c, n));
    char *s = NULL;
    int rc = scalar_text(c, n, &s);
    if (rc)
        return rc;
    if (parse_int(s, min, max, out))
        rc = fail(c, n, "%s: expected %s, found %s", label, expected,
                  cut_printable(s, strlen(s), 0, 40, &c->scratch));
    free(s);
    return rc;
}

static int is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/*
 * An SQL expression: any scalar, kept verbatim but for surrounding
 * whitespace (a literal block ends with a newline). Plain 0 or null are the
 * expressions "0" and "null": YAML's typing does not apply to SQL text.
 */
static int expr_value(parse_ctx *c, const yaml_node_t *n, const char *label, char **out,
                      cut_pos *pos)
{
    if (n->type != YAML_SCALAR_NODE)
        return fail(c, n, "%s: expected an SQL expression, found %s", label, describe(c, n));
    char *s = NULL;
    int rc = scalar_text(c, n, &s);
    if (rc)
        return rc;
    size_t len = strlen(s), start = 0;
    while (start < len && is_space(s[start]))
        start++;
    while (len > start && is_space(s[len - 1]))
        len--;
    if (len == start) {
        free(s);
        return fail(c, n, "%s: empty expression", label);
    }
    memmove(s, s + start, len - start);
    s[len - start] = '\0';
    *out = s;
    *pos = node_pos(n);
    return CUT_OK;
}

/* ----------------------------------------------------- bare column names */

static int ident_start(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
}

static int ident_char(char ch)
{
    return ident_start(ch) || (ch >= '0' && ch <= '9') || ch == '$';
}

/* Identifiers that SQLite reads as values, not as column names. */
static int is_value_keyword(const char *s)
{
    static const char *const kw[] = {"NULL",         "TRUE",         "FALSE",
                                     "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP"};
    for (size_t i = 0; i < CUT_ARRAY_LEN(kw); i++)
        if (cut_streq_ci(s, kw[i]))
            return 1;
    return 0;
}

/*
 * When expr is just a column name — plain, or an SQL "quoted" identifier —
 * sets *bare to that name (unquoted, "" → "), so the engine can copy the
 * value without evaluating anything. *bare stays NULL otherwise.
 */
static int bare_name(const char *expr, char **bare)
{
    size_t n = strlen(expr);
    *bare = NULL;
    if (ident_start(expr[0])) {
        for (size_t i = 1; i < n; i++)
            if (!ident_char(expr[i]))
                return CUT_OK;
        if (is_value_keyword(expr))
            return CUT_OK;
        *bare = cut_strdup(expr);
        return *bare ? CUT_OK : CUT_ENOMEM;
    }
    if (n < 3 || expr[0] != '"' || expr[n - 1] != '"')
        return CUT_OK;
    char *name = malloc(n);
    if (!name)
        return CUT_ENOMEM;
    size_t o = 0;
    for (size_t i = 1; i < n - 1; i++) {
        if (expr[i] == '"') {
            /* A lone quote ends the identifier early: "a" || "b" is an expression. */
            if (i + 1 >= n - 1 || expr[i + 1] != '"') {
                free(name);
                return CUT_OK;
            }
            i++;
        }
        name[o++] = expr[i];
    }
    name[o] = '\0';
    *bare = name;
    return CUT_OK;
}

/* -------------------------------------------------------------- options */

static int enum_value(parse_ctx *c, const yaml_node_t *n, const char *label,
                      const char *const *names, int count, const char *expected, int *out)
{
    if (n->type != YAML_SCALAR_NODE || is_null(n))
        return fail(c, n, "%s: expected %s, found %s", label, expected, describe(c, n));
    char *s = NULL;
    int rc = scalar_text(c, n, &s);
    if (rc)
        return rc;
    for (int i = 0; i < count; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            goto done;
        }
    }
    char near[128];
    cut_suggest(s, names, count, near, sizeof(near));
    const char *found = cut_printable(s, strlen(s), 0, 40, &c->scratch);
    if (near[0])
        rc = fail(c, n, "%s: expected %s, found %s (did you mean %s?)", label, expected, found,
                  near);
    else
        rc = fail(c, n, "%s: expected %s, found %s", label, expected, found);
done:
    free(s);
    return rc;
}

static int parse_options(parse_ctx *c, cut_map_options *o, const yaml_node_t *node)
{
    if (is_null(node))
        return CUT_OK;
    if (node->type != YAML_MAPPING_NODE)
        return fail(c, node, "options: expected a mapping of option: value, found %s",
                    describe(c, node));
    int rc = CUT_OK;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        rc = check_key(c, node, p, "option", "", 0);
        if (rc)
            return rc;
        const yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
        if (key_is(k, "source_timezone")) {
            rc = string_value(c, v, "source_timezone",
                              "an IANA time zone name such as Europe/Brussels", &o->source_timezone,
                              &o->source_timezone_pos);
        } else if (key_is(k, "zero_dates")) {
            static const char *const names[] = {"null", "reject"};
            int i = 0;
            if (!is_null(v))
                rc = enum_value(c, v, "zero_dates", names, 2, "null or reject", &i);
            o->zero_dates = i == 1 ? CUT_ZERO_REJECT : CUT_ZERO_NULL;
        } else if (key_is(k, "dst_overlap")) {
            static const char *const names[] = {"reject", "earlier", "later"};
            int i = 0;
            rc = enum_value(c, v, "dst_overlap", names, 3, "reject, earlier or later", &i);
            o->dst_overlap = i == 2 ? CUT_DST_LATER : i == 1 ? CUT_DST_EARLIER : CUT_DST_REJECT;
        } else if (key_is(k, "max_rejects")) {
            rc = int_value(c, v, "max_rejects", 0, INT64_MAX, &o->max_rejects);
        } else if (key_is(k, "reject_dir")) {
            rc = string_value(c, v, "reject_dir", "a directory name", &o->reject_dir, NULL);
        } else if (key_is(k, "batch_rows")) {
            int64_t rows = 0;
            rc = int_value(c, v, "batch_rows", 1, MAX_BATCH_ROWS, &rows);
            o->batch_rows = (int)rows;
        } else if (key_is(k, "defer_constraints")) {
            static const char *const names[] = {"false", "true"};
            int i = 0;
            rc = enum_value(c, v, "defer_constraints", names, 2, "true or false", &i);
            o->defer_constraints = i;
        } else if (key_is(k, "chunk_rows")) {
            /* 0 turns chunking off; internally 0 means "not given". */
            int64_t rows = 0;
            rc = int_value(c, v, "chunk_rows", 0, INT64_MAX, &rows);
            o->chunk_rows = rows == 0 ? -1 : rows;
        } else if (key_is(k, "source_encoding")) {
            int i = 0;
            rc = enum_value(c, v, "source_encoding", encodings, (int)CUT_ARRAY_LEN(encodings),
                            "utf8, latin1 or cp1252", &i);
            if (!rc) {
                free(o->source_encoding);
                o->source_encoding = cut_strdup(encodings[i]);
                o->source_encoding_pos = node_pos(v);
                if (!o->source_encoding)
                    rc = oom(c);
            }
        } else {
            rc = unknown_key(c, k, "option", "", option_keys, (int)CUT_ARRAY_LEN(option_keys));
        }
        if (rc)
            return rc;
    }
    return CUT_OK;
}

/* -------------------------------------------------------------- lookups */

static int parse_lookup(parse_ctx *c, cut_map_lookup *l, const yaml_node_t *node)
{
    char where[200];
    snprintf(where, sizeof(where), " in lookup %s", l->name);
    if (is_null(node))
        return CUT_OK;
    if (node->type != YAML_MAPPING_NODE)
        return fail(c, node, "lookup %s: expected a mapping of key: value, found %s", l->name,
                    describe(c, node));
    int n = pair_count(node);
    l->keys = calloc((size_t)n + 1, sizeof(char *));
    l->values = calloc((size_t)n + 1, sizeof(char *));
    if (!l->keys || !l->values)
        return oom(c);
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        /* An empty key is a real lookup key (a blank legacy code). */
        int rc = check_key(c, node, p, "key", where, 1);
        if (rc)
            return rc;
        const yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
        int i = l->n++;
        l->keys[i] = cut_strndup(sval(k), slen(k));
        if (!l->keys[i])
            return oom(c);
        if (is_null(v))
            continue;
        if (v->type != YAML_SCALAR_NODE)
            return fail(c, v, "lookup %s, key '%s': expected a scalar value, found %s", l->name,
                        l->keys[i], describe(c, v));
        rc = scalar_text(c, v, &l->values[i]);
        if (rc)
            return rc;
    }
    return CUT_OK;
}

static int parse_lookups(parse_ctx *c, cut_mapping *m, const yaml_node_t *node)
{
    if (is_null(node))
        return CUT_OK;
    if (node->type != YAML_MAPPING_NODE)
        return fail(c, node, "lookups: expected a mapping of lookup name: {key: value}, found %s",
                    describe(c, node));
    m->lookups = calloc((size_t)pair_count(node) + 1, sizeof(cut_map_lookup));
    if (!m->lookups)
        return oom(c);
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        int rc = check_key(c, node, p, "lookup", "", 0);
        if (rc)
            return rc;
        const yaml_node_t *k = node_at(c, p->key);
        cut_map_lookup *l = &m->lookups[m->nlookups++];
        l->name = cut_strndup(sval(k), slen(k));
        l->pos = node_pos(k);
        if (!l->name)
            return oom(c);
        rc = parse_lookup(c, l, node_at(c, p->value));
        if (rc)
            return rc;
    }
    return CUT_OK;
}

/* --------------------------------------------------------------- tables */

/* `key:` one column name, or a list of them. */
static int parse_key(parse_ctx *c, cut_map_table *t, const yaml_node_t *node)
{
    char label[200];
    snprintf(label, sizeof(label), "table %s: key", t->target);
    const char *expected = "a column name or a list of column names";
    t->key_pos = node_pos(node);
    if (node->type == YAML_SCALAR_NODE && !is_null(node)) {
        t->key = calloc(1, sizeof(char *));
        if (!t->key)
            return oom(c);
        t->nkey = 1;
        return string_value(c, node, label, expected, &t->key[0], NULL);
    }
    if (node->type != YAML_SEQUENCE_NODE)
        return fail(c, node, "%s: expected %s, found %s", label, expected, describe(c, node));
    yaml_node_item_t *items = node->data.sequence.items.start;
    int n = (int)(node->data.sequence.items.top - items);
    if (n == 0)
        return fail(c, node, "%s: expected %s, found an empty list", label, expected);
    t->key = calloc((size_t)n, sizeof(char *));
    if (!t->key)
        return oom(c);
    for (int i = 0; i < n; i++) {
        const yaml_node_t *item = node_at(c, items[i]);
        int rc = string_value(c, item, label, "a column name", &t->key[t->nkey], NULL);
        if (rc)
            return rc;
        t->nkey++;
        for (int j = 0; j < i; j++)
            if (strcmp(t->key[j], t->key[i]) == 0)
                return fail(c, item, "%s: column '%s' is listed twice", label, t->key[i]);
    }
    return CUT_OK;
}

static int parse_columns(parse_ctx *c, cut_map_table *t, const yaml_node_t *node)
{
    t->has_columns = 1;
    /* Present but empty is ambiguous (copy all? copy none?), so it is refused. */
    if (is_null(node) || (node->type == YAML_MAPPING_NODE && pair_count(node) == 0))
        return fail(c, node,
                    "table %s: columns is empty (remove columns: to copy every column by name)",
                    t->target);
    if (node->type != YAML_MAPPING_NODE)
        return fail(c, node,
                    "table %s: columns: expected a mapping of target column: expression, "
                    "found %s",
                    t->target, describe(c, node));
    char where[200];
    snprintf(where, sizeof(where), " in table %s", t->target);
    t->cols = calloc((size_t)pair_count(node), sizeof(cut_map_column));
    if (!t->cols)
        return oom(c);
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        int rc = check_key(c, node, p, "column", where, 0);
        if (rc)
            return rc;
        const yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
        cut_map_column *col = &t->cols[t->ncols++];
        col->target = cut_strndup(sval(k), slen(k));
        col->target_pos = node_pos(k);
        if (!col->target)
            return oom(c);
        char label[300];
        snprintf(label, sizeof(label), "table %s, column %s", t->target, col->target);
        rc = expr_value(c, v, label, &col->expr, &col->expr_pos);
        if (rc)
            return rc;
        if (bare_name(col->expr, &col->bare))
            return oom(c);
    }
    return CUT_OK;
}

static int parse_table(parse_ctx *c, cut_map_table *t, const yaml_node_t *node)
{
    int rc = CUT_OK;
    char where[200], label[200];
    snprintf(where, sizeof(where), " in table %s", t->target);
    /* `bookings:` with nothing after it reads like `bookings: {}`. */
    if (!is_null(node) && node->type != YAML_MAPPING_NODE)
        return fail(c, node,
                    "table %s: expected a mapping of from, key, where, max_rejects and columns, "
                    "found %s",
                    t->target, describe(c, node));
    if (node->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
             p++) {
            rc = check_key(c, node, p, "key", where, 0);
            if (rc)
                return rc;
            const yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
            if (key_is(k, "from")) {
                snprintf(label, sizeof(label), "table %s: from", t->target);
                rc = string_value(c, v, label, "a source table name", &t->source, &t->source_pos);
            } else if (key_is(k, "key")) {
                rc = parse_key(c, t, v);
            } else if (key_is(k, "where")) {
                snprintf(label, sizeof(label), "table %s: where", t->target);
                rc = expr_value(c, v, label, &t->where, &t->where_pos);
            } else if (key_is(k, "max_rejects")) {
                snprintf(label, sizeof(label), "table %s: max_rejects", t->target);
                rc = int_value(c, v, label, 0, INT64_MAX, &t->max_rejects);
            } else if (key_is(k, "columns")) {
                rc = parse_columns(c, t, v);
            } else {
                rc = unknown_key(c, k, "key", where, table_keys, (int)CUT_ARRAY_LEN(table_keys));
            }
            if (rc)
                return rc;
        }
    }
    if (!t->source) {
        /* Errors about the defaulted source table point at the table's name. */
        t->source = cut_strdup(t->target);
        t->source_pos = t->pos;
        if (!t->source)
            return oom(c);
    }
    return CUT_OK;
}

static int parse_tables(parse_ctx *c, cut_mapping *m, const yaml_node_t *node)
{
    if (node->type != YAML_MAPPING_NODE)
        return fail(c, node, "tables: expected a mapping of target tables, found %s",
                    describe(c, node));
    if (pair_count(node) == 0)
        return fail(c, node, "tables: no tables (at least one target table is required)");
    m->tables = calloc((size_t)pair_count(node), sizeof(cut_map_table));
    if (!m->tables)
        return oom(c);
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        int rc = check_key(c, node, p, "table", "", 0);
        if (rc)
            return rc;
        const yaml_node_t *k = node_at(c, p->key);
        cut_map_table *t = &m->tables[m->ntables++];
        t->max_rejects = -1;
        t->target = cut_strndup(sval(k), slen(k));
        t->pos = node_pos(k);
        if (!t->target)
            return oom(c);
        rc = parse_table(c, t, node_at(c, p->value));
        if (rc)
            return rc;
    }
    return CUT_OK;
}

/* ----------------------------------------------------------------- root */

/*
 * source/target: absent, null or empty all mean "given on the command line". A value
 * that a ${VAR} set but empty left empty is remembered (*empty_var, at *pos): a command
 * without --source/--target then names the variable rather than a missing URL.
 */
static int parse_url(parse_ctx *c, const yaml_node_t *n, const char *label, char **out,
                     cut_pos *pos, char **empty_var)
{
    if (is_null(n))
        return CUT_OK;
    /* The value is not echoed: it may hold a password. */
    if (n->type != YAML_SCALAR_NODE)
        return fail(c, n, "%s: expected a connection URL, found %s", label,
                    n->type == YAML_MAPPING_NODE ? "a mapping" : "a sequence");
    char *s = NULL;
    c->empty_var[0] = '\0';
    int rc = scalar_text(c, n, &s);
    if (rc)
        return rc;
    *pos = node_pos(n);
    if (!*s) {
        free(s);
        if (c->empty_var[0] && !(*empty_var = cut_strdup(c->empty_var)))
            return oom(c);
        return CUT_OK;
    }
    *out = s;
    return CUT_OK;
}

static int parse_root(parse_ctx *c, cut_mapping *m, const yaml_node_t *root)
{
    if (root->type != YAML_MAPPING_NODE)
        return fail(c, root,
                    "expected a mapping of source, target, options, lookups and tables at the "
                    "top level, found %s",
                    describe(c, root));
    int seen_tables = 0;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        int rc = check_key(c, root, p, "key", " at the top level", 0);
        if (rc)
            return rc;
        const yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
        if (key_is(k, "source")) {
            rc = parse_url(c, v, "source", &m->source, &m->source_pos, &m->source_empty_var);
        } else if (key_is(k, "target")) {
            rc = parse_url(c, v, "target", &m->target, &m->target_pos, &m->target_empty_var);
        } else if (key_is(k, "options")) {
            rc = parse_options(c, &m->opts, v);
        } else if (key_is(k, "lookups")) {
            rc = parse_lookups(c, m, v);
        } else if (key_is(k, "tables")) {
            seen_tables = 1;
            rc = parse_tables(c, m, v);
        } else {
            rc = unknown_key(c, k, "key", " at the top level", root_keys,
                             (int)CUT_ARRAY_LEN(root_keys));
        }
        if (rc)
            return rc;
    }
    if (!seen_tables)
        return fail(c, root, "missing tables: (the target tables to fill, each with its source)");
    return CUT_OK;
}

/* libyaml's own diagnosis (scanner, parser, composer), at its mark. */
static int yaml_error(parse_ctx *c, const yaml_parser_t *y, const char *text, size_t len)
{
    /* Some of libyaml's allocation failures return 0 without setting an error. */
    if (y->error == YAML_MEMORY_ERROR || y->error == YAML_NO_ERROR)
        return oom(c);
    const char *problem = y->problem ? y->problem : "syntax error";
    if (y->error == YAML_READER_ERROR) {
        cut_pos pos = offset_pos(text, len, y->problem_offset);
        if (y->problem_value >= 0)
            return fail_at(c, pos, "invalid YAML: %s (byte 0x%02X; mapping files are UTF-8)",
                           problem, (unsigned)y->problem_value);
        return fail_at(c, pos, "invalid YAML: %s", problem);
    }
    cut_pos pos = mark_pos(y->problem_mark);
    if (y->context) {
        cut_pos at = mark_pos(y->context_mark);
        return fail_at(c, pos, "invalid YAML: %s (%s at line %ld, column %ld)", problem, y->context,
                       at.line, at.col);
    }
    return fail_at(c, pos, "invalid YAML: %s", problem);
}

/* ------------------------------------------------------------------ API */

int cut_mapping_parse(const char *name, const char *text, size_t len, cut_mapping **out,
                      cut_error *err)
{
    int rc = CUT_OK;
    parse_ctx c = {.name = name ? name : "<mapping>", .err = err};
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    int have_parser = 0, have_doc = 0, have_extra = 0;
    cut_mapping *m = NULL;

    if (!out || (!text && len))
        return cut_error_set(err, CUT_EINVAL, "cut_mapping_parse: invalid arguments");
    *out = NULL;
    if (!text)
        text = "";
    m = calloc(1, sizeof(*m));
    if (!m || !(m->path = cut_strdup(c.name))) {
        rc = oom(&c);
        goto done;
    }
    XXH128_hash_t h = XXH3_128bits(text, len);
    snprintf(m->hash, sizeof(m->hash), "%016llx%016llx", (unsigned long long)h.high64,
             (unsigned long long)h.low64);

    if (!yaml_parser_initialize(&parser)) {
        rc = oom(&c);
        goto done;
    }
    have_parser = 1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = yaml_error(&c, &parser, text, len);
        goto done;
    }
    have_doc = 1;
    c.doc = &doc;
    const yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        rc = fail_at(&c, (cut_pos){1, 1}, "empty mapping file (expected at least tables:)");
        goto done;
    }
    rc = parse_root(&c, m, root);
    if (rc)
        goto done;
    /* A second document would otherwise be ignored without a word. */
    if (!yaml_parser_load(&parser, &extra)) {
        rc = yaml_error(&c, &parser, text, len);
        goto done;
    }
    have_extra = 1;
    if (yaml_document_get_root_node(&extra)) {
        rc = fail_at(&c, mark_pos(extra.start_mark),
                     "more than one YAML document (a mapping file holds one; remove the ---)");
        goto done;
    }
    *out = m;
    m = NULL;
done:
    if (have_extra)
        yaml_document_delete(&extra);
    if (have_doc)
        yaml_document_delete(&doc);
    if (have_parser)
        yaml_parser_delete(&parser);
    cut_buf_free(&c.scratch);
    cut_mapping_free(m);
    return rc;
}

int cut_mapping_load(const char *path, cut_mapping **out, cut_error *err)
{
    int rc = CUT_OK;
    cut_buf text = {0};
    FILE *f = NULL;

    if (!path || !out)
        return cut_error_set(err, CUT_EINVAL, "cut_mapping_load: invalid arguments");
    *out = NULL;
    f = fopen(path, "rb");
    if (!f) {
        /* A URL given in place of the mapping must not be echoed with its password. */
        int e = errno;
        char *shown = cut_url_redact(path);
        rc = cut_error_set(err, CUT_EIO, "cannot read mapping %s: %s", shown ? shown : "",
                           strerror(e));
        free(shown);
        goto done;
    }
    for (;;) {
        if (cut_buf_reserve(&text, 65536)) {
            rc = cut_error_set(err, CUT_ENOMEM, "out of memory while reading mapping %s", path);
            goto done;
        }
        size_t got = fread(text.p + text.len, 1, text.cap - text.len - 1, f);
        text.len += got;
        if (got == 0) {
            if (ferror(f)) {
                rc = cut_error_set(err, CUT_EIO, "cannot read mapping %s: %s", path,
                                   strerror(errno));
                goto done;
            }
            break;
        }
        if (text.len > (size_t)MAX_MAPPING_BYTES) {
            rc = cut_error_set(err, CUT_EIO, "cannot read mapping %s: larger than %ld MiB", path,
                               MAX_MAPPING_BYTES >> 20);
            goto done;
        }
    }
    rc = cut_mapping_parse(path, text.p, text.len, out, err);
done:
    if (f)
        fclose(f);
    cut_buf_free(&text);
    return rc;
}

void cut_mapping_free(cut_mapping *m)
{
    if (!m)
        return;
    free(m->path);
    free(m->source);
    free(m->target);
    free(m->source_empty_var);
    free(m->target_empty_var);
    free(m->opts.source_timezone);
    free(m->opts.reject_dir);
    free(m->opts.source_encoding);
    for (int i = 0; i < m->ntables; i++) {
        cut_map_table *t = &m->tables[i];
        free(t->target);
        free(t->source);
        for (int k = 0; k < t->nkey; k++)
            free(t->key[k]);
        free(t->key);
        free(t->where);
        for (int k = 0; k < t->ncols; k++) {
            free(t->cols[k].target);
            free(t->cols[k].expr);
            free(t->cols[k].bare);
        }
        free(t->cols);
    }
    free(m->tables);
    for (int i = 0; i < m->nlookups; i++) {
        cut_map_lookup *l = &m->lookups[i];
        free(l->name);
        for (int k = 0; k < l->n; k++) {
            free(l->keys[k]);
            free(l->values[k]);
        }
        free(l->keys);
        free(l->values);
    }
    free(m->lookups);
    free(m);
}

/* The URL came from the command line: no file position applies any more. */
static int set_url(char **slot, cut_pos *pos, char **empty_var, const char *url, const char *what,
                   cut_error *err)
{
    if (!url || !*url)
        return cut_error_set(err, CUT_EINVAL, "empty %s URL", what);
    char *copy = cut_strdup(url);
    if (!copy)
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    free(*slot);
    *slot = copy;
    free(*empty_var);
    *empty_var = NULL;
    pos->line = pos->col = 0;
    return CUT_OK;
}

int cut_mapping_set_source(cut_mapping *m, const char *url, cut_error *err)
{
    if (!m)
        return cut_error_set(err, CUT_EINVAL, "cut_mapping_set_source: no mapping");
    return set_url(&m->source, &m->source_pos, &m->source_empty_var, url, "source", err);
}

int cut_mapping_set_target(cut_mapping *m, const char *url, cut_error *err)
{
    if (!m)
        return cut_error_set(err, CUT_EINVAL, "cut_mapping_set_target: no mapping");
    return set_url(&m->target, &m->target_pos, &m->target_empty_var, url, "target", err);
}

int cut_mapping_need_urls(const cut_mapping *m, int need, cut_error *err)
{
    /* An empty variable is the likely cause (export URL=$(vault read ...) that printed
       nothing): say which, and where the mapping uses it. */
    for (int side = 0; side < 2; side++) {
        const char *what = side ? "target" : "source";
        const char *var = side ? m->target_empty_var : m->source_empty_var;
        const cut_pos *pos = side ? &m->target_pos : &m->source_pos;
        if (!(need & (side ? CUT_NEED_TARGET : CUT_NEED_SOURCE)) ||
            (side ? m->target : m->source) || !var)
            continue;
        cut_error_set(err, CUT_EMAPPING,
                      "%s: environment variable %s is set but empty: the mapping has no %s URL "
                      "(set %s, or give --%s URL)",
                      what, var, what, var, what);
        cut_error_set_pos(err, m->path, pos->line, pos->col);
        return CUT_EMAPPING;
    }
    if ((need & CUT_NEED_SOURCE) && !m->source)
        goto missing;
    if ((need & CUT_NEED_TARGET) && !m->target)
        goto missing;
    return CUT_OK;
missing:
    cut_error_set(err, CUT_EMAPPING, "%s",
                  need == CUT_NEED_TARGET ? "the mapping has no target URL"
                                          : "the mapping needs a source and a target URL");
    cut_error_set_pos(err, m->path, 0, 0);
    return CUT_EMAPPING;
}

const char *cut_mapping_path(const cut_mapping *m)
{
    return m ? m->path : NULL;
}

const char *cut_mapping_source(const cut_mapping *m)
{
    return m ? m->source : NULL;
}

const char *cut_mapping_target(const cut_mapping *m)
{
    return m ? m->target : NULL;
}

int cut_mapping_table_count(const cut_mapping *m)
{
    return m ? m->ntables : 0;
}

const char *cut_mapping_table_name(const cut_mapping *m, int i)
{
    if (!m || i < 0 || i >= m->ntables)
        return NULL;
    return m->tables[i].target;
}

const char *cut_mapping_hash(const cut_mapping *m)
{
    return m ? m->hash : NULL;
}

int cut_mapping_find_table(const cut_mapping *m, const char *target)
{
    if (!m || !target)
        return -1;
    for (int i = 0; i < m->ntables; i++)
        if (strcmp(m->tables[i].target, target) == 0)
            return i;
    return -1;
}
