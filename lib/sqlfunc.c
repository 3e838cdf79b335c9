/*
 * sqlfunc.c — SQL functions that migrations need and SQLite lacks, registered
 * on the expression engine's connection (docs/mapping.md, "Functions"):
 *
 *   lower(x), upper(x)          Unicode case mapping (the built-ins fold ASCII only)
 *   x REGEXP p, regexp(p, x)    PCRE2 match, 1/0
 *   regexp_replace(x, p, r [, flags])   PostgreSQL semantics: first match unless
 *                               flags has 'g'; 'i' ignores case; \1..\9 and \& in r
 *   split_part(x, delim, n)     PostgreSQL semantics (n < 0 counts from the end)
 *   parse_date(x, format)       strptime format → 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS'
 *   lookup(name, key)           value of key in the mapping's lookup table, or NULL
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <locale.h>
#include <pcre2.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wctype.h>

#include "expr.h"
#include "util.h"

/*
 * State of the functions of one connection (each expression engine belongs to one
 * thread): compiled patterns, the last replacement string converted, and a scratch
 * buffer results are built in. SQLite copies a result given as SQLITE_TRANSIENT into
 * its own per-connection memory (lookaside), so a function costs no malloc per row.
 *
 * Compiled patterns: SQLite's aux data cannot hold them, it is dropped at every
 * sqlite3_reset, that is, after every row. A handful of patterns per mapping is the
 * norm: a small array, replaced round-robin when full.
 */
#define RE_SLOTS 32

typedef struct re_entry {
    char *pattern;
    int caseless;
    unsigned gen; /* fn_state.gen when compiled: names this pattern in the memo */
    pcre2_code *code;
    pcre2_match_data *md;
    int klass;               /* 0: not known yet; 1: one character class (drop, below); 2: not */
    unsigned char drop[256]; /* with klass 1: the bytes the class matches */
} re_entry;

/* Bytes after a subject that a JIT-compiled match may read (its SIMD scans look ahead). */
#define JIT_PAD 64

typedef struct fn_state {
    re_entry e[RE_SLOTS];
    int n, next;
    unsigned gen;
    char *repl_raw;  /* the last regexp_replace replacement, as given */
    char *repl_pcre; /* ...and in PCRE2's syntax */
    cut_buf out;
    cut_buf subj;    /* regexp's subject, followed by JIT_PAD zero bytes */
    /* regexp_replace works in these buffers, which then hold the last call: an expression
       often computes the same one twice in a row (CASE WHEN regexp_replace(x, …) LIKE …
       THEN regexp_replace(x, …)), and the second is answered from them. */
    unsigned memo_gen; /* the last call's pattern (re_entry.gen); 0 = no last call */
    int memo_global;
    cut_buf memo_in;   /* its subject, followed by JIT_PAD zero bytes */
    cut_buf memo_out;  /* its result */
} fn_state;

static void re_entry_clear(re_entry *e)
{
    free(e->pattern);
    pcre2_match_data_free(e->md);
    pcre2_code_free(e->code);
    memset(e, 0, sizeof(*e));
}

static void fn_state_free(void *p)
{
    fn_state *c = p;
    if (!c)
        return;
    for (int i = 0; i < c->n; i++)
        re_entry_clear(&c->e[i]);
    free(c->repl_raw);
    free(c->repl_pcre);
    cut_buf_free(&c->out);
    cut_buf_free(&c->subj);
    cut_buf_free(&c->memo_in);
    cut_buf_free(&c->memo_out);
    free(c);
}

/* s[0..n) copied into b (b->len = n) with JIT_PAD zero bytes after it: a JIT-compiled
   match may read past a subject's end, which valgrind reports, and which PCRE2 before
   10.47 could let fault at the end of a page (PCRE2Project/pcre2#984; Debian 12 ships
   10.42). Here it reads the padding. NULL when out of memory. */
static const char *padded(cut_buf *b, const char *s, size_t n)
{
    cut_buf_reset(b);
    if (cut_buf_reserve(b, n + JIT_PAD))
        return NULL;
    memcpy(b->p, s, n);
    memset(b->p + n, 0, JIT_PAD);
    b->len = n;
    return b->p;
}

/* A result built in a scratch buffer, copied by SQLite; told it ends in a NUL when it
   does (and holds none), so that a function reading it as a string needs no copy. */
