/*
 * tz.c — cut_tz, an IANA time zone read from its TZif file (RFC 8536), and
 * the conversions between naive local wall time and UTC that timestamptz
 * canonicalization needs.
 *
 * We read TZif ourselves instead of going through setenv("TZ")/mktime():
 * those act on process-global state, cannot hold two zones at once, and do
 * not report DST gaps and overlaps. A zone is the list of transitions (UTC
 * instants and the offset in force after each) plus the POSIX TZ footer rule
 * that extends it past the last transition — "slim" TZif files, the default
 * since tzdata 2020b, list no transitions after 2007 for many zones and rely
 * on the footer for everything later. A cut_tz never changes after
 * cut_tz_open(), so threads share it without locks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types.h"
#include "util.h"

/* A transition date of a POSIX TZ rule: Jn, n or Mm.w.d, and the local time of day. */
typedef struct rule_date {
    char kind; /* 'J' (1..365, no Feb 29), 'N' (0..365), 'M' (month.week.weekday) */
    int n, m, w, wd;
    int32_t time; /* seconds after local midnight; may be negative or > 24h */
} rule_date;

typedef struct posix_rule {
    int32_t std_off, dst_off; /* east of UTC, seconds */
    int has_dst;
    rule_date start, end; /* start of DST (in standard time), end (in DST) */
} posix_rule;

struct cut_tz {
    char *name;
    size_t ntrans;
    int64_t *trans;    /* UTC instants, ascending */
    uint8_t *trans_ty; /* the type in force from trans[i] on */
    size_t ntypes;
    int32_t *utoff; /* per type, east of UTC */
    int has_rule;
    posix_rule rule;
    size_t noffs;
    int32_t *offs; /* every distinct offset the zone ever uses */
    int32_t min_off, max_off; /* the least and the greatest of them */
    char *gap_reason;
    char *overlap_reason;
};

/* ------------------------------------------------------ POSIX TZ rules */

/* Zone abbreviation: 3+ letters, or anything in <...>. */
static int rule_name(const char **pp)
{
    const char *p = *pp;
    if (*p == '<') {
        const char *e = strchr(p, '>');
        if (!e || e == p + 1)
            return -1;
        *pp = e + 1;
        return 0;
    }
    const char *s = p;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
        p++;
    if (p - s < 3)
        return -1;
    *pp = p;
    return 0;
}

/* [+-]h[h[h]][:mm[:ss]] → seconds; hours up to 167 (RFC 8536 extension). */
static int rule_hms(const char **pp, int32_t *out)
{
    const char *p = *pp;
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    if (*p < '0' || *p > '9')
        return -1;
    int32_t h = 0, m = 0, s = 0;
    for (int i = 0; i < 3 && *p >= '0' && *p <= '9'; i++)
        h = h * 10 + (*p++ - '0');
    if (*p == ':') {
        p++;
        if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
            return -1;
        m = (p[0] - '0') * 10 + (p[1] - '0');
        p += 2;
        if (*p == ':') {
            p++;
            if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
                return -1;
            s = (p[0] - '0') * 10 + (p[1] - '0');
            p += 2;
        }
    }
    if (h > 167 || m > 59 || s > 59)
        return -1;
    *out = sign * (h * 3600 + m * 60 + s);
    *pp = p;
    return 0;
}

static int rule_num(const char **pp, int *out)
{
    const char *p = *pp;
    int v = 0, n = 0;
    while (*p >= '0' && *p <= '9' && n < 4) {
        v = v * 10 + (*p++ - '0');
        n++;
    }
    if (n == 0)
        return -1;
    *out = v;
    *pp = p;
    return 0;
}

static int rule_date_parse(const char **pp, rule_date *rd)
{
    const char *p = *pp;
    memset(rd, 0, sizeof(*rd));
    if (*p == 'J') {
        p++;
        rd->kind = 'J';
        if (rule_num(&p, &rd->n) || rd->n < 1 || rd->n > 365)
            return -1;
    } else if (*p == 'M') {
        p++;
        rd->kind = 'M';
        if (rule_num(&p, &rd->m) || *p++ != '.' || rule_num(&p, &rd->w) || *p++ != '.' ||
            rule_num(&p, &rd->wd) || rd->m < 1 || rd->m > 12 || rd->w < 1 || rd->w > 5 ||
            rd->wd > 6)
            return -1;
    } else {
        rd->kind = 'N';
        if (rule_num(&p, &rd->n) || rd->n > 365)
            return -1;
    }
    rd->time = 7200; /* 02:00 when not given */
    if (*p == '/') {
        p++;
        if (rule_hms(&p, &rd->time))
            return -1;
    }
    *pp = p;
    return 0;
}

