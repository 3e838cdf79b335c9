/*
 * types.h — internal helpers of the logical type system (types.c, tz.c,
 * json.c) that drivers and the expression engine share: canonical float
 * text, strict integer parsing, civil-date arithmetic, time zone conversion
 * and JSON canonicalization. The canonical forms are described in
 * docs/canonical.md.
 */
#ifndef CUT_TYPES_H
#define CUT_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "cutover.h"

/*
 * Writes the canonical text of v (docs/canonical.md, "float") into buf, which
 * must hold at least 40 bytes, and NUL-terminates it. width 32 first narrows
 * v to float and finds the shortest text that round-trips through float; any
 * other width means 64. NaN → "NaN", ±inf → "Infinity"/"-Infinity", -0 → "0".
 * Returns the length. Locale-independent and thread-safe.
 */
int cut_format_double(double v, int width, char *buf);

/*
 * Parses exactly p/len as a decimal integer: optional '+' or '-', then one or
 * more ASCII digits (leading zeros allowed), nothing else (no whitespace).
 * Returns 0 with *out set, or CUT_EDATA (syntax or overflow; *out untouched).
 */
int cut_parse_int64(const char *p, size_t len, int64_t *out);

/*
 * Parses exactly p/len as a canonical float (docs/canonical.md): a decimal
 * with an optional exponent, or NaN, Infinity, -Infinity; width 32 reads it as
 * a float (no double rounding), else as a double. Locale-independent. Returns
 * 0 with *out set, or CUT_EDATA.
 */
int cut_parse_double(const char *p, size_t len, int width, double *out);

/*
 * Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1..12,
 * d 1..31, not validated), and the inverse. Exact for any int64 year that
 * does not overflow.
 */
int64_t cut_days_from_civil(int64_t y, unsigned m, unsigned d);
void cut_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* Number of days in month m (1..12) of year y (proleptic Gregorian). */
unsigned cut_days_in_month(int64_t y, unsigned m);

/*
 * Converts a naive local wall time in tz to UTC. local_secs counts seconds
 * since 1970-01-01 00:00 of the wall clock; tz NULL means UTC. Returns 0 with
 * *utc_secs set, or CUT_EDATA with *reason (owned by tz, valid while it is
 * open) for a time in a DST gap ("nonexistent local time (DST gap) in
 * Europe/Brussels"), or in an overlap when pol is CUT_DST_REJECT ("ambiguous
 * local time (DST overlap) in ..."); CUT_DST_EARLIER / CUT_DST_LATER pick the
 * earlier or later instant. reason may be NULL.
 */
int cut_tz_local_to_utc(const cut_tz *tz, int64_t local_secs, cut_dst_policy pol, int64_t *utc_secs,
                        const char **reason);

/* cut_canon for a value known to be valid UTF-8 (a source text value cut_canon passed):
   a text type skips the validation, and counts characters only when the length may
   exceed the type's. Any other type: cut_canon. */
int cut_canon_utf8(const cut_type *t, const char *in, size_t len, const cut_canon_opts *opts,
                   cut_buf *out, const char **reason);

/* UTC offset in seconds (east positive) of tz at the instant utc_secs; tz NULL = UTC. */
int32_t cut_tz_utc_offset(const cut_tz *tz, int64_t utc_secs);

/*
 * Canonicalizes the JSON text p/len (RFC 8259, strict) into out, which is
 * reset first: compact, object members sorted by key bytes with the last of
 * duplicate keys kept, strings minimally escaped, numbers normalized like an
 * unconstrained numeric. Returns 0, CUT_EDATA with *reason formatted into out
 * ("invalid JSON at byte 7: expected ':' after an object key"), or
 * CUT_ENOMEM. Nesting deeper than 256 is rejected. Thread-safe; keeps a
 * per-thread scratch buffer for sorting, so it allocates only while buffers
 * grow.
 */
int cut_json_canon(const char *p, size_t len, cut_buf *out, const char **reason);

/*
 * Appends the canonical form of a decimal number to out (no reset), as an
 * unconstrained numeric: used for JSON numbers. p/len must match
 * [+-]digits[.digits][e[+-]digits] (or ".5", "5."). Returns 0, CUT_ENOMEM, or
 * CUT_EDATA with a static *reason.
 */
int cut_numeric_append(const char *p, size_t len, cut_buf *out, const char **reason);

/*
 * Sets *reason to a message formatted into out (reset first) and returns
 * CUT_EDATA; on OOM *reason is a static fallback. reason may be NULL. This is
 * how cut_canon reports "out-owned" reasons.
 */
int cut_reason(cut_buf *out, const char **reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Maximum |exponent| of a decimal literal accepted by numeric and JSON. */
#define CUT_NUMERIC_MAX_EXP 1000

/* encoding.c: source text in a legacy encoding (options.source_encoding). */
typedef enum { CUT_ENC_UTF8 = 0, CUT_ENC_LATIN1, CUT_ENC_CP1252 } cut_encoding;
/* "utf8" (or NULL), "latin1", "cp1252" (and their long names) → enc; CUT_EINVAL else. */
int cut_encoding_parse(const char *name, cut_encoding *out);
/* Transcodes in/len to UTF-8: CUT_CANON_SAME (already the same bytes: ASCII, or enc is
   UTF-8), CUT_CANON_NEW (in out), CUT_EDATA (a byte the encoding leaves undefined). */
int cut_transcode_to_utf8(cut_encoding enc, const char *in, size_t len, cut_buf *out,
                          const char **reason);

#endif