static void result_text(sqlite3_context *ctx, cut_buf *b, size_t n)
{
    if (!b->p || n >= b->cap) { /* the callers leave room for the NUL; never here */
        sqlite3_result_error_nomem(ctx);
        return;
    }
    b->p[n] = '\0';
    int term = !memchr(b->p, 0, n);
    sqlite3_result_text(ctx, b->p, term ? -1 : (int)n, SQLITE_TRANSIENT);
}

/* ------------------------------------------------------------ lower/upper */

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_locale_init(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static void case_map(sqlite3_context *ctx, sqlite3_value **argv, int upper)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return;
    const unsigned char *s = sqlite3_value_text(argv[0]);
    int n = sqlite3_value_bytes(argv[0]);
    if (!s)
        return;
    fn_state *st = sqlite3_user_data(ctx);
    cut_buf *out = &st->out;
    cut_buf_reset(out);
    if (cut_buf_reserve(out, (size_t)n + 8)) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    /* ASCII, the common case, needs no table but its own. */
    int i = 0;
    for (; i < n && s[i] < 0x80; i++) {
        unsigned char c = s[i];
        if (upper ? c >= 'a' && c <= 'z' : c >= 'A' && c <= 'Z')
            c ^= 0x20;
        out->p[i] = (char)c;
    }
    out->len = (size_t)i;
    if (i < n) {
        pthread_once(&utf8_once, utf8_locale_init);
        size_t bad;
        int valid = cut_utf8_valid((const char *)s + i, (size_t)(n - i), NULL, &bad);
        while (i < n) {
            uint32_t cp;
            int k = valid ? cut_utf8_decode(s + i, (size_t)(n - i), &cp) : 1;
            if (valid && utf8_locale) {
                wint_t w = upper ? towupper_l((wint_t)cp, utf8_locale)
                                 : towlower_l((wint_t)cp, utf8_locale);
                char enc[4];
                int len = cut_utf8_encode((uint32_t)w, enc);
                cut_buf_append(out, enc, (size_t)len);
            } else {
                /* Invalid UTF-8 (or no UTF-8 locale): fold ASCII only, keep other bytes. */
                char c = (char)s[i];
                if (upper && c >= 'a' && c <= 'z')
                    c = (char)(c - 32);
                else if (!upper && c >= 'A' && c <= 'Z')
                    c = (char)(c + 32);
                cut_buf_appendc(out, c);
            }
            i += k > 0 ? k : 1;
        }
        if (!out->p) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
    }
    result_text(ctx, out, out->len);
}

static void fn_lower(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    CUT_UNUSED(argc);
    case_map(ctx, argv, 0);
}

static void fn_upper(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    CUT_UNUSED(argc);
    case_map(ctx, argv, 1);
}

/* ---------------------------------------------------------------- regexps */

/* The compiled pattern in argv[pi] (an error result is set when it does not compile). */
static re_entry *get_regex(sqlite3_context *ctx, sqlite3_value **argv, int pi, int caseless,
                           const char *fname)
{
    fn_state *c = sqlite3_user_data(ctx);
    const char *pat = (const char *)sqlite3_value_text(argv[pi]);
    if (!pat)
        return NULL;
    for (int i = 0; i < c->n; i++)
        if (c->e[i].caseless == caseless && strcmp(c->e[i].pattern, pat) == 0)
            return &c->e[i];
    int errcode;
    PCRE2_SIZE erroff;
    uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | (caseless ? PCRE2_CASELESS : 0);
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, opts, &errcode,
                                     &erroff, NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(errcode, msg, sizeof(msg));
        char *e = sqlite3_mprintf("%s: invalid regular expression '%s' at offset %d: %s", fname,
                                  pat, (int)erroff, (const char *)msg);
        sqlite3_result_error(ctx, e, -1);
        sqlite3_free(e);
        return NULL;
    }
    re_entry *e;
    if (c->n < RE_SLOTS) {
        e = &c->e[c->n++];
    } else {
        e = &c->e[c->next];
        c->next = (c->next + 1) % RE_SLOTS;
        re_entry_clear(e);
    }
    /* JIT-compiled where PCRE2 can (3 to 5 times faster matching); subjects are then
       given padded (padded()). A pattern the JIT refuses runs interpreted. */
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    e->pattern = strdup(pat);
    e->code = code;
    e->caseless = caseless;
    e->gen = ++c->gen ? c->gen : ++c->gen;
    e->md = pcre2_match_data_create_from_pattern(code, NULL);
    if (!e->pattern || !e->md) {
        re_entry_clear(e);
        sqlite3_result_error_nomem(ctx);
        return NULL;
    }
    return e;
}