/* Parses "std offset [dst [offset] [,start[/time],end[/time]]]". Returns 0 or -1. */
static int rule_parse(const char *s, posix_rule *r)
{
    const char *p = s;
    int32_t off;
    memset(r, 0, sizeof(*r));
    if (rule_name(&p) || rule_hms(&p, &off))
        return -1;
    r->std_off = -off; /* POSIX counts west of Greenwich as positive */
    if (*p == '\0')
        return 0;
    if (rule_name(&p))
        return -1;
    r->has_dst = 1;
    r->dst_off = r->std_off + 3600;
    if (*p != ',' && *p != '\0') {
        if (rule_hms(&p, &off))
            return -1;
        r->dst_off = -off;
    }
    if (*p == '\0') {
        /* No rule: POSIX leaves it to the implementation; use the US rule as glibc does. */
        r->start = (rule_date){'M', 0, 3, 2, 0, 7200};
        r->end = (rule_date){'M', 0, 11, 1, 0, 7200};
        return 0;
    }
    if (*p++ != ',' || rule_date_parse(&p, &r->start) || *p++ != ',' ||
        rule_date_parse(&p, &r->end) || *p != '\0')
        return -1;
    return 0;
}

/* Days since the epoch of a rule date in year y. */
static int64_t rule_day(const rule_date *rd, int64_t y)
{
    int64_t jan1 = cut_days_from_civil(y, 1, 1);
    if (rd->kind == 'N')
        return jan1 + rd->n;
    if (rd->kind == 'J') {
        int64_t d = jan1 + rd->n - 1;
        /* Jn never counts Feb 29: from March 1 on, a leap year is one day later. */
        if (rd->n >= 60 && cut_days_in_month(y, 2) == 29)
            d++;
        return d;
    }
    int64_t first = cut_days_from_civil(y, (unsigned)rd->m, 1);
    int64_t wday = ((first + 4) % 7 + 7) % 7; /* 1970-01-01 was a Thursday */
    int64_t day = 1 + (rd->wd - wday + 7) % 7 + (int64_t)(rd->w - 1) * 7;
    if (day > cut_days_in_month(y, (unsigned)rd->m))
        day -= 7; /* week 5 means the last such weekday */
    return first + day - 1;
}

static int32_t rule_offset(const posix_rule *r, int64_t utc)
{
    if (!r->has_dst)
        return r->std_off;
    int64_t local = utc + r->std_off, y;
    int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    unsigned m, d;
    cut_civil_from_days(days, &y, &m, &d);
    int64_t start = rule_day(&r->start, y) * 86400 + r->start.time - r->std_off;
    int64_t end = rule_day(&r->end, y) * 86400 + r->end.time - r->dst_off;
    int dst;
    if (start < end)
        dst = utc >= start && utc < end;
    else /* southern hemisphere: DST spans the new year */
        dst = utc < end || utc >= start;
    return dst ? r->dst_off : r->std_off;
}

/* --------------------------------------------------------------- zones */

/* The last transition at or before utc (0 when utc is before them all). */
static size_t trans_at(const cut_tz *tz, int64_t utc)
{
    size_t lo = 0, hi = tz->ntrans;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->trans[mid] <= utc)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static int32_t offset_at(const cut_tz *tz, int64_t utc)
{
    if (tz->ntrans == 0)
        return tz->has_rule ? rule_offset(&tz->rule, utc) : tz->utoff[0];
    if (utc < tz->trans[0])
        return tz->utoff[0]; /* RFC 8536: type 0 applies before the first transition */
    if (utc >= tz->trans[tz->ntrans - 1] && tz->has_rule)
        return rule_offset(&tz->rule, utc);
    return tz->utoff[tz->trans_ty[trans_at(tz, utc)]];
}

/* Widens [*first, *last] to take the candidate instant u. */
static void candidate(int64_t u, int *found, int64_t *first, int64_t *last)
{
    if (!*found || u < *first)
        *first = u;
    if (!*found || u > *last)
        *last = u;
    *found = 1;
}

int32_t cut_tz_utc_offset(const cut_tz *tz, int64_t utc_secs)
{
    return tz ? offset_at(tz, utc_secs) : 0;
}

