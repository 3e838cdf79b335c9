/*
 * util.h — small helpers shared by the library (internal): strings, UTF-8,
 * name suggestions, time.
 */
#ifndef CUT_UTIL_H
#define CUT_UTIL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "cutover.h"

#define CUT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define CUT_UNUSED(x) ((void)(x))

char *cut_strdup(const char *s);               /* NULL on NULL or OOM */
char *cut_strndup(const char *s, size_t n);
char *cut_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cut_streq_ci(const char *a, const char *b); /* ASCII case-insensitive equality */
/* Appends owned (taken even on failure, freed then) to the string vector *v of *n;
   CUT_ENOMEM when owned is NULL or the vector cannot grow. */
int cut_strv_push(char ***v, int *n, char *owned);
void cut_strv_free(char **v, int n); /* frees v[0..n) and v */

/*
 * Validates UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
 * Returns 1 if valid; else 0 and *bad_offset = offset of the first bad byte.
 * *nchars (may be NULL) = number of code points when valid.
 */
int cut_utf8_valid(const char *p, size_t len, size_t *nchars, size_t *bad_offset);
/* Decodes one code point at p (valid UTF-8 assumed); returns its byte length. */
int cut_utf8_decode(const unsigned char *p, size_t len, uint32_t *cp);
/* Encodes cp into out (>= 4 bytes); returns the byte length. */
int cut_utf8_encode(uint32_t cp, char *out);

/* Damerau-Levenshtein distance, ASCII case-insensitive (for "did you mean"). */
int cut_edit_distance(const char *a, const char *b);
/*
 * Writes up to three of names[0..n) nearest to word as "a, b or c" into buf
 * (empty if none is close). Returns buf.
 */
const char *cut_suggest(const char *word, const char *const *names, int n, char *buf,
                        size_t size);

/* Monotonic seconds. */
double cut_now(void);
/* Wall clock: ISO 8601 UTC "2026-11-25T02:41:00Z" into buf[21+]. */
const char *cut_utc_iso(double epoch, char *buf, size_t size);
double cut_wallclock(void);

/* Renders a value printable for messages: quotes, escapes control bytes and
   invalid UTF-8 as \xNN, truncates after max bytes with "…". NULL → "NULL". */
const char *cut_printable(const char *p, size_t len, int is_null, size_t max, cut_buf *out);

/*
 * The text of a parsed network URL for a client library that ends the user information
 * at the FIRST '@' (libpq does; cut_url_parse, like most URL parsers, ends it at the
 * last '@' before the host): the user name and password written again percent-encoded,
 * everything after the '@' byte for byte as given, so both split the URL alike. A
 * password holding an unencoded '@' would otherwise be cut in two, its tail taken for
 * the host and quoted in the library's errors. Returns a new string (caller frees; it
 * holds the password: never print it), NULL when out of memory.
 */
char *cut_url_text_encoded(const cut_url *u);
/* The known URL scheme nearest to a misspelt one ("postgresq" → "postgresql"), or NULL
   when none is close; and whether a known scheme names a file (sqlite:, csv:). */
const char *cut_url_scheme_suggest(const char *scheme);
int cut_url_scheme_is_file(const char *scheme);
/*
 * Replaces every occurrence of secret (nothing when NULL or empty) in the message buf
 * (of size bytes) by "***"; where the replacement does not fit, buf is cut before the
 * occurrence, so a secret is never left in place.
 */
void cut_scrub(char *buf, size_t size, const char *secret);

/* Appends s as a JSON string (with quotes) to b. */
int cut_json_string(cut_buf *b, const char *s, size_t len);

/* Number of online CPUs (>= 1). */
int cut_ncpu(void);

/* A step the server undid for a transient conflict (CUT_ERETRY: a deadlock, a lock
   timeout, a serialization failure) is tried this often in all. */
#define CUT_RETRY_ATTEMPTS 4
/*
 * After attempt `attempt` (1-based) of a step that ended with rc: when rc is CUT_ERETRY,
 * attempts are left and *cancel (may be NULL) is not set, logs "WHO: the error; AGAIN
 * (attempt N of 4)", pauses (0.25, 0.5, then 1 s, cut short by *cancel), clears err and
 * returns 1: run the step again. Else returns 0, err untouched.
 */
int cut_retry(int rc, int attempt, volatile sig_atomic_t *cancel, cut_error *err, const char *who,
              const char *again);

#endif
