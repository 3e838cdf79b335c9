/*
 * progress.c — the progress display of every long command, on stderr.
 *
 * On a terminal: a live block, one line per table (bar, percent of the
 * estimate, rows, rows/s, ETA) and an overall line, redrawn at most five
 * times a second. Otherwise: one summary line every ten seconds and one line
 * per finished table, so that logs of unattended runs stay readable.
 * The library calls cli_progress_fn from worker threads, serialised.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define MAX_TABLES 256
#define BAR 20
/* An ETA from the first batch alone is noise (6m01s shown for an 8 s job): none before
   this many seconds of moving rows. */
#define ETA_AFTER 2.0

typedef struct ptable {
    char *name;
    char phase[16];
    int64_t rows, estimate;
    double started, finished; /* 0 = not yet */
    int done;                 /* 1 finished, -1 stopped (this phase) */
} ptable;

/* Whether t's rows are all counted: its last phase finished, and that phase moved rows
   (emptying a table for --truncate comes before its rows). */
static int finished(const ptable *t)
{
    return t->done && strcmp(t->phase, "empty") != 0;
}

struct cli_progress {
    int quiet, tty;
    double t0; /* when rows began to move (rates and ETAs count from it), 0 = not yet */
    double last_draw, last_line;
    int drawn; /* lines of the live block on screen */
    int n;
    ptable t[MAX_TABLES];
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

cli_progress *cli_progress_new(int quiet)
{
    cli_progress *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->quiet = quiet;
    p->tty = isatty(2) && getenv("TERM") && strcmp(getenv("TERM"), "dumb") != 0;
    p->last_line = mono();
    return p;
}

void cli_progress_free(cli_progress *p)
{
    if (!p)
        return;
    cli_progress_clear(p);
    for (int i = 0; i < p->n; i++)
        free(p->t[i].name);
    free(p);
}

void cli_progress_clear(cli_progress *p)
{
    if (!p || !p->tty || !p->drawn)
        return;
    fprintf(stderr, "\033[%dA\033[J", p->drawn);
    p->drawn = 0;
    fflush(stderr);
}

static ptable *find(cli_progress *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->t[i].name, name) == 0)
            return &p->t[i];
    if (p->n == MAX_TABLES)
        return NULL;
    ptable *t = &p->t[p->n++];
    memset(t, 0, sizeof(*t));
    t->name = strdup(name);
    return t->name ? t : (p->n--, NULL);
}

/* "1.2M", "305k", "950" */
static const char *human(int64_t v, char *buf, size_t size)
{
    if (v >= 10000000)
        snprintf(buf, size, "%.1fM", (double)v / 1e6);
    else if (v >= 100000)
        snprintf(buf, size, "%" PRId64 "k", v / 1000);
    else
        snprintf(buf, size, "%" PRId64, v);
    return buf;
}

static const char *eta(double secs, char *buf, size_t size)
{
    if (secs < 0 || secs > 360000)
        snprintf(buf, size, "-");
    else if (secs >= 3600)
        snprintf(buf, size, "%dh%02dm", (int)secs / 3600, (int)secs % 3600 / 60);
    else if (secs >= 60)
        snprintf(buf, size, "%dm%02ds", (int)secs / 60, (int)secs % 60);
    else
        snprintf(buf, size, "%.0fs", secs);
    return buf;
}

static void line(FILE *f, const char *phase, const char *name, int64_t rows, int64_t est,
                 double secs, int done, int queued)
{
    char bar[BAR * 3 + 1], r[24], e[24], rate[24], left[24];
    double frac = est > 0 ? (double)rows / (double)est : 0;
    if (done > 0)
        frac = 1;
    if (frac > 1)
        frac = 1;
    int full = (int)(frac * BAR + 0.5);
    size_t o = 0;
    for (int i = 0; i < BAR; i++) {
        const char *g = i < full ? "\xE2\x96\x88" : "\xE2\x96\x91"; /* █ ░ */
        memcpy(bar + o, g, 3);
        o += 3;
    }
    bar[o] = '\0';
    double rps = secs > 0 ? (double)rows / secs : 0;
    if (queued) {
        fprintf(f, "%-8s %-24.24s %s   queued%s%s\033[K\n", phase, name, bar,
                est > 0 ? "  ~" : "", est > 0 ? human(est, e, sizeof(e)) : "");
        return;
    }
    fprintf(f, "%-8s %-24.24s %s %4.0f%% %8s", phase, name, bar,
            est > 0 || done > 0 ? frac * 100 : 0, human(rows, r, sizeof(r)));
    if (est > 0)
        fprintf(f, " / %-7s", human(est, e, sizeof(e)));
    else
        fprintf(f, "          ");
    fprintf(f, " %8s rows/s", human((int64_t)rps, rate, sizeof(rate)));
    if (done > 0)
        fprintf(f, "  done in %.1fs", secs);
    else if (done < 0)
        fprintf(f, "  stopped after %.1fs", secs);
    else if (est > rows && rps > 0 && secs >= ETA_AFTER)
        fprintf(f, "  ETA %s", eta((double)(est - rows) / rps, left, sizeof(left)));
    fprintf(f, "\033[K\n");
}