int cut_tz_local_to_utc(const cut_tz *tz, int64_t local_secs, cut_dst_policy pol, int64_t *utc_secs,
                        const char **reason)
{
    if (!tz || tz->noffs == 1) {
        *utc_secs = local_secs - (tz ? tz->offs[0] : 0);
        return 0;
    }
    /*
     * local = utc + offset_at(utc). Each offset o the zone uses gives one
     * candidate utc = local - o, valid when o is indeed in force then. No
     * valid candidate: the wall clock skipped this time; two: it showed it twice.
     */
    int64_t first = 0, last = 0;
    int found = 0;
    int64_t lo_u = local_secs - tz->max_off, hi_u = local_secs - tz->min_off;
    if (tz->ntrans > 1 && lo_u >= tz->trans[0] && hi_u < tz->trans[tz->ntrans - 1]) {
        /* Inside the transition table: every candidate lies in [lo_u, hi_u], so only
           the intervals that meet it can hold one. One search finds the first. */
        for (size_t k = trans_at(tz, lo_u); k + 1 < tz->ntrans && tz->trans[k] <= hi_u; k++) {
            int64_t u = local_secs - tz->utoff[tz->trans_ty[k]];
            if (u >= tz->trans[k] && u < tz->trans[k + 1])
                candidate(u, &found, &first, &last);
        }
    } else {
        for (size_t i = 0; i < tz->noffs; i++) {
            int64_t u = local_secs - tz->offs[i];
            if (offset_at(tz, u) == tz->offs[i])
                candidate(u, &found, &first, &last);
        }
    }
    if (!found) {
        if (reason)
            *reason = tz->gap_reason;
        return CUT_EDATA;
    }
    if (first != last) {
        if (pol == CUT_DST_EARLIER) {
            *utc_secs = first;
        } else if (pol == CUT_DST_LATER) {
            *utc_secs = last;
        } else {
            if (reason)
                *reason = tz->overlap_reason;
            return CUT_EDATA;
        }
        return 0;
    }
    *utc_secs = first;
    return 0;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/*
 * Parses one TZif header + data block at p (n bytes available); tsize is 4
 * for the version 1 block and 8 for the 64-bit one. With keep, stores the
 * transitions and types in tz. *used = bytes consumed. Returns 0 or -1.
 */
static int tzif_block(const unsigned char *p, size_t n, int tsize, int keep, cut_tz *tz,
                      size_t *used)
{
    if (n < 44 || memcmp(p, "TZif", 4) != 0)
        return -1;
    uint32_t isutcnt = be32(p + 20), isstdcnt = be32(p + 24), leapcnt = be32(p + 28);
    uint32_t timecnt = be32(p + 32), typecnt = be32(p + 36), charcnt = be32(p + 40);
    if (typecnt == 0 || typecnt > 256 || timecnt > 1000000 || leapcnt > 100000 ||
        charcnt > 100000 || (isutcnt && isutcnt != typecnt) || (isstdcnt && isstdcnt != typecnt))
        return -1;
    size_t need = (size_t)timecnt * (size_t)(tsize + 1) + (size_t)typecnt * 6 + charcnt +
                  (size_t)leapcnt * (size_t)(tsize + 4) + isstdcnt + isutcnt;
    if (n - 44 < need)
        return -1;
    *used = 44 + need;
    if (!keep)
        return 0;
    const unsigned char *t = p + 44, *ty = t + (size_t)timecnt * (size_t)tsize;
    const unsigned char *tt = ty + timecnt;
    tz->ntrans = timecnt;
    tz->ntypes = typecnt;
    tz->trans = malloc(sizeof(int64_t) * (timecnt ? timecnt : 1));
    tz->trans_ty = malloc(timecnt ? timecnt : 1);
    tz->utoff = malloc(sizeof(int32_t) * typecnt);
    if (!tz->trans || !tz->trans_ty || !tz->utoff)
        return -2;
    for (uint32_t i = 0; i < timecnt; i++) {
        tz->trans[i] = tsize == 8 ? be64(t + (size_t)i * 8) : (int32_t)be32(t + (size_t)i * 4);
        tz->trans_ty[i] = ty[i];
        if (ty[i] >= typecnt || (i > 0 && tz->trans[i] <= tz->trans[i - 1]))
            return -1;
    }
    for (uint32_t i = 0; i < typecnt; i++) {
        int32_t off = (int32_t)be32(tt + (size_t)i * 6);
        if (off < -25 * 3600 || off > 26 * 3600)
            return -1;
        tz->utoff[i] = off;
    }
    return 0;
}

/* Fills tz from the TZif image buf/n. Returns 0, -1 (not valid TZif) or -2 (no memory). */
static int tzif_parse(const unsigned char *buf, size_t n, cut_tz *tz)
{
    size_t used = 0;
    if (n < 44 || memcmp(buf, "TZif", 4) != 0)
        return -1;
    int version = buf[4];
    if (version == 0)
        return tzif_block(buf, n, 4, 1, tz, &used);
    /* Version 2+: skip the 32-bit block, read the 64-bit one and the footer. */
    int rc = tzif_block(buf, n, 4, 0, tz, &used);
    if (rc)
        return rc;
    size_t off = used;
    rc = tzif_block(buf + off, n - off, 8, 1, tz, &used);
    if (rc)
        return rc;
    off += used;
    if (off < n && buf[off] == '\n') {
        const unsigned char *s = buf + off + 1;
        const unsigned char *e = memchr(s, '\n', n - off - 1);
        if (e && e > s && (size_t)(e - s) < 256) {
            char footer[256];
            memcpy(footer, s, (size_t)(e - s));
            footer[e - s] = '\0';
            /* A footer we cannot read only loses the future beyond the last transition. */
            tz->has_rule = rule_parse(footer, &tz->rule) == 0;
        }
    }
    return 0;
}

static int add_offset(cut_tz *tz, int32_t off)
{
    for (size_t i = 0; i < tz->noffs; i++)
        if (tz->offs[i] == off)
            return 0;
    if (tz->noffs == 0 || off < tz->min_off)
        tz->min_off = off;
    if (tz->noffs == 0 || off > tz->max_off)
        tz->max_off = off;
    tz->offs[tz->noffs++] = off;
    return 0;
}

static int is_utc_name(const char *name)
{
    static const char *const names[] = {"UTC",      "Z",         "Etc/UTC",       "GMT",
                                        "Etc/GMT",  "UCT",       "Etc/UCT",       "Zulu",
                                        "Etc/Zulu", "Universal", "Etc/Universal", "GMT0",
                                        "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0"};
    for (size_t i = 0; i < CUT_ARRAY_LEN(names); i++)
        if (cut_streq_ci(name, names[i]))
            return 1;
    return 0;
}

static int read_file(const char *path, unsigned char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    int rc = -1;
    if (!buf)
        goto done;
    for (;;) {
        if (n == cap) {
            if (cap >= (size_t)4 << 20)
                goto done; /* no real TZif file is this large */
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb)
                goto done;
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    if (ferror(f))
        goto done;
    *out = buf;
    *len = n;
    buf = NULL;
    rc = 0;
done:
    free(buf);
    fclose(f);
    return rc;
}

int cut_tz_open(const char *name, cut_tz **out, cut_error *err)
{
    cut_tz *tz = NULL;
    unsigned char *data = NULL;
    char *path = NULL;
    size_t len = 0;
    int rc = CUT_ENOMEM;
    *out = NULL;
    if (!name || !*name || name[0] == '/' || strstr(name, "..") || strlen(name) > 255)
        return cut_error_set(err, CUT_EINVAL, "unknown time zone '%s'", name ? name : "");
    tz = calloc(1, sizeof(*tz));
    if (!tz || !(tz->name = cut_strdup(name)))
        goto nomem;
    if (is_utc_name(name)) {
        tz->ntypes = 1;
        tz->utoff = calloc(1, sizeof(int32_t));
        if (!tz->utoff)
            goto nomem;
    } else {
        const char *dir = getenv("TZDIR");
        path = cut_asprintf("%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
        if (!path)
            goto nomem;
        if (read_file(path, &data, &len)) {
            rc = cut_error_set(err, CUT_EINVAL, "unknown time zone '%s'", name);
            goto done;
        }
        int prc = tzif_parse(data, len, tz);
        if (prc == -2)
            goto nomem;
        if (prc) {
            rc = cut_error_set(err, CUT_EINVAL, "unknown time zone '%s': %s is not a TZif file",
                               name, path);
            goto done;
        }
    }
    tz->offs = malloc(sizeof(int32_t) * (tz->ntypes + 2));
    if (!tz->offs)
        goto nomem;
    for (size_t i = 0; i < tz->ntypes; i++)
        add_offset(tz, tz->utoff[i]);
    if (tz->has_rule) {
        add_offset(tz, tz->rule.std_off);
        if (tz->rule.has_dst)
            add_offset(tz, tz->rule.dst_off);
    }
    /* The reasons are built once here, so conversions never format anything. */
    tz->gap_reason = cut_asprintf("nonexistent local time (DST gap) in %s", name);
    tz->overlap_reason = cut_asprintf("ambiguous local time (DST overlap) in %s", name);
    if (!tz->gap_reason || !tz->overlap_reason)
        goto nomem;
    *out = tz;
    tz = NULL;
    rc = CUT_OK;
    goto done;
nomem:
    rc = cut_error_set(err, CUT_ENOMEM, "out of memory opening time zone '%s'", name);
done:
    cut_tz_free(tz);
    free(data);
    free(path);
    return rc;
}

void cut_tz_free(cut_tz *tz)
{
    if (!tz)
        return;
    free(tz->name);
    free(tz->trans);
    free(tz->trans_ty);
    free(tz->utoff);
    free(tz->offs);
    free(tz->gap_reason);
    free(tz->overlap_reason);
    free(tz);
}

const char *cut_tz_name(const cut_tz *tz)
{
    return tz ? tz->name : "UTC";
}