/* regexp(pattern, subject) — also backs "subject REGEXP pattern". */
static void fn_regexp(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
        return;
    re_entry *rc = get_regex(ctx, argv, 0, 0, "regexp");
    if (!rc)
        return;
    const char *s = (const char *)sqlite3_value_text(argv[1]);
    int n = sqlite3_value_bytes(argv[1]);
    fn_state *st = sqlite3_user_data(ctx);
    const char *ps = s ? padded(&st->subj, s, (size_t)n) : NULL;
    if (!ps) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    int m = pcre2_match(rc->code, (PCRE2_SPTR)ps, (PCRE2_SIZE)n, 0, 0, rc->md, NULL);
    if (m == PCRE2_ERROR_JIT_STACKLIMIT)
        m = pcre2_match(rc->code, (PCRE2_SPTR)ps, (PCRE2_SIZE)n, 0, PCRE2_NO_JIT, rc->md, NULL);
    sqlite3_result_int(ctx, m >= 0);
}

/* PostgreSQL replacement syntax (\1, \&, \\) → PCRE2 extended substitution ($1, $0, $$). */
static char *pg_replacement(const char *r)
{
    cut_buf b = {0};
    for (const char *p = r; *p; p++) {
        if (*p == '\\' && p[1] >= '1' && p[1] <= '9') {
            cut_buf_printf(&b, "${%c}", p[1]);
            p++;
        } else if (*p == '\\' && p[1] == '&') {
            cut_buf_append(&b, "$0", 2);
            p++;
        } else if (*p == '\\' && p[1] == '\\') {
            cut_buf_appendc(&b, '\\');
            p++;
        } else if (*p == '$') {
            cut_buf_append(&b, "$$", 2);
        } else {
            cut_buf_appendc(&b, *p);
        }
    }
    if (!b.p)
        return cut_strdup("");
    return b.p;
}

/*
 * Whether the pattern is one character class of ASCII characters ("[^0-9+]", "[ .()-]")
 * with no escape, nested class or case folding, and if so which bytes it matches, asked
 * of PCRE2 itself one ASCII character at a time; beyond ASCII such a class matches every
 * character (negated) or none, which three probes confirm. regexp_replace(x, class, '',
 * 'g'), the usual way to keep a phone number's digits, then deletes those bytes from a
 * valid UTF-8 subject without a match per character (a UTF-8 character's bytes are all
 * beyond ASCII). Anything else goes through pcre2_substitute.
 */
static int one_class(re_entry *re)
{
    if (re->klass)
        return re->klass == 1;
    re->klass = 2;
    const char *p = re->pattern;
    size_t n = strlen(p);
    if (re->caseless || n < 3 || p[0] != '[' || p[n - 1] != ']')
        return 0;
    for (size_t i = 1; i + 1 < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x80 || c == '[' || c == ']' || c == '\\')
            return 0;
    }
    unsigned char subj[4 + JIT_PAD];
    memset(subj, 0, sizeof(subj));
    for (int c = 0; c < 0x80; c++) {
        subj[0] = (unsigned char)c;
        int rc = pcre2_match(re->code, subj, 1, 0, PCRE2_ANCHORED, re->md, NULL);
        if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
            return 0;
        if (rc >= 0 && pcre2_get_ovector_pointer(re->md)[1] != 1)
            return 0; /* matched something else than the one character */
        re->drop[c] = rc >= 0;
    }
    static const char *const beyond[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
    int negated = p[1] == '^', agree = 1;
    for (int k = 0; k < 3 && agree; k++) {
        size_t len = strlen(beyond[k]);
        memset(subj, 0, sizeof(subj));
        memcpy(subj, beyond[k], len);
        int rc = pcre2_match(re->code, subj, len, 0, PCRE2_ANCHORED, re->md, NULL);
        agree = negated ? rc >= 0 && pcre2_get_ovector_pointer(re->md)[1] == len
                        : rc == PCRE2_ERROR_NOMATCH;
    }
    if (!agree)
        return 0;
    memset(re->drop + 0x80, negated, 0x80);
    re->klass = 1;
    return 1;
}

/* The call's result, n bytes in st->memo_out, is the memo's last call and SQLite's. */
static void memo_result(sqlite3_context *ctx, fn_state *st, const re_entry *re, int global,
                        size_t n)
{
    st->memo_out.len = n;
    st->memo_gen = re->gen;
    st->memo_global = global;
    result_text(ctx, &st->memo_out, n);
}