static void draw(cli_progress *p, double now)
{
    if (p->drawn)
        fprintf(stderr, "\033[%dA", p->drawn);
    int64_t rows = 0, est = 0;
    int lines = 0, all_est = 1;
    /* Finished tables scroll away: they were printed once, above the live block. */
    for (int i = 0; i < p->n; i++) {
        ptable *t = &p->t[i];
        rows += t->rows;
        est += finished(t) ? t->rows : t->estimate;
        all_est = all_est && (finished(t) || t->estimate > 0);
        if (t->done)
            continue;
        int queued = !t->started;
        line(stderr, t->phase, t->name, t->rows, t->estimate,
             t->started ? now - t->started : 0, 0, queued);
        lines++;
    }
    if (p->n > 1) {
        double secs = p->t0 ? now - p->t0 : 0;
        line(stderr, "overall", "", rows, all_est ? est : 0, secs, 0, 0);
        lines++;
    }
    fprintf(stderr, "\033[J");
    p->drawn = lines;
    fflush(stderr);
}

void cli_progress_fn(void *ud, const cut_progress *pr)
{
    cli_progress *p = ud;
    if (!p || p->quiet)
        return;
    double now = mono();
    ptable *t = find(p, pr->table);
    if (!t)
        return;
    int queued = strcmp(pr->phase, "queued") == 0;
    if (!queued && !p->t0 && strcmp(pr->phase, "empty") != 0)
        p->t0 = now;
    if (!queued) {
        if (!t->started || t->done || strcmp(t->phase, pr->phase) != 0) {
            /* (Re)starting: a new phase of the same table (verify after migrate). */
            t->started = now;
            t->done = 0;
        }
        snprintf(t->phase, sizeof(t->phase), "%s", pr->phase);
        t->rows = pr->rows;
    }
    if (pr->estimate > 0)
        t->estimate = pr->estimate;
    if (pr->done && !t->done) {
        t->done = pr->done;
        t->finished = now;
        if (p->tty) {
            cli_progress_clear(p);
            line(stderr, t->phase, t->name, t->rows, t->estimate, now - t->started, t->done, 0);
            draw(p, now);
            p->last_draw = now;
        } else {
            if (strcmp(t->phase, "empty") == 0)
                fprintf(stderr, "cutover: empty %s: %s %.1f s\n", t->name,
                        t->done > 0 ? "done in" : "stopped after", now - t->started);
            else
                fprintf(stderr, "cutover: %s %s: %" PRId64 " rows, %s %.1f s (%.0f rows/s)\n",
                        t->phase, t->name, t->rows, t->done > 0 ? "done in" : "stopped after",
                        now - t->started,
                        now > t->started ? (double)t->rows / (now - t->started) : 0.0);
            fflush(stderr);
        }
        return;
    }
    if (p->tty) {
        if (now - p->last_draw >= 0.2) {
            draw(p, now);
            p->last_draw = now;
        }
        return;
    }
    if (now - p->last_line < 10.0)
        return;
    p->last_line = now;
    int64_t rows = 0, est = 0;
    int all_est = 1;
    char parts[512] = "";
    size_t o = 0;
    for (int i = 0; i < p->n; i++) {
        ptable *x = &p->t[i];
        rows += x->rows;
        est += finished(x) ? x->rows : x->estimate;
        all_est = all_est && (finished(x) || x->estimate > 0);
        if (x->started && !x->done && o + 64 < sizeof(parts)) {
            int w = x->estimate > 0
                        ? snprintf(parts + o, sizeof(parts) - o, "%s%s %.0f%%", o ? ", " : "",
                                   x->name, 100.0 * (double)x->rows / (double)x->estimate)
                        : snprintf(parts + o, sizeof(parts) - o, "%s%s %" PRId64 " rows",
                                   o ? ", " : "", x->name, x->rows);
            if (w > 0)
                o += (size_t)w;
        }
    }
    double secs = p->t0 ? now - p->t0 : 0, rps = secs > 0 ? (double)rows / secs : 0;
    char left[24];
    if (all_est && est > 0)
        fprintf(stderr, "cutover: %.0f%% (%" PRId64 " of ~%" PRId64 " rows, %.0f rows/s, ETA %s): %s\n",
                100.0 * (double)rows / (double)est, rows, est, rps,
                eta(rps > 0 ? (double)(est - rows) / rps : -1, left, sizeof(left)), parts);
    else
        fprintf(stderr, "cutover: %" PRId64 " rows (%.0f rows/s): %s\n", rows, rps, parts);
    fflush(stderr);
}
