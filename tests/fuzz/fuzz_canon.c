/*
 * fuzz_canon.c — libFuzzer target for canonicalization (lib/types.c, lib/json.c,
 * lib/tz.c): cut_canon for every kind of cut_type, and cut_json_canon.
 *
 * The first two bytes pick the type and options; the rest is the value.
 *   byte 0: bits 0..3 the kind (mod 13, CUT_T_UNKNOWN .. CUT_T_JSON), bit 4
 *           zero_dates = reject, bits 5..6 the DST overlap policy;
 *   byte 1: the kind's parameters —
 *           int: width {default, 8, 16, 24, 32, 64, 7, 64} (bits 0..2), unsigned (bit 3);
 *           numeric: precision 3 * (bits 0..3) (0 = unconstrained), scale (bits 4..7) - 1;
 *           float: width 32 (bit 0) or 64;
 *           text: length (bits 0..2, 0 = unlimited), CUT_TF_FIXED, _NO_NUL, _BMP_ONLY,
 *                 _LATIN1 (bits 3..6);
 *           time, timestamp, timestamptz: precision (bits 0..3) - 1, source time zone
 *                 (bits 4..5: none, Europe/Brussels, Australia/Lord_Howe, America/St_Johns);
 *           bytes: length (bits 0..3).
 *
 * Properties, besides "no crash, no leak, no undefined behaviour":
 *  - the result is SAME, NEW, NULL or EDATA (or ENOMEM); EDATA comes with a reason;
 *    NULL only for a zero date of a date or timestamp kind under zero_dates = null;
 *  - idempotence: a canonical value (the input when SAME, out when NEW)
 *    canonicalizes to itself with CUT_CANON_SAME — under a different source
 *    time zone too, since a canonical timestamptz carries its offset;
 *  - canonical values of non-text kinds have no surrounding whitespace, text
 *    stays valid UTF-8;
 *  - a float keeps its value: strtod/strtof read the same number from both; an
 *    int or numeric is within half a unit of its last kept digit (strtold);
 *  - time zones: the naive canonical form of a timestamptz value (what the
 *    timestamp kind makes of it), read in the chosen zone, gives the instant
 *    glibc's localtime maps back to that wall time (reading the same TZif file):
 *    none in a DST gap (refused), the earlier or later of two in an overlap;
 *  - JSON: cut_json_canon of the value, when it succeeds, is a fixed point of
 *    cut_json_canon, and equals what cut_canon gives for the json kind.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "types.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const zone_names[4] = {"UTC", "Europe/Brussels", "Australia/Lord_Howe",
                                          "America/St_Johns"};
static cut_tz *zones[4]; /* [0] stays NULL: UTC */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    for (int i = 1; i < 4; i++) {
        cut_error err;
        cut_error_clear(&err);
        if (cut_tz_open(zone_names[i], &zones[i], &err) != CUT_OK)
            zones[i] = NULL; /* no tzdata: those inputs run in UTC */
    }
    return 0;
}

/* ------------------------------------- time zones, against the C library */