static void fn_regexp_replace(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    for (int i = 0; i < 3; i++)
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
            return;
    const char *flags = argc > 3 ? (const char *)sqlite3_value_text(argv[3]) : "";
    if (!flags)
        flags = "";
    int global = strchr(flags, 'g') != NULL, caseless = strchr(flags, 'i') != NULL;
    for (const char *f = flags; *f; f++) {
        if (*f != 'g' && *f != 'i') {
            char *e = sqlite3_mprintf("regexp_replace: unknown flag '%c' (use g and/or i)", *f);
            sqlite3_result_error(ctx, e, -1);
            sqlite3_free(e);
            return;
        }
    }
    re_entry *re = get_regex(ctx, argv, 1, caseless, "regexp_replace");
    if (!re)
        return;
    pcre2_code *code = re->code;
    fn_state *st = sqlite3_user_data(ctx);
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    size_t n = (size_t)sqlite3_value_bytes(argv[0]);
    const char *r = (const char *)sqlite3_value_text(argv[2]);
    if (!s || !r) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (!st->repl_raw || strcmp(st->repl_raw, r) != 0) {
        st->memo_gen = 0; /* the memo's result is of another replacement */
        free(st->repl_raw);
        free(st->repl_pcre);
        st->repl_raw = strdup(r);
        st->repl_pcre = pg_replacement(r);
        if (!st->repl_raw || !st->repl_pcre) {
            free(st->repl_raw);
            free(st->repl_pcre);
            st->repl_raw = st->repl_pcre = NULL;
            sqlite3_result_error_nomem(ctx);
            return;
        }
    }
    if (st->memo_gen == re->gen && st->memo_global == global && st->memo_in.len == n &&
        (n == 0 || memcmp(st->memo_in.p, s, n) == 0)) {
        result_text(ctx, &st->memo_out, st->memo_out.len);
        return;
    }
    st->memo_gen = 0; /* until this call's subject and result are in place */
    const char *ps = padded(&st->memo_in, s, n);
    if (!ps) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (global && r[0] == '\0' && one_class(re) && cut_utf8_valid(s, n, NULL, NULL)) {
        cut_buf *out = &st->memo_out;
        cut_buf_reset(out);
        if (cut_buf_reserve(out, n + 1)) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (!re->drop[(unsigned char)ps[i]])
                out->p[k++] = ps[i];
        memo_result(ctx, st, re, global, k);
        return;
    }
    /* Like PostgreSQL, a group that did not take part (or does not exist) is empty. */
    uint32_t opts = PCRE2_SUBSTITUTE_OVERFLOW_LENGTH | PCRE2_SUBSTITUTE_UNSET_EMPTY |
                    PCRE2_SUBSTITUTE_UNKNOWN_UNSET | (global ? PCRE2_SUBSTITUTE_GLOBAL : 0);
    cut_buf *out = &st->memo_out;
    PCRE2_SIZE outlen = n + 64;
    int rc = 0, grown = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        cut_buf_reset(out);
        if (cut_buf_reserve(out, outlen + 1)) {
            rc = PCRE2_ERROR_NOMEMORY;
            break;
        }
        PCRE2_SIZE cap = outlen + 1;
        rc = pcre2_substitute(code, (PCRE2_SPTR)ps, n, 0, opts, NULL, NULL,
                              (PCRE2_SPTR)st->repl_pcre, PCRE2_ZERO_TERMINATED,
                              (PCRE2_UCHAR *)out->p, &cap);
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT && !(opts & PCRE2_NO_JIT)) {
            opts |= PCRE2_NO_JIT; /* too deep for the JIT's stack: the interpreter's heap */
            continue;
        }
        if (rc == PCRE2_ERROR_NOMEMORY && !grown) {
            outlen = cap; /* the length needed, thanks to OVERFLOW_LENGTH */
            grown = 1;
            continue;
        }
        outlen = cap;
        break;
    }
    if (rc < 0) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(rc, msg, sizeof(msg));
        char *e = sqlite3_mprintf("regexp_replace: %s", (const char *)msg);
        sqlite3_result_error(ctx, e, -1);
        sqlite3_free(e);
    } else {
        memo_result(ctx, st, re, global, outlen);
    }
}

/* ------------------------------------------------------------- split_part */

static void fn_split_part(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    for (int i = 0; i < 3; i++)
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
            return;
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    size_t sl = (size_t)sqlite3_value_bytes(argv[0]);
    const char *d = (const char *)sqlite3_value_text(argv[1]);
    size_t dl = (size_t)sqlite3_value_bytes(argv[1]);
    sqlite3_int64 n = sqlite3_value_int64(argv[2]);
    if (n == 0) {
        sqlite3_result_error(ctx, "split_part: field position must not be zero", -1);
        return;
    }
    if (dl == 0) {
        if (n == 1 || n == -1)
            sqlite3_result_text(ctx, s, (int)sl, SQLITE_TRANSIENT);
        else
            sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
        return;
    }
    /* Count the fields first so that negative positions work. */
    sqlite3_int64 nfields = 1;
    for (const char *p = s; (p = memmem(p, sl - (size_t)(p - s), d, dl)); p += dl)
        nfields++;
    sqlite3_int64 want = n > 0 ? n : nfields + n + 1;
    if (want < 1 || want > nfields) {
        sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
        return;
    }
    const char *start = s;
    for (sqlite3_int64 k = 1; k < want; k++)
        start = (const char *)memmem(start, sl - (size_t)(start - s), d, dl) + dl;
    const char *end = memmem(start, sl - (size_t)(start - s), d, dl);
    size_t len = end ? (size_t)(end - start) : sl - (size_t)(start - s);
    sqlite3_result_text(ctx, start, (int)len, SQLITE_TRANSIENT);
}

/* ------------------------------------------------------------- parse_date */

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/*
 * Whether a strptime format reads a time of day (1), only a date (0), or cannot give the
 * same answer everywhere (-1, *why set): %s reads a Unix time through the process's time
 * zone, and %z/%Z read an offset that struct tm would drop.
 */
static int format_has_time(const char *fmt, const char **why)
{
    int with_time = 0;
    for (const char *f = fmt; *f; f++) {
        if (*f != '%')
            continue;
        f++;
        while (*f == 'E' || *f == 'O')
            f++;
        if (!*f)
            break;
        if (strchr("HMSTRIrcXklp", *f))
            with_time = 1;
        if (*f == 's') {
            *why = "%s reads a Unix time in the time zone of the process, which another "
                   "run may not share: use datetime(x, 'unixepoch'), which reads it in UTC";
            return -1;
        }
        if (*f == 'z' || *f == 'Z') {
            *why = "%z would read a UTC offset and drop it, shifting the time: keep the "
                   "text, a timestamptz column takes '2021-03-05 10:00:00+02' as it is";
            return -1;
        }
    }
    return with_time;
}

static void fn_parse_date(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
        return;
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    const char *fmt = (const char *)sqlite3_value_text(argv[1]);
    const char *why = NULL;
    int with_time = format_has_time(fmt, &why);
    if (with_time < 0) {
        char *e = sqlite3_mprintf("parse_date: format '%s': %s", fmt, why);
        sqlite3_result_error(ctx, e, -1);
        sqlite3_free(e);
        return;
    }
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_mday = 1;
    const char *end = strptime(s, fmt, &tm);
    while (end && (*end == ' ' || *end == '\t'))
        end++;
    int y = tm.tm_year + 1900, m = tm.tm_mon + 1;
    if (!end || *end || y < 1 || y > 9999 || m < 1 || m > 12 || tm.tm_mday < 1 ||
        tm.tm_mday > days_in_month(y, m) || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 59) {
        char *e = sqlite3_mprintf("parse_date: '%s' does not match the format '%s'", s, fmt);
        sqlite3_result_error(ctx, e, -1);
        sqlite3_free(e);
        return;
    }
    char out[32];
    int len;
    if (with_time)
        len = snprintf(out, sizeof(out), "%04d-%02d-%02d %02d:%02d:%02d", y, m, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec);
    else
        len = snprintf(out, sizeof(out), "%04d-%02d-%02d", y, m, tm.tm_mday);
    sqlite3_result_text(ctx, out, len, SQLITE_TRANSIENT);
}

/* ----------------------------------------------------------------- lookup */

typedef struct lk_entry {
    const char *key;
    const char *value;
} lk_entry;

typedef struct lk_table {
    const char *name;
    int n;
    lk_entry *e; /* sorted by key */
} lk_table;

typedef struct lk_set {
    int n;
    lk_table *t;
    char *names; /* "a, b" for messages */
} lk_set;