/* "YYYY-MM-DD HH:MM:SS" at p as seconds since the epoch (UTC); *rest = what follows. */
static int64_t civil_secs(const char *p, size_t n, const char **rest)
{
    int y, mo, d, h, mi, sec, used = 0;
    char tmp[32];
    if (n < 19)
        abort();
    memcpy(tmp, p, 19);
    tmp[19] = '\0';
    if (sscanf(tmp, "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
        used != 19)
        abort();
    *rest = p + 19;
    return cut_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec;
}

static int libc_zone = -1;

/* UTC offset of zone z at instant t, by glibc's reading of the same TZif file. */
static long libc_offset(int z, int64_t t)
{
    if (libc_zone != z) {
        setenv("TZ", zone_names[z], 1);
        tzset();
        libc_zone = z;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    if (!localtime_r(&tt, &tm))
        abort();
    return tm.tm_gmtoff;
}

/*
 * The naive canonical timestamp n/nlen, read as a wall time in zone z, must
 * give the instant glibc's localtime maps back to that wall time: the only
 * one, the earlier or later of two (DST overlap, by policy), or none (DST gap:
 * refused). cutover reads TZif files itself (lib/tz.c); this is a second opinion.
 */
static void check_zone(const cut_type *naive_type, const char *n, size_t nlen, int z,
                       const cut_canon_opts *o)
{
    const char *frac;
    int64_t wall = civil_secs(n, nlen, &frac);
    int64_t cand[3];
    int ncand = 0;
    for (int k = -1; k <= 1; k++) {
        long off = libc_offset(z, wall + k * 2 * 86400);
        int64_t u = wall - off;
        if (libc_offset(z, u) != off)
            continue;
        int dup = 0;
        for (int i = 0; i < ncand; i++)
            dup |= cand[i] == u;
        if (!dup)
            cand[ncand++] = u;
    }
    int64_t want = 0;
    int refuse = ncand == 0 || (ncand > 1 && o->dst_overlap == CUT_DST_REJECT);
    if (!refuse) {
        want = cand[0];
        for (int i = 1; i < ncand; i++)
            if (o->dst_overlap == CUT_DST_LATER ? cand[i] > want : cand[i] < want)
                want = cand[i];
    }
    cut_type t = *naive_type;
    t.kind = CUT_T_TIMESTAMPTZ;
    cut_buf out = {0};
    const char *why = NULL;
    int rc = cut_canon(&t, n, nlen, o, &out, &why);
    if (rc == CUT_EDATA) {
        /* Refused: a gap or a refused overlap, or an instant outside years 1 to 9999. */
        if (!refuse && want >= cut_days_from_civil(1, 1, 1) * 86400 &&
            want < cut_days_from_civil(10000, 1, 1) * 86400)
            abort();
    } else {
        if (rc != CUT_CANON_NEW || refuse)
            abort();
        const char *ofrac;
        if (civil_secs(out.p, out.len, &ofrac) != want)
            abort();
        /* The same fraction, then "+00". */
        size_t fl = nlen - (size_t)(frac - n);
        if (out.len != 19 + fl + 3 || memcmp(ofrac, frac, fl) != 0 || memcmp(ofrac + fl, "+00", 3))
            abort();
    }
    cut_buf_free(&out);
}

static cut_type pick_type(uint8_t b0, uint8_t b1, const cut_tz **tz)
{
    static const int int_widths[8] = {0, 8, 16, 24, 32, 64, 7, 64};
    cut_type t;
    memset(&t, 0, sizeof(t));
    t.kind = (cut_kind)((b0 & 15) % 13);
    t.scale = -1;
    *tz = NULL;
    switch (t.kind) {
    case CUT_T_INT:
        t.width = int_widths[b1 & 7];
        t.flags = (b1 & 8) ? CUT_TF_UNSIGNED : 0;
        break;
    case CUT_T_NUMERIC:
        t.precision = 3 * (b1 & 15);
        t.scale = (b1 >> 4) - 1;
        break;
    case CUT_T_FLOAT:
        t.width = (b1 & 1) ? 32 : 64;
        break;
    case CUT_T_TEXT:
        t.length = b1 & 7;
        t.flags = (unsigned)((b1 >> 3) & 15) << 1;
        break;
    case CUT_T_TIME:
    case CUT_T_TIMESTAMP:
    case CUT_T_TIMESTAMPTZ:
        t.precision = (b1 & 15) - 1;
        *tz = zones[(b1 >> 4) & 3];
        break;
    case CUT_T_BYTES:
        t.length = b1 & 15;
        break;
    default:
        break;
    }
    return t;
}

static int is_ws(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * An int or numeric keeps its value within the rounding its scale allows:
 * strtold (64-bit mantissa) reads both; the slack covers its own rounding.
 */
static int close_number(const char *a, size_t an, const char *b, size_t bn, int scale)
{
    char *x = cut_strndup(a, an), *y = cut_strndup(b, bn);
    if (!x || !y)
        abort();
    long double u = strtold(x, NULL), v = strtold(y, NULL);
    free(x);
    free(y);
    if (isnan(u) || isnan(v) || isinf(u) || isinf(v))
        return (isnan(u) && isnan(v)) || u == v;
    long double slack = fabsl(u) * 1e-17L + 1e-4000L;
    if (scale >= 0)
        slack += 0.5L * powl(10.0L, (long double)-scale);
    return fabsl(u - v) <= slack;
}

/* strtod / strtof of p/n (copied to terminate it); NaN compares equal to NaN. */
static int same_float(const char *a, size_t an, const char *b, size_t bn, int f32)
{
    char *x = cut_strndup(a, an), *y = cut_strndup(b, bn);
    if (!x || !y)
        abort();
    double u = f32 ? (double)strtof(x, NULL) : strtod(x, NULL);
    double v = f32 ? (double)strtof(y, NULL) : strtod(y, NULL);
    free(x);
    free(y);
    if (isnan(u) || isnan(v))
        return isnan(u) && isnan(v);
    return u == v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const cut_tz *tz;
    cut_type t = pick_type(data[0], data[1], &tz);
    cut_canon_opts o = {tz, (data[0] & 16) ? CUT_ZERO_REJECT : CUT_ZERO_NULL,
                        (cut_dst_policy)(((data[0] >> 5) & 3) % 3), (data[0] >> 7) & 1};
    /* The value in memory of its own, exactly as long, so ASan sees any over-read. */
    size_t len = size - 2;
    char *in = malloc(len ? len : 1);
    if (!in)
        abort();
    memcpy(in, data + 2, len);

    cut_buf out = {0}, again = {0};
    const char *reason = NULL;
    int rc = cut_canon(&t, in, len, &o, &out, &reason);
    const char *canon = NULL;
    size_t clen = 0;
    switch (rc) {
    case CUT_CANON_SAME:
        canon = in;
        clen = len;
        break;
    case CUT_CANON_NEW:
        if (!out.p && out.len)
            abort();
        canon = out.p ? out.p : "";
        clen = out.len;
        break;
    case CUT_CANON_NULL:
        if (o.zero_dates != CUT_ZERO_NULL ||
            (t.kind != CUT_T_DATE && t.kind != CUT_T_TIMESTAMP && t.kind != CUT_T_TIMESTAMPTZ))
            abort();
        break;
    case CUT_EDATA:
        if (!reason || !*reason)
            abort();
        break;
    case CUT_ENOMEM:
        break;
    default:
        abort();
    }

    if (canon) {
        /* Idempotence, in a buffer of its own and under another time zone. */
        char *c = malloc(clen ? clen : 1);
        if (!c)
            abort();
        memcpy(c, canon, clen);
        cut_canon_opts o2 = o;
        o2.source_tz = tz ? NULL : zones[1];
        const char *why = NULL;
        int rc2 = cut_canon(&t, c, clen, &o2, &again, &why);
        if (rc2 != CUT_CANON_SAME)
            abort();
        if (t.kind != CUT_T_TEXT && t.kind != CUT_T_BYTES && t.kind != CUT_T_UNKNOWN && clen &&
            (is_ws(c[0]) || is_ws(c[clen - 1])))
            abort();
        if (t.kind == CUT_T_TEXT && !cut_utf8_valid(c, clen, NULL, NULL))
            abort();
        if (t.kind == CUT_T_FLOAT && !same_float(in, len, c, clen, t.width == 32))
            abort();
        if (t.kind == CUT_T_INT && !close_number(in, len, c, clen, 0))
            abort();
        if (t.kind == CUT_T_NUMERIC &&
            !close_number(in, len, c, clen, t.precision > 0 && t.scale < 0 ? 0 : t.scale))
            abort();
        free(c);
    }

    /* The time zone conversion against glibc, on the naive canonical form of the value. */
    int zi = (data[1] >> 4) & 3;
    if (t.kind == CUT_T_TIMESTAMPTZ && zi > 0 && zones[zi]) {
        cut_type nt = t;
        nt.kind = CUT_T_TIMESTAMP;
        cut_buf naive = {0};
        const char *why = NULL;
        int nrc = cut_canon(&nt, in, len, &o, &naive, &why);
        const char *n = nrc == CUT_CANON_SAME ? in : nrc == CUT_CANON_NEW ? naive.p : NULL;
        size_t nlen = nrc == CUT_CANON_SAME ? len : naive.len;
        if (n && nlen >= 19 && n[0] >= '0' && n[0] <= '9') /* not infinity */
            check_zone(&nt, n, nlen, zi, &o);
        cut_buf_free(&naive);
    }

    if (t.kind == CUT_T_JSON) {
        cut_buf j = {0}, j2 = {0};
        const char *why = NULL;
        if (cut_json_canon(in, len, &j, &why) == 0) {
            char *c = cut_strndup(j.p, j.len);
            if (!c)
                abort();
            if (cut_json_canon(c, j.len, &j2, &why) != 0 || j2.len != j.len ||
                memcmp(j2.p, j.p, j.len) != 0)
                abort();
            if (!canon || clen != j.len || memcmp(canon, j.p, j.len) != 0)
                abort();
            free(c);
        }
        cut_buf_free(&j);
        cut_buf_free(&j2);
    }
    cut_buf_free(&out);
    cut_buf_free(&again);
    free(in);
    return 0;
}