static int lk_cmp(const void *a, const void *b)
{
    return strcmp(((const lk_entry *)a)->key, ((const lk_entry *)b)->key);
}

static void lk_free(void *p)
{
    lk_set *s = p;
    if (!s)
        return;
    for (int i = 0; i < s->n; i++)
        free(s->t[i].e);
    free(s->t);
    free(s->names);
    free(s);
}

/* The set points into the mapping's strings, which outlive the expression engine. */
static lk_set *lk_build(const cut_mapping *m)
{
    lk_set *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    int n = m ? m->nlookups : 0;
    s->t = calloc((size_t)n + 1, sizeof(lk_table));
    if (!s->t)
        goto fail;
    cut_buf names = {0};
    for (int i = 0; i < n; i++) {
        const cut_map_lookup *l = &m->lookups[i];
        lk_table *t = &s->t[s->n++];
        t->name = l->name;
        t->n = l->n;
        t->e = calloc((size_t)l->n + 1, sizeof(lk_entry));
        if (!t->e) {
            cut_buf_free(&names);
            goto fail;
        }
        for (int k = 0; k < l->n; k++) {
            t->e[k].key = l->keys[k];
            t->e[k].value = l->values[k];
        }
        qsort(t->e, (size_t)t->n, sizeof(lk_entry), lk_cmp);
        cut_buf_printf(&names, "%s%s", i ? ", " : "", l->name);
    }
    s->names = names.p ? names.p : cut_strdup("none");
    return s;
fail:
    lk_free(s);
    return NULL;
}

static void fn_lookup(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    lk_set *s = sqlite3_user_data(ctx);
    const char *name = (const char *)sqlite3_value_text(argv[0]);
    if (!name) {
        sqlite3_result_error(ctx, "lookup: the lookup name must not be NULL", -1);
        return;
    }
    lk_table *t = NULL;
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->t[i].name, name) == 0)
            t = &s->t[i];
    if (!t) {
        char *e = sqlite3_mprintf("lookup: unknown lookup '%s' (the mapping defines: %s)", name,
                                  s->names);
        sqlite3_result_error(ctx, e, -1);
        sqlite3_free(e);
        return;
    }
    if (sqlite3_value_type(argv[1]) == SQLITE_NULL)
        return;
    lk_entry key = {(const char *)sqlite3_value_text(argv[1]), NULL};
    lk_entry *hit = bsearch(&key, t->e, (size_t)t->n, sizeof(lk_entry), lk_cmp);
    if (hit && hit->value)
        sqlite3_result_text(ctx, hit->value, -1, SQLITE_TRANSIENT);
}

int cut_sqlfunc_register(struct sqlite3 *db, const cut_mapping *m)
{
    const int det = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    /* One state, shared by the case and regexp functions of this connection; freed with
       the last of them (the last registration holds it through its destructor). */
    fn_state *st = calloc(1, sizeof(fn_state));
    if (!st)
        return CUT_ENOMEM;
    int rc = sqlite3_create_function(db, "lower", 1, det, st, fn_lower, NULL, NULL);
    rc = rc ? rc : sqlite3_create_function(db, "upper", 1, det, st, fn_upper, NULL, NULL);
    rc = rc ? rc : sqlite3_create_function(db, "regexp", 2, det, st, fn_regexp, NULL, NULL);
    rc = rc ? rc
            : sqlite3_create_function(db, "regexp_replace", 3, det, st, fn_regexp_replace,
                                      NULL, NULL);
    if (rc) {
        fn_state_free(st); /* not handed over yet */
        return CUT_ENOMEM;
    }
    /* From here the state belongs to SQLite, which calls the destructor even when this
       registration fails. */
    rc = sqlite3_create_function_v2(db, "regexp_replace", 4, det, st, fn_regexp_replace,
                                    NULL, NULL, fn_state_free);
    rc = rc ? rc
            : sqlite3_create_function(db, "split_part", 3, det, NULL, fn_split_part, NULL, NULL);
    rc = rc ? rc
            : sqlite3_create_function(db, "parse_date", 2, det, NULL, fn_parse_date, NULL, NULL);
    if (rc)
        return CUT_ENOMEM;
    lk_set *s = lk_build(m);
    if (!s)
        return CUT_ENOMEM;
    if (sqlite3_create_function_v2(db, "lookup", 2, det, s, fn_lookup, NULL, NULL, lk_free))
        return CUT_ENOMEM;
    return CUT_OK;
}
