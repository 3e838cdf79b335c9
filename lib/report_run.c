/*
 * report_run.c — reports from the run journal: one run as aligned text, as
 * JSON (cutover-run version 1, docs/report-json.md) or as a self-contained
 * HTML page (inline CSS and SVG, no network); and the run history with the
 * rehearsals' step durations side by side and a forecast for production.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal.h"
#include "mapping.h"
#include "util.h"

#define HISTORY_COLUMNS 8 /* runs side by side in `cutover runs` and the HTML chart */
#define TEXT_DIFFS 5      /* differences per table in the text report... */
#define HTML_DIFFS 10     /* ...and in the HTML one (JSON: all the journal kept) */

/* ------------------------------------------------------------ helpers */

static double step_seconds(const cut_jstep *s)
{
    return s->ended > 0 && s->ended >= s->started ? s->ended - s->started : -1;
}

static double run_seconds(const cut_jrun *r)
{
    return r->ended > 0 && r->ended >= r->started ? r->ended - r->started : -1;
}

/* The last step of that name (a later `cutover restore --journal` adds a second restore). */
static const cut_jstep *find_step(const cut_jrun *r, const char *name)
{
    for (int i = r->nsteps - 1; i >= 0; i--)
        if (strcmp(r->steps[i].name, name) == 0)
            return &r->steps[i];
    return NULL;
}

static const cut_jtable *find_table(const cut_jrun *r, const char *phase, const char *table)
{
    for (int i = 0; i < r->ntables; i++)
        if (strcmp(r->tables[i].phase, phase) == 0 && strcmp(r->tables[i].table, table) == 0)
            return &r->tables[i];
    return NULL;
}

/* A restore's table: its digest read back equals the snapshot's (a fact about the
   read-back; whether it was committed is its status, "ok" or "rolled back"). */
static int restore_matches(const cut_jtable *sn, const cut_jtable *t)
{
    const char *want = sn && sn->expected ? sn->expected : t->expected;
    return want && t->actual && strcmp(want, t->actual) == 0;
}

/* What a restore's table proves, in words: committed equal, read back equal but rolled
   back with the rest, read back and differs, or never read back. */
static const char *restore_proof(const cut_jtable *sn, const cut_jtable *t, int html)
{
    if (!t->actual)
        return strcmp(t->status, "ok") == 0
                   ? (html ? "equal to the snapshot" : "verified by the restore")
                   : "not read back";
    if (!restore_matches(sn, t))
        return html ? "read back, differs" : "read back, DIFFERS from the snapshot";
    if (strcmp(t->status, "ok") == 0)
        return html ? "equal to the snapshot" : "= snapshot";
    return html ? "read back equal, rolled back (not committed)"
                : "read back equal to the snapshot, but ROLLED BACK (not committed)";
}

/* The run's table names: verify's order, then any only migrate, snapshot or restore saw. */
static int table_names(const cut_jrun *r, const char ***out)
{
    const char **v = calloc((size_t)r->ntables + 1, sizeof(char *));
    int n = 0;
    if (!v)
        return -1;
    static const char *const phases[] = {"verify", "migrate", "snapshot", "restore"};
    for (size_t p = 0; p < CUT_ARRAY_LEN(phases); p++) {
        for (int i = 0; i < r->ntables; i++) {
            if (strcmp(r->tables[i].phase, phases[p]) != 0)
                continue;
            int seen = 0;
            for (int k = 0; k < n && !seen; k++)
                seen = strcmp(v[k], r->tables[i].table) == 0;
            if (!seen)
                v[n++] = r->tables[i].table;
        }
    }
    *out = v;
    return n;
}

/* "0.05 s", "12.3 s", "4m05s", "2h03m". */
static const char *fmt_dur(double s, char *buf, size_t size)
{
    if (s < 0)
        snprintf(buf, size, "-");
    else if (s < 10)
        snprintf(buf, size, "%.2f s", s);
    else if (s < 60)
        snprintf(buf, size, "%.1f s", s);
    else if (s < 3600)
        snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
    return buf;
}

/* "2026-11-25 03:41:07 UTC" */
static const char *fmt_time(double epoch, char *buf, size_t size)
{
    if (epoch <= 0) {
        snprintf(buf, size, "-");
        return buf;
    }
    time_t t = (time_t)epoch;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

static const char *verdict_word(const cut_jrun *r)
{
    const char *o = r->outcome;
    return strcmp(o, "go") == 0            ? "Go"
           : strcmp(o, "no-go") == 0       ? "No-Go"
           : strcmp(o, "interrupted") == 0 ? "Interrupted"
           : strcmp(o, "running") == 0     ? "Running"
                                           : "Error";
}

/* The step where a run that did not finish well stopped. A restore that failed is the
   rollback of an earlier failure, not where the run stopped: that earlier step is. */
static const cut_jstep *stopped_step(const cut_jrun *r)
{
    const cut_jstep *failed_restore = NULL;
    for (int i = r->nsteps - 1; i >= 0; i--) {
        const char *s = r->steps[i].status;
        int is_restore = strcmp(r->steps[i].name, CUT_STEP_RESTORE) == 0;
        if (is_restore && strcmp(s, "failed") == 0) {
            if (!failed_restore)
                failed_restore = &r->steps[i];
            continue;
        }
        if (strcmp(s, "running") == 0 || strcmp(s, "interrupted") == 0 ||
            (strcmp(s, "failed") == 0 && strcmp(r->steps[i].name, CUT_STEP_GATE) != 0))
            return &r->steps[i];
    }
    return failed_restore;
}

static const char *rollback_state(const cut_jrun *r)
{
    const cut_jstep *rs = find_step(r, CUT_STEP_RESTORE);
    if (r->rolled_back)
        return "rolled back";
    if (rs && strcmp(rs->status, "failed") == 0)
        return "ROLLBACK FAILED";
    if (r->no_rollback && (strcmp(r->outcome, "no-go") == 0 || strcmp(r->outcome, "error") == 0))
        return "not rolled back (--no-rollback)";
    return NULL;
}

/*
 * What the verdict means for the target, in one or two sentences (text and HTML
 * banners). Caller frees.
 */
static char *verdict_text(const cut_jrun *r, const char *journal)
{
    cut_buf b = {0};
    const cut_jstep *gate = find_step(r, CUT_STEP_GATE);
    const cut_jstep *restore = find_step(r, CUT_STEP_RESTORE);
    const cut_jstep *stop = stopped_step(r);
    const char *o = r->outcome;
    char *way = NULL; /* the restore command, with where its password comes from */
    if (strcmp(o, "go") == 0) {
        cut_buf_printf(&b, "every table's counts add up and its digests are equal");
    } else if (strcmp(o, "running") == 0) {
        cut_buf_printf(&b, "in progress: %s",
                       r->nsteps ? r->steps[r->nsteps - 1].name : "starting");
    } else if (strcmp(o, "interrupted") == 0) {
        cut_buf_printf(&b, "stopped during %s", stop ? stop->name : "the run");
        if (r->detail)
            cut_buf_printf(&b, " (%s)", r->detail);
        if (r->cleared)
            cut_buf_printf(&b, "; since then: %s", r->cleared);
        else if ((way = cut_journal_way_back(r->snapshot, journal, r->target)))
            cut_buf_printf(&b,
                           "; the target may hold part of a migration, and the next run refuses "
                           "to start until this one is resumed (cutover run --resume) or its "
                           "snapshot restored: %s",
                           way);
    } else {
        if (strcmp(o, "no-go") == 0) {
            const char *g = gate && gate->detail ? gate->detail : "verification failed";
            cut_buf_printf(&b, "%s", strncmp(g, "No-Go: ", 7) == 0 ? g + 7 : g);
        }
        else
            cut_buf_printf(&b, "%s failed: %s", stop ? stop->name : "the run",
                           r->detail ? r->detail : stop && stop->detail ? stop->detail : "error");
        if (r->rolled_back)
            cut_buf_printf(&b, ". Rolled back: the target was restored from the snapshot, and "
                               "every digest read back equals the snapshot's");
        else if (restore && strcmp(restore->status, "failed") == 0)
            cut_buf_printf(&b, ". The rollback failed: the target keeps the failed state (%s)",
                           restore->detail ? restore->detail : "restore failed");
        else if (r->no_rollback && find_step(r, CUT_STEP_MIGRATE) &&
                 (way = cut_journal_way_back(r->snapshot, journal, r->target)))
            cut_buf_printf(&b,
                           ". Not rolled back (--no-rollback): the target keeps the failed state "
                           "for investigation; to put it back: %s",
                           way);
        else if (!find_step(r, CUT_STEP_MIGRATE))
            cut_buf_printf(&b, ". The target was not written");
    }
    char *s = cut_strdup(cut_buf_cstr(&b));
    cut_buf_free(&b);
    free(way);
    return s;
}

/* Same-hash runs for the comparison (the last HISTORY_COLUMNS up to and including r). */
static int load_history(cut_journal *j, const cut_jrun *r, cut_jrun ***out, int *n,
                        cut_error *err)
{
    int rc = cut_journal_list(j, r->mapping_hash, out, n, err);
    if (rc)
        return rc;
    int keep = 0;
    for (int i = 0; i < *n; i++)
        keep += (*out)[i]->id <= r->id;
    /* drop runs after r, then all but the last HISTORY_COLUMNS */
    int first = keep > HISTORY_COLUMNS ? keep - HISTORY_COLUMNS : 0;
    cut_jrun **v = *out;
    int k = 0;
    for (int i = 0; i < *n; i++) {
        int idx_ok = v[i]->id <= r->id;
        if (idx_ok && first > 0) {
            first--;
            idx_ok = 0;
        }
        if (idx_ok)
            v[k++] = v[i];
        else
            cut_jrun_free(v[i]);
    }
    *n = k;
    return CUT_OK;
}

/*
 * The status shown for a verified table. verify calls a table "mismatch" when its
 * digests differ or when its rejects are over max_rejects; with equal digests only
 * the second can hold, and "mismatch" beside "equal" would say what did not happen.
 * (JSON keeps "mismatch": its schema is stable, and it carries the counts.)
 */
static const char *verify_status(const cut_jtable *v)
{
    if (strcmp(v->status, "mismatch") == 0 && v->expected && v->actual &&
        strcmp(v->expected, v->actual) == 0)
        return "rejects over max_rejects";
    return v->status;
}

/* ------------------------------------------------------------- text */

static void text_tables(const cut_jrun *r, FILE *out)
{
    const char **names = NULL;
    int n = table_names(r, &names);
    if (n <= 0) {
        free(names);
        return;
    }
    int w = 5;
    for (int i = 0; i < n; i++)
        if ((int)strlen(names[i]) > w)
            w = (int)strlen(names[i]);
    fprintf(out, "\n%-*s %10s %9s %9s %10s %10s  %-9s  %s\n", w, "table", "source", "filtered",
            "rejected", "loaded", "target", "digest", "status");
    for (int i = 0; i < n; i++) {
        const cut_jtable *v = find_table(r, "verify", names[i]);
        const cut_jtable *m = find_table(r, "migrate", names[i]);
        const cut_jtable *t = v ? v : m;
        char tg[24] = "-";
        const char *dg = "-", *st = v ? verify_status(v) : t ? t->status : "-";
        if (v && v->target_rows >= 0)
            snprintf(tg, sizeof(tg), "%" PRId64, v->target_rows);
        if (v && strcmp(v->status, "failed") != 0 && v->expected && v->actual)
            dg = strcmp(v->expected, v->actual) == 0 ? "equal" : "DIFFERENT";
        if (!v && m)
            st = strcmp(m->status, "ok") == 0 ? "migrated" : m->status;
        if (!t || t->source_rows < 0) {
            fprintf(out, "%-*s %10s %9s %9s %10s %10s  %-9s  %s\n", w, names[i], "-", "-", "-",
                    "-", tg, dg, t ? st : "not run");
            continue;
        }
        fprintf(out, "%-*s %10" PRId64 " %9" PRId64 " %9" PRId64 " %10" PRId64 " %10s  %-9s  %s\n",
                w, names[i], t->source_rows, t->filtered < 0 ? 0 : t->filtered,
                t->rejected < 0 ? 0 : t->rejected, t->loaded < 0 ? 0 : t->loaded, tg, dg, st);
    }
    for (int i = 0; i < n; i++) {
        const cut_jtable *m = find_table(r, "migrate", names[i]);
        const cut_jtable *v = find_table(r, "verify", names[i]);
        if (m && m->note)
            fprintf(out, "%s: %s\n", names[i], m->note);
        if (v && strcmp(v->status, "mismatch") == 0 && v->expected && v->actual &&
            strcmp(v->expected, v->actual) == 0)
            fprintf(out, "%s: digests equal, but %" PRId64 " rejected row%s exceed%s max_rejects\n",
                    names[i], v->rejected, v->rejected == 1 ? "" : "s",
                    v->rejected == 1 ? "s" : "");
        if (v && v->zero_dates > 0)
            fprintf(out, "%s: %" PRId64 " zero date%s ('0000-00-00') became NULL\n", names[i],
                    v->zero_dates, v->zero_dates == 1 ? "" : "s");
        const char *e = v && v->error ? v->error : m && m->error ? m->error : NULL;
        size_t nl = strlen(names[i]);
        /* errors carry their table ("table members: ...") */
        if (e && strncmp(e, "table ", 6) == 0 && strncmp(e + 6, names[i], nl) == 0 &&
            e[6 + nl] == ':')
            fprintf(out, "%s\n", e);
        else if (e)
            fprintf(out, "%s: %s\n", names[i], e);
    }
    free(names);
}

static void text_diffs(const cut_jrun *r, FILE *out)
{
    for (int i = 0; i < r->ntables; i++) {
        const cut_jtable *t = &r->tables[i];
        if (strcmp(t->phase, "verify") != 0)
            continue;
        int64_t total = t->diff_missing + t->diff_extra + t->diff_changed;
        if (total == 0)
            continue;
        fprintf(out, "\n%s: %" PRId64 " difference%s (%" PRId64 " missing, %" PRId64
                     " extra, %" PRId64 " changed)\n",
                t->table, total, total == 1 ? "" : "s", t->diff_missing, t->diff_extra,
                t->diff_changed);
        int shown = 0, last = -1;
        for (int k = 0; k < r->ndiffs; k++) {
            const cut_jdiff *d = &r->diffs[k];
            if (strcmp(d->table, t->table) != 0)
                continue;
            if (d->n != last && shown == TEXT_DIFFS)
                break;
            if (d->n != last) {
                fprintf(out, "  %-8s %s\n", d->kind, d->key ? d->key : "");
                last = d->n;
                shown++;
            }
            if (d->column)
                fprintf(out, "           %s: expected %s, target has %s\n", d->column,
                        d->expected ? d->expected : "NULL", d->actual ? d->actual : "NULL");
        }
        if (total > shown)
            fprintf(out, "  ... and %" PRId64 " more\n", total - shown);
        if (t->diff_unexamined)
            fprintf(out, "  (%" PRId64 " rows in other differing key ranges were not examined)\n",
                    t->diff_unexamined);
    }
}

static void text_report(const cut_jrun *r, const char *journal, FILE *out)
{
    char t1[40], d1[24];
    const char *rb = rollback_state(r);
    fprintf(out, "run %" PRId64 "  %s  %s%s%s\n", r->id, r->kind, verdict_word(r),
            rb ? ", " : "", rb ? rb : "");
    fprintf(out, "mapping   %s (hash %.16s)\n", r->mapping, r->mapping_hash);
    fprintf(out, "source    %s\n", r->source ? r->source : "-");
    fprintf(out, "target    %s\n", r->target ? r->target : "-");
    fprintf(out, "started   %s on %s (pid %" PRId64 ")", fmt_time(r->started, t1, sizeof(t1)),
            r->host ? r->host : "?", r->pid);
    if (run_seconds(r) >= 0)
        fprintf(out, ", took %s", fmt_dur(run_seconds(r), d1, sizeof(d1)));
    fprintf(out, "\n");
    if (r->snapshot)
        fprintf(out, "snapshot  %s\n", r->snapshot);
    if (r->resumed_from)
        fprintf(out, "resumes   run %" PRId64 "\n", r->resumed_from);

    fprintf(out, "\n%-9s %8s %9s  %-11s  %s\n", "step", "start", "duration", "status", "detail");
    for (int i = 0; i < r->nsteps; i++) {
        const cut_jstep *s = &r->steps[i];
        char off[24];
        snprintf(off, sizeof(off), "+%.2f",
                 s->started - r->started >= 0 ? s->started - r->started : 0);
        fprintf(out, "%-9s %8s %9s  %-11s  %s\n", s->name, off,
                fmt_dur(step_seconds(s), d1, sizeof(d1)), s->status, s->detail ? s->detail : "");
    }
    text_tables(r, out);
    text_diffs(r, out);
    if (r->nrejects) {
        fprintf(out, "\nrejects\n");
        for (int i = 0; i < r->nrejects; i++)
            fprintf(out, "  %s: %" PRId64 " row%s in %s\n", r->rejects[i].table,
                    r->rejects[i].count, r->rejects[i].count == 1 ? "" : "s",
                    r->rejects[i].file ? r->rejects[i].file : "(no file)");
    }
    /* The rollback's proof, table by table. */
    int header = 0;
    for (int i = 0; i < r->ntables; i++) {
        const cut_jtable *t = &r->tables[i];
        if (strcmp(t->phase, "restore") != 0)
            continue;
        const cut_jtable *sn = find_table(r, "snapshot", t->table);
        if (!header++) {
            const cut_jstep *rs = find_step(r, CUT_STEP_RESTORE);
            fprintf(out, "\nrestore: %sdigests read back against the snapshot taken before "
                         "migrate\n",
                    rs && strcmp(rs->status, "ok") != 0 ? "FAILED, nothing of it committed; " : "");
        }
        /* A restore that stopped before reading a table back has no digest of it. */
        fprintf(out, "  %-20s %10" PRId64 " rows  %.16s  %s%s%s\n", t->table,
                t->target_rows < 0 ? 0 : t->target_rows, t->actual ? t->actual : "-",
                restore_proof(sn, t, 0), t->error ? ": " : "", t->error ? t->error : "");
    }
    char *v = verdict_text(r, journal);
    fprintf(out, "\n%s: %s\n", verdict_word(r), v ? v : "");
    free(v);
}

/* ------------------------------------------------------------- JSON */

static void jstr(FILE *out, cut_buf *b, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    cut_buf_reset(b);
    cut_json_string(b, s, strlen(s));
    fwrite(b->p, 1, b->len, out);
}

static void jint(FILE *out, int64_t v)
{
    if (v < 0)
        fputs("null", out);
    else
        fprintf(out, "%" PRId64, v);
}

static void jnum(FILE *out, double v)
{
    if (v < 0)
        fputs("null", out);
    else
        fprintf(out, "%.3f", v);
}

static void jtime(FILE *out, cut_buf *b, double epoch)
{
    char t[32];
    if (epoch <= 0)
        fputs("null", out);
    else
        jstr(out, b, cut_utc_iso(epoch, t, sizeof(t)));
}

static void json_steps_of(const cut_jrun *r, FILE *out)
{
    /* step name → seconds, for the comparison of runs */
    fputs("{", out);
    int k = 0;
    for (int i = 0; cut_step_names[i]; i++) {
        const cut_jstep *s = find_step(r, cut_step_names[i]);
        if (!s)
            continue;
        fprintf(out, "%s\"%s\": ", k++ ? ", " : "", cut_step_names[i]);
        jnum(out, strcmp(s->status, "skipped") == 0 ? -1 : step_seconds(s));
    }
    fputs("}", out);
}

static void json_report(const cut_jrun *r, cut_jrun *const *hist, int nhist, const char *journal,
                        FILE *out)
{
    cut_buf b = {0};
    fprintf(out, "{\n  \"format\": \"cutover-run\",\n  \"version\": 1,\n  \"verdict\": \"%s\",\n",
            r->outcome);
    fputs("  \"summary\": ", out);
    char *v = verdict_text(r, journal);
    jstr(out, &b, v);
    free(v);
    fputs(",\n  \"journal\": ", out);
    jstr(out, &b, journal);
    fprintf(out, ",\n  \"run\": {\n    \"id\": %" PRId64 ", \"kind\": ", r->id);
    jstr(out, &b, r->kind);
    fputs(", \"outcome\": ", out);
    jstr(out, &b, r->outcome);
    fprintf(out, ", \"rolled_back\": %s, \"no_rollback\": %s,\n    \"mapping\": ",
            r->rolled_back ? "true" : "false", r->no_rollback ? "true" : "false");
    jstr(out, &b, r->mapping);
    fputs(", \"mapping_hash\": ", out);
    jstr(out, &b, r->mapping_hash);
    fputs(",\n    \"source\": ", out);
    jstr(out, &b, r->source);
    fputs(", \"target\": ", out);
    jstr(out, &b, r->target);
    fputs(",\n    \"started\": ", out);
    jtime(out, &b, r->started);
    fputs(", \"ended\": ", out);
    jtime(out, &b, r->ended);
    fputs(", \"seconds\": ", out);
    jnum(out, run_seconds(r));
    fputs(",\n    \"host\": ", out);
    jstr(out, &b, r->host);
    fprintf(out, ", \"pid\": %" PRId64 ", \"snapshot\": ", r->pid);
    jstr(out, &b, r->snapshot);
    fputs(", \"resumed_from\": ", out);
    if (r->resumed_from)
        fprintf(out, "%" PRId64, r->resumed_from);
    else
        fputs("null", out);
    fputs(",\n    \"cleared\": ", out);
    jstr(out, &b, r->cleared);
    fputs(", \"detail\": ", out);
    jstr(out, &b, r->detail);
    fputs(", \"tool_version\": ", out);
    jstr(out, &b, r->tool_version);
    fputs("\n  },\n  \"steps\": [", out);
    for (int i = 0; i < r->nsteps; i++) {
        const cut_jstep *s = &r->steps[i];
        fprintf(out, "%s\n    {\"name\": ", i ? "," : "");
        jstr(out, &b, s->name);
        fputs(", \"status\": ", out);
        jstr(out, &b, s->status);
        fputs(", \"started\": ", out);
        jtime(out, &b, s->started);
        fputs(", \"offset\": ", out);
        jnum(out, s->started >= r->started ? s->started - r->started : 0);
        fputs(", \"seconds\": ", out);
        jnum(out, step_seconds(s));
        fputs(", \"rows\": ", out);
        jint(out, s->rows);
        fputs(", \"detail\": ", out);
        jstr(out, &b, s->detail);
        fputs("}", out);
    }
    fputs("\n  ],\n  \"tables\": [", out);
    const char **names = NULL;
    int n = table_names(r, &names);
    for (int i = 0; i < n; i++) {
        const cut_jtable *m = find_table(r, "migrate", names[i]);
        const cut_jtable *vt = find_table(r, "verify", names[i]);
        const cut_jtable *sn = find_table(r, "snapshot", names[i]);
        const cut_jtable *rs = find_table(r, "restore", names[i]);
        fprintf(out, "%s\n    {\"table\": ", i ? "," : "");
        jstr(out, &b, names[i]);
        fputs(", \"source_table\": ", out);
        jstr(out, &b, vt && vt->source_table ? vt->source_table : m ? m->source_table : NULL);
        fputs(",\n     \"migrate\": ", out);
        if (m) {
            fputs("{\"status\": ", out);
            jstr(out, &b, m->status);
            fputs(", \"source_rows\": ", out);
            jint(out, m->source_rows);
            fputs(", \"filtered\": ", out);
            jint(out, m->filtered);
            fputs(", \"rejected\": ", out);
            jint(out, m->rejected);
            fputs(", \"loaded\": ", out);
            jint(out, m->loaded);
            fputs(", \"zero_dates\": ", out);
            jint(out, m->zero_dates);
            fputs(", \"digest\": ", out);
            jstr(out, &b, m->expected);
            fputs(", \"seconds\": ", out);
            jnum(out, m->seconds);
            fputs(", \"rows_per_s\": ", out);
            jnum(out, m->rows_per_s);
            fputs(", \"note\": ", out);
            jstr(out, &b, m->note);
            fputs(", \"error\": ", out);
            jstr(out, &b, m->error);
            fputs("}", out);
        } else {
            fputs("null", out);
        }
        fputs(",\n     \"verify\": ", out);
        if (vt) {
            fputs("{\"status\": ", out);
            jstr(out, &b, vt->status);
            fputs(", \"source_rows\": ", out);
            jint(out, vt->source_rows);
            fputs(", \"filtered\": ", out);
            jint(out, vt->filtered);
            fputs(", \"rejected\": ", out);
            jint(out, vt->rejected);
            fputs(", \"loaded\": ", out);
            jint(out, vt->loaded);
            fputs(", \"target_rows\": ", out);
            jint(out, vt->target_rows);
            fputs(", \"zero_dates\": ", out);
            jint(out, vt->zero_dates);
            fputs(",\n                 \"expected_digest\": ", out);
            jstr(out, &b, vt->expected);
            fputs(", \"actual_digest\": ", out);
            jstr(out, &b, vt->actual);
            fprintf(out, ", \"digest_match\": %s, \"seconds\": ",
                    vt->expected && vt->actual && strcmp(vt->expected, vt->actual) == 0 ? "true"
                                                                                        : "false");
            jnum(out, vt->seconds);
            fprintf(out,
                    ",\n                 \"differences\": {\"missing\": %" PRId64
                    ", \"extra\": %" PRId64 ", \"changed\": %" PRId64 ", \"unexamined\": %" PRId64
                    "}, \"error\": ",
                    vt->diff_missing, vt->diff_extra, vt->diff_changed, vt->diff_unexamined);
            jstr(out, &b, vt->error);
            fputs("}", out);
        } else {
            fputs("null", out);
        }
        fputs(",\n     \"snapshot\": ", out);
        if (sn) {
            fputs("{\"rows\": ", out);
            jint(out, sn->target_rows);
            fputs(", \"digest\": ", out);
            jstr(out, &b, sn->expected);
            fputs("}", out);
        } else {
            fputs("null", out);
        }
        fputs(",\n     \"restore\": ", out);
        if (rs) {
            fputs("{\"status\": ", out);
            jstr(out, &b, rs->status);
            fputs(", \"rows\": ", out);
            jint(out, rs->target_rows);
            fputs(", \"digest\": ", out);
            jstr(out, &b, rs->actual);
            fprintf(out, ", \"matches_snapshot\": %s, \"error\": ",
                    restore_matches(sn, rs) || (!rs->actual && strcmp(rs->status, "ok") == 0)
                        ? "true"
                        : "false");
            jstr(out, &b, rs->error);
            fputs("}", out);
        } else {
            fputs("null", out);
        }
        fputs(",\n     \"rejects\": ", out);
        const cut_jreject *rj = NULL;
        for (int k = 0; k < r->nrejects; k++)
            if (strcmp(r->rejects[k].table, names[i]) == 0)
                rj = &r->rejects[k];
        if (rj) {
            fprintf(out, "{\"count\": %" PRId64 ", \"file\": ", rj->count);
            jstr(out, &b, rj->file);
            fputs("}", out);
        } else {
            fputs("null", out);
        }
        fputs(",\n     \"first_differences\": [", out);
        int last = -1, nd = 0, ncol = 0;
        for (int k = 0; k < r->ndiffs; k++) {
            const cut_jdiff *d = &r->diffs[k];
            if (strcmp(d->table, names[i]) != 0)
                continue;
            if (d->n != last) {
                if (last >= 0)
                    fputs("]}", out);
                fprintf(out, "%s\n       {\"kind\": ", nd++ ? "," : "");
                jstr(out, &b, d->kind);
                fputs(", \"key\": ", out);
                jstr(out, &b, d->key);
                fputs(", \"columns\": [", out);
                last = d->n;
                ncol = 0;
            }
            if (d->column) {
                fprintf(out, "%s{\"column\": ", ncol++ ? ", " : "");
                jstr(out, &b, d->column);
                fputs(", \"expected\": ", out);
                jstr(out, &b, d->expected);
                fputs(", \"actual\": ", out);
                jstr(out, &b, d->actual);
                fputs("}", out);
            }
        }
        if (last >= 0)
            fputs("]}\n     ", out);
        fputs("]}", out);
    }
    free(names);
    fputs("\n  ],\n  \"history\": [", out);
    for (int i = 0; i < nhist; i++) {
        const cut_jrun *h = hist[i];
        fprintf(out, "%s\n    {\"id\": %" PRId64 ", \"kind\": ", i ? "," : "", h->id);
        jstr(out, &b, h->kind);
        fputs(", \"outcome\": ", out);
        jstr(out, &b, h->outcome);
        fputs(", \"started\": ", out);
        jtime(out, &b, h->started);
        fputs(", \"seconds\": ", out);
        jnum(out, run_seconds(h));
        fputs(", \"steps\": ", out);
        json_steps_of(h, out);
        fputs("}", out);
    }
    fputs("\n  ]\n}\n", out);
    cut_buf_free(&b);
}

/* ------------------------------------------------------------- HTML */

static void html_esc(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
    }
}

static const char html_style[] =
    ":root{--go:#1a7f37;--go-bg:#dafbe1;--nogo:#b42318;--nogo-bg:#fee4e2;--warn:#9a6700;"
    "--warn-bg:#fff8c5;--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--panel:#f6f8fa}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:14px/1.45 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
    "color:var(--ink);background:#fff}"
    ".banner{padding:28px 40px 24px;color:#fff}"
    ".banner.go{background:linear-gradient(135deg,#1a7f37,#2da44e)}"
    ".banner.no-go,.banner.error{background:linear-gradient(135deg,#a40e26,#cf222e)}"
    ".banner.interrupted,.banner.running{background:linear-gradient(135deg,#7d4e00,#bf8700)}"
    ".banner .label{font-size:13px;letter-spacing:.08em;text-transform:uppercase;opacity:.85}"
    ".banner .verdict{font-size:44px;font-weight:700;letter-spacing:.01em;margin:2px 0 6px}"
    ".banner .verdict small{font-size:18px;font-weight:500;opacity:.9;margin-left:14px}"
    ".banner .why{font-size:15px;max-width:1100px;opacity:.95}"
    "main{padding:8px 40px 40px;max-width:1280px}"
    "h2{font-size:17px;margin:30px 0 10px;padding-bottom:6px;border-bottom:1px solid var(--line)}"
    ".meta{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:10px 28px;"
    "margin-top:22px;background:var(--panel);border:1px solid var(--line);border-radius:8px;"
    "padding:14px 18px}"
    ".meta div{min-width:0}.meta b{display:block;font-size:11px;font-weight:600;"
    "text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}"
    ".meta span{overflow-wrap:anywhere}"
    "table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}"
    "th{text-align:left;font-size:12px;color:var(--muted);font-weight:600;"
    "border-bottom:2px solid var(--line);padding:6px 10px;white-space:nowrap}"
    "td{border-bottom:1px solid var(--line);padding:7px 10px;vertical-align:top}"
    "td.n,th.n{text-align:right}"
    "tr.bad td{background:#fff5f5}"
    "code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}"
    ".pill{display:inline-block;padding:1px 9px;border-radius:10px;font-size:12px;"
    "font-weight:600;white-space:nowrap}"
    ".pill.ok{background:var(--go-bg);color:var(--go)}"
    ".pill.bad{background:var(--nogo-bg);color:var(--nogo)}"
    ".pill.warn{background:var(--warn-bg);color:var(--warn)}"
    ".pill.muted{background:#eaeef2;color:var(--muted)}"
    ".eq{color:var(--go);font-weight:600}.ne{color:var(--nogo);font-weight:600}"
    ".detail{color:var(--muted)}"
    ".chart{border:1px solid var(--line);border-radius:8px;padding:12px 14px;background:#fff}"
    ".note{color:var(--muted);font-size:13px;margin:6px 0 0}"
    ".kpis{display:grid;grid-template-columns:repeat(5,minmax(0,1fr));gap:14px;margin-top:24px}"
    ".kpi{border:1px solid var(--line);border-radius:8px;padding:12px 16px;background:#fff;"
    "border-top:4px solid var(--line)}"
    ".kpi.good{border-top-color:#2da44e}.kpi.bad{border-top-color:#cf222e}"
    ".kpi.warn{border-top-color:#bf8700}"
    ".kpi b{display:block;font-size:11px;font-weight:600;text-transform:uppercase;"
    "letter-spacing:.06em;color:var(--muted)}"
    ".kpi .v{font-size:26px;font-weight:700;margin:2px 0;font-variant-numeric:tabular-nums}"
    ".kpi .s{font-size:12px;color:var(--muted)}"
    "footer{color:var(--muted);font-size:12px;padding:0 40px 30px}";

static const char *pill_class(const char *status)
{
    if (!status)
        return "muted";
    if (strcmp(status, "ok") == 0 || strcmp(status, "go") == 0)
        return "ok";
    if (strcmp(status, "skipped") == 0 || strcmp(status, "pending") == 0)
        return "muted";
    if (strcmp(status, "running") == 0 || strcmp(status, "interrupted") == 0 ||
        strcmp(status, "done") == 0)
        return "warn";
    return "bad";
}

static const char *step_color(const char *status)
{
    if (strcmp(status, "ok") == 0)
        return "#2da44e";
    if (strcmp(status, "skipped") == 0)
        return "#8c959f";
    if (strcmp(status, "running") == 0 || strcmp(status, "interrupted") == 0)
        return "#bf8700";
    return "#cf222e";
}

static void html_meta(FILE *out, const char *label, const char *value, int mono)
{
    fprintf(out, "<div><b>");
    html_esc(out, label);
    fprintf(out, "</b><span%s>", mono ? " class=\"mono\"" : "");
    html_esc(out, value ? value : "-");
    fprintf(out, "</span></div>");
}

/* A "nice" axis maximum and step for values up to max. */
static void nice_axis(double max, double *top, double *step)
{
    if (max <= 0)
        max = 1;
    double mag = pow(10, floor(log10(max)));
    double f = max / mag;
    double unit = f <= 1 ? 0.2 : f <= 2 ? 0.5 : f <= 5 ? 1 : 2;
    *step = unit * mag;
    *top = ceil(max / *step) * *step;
}

static const char *axis_label(double v, char *buf, size_t size)
{
    if (v >= 3600)
        snprintf(buf, size, "%.1fh", v / 3600);
    else if (v >= 60)
        snprintf(buf, size, "%.1fm", v / 60);
    else if (v >= 1 || v == 0)
        snprintf(buf, size, "%gs", round(v * 10) / 10);
    else if (v >= 0.01)
        snprintf(buf, size, "%gs", round(v * 100) / 100);
    else
        snprintf(buf, size, "%gs", round(v * 1000) / 1000);
    return buf;
}

/* The steps on one time axis: a bar per step, from its start to its end. */
static void html_timeline(const cut_jrun *r, FILE *out)
{
    double total = run_seconds(r);
    double last = r->started;
    for (int i = 0; i < r->nsteps; i++) {
        double e = r->steps[i].ended > 0 ? r->steps[i].ended : r->steps[i].started;
        if (e > last)
            last = e;
    }
    if (total < last - r->started)
        total = last - r->started;
    double top, tick;
    nice_axis(total, &top, &tick);
    const int left = 110, width = 1000, plot = width - left - 90, rowh = 30;
    int h = 30 + rowh * r->nsteps + 10;
    fprintf(out,
            "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" "
            "aria-label=\"step timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
            "font-family=\"Helvetica,Arial,sans-serif\" font-size=\"12\">",
            width, h);
    for (double v = 0; v <= top + tick / 2; v += tick) {
        double x = left + v / top * plot;
        char lb[24];
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"22\" x2=\"%.1f\" y2=\"%d\" stroke=\"#d1d9e0\" "
                "stroke-dasharray=\"3 3\"/><text x=\"%.1f\" y=\"14\" fill=\"#59636e\" "
                "text-anchor=\"middle\">%s</text>",
                x, x, h - 6, x, axis_label(v, lb, sizeof(lb)));
    }
    for (int i = 0; i < r->nsteps; i++) {
        const cut_jstep *s = &r->steps[i];
        double off = s->started - r->started;
        double d = step_seconds(s);
        if (off < 0)
            off = 0;
        double x = left + off / top * plot;
        double w = d > 0 ? d / top * plot : 0;
        if (w < 2)
            w = 2;
        int y = 28 + rowh * i;
        char dur[24];
        fprintf(out, "<text x=\"%d\" y=\"%d\" fill=\"#1f2328\">", 8, y + 15);
        html_esc(out, s->name);
        fprintf(out,
                "</text><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"20\" rx=\"3\" "
                "fill=\"%s\"><title>",
                x, y + 1, w, step_color(s->status));
        html_esc(out, s->name);
        fputs(": ", out);
        html_esc(out, s->status);
        fprintf(out, ", %s</title></rect>", d >= 0 ? fmt_dur(d, dur, sizeof(dur)) : "unfinished");
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" fill=\"#59636e\">%s", x + w + 6, y + 15,
                d >= 0 ? fmt_dur(d, dur, sizeof(dur)) : "");
        if (strcmp(s->status, "ok") != 0) {
            fprintf(out, "<tspan dx=\"8\" fill=\"%s\" font-weight=\"bold\">",
                    step_color(s->status));
            html_esc(out, s->status);
            fputs("</tspan>", out);
        }
        fputs("</text>", out);
    }
    fprintf(out, "</svg>\n");
}

static const char *const palette[] = {"#0969da", "#8250df", "#1b7c83", "#bf3989",
                                      "#9a6700", "#6e7781", "#2da44e", "#cf222e"};

/* Bars per step across the runs of the same mapping hash (the current one outlined). */
static void html_rehearsals(const cut_jrun *r, cut_jrun *const *hist, int nhist, FILE *out)
{
    const char *steps[8];
    int nsteps = 0;
    double max = 0;
    for (int s = 0; cut_step_names[s]; s++) {
        int any = 0;
        for (int i = 0; i < nhist; i++) {
            const cut_jstep *st = find_step(hist[i], cut_step_names[s]);
            if (st && strcmp(st->status, "skipped") != 0 && step_seconds(st) >= 0) {
                any = 1;
                if (step_seconds(st) > max)
                    max = step_seconds(st);
            }
        }
        if (any)
            steps[nsteps++] = cut_step_names[s];
    }
    if (!nsteps || !nhist)
        return;
    double top, tick;
    nice_axis(max, &top, &tick);
    const int width = 1000, left = 60, right = 20, h = 300, plot_h = 210, base = 240;
    double group = (double)(width - left - right) / nsteps;
    double bw = group * 0.78 / nhist;
    fprintf(out,
            "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" "
            "aria-label=\"step durations across runs\" xmlns=\"http://www.w3.org/2000/svg\" "
            "font-family=\"Helvetica,Arial,sans-serif\" font-size=\"12\">",
            width, h);
    for (double v = 0; v <= top + tick / 2; v += tick) {
        double y = base - v / top * plot_h;
        char lb[24];
        fprintf(out,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#d1d9e0\"%s/>"
                "<text x=\"%d\" y=\"%.1f\" fill=\"#59636e\" text-anchor=\"end\">%s</text>",
                left, y, width - right, y, v > 0 ? " stroke-dasharray=\"3 3\"" : "", left - 6,
                y + 4, axis_label(v, lb, sizeof(lb)));
    }
    for (int s = 0; s < nsteps; s++) {
        double gx = left + group * s + group * 0.11;
        for (int i = 0; i < nhist; i++) {
            const cut_jstep *st = find_step(hist[i], steps[s]);
            double d = st && strcmp(st->status, "skipped") != 0 ? step_seconds(st) : -1;
            if (d < 0)
                continue;
            double bh = d / top * plot_h;
            if (bh < 1)
                bh = 1;
            int cur = hist[i]->id == r->id;
            char dur[24];
            fprintf(out,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s>"
                    "<title>run %" PRId64 " %s: %s</title></rect>",
                    gx + bw * i, base - bh, bw * 0.9, bh, palette[i % CUT_ARRAY_LEN(palette)],
                    cur ? " stroke=\"#1f2328\" stroke-width=\"2\"" : " opacity=\"0.85\"",
                    hist[i]->id, steps[s], fmt_dur(d, dur, sizeof(dur)));
            if (bw >= 26) {
                char lb[24];
                fprintf(out,
                        "<text x=\"%.1f\" y=\"%.1f\" fill=\"#59636e\" font-size=\"10\" "
                        "text-anchor=\"middle\">%s</text>",
                        gx + bw * i + bw * 0.45, base - bh - 4, axis_label(d, lb, sizeof(lb)));
            }
        }
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" fill=\"#1f2328\" text-anchor=\"middle\">%s</text>",
                left + group * s + group / 2, base + 18, steps[s]);
    }
    /* legend */
    double lx = left;
    for (int i = 0; i < nhist; i++) {
        char label[96];
        snprintf(label, sizeof(label), "run %" PRId64 " (%s%s)%s", hist[i]->id,
                 strcmp(hist[i]->kind, "production") == 0 ? "production, " : "",
                 hist[i]->outcome, hist[i]->id == r->id ? " this run" : "");
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"%s/>"
                "<text x=\"%.1f\" y=\"%d\" fill=\"#1f2328\">",
                lx, h - 28, palette[i % CUT_ARRAY_LEN(palette)],
                hist[i]->id == r->id ? " stroke=\"#1f2328\" stroke-width=\"2\"" : "", lx + 17,
                h - 18);
        html_esc(out, label);
        fprintf(out, "</text>");
        lx += 24 + 6.6 * (double)strlen(label);
    }
    fprintf(out, "</svg>\n");
}

static void html_num(FILE *out, int64_t v)
{
    if (v < 0)
        fputs("<td class=\"n\">-</td>", out);
    else
        fprintf(out, "<td class=\"n\">%" PRId64 "</td>", v);
}

static void html_digest(FILE *out, const char *hex)
{
    fputs("<td><code", out);
    if (hex) {
        fputs(" title=\"", out);
        html_esc(out, hex);
        fputs("\">", out);
        fprintf(out, "%.12s&hellip;", hex);
    } else {
        fputs(">-", out);
    }
    fputs("</code></td>", out);
}

static void html_tables(const cut_jrun *r, FILE *out)
{
    const char **names = NULL;
    int n = table_names(r, &names);
    if (n <= 0) {
        free(names);
        return;
    }
    fputs("<h2>Tables</h2><table><tr><th>table</th><th>from</th><th class=\"n\">source</th>"
          "<th class=\"n\">filtered</th><th class=\"n\">rejected</th><th class=\"n\">loaded</th>"
          "<th class=\"n\">target</th><th>expected digest</th><th>actual digest</th>"
          "<th>digests</th><th>status</th></tr>\n",
          out);
    for (int i = 0; i < n; i++) {
        const cut_jtable *m = find_table(r, "migrate", names[i]);
        const cut_jtable *v = find_table(r, "verify", names[i]);
        const cut_jtable *t = v ? v : m;
        int bad = v && strcmp(v->status, "ok") != 0;
        fprintf(out, "<tr%s><td><b>", bad ? " class=\"bad\"" : "");
        html_esc(out, names[i]);
        fputs("</b></td><td>", out);
        html_esc(out, t && t->source_table ? t->source_table : "-");
        fputs("</td>", out);
        html_num(out, t ? t->source_rows : -1);
        html_num(out, t ? t->filtered : -1);
        html_num(out, t ? t->rejected : -1);
        html_num(out, t ? t->loaded : -1);
        html_num(out, v ? v->target_rows : -1);
        html_digest(out, v ? v->expected : m ? m->expected : NULL);
        html_digest(out, v ? v->actual : NULL);
        if (v && v->expected && v->actual && strcmp(v->status, "failed") != 0)
            fputs(strcmp(v->expected, v->actual) == 0 ? "<td class=\"eq\">equal</td>"
                                                      : "<td class=\"ne\">different</td>",
                  out);
        else
            fputs("<td>-</td>", out);
        const char *st = v   ? verify_status(v)
                         : m ? (strcmp(m->status, "ok") == 0 ? "migrated" : m->status)
                             : "not run";
        fprintf(out, "<td><span class=\"pill %s\">", v ? pill_class(v->status)
                                                       : m ? pill_class(m->status) : "muted");
        html_esc(out, st);
        fputs("</span></td></tr>\n", out);
    }
    fputs("</table>", out);
    for (int i = 0; i < n; i++) {
        const cut_jtable *m = find_table(r, "migrate", names[i]);
        const cut_jtable *v = find_table(r, "verify", names[i]);
        const char *e = v && v->error ? v->error : m && m->error ? m->error : NULL;
        if (v && v->zero_dates > 0) {
            fprintf(out, "<p class=\"note\">");
            html_esc(out, names[i]);
            fprintf(out, ": %" PRId64 " zero date%s ('0000-00-00') became NULL.</p>",
                    v->zero_dates, v->zero_dates == 1 ? "" : "s");
        }
        if (v && strcmp(v->status, "mismatch") == 0 && v->expected && v->actual &&
            strcmp(v->expected, v->actual) == 0) {
            fprintf(out, "<p class=\"note ne\">");
            html_esc(out, names[i]);
            fprintf(out,
                    ": digests equal, but %" PRId64 " rejected row%s exceed%s max_rejects.</p>",
                    v->rejected, v->rejected == 1 ? "" : "s", v->rejected == 1 ? "s" : "");
        }
        if (m && m->note) {
            fprintf(out, "<p class=\"note\">");
            html_esc(out, names[i]);
            fputs(": ", out);
            html_esc(out, m->note);
            fputs(".</p>", out);
        }
        if (e) {
            fprintf(out, "<p class=\"note ne\">");
            html_esc(out, names[i]);
            fputs(": ", out);
            html_esc(out, e);
            fputs("</p>", out);
        }
    }
    free(names);
}

static void html_diffs(const cut_jrun *r, FILE *out)
{
    int any = 0;
    for (int i = 0; i < r->ntables; i++) {
        const cut_jtable *t = &r->tables[i];
        if (strcmp(t->phase, "verify") != 0)
            continue;
        int64_t total = t->diff_missing + t->diff_extra + t->diff_changed;
        if (!total)
            continue;
        if (!any++)
            fputs("<h2>First differences</h2>", out);
        fputs("<p><b>", out);
        html_esc(out, t->table);
        fprintf(out,
                "</b>: %" PRId64 " difference%s &mdash; %" PRId64 " missing, %" PRId64
                " extra, %" PRId64 " changed",
                total, total == 1 ? "" : "s", t->diff_missing, t->diff_extra, t->diff_changed);
        if (t->diff_unexamined)
            fprintf(out, " (%" PRId64 " rows in other differing key ranges not examined)",
                    t->diff_unexamined);
        fputs("</p><table><tr><th>kind</th><th>key</th><th>column</th><th>expected</th>"
              "<th>target has</th></tr>\n",
              out);
        int shown = 0, last = -1;
        for (int k = 0; k < r->ndiffs; k++) {
            const cut_jdiff *d = &r->diffs[k];
            if (strcmp(d->table, t->table) != 0)
                continue;
            if (d->n != last && shown == HTML_DIFFS)
                break;
            shown += d->n != last;
            fprintf(out, "<tr><td><span class=\"pill %s\">", strcmp(d->kind, "changed") == 0
                                                                   ? "warn" : "bad");
            html_esc(out, d->kind);
            fputs("</span></td><td><code>", out);
            html_esc(out, d->key);
            fputs("</code></td><td>", out);
            html_esc(out, d->column ? d->column : "-");
            fputs("</td><td><code>", out);
            html_esc(out, d->column ? (d->expected ? d->expected : "NULL") : "");
            fputs("</code></td><td><code class=\"ne\">", out);
            html_esc(out, d->column ? (d->actual ? d->actual : "NULL") : "");
            fputs("</code></td></tr>\n", out);
            last = d->n;
        }
        fputs("</table>", out);
        if (total > shown)
            fprintf(out, "<p class=\"note\">&hellip; and %" PRId64 " more.</p>", total - shown);
    }
}

static void html_restore(const cut_jrun *r, FILE *out)
{
    int any = 0;
    for (int i = 0; i < r->ntables; i++) {
        const cut_jtable *t = &r->tables[i];
        if (strcmp(t->phase, "restore") != 0)
            continue;
        if (!any++) {
            const cut_jstep *rs = find_step(r, CUT_STEP_RESTORE);
            fputs(rs && strcmp(rs->status, "ok") != 0
                      ? "<h2>Rollback</h2><p class=\"note\">The restore of the snapshot taken "
                        "before migrate failed: nothing of it was committed, and the target "
                        "keeps the state the run left.</p>"
                      : "<h2>Rollback</h2><p class=\"note\">The snapshot taken before migrate "
                        "was restored in one transaction; each table was read back and its "
                        "digest compared with the snapshot's before the commit.</p>",
                  out);
            fputs("<table><tr><th>table</th><th class=\"n\">rows</th><th>snapshot digest</th>"
                  "<th>restored digest</th><th>proof</th></tr>\n",
                  out);
        }
        const cut_jtable *sn = find_table(r, "snapshot", t->table);
        int ok = strcmp(t->status, "ok") == 0;
        int same = t->actual ? restore_matches(sn, t) : ok;
        fputs("<tr><td><b>", out);
        html_esc(out, t->table);
        fputs("</b></td>", out);
        html_num(out, t->target_rows);
        html_digest(out, sn ? sn->expected : t->expected);
        html_digest(out, t->actual);
        fprintf(out, "<td><span class=\"pill %s\">%s</span></td></tr>\n",
                same ? (ok ? "ok" : "warn") : "bad", restore_proof(sn, t, 1));
    }
    if (any)
        fputs("</table>", out);
}

static void kpi(FILE *out, const char *cls, const char *label, const char *value,
                const char *sub)
{
    fprintf(out, "<div class=\"kpi %s\"><b>", cls);
    html_esc(out, label);
    fputs("</b><div class=\"v\">", out);
    html_esc(out, value);
    fputs("</div><div class=\"s\">", out);
    html_esc(out, sub);
    fputs("</div></div>", out);
}

/* Five figures under the banner: tables, rows, differences, rollback, duration. */
static void html_kpis(const cut_jrun *r, FILE *out)
{
    char v[64], sub[160], d1[24];
    int n = 0, bad = 0, verified = 0;
    int64_t rows = 0, found = 0, src = 0, filtered = 0, rejected = 0, miss = 0, extra = 0;
    int64_t changed = 0;
    for (int i = 0; i < r->ntables; i++) {
        const cut_jtable *t = &r->tables[i];
        if (strcmp(t->phase, "verify") != 0)
            continue;
        n++;
        verified = 1;
        bad += strcmp(t->status, "ok") != 0;
        rows += t->loaded > 0 ? t->loaded : 0;
        found += t->target_rows > 0 ? t->target_rows : 0;
        src += t->source_rows > 0 ? t->source_rows : 0;
        filtered += t->filtered > 0 ? t->filtered : 0;
        rejected += t->rejected > 0 ? t->rejected : 0;
        miss += t->diff_missing;
        extra += t->diff_extra;
        changed += t->diff_changed;
    }
    fputs("<section class=\"kpis\">", out);
    if (verified) {
        snprintf(v, sizeof(v), "%d / %d", n - bad, n);
        snprintf(sub, sizeof(sub), bad ? "%d table%s failed verification" : "every table Go", bad,
                 bad == 1 ? "" : "s");
        kpi(out, bad ? "bad" : "good", "tables Go", v, sub);
        snprintf(v, sizeof(v), "%" PRId64, found);
        snprintf(sub, sizeof(sub), "%" PRId64 " expected: %" PRId64 " source rows, %" PRId64
                                   " filtered, %" PRId64 " rejected",
                 rows, src, filtered, rejected);
        kpi(out, found == rows ? "" : "bad", "target rows", v, sub);
        snprintf(v, sizeof(v), "%" PRId64, miss + extra + changed);
        snprintf(sub, sizeof(sub), "%" PRId64 " missing, %" PRId64 " extra, %" PRId64 " changed",
                 miss, extra, changed);
        kpi(out, miss + extra + changed ? "bad" : "good", "differences", v, sub);
    } else {
        kpi(out, "warn", "tables Go", "-", "not verified");
        kpi(out, "", "target rows", "-", "not verified");
        kpi(out, "", "differences", "-", "not verified");
    }
    const cut_jstep *rs = find_step(r, CUT_STEP_RESTORE);
    if (r->rolled_back)
        kpi(out, "good", "rollback", "proved", "restored; every digest equals the snapshot's");
    else if (rs && strcmp(rs->status, "failed") == 0)
        kpi(out, "bad", "rollback", "failed", "the target keeps the failed state");
    else if (rs && strcmp(rs->status, "skipped") == 0)
        kpi(out, "warn", "rollback", "skipped", rs->detail && strstr(rs->detail, "--no-rollback")
                                                    ? "--no-rollback: failed state kept"
                                                    : "no snapshot to restore");
    else if (strcmp(r->outcome, "go") == 0)
        kpi(out, "good", "rollback", "not needed", r->snapshot ? "the snapshot stays the way back"
                                                               : "");
    else if (strcmp(r->outcome, "interrupted") == 0 && !r->cleared)
        kpi(out, "warn", "rollback", "pending", "resume the run or restore its snapshot");
    else
        kpi(out, "", "rollback", "-", r->cleared ? r->cleared : "");
    cut_buf b = {0};
    static const char *const main_steps[] = {CUT_STEP_SNAPSHOT, CUT_STEP_MIGRATE, CUT_STEP_VERIFY};
    for (size_t i = 0; i < CUT_ARRAY_LEN(main_steps); i++) {
        const cut_jstep *st = find_step(r, main_steps[i]);
        if (st && step_seconds(st) >= 0 && strcmp(st->status, "skipped") != 0)
            cut_buf_printf(&b, "%s%s %s", b.len ? ", " : "", main_steps[i],
                           fmt_dur(step_seconds(st), d1, sizeof(d1)));
    }
    kpi(out, "", "duration", run_seconds(r) >= 0 ? fmt_dur(run_seconds(r), v, sizeof(v)) : "-",
        b.len ? cut_buf_cstr(&b) : "");
    cut_buf_free(&b);
    fputs("</section>\n", out);
}

static void html_report(const cut_jrun *r, cut_jrun *const *hist, int nhist, const char *journal,
                        FILE *out)
{
    char t1[40], d1[24], buf[64];
    const char *rb = rollback_state(r);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
          "<meta name=\"generator\" content=\"cutover " CUT_VERSION_STRING "\"><title>",
          out);
    fprintf(out, "cutover run %" PRId64 ": %s</title><style>%s</style></head><body>\n", r->id,
            verdict_word(r), html_style);
    fputs("<header class=\"banner ", out);
    html_esc(out, r->outcome);
    fprintf(out, "\"><div class=\"label\">cutover run %" PRId64 " &middot; ", r->id);
    html_esc(out, r->kind);
    fprintf(out, "</div><div class=\"verdict\" id=\"verdict\">%s", verdict_word(r));
    if (rb) {
        fputs("<small>", out);
        html_esc(out, rb);
        fputs("</small>", out);
    }
    fputs("</div><div class=\"why\">", out);
    char *v = verdict_text(r, journal);
    html_esc(out, v);
    free(v);
    fputs("</div></header>\n<main>\n", out);
    html_kpis(r, out);
    fputs("<section class=\"meta\">", out);
    html_meta(out, "mapping", r->mapping, 0);
    snprintf(buf, sizeof(buf), "%.16s", r->mapping_hash);
    html_meta(out, "mapping hash", buf, 1);
    html_meta(out, "started", fmt_time(r->started, t1, sizeof(t1)), 0);
    html_meta(out, "source", r->source, 1);
    html_meta(out, "target", r->target, 1);
    html_meta(out, "duration", run_seconds(r) >= 0 ? fmt_dur(run_seconds(r), d1, sizeof(d1)) : "-",
              0);
    html_meta(out, "snapshot (the way back)", r->snapshot, 1);
    snprintf(buf, sizeof(buf), "%s, pid %" PRId64, r->host ? r->host : "?", r->pid);
    html_meta(out, "host", buf, 0);
    if (r->resumed_from) {
        snprintf(buf, sizeof(buf), "run %" PRId64, r->resumed_from);
        html_meta(out, "resumes", buf, 0);
    } else {
        html_meta(out, "cutover", r->tool_version, 0);
    }
    fputs("</section>\n", out);
    html_tables(r, out);
    fputs("<h2>Steps</h2>", out);
    html_timeline(r, out);
    fputs("<table><tr><th>step</th><th class=\"n\">start</th><th class=\"n\">duration</th>"
          "<th>status</th><th>detail</th></tr>\n",
          out);
    for (int i = 0; i < r->nsteps; i++) {
        const cut_jstep *s = &r->steps[i];
        fputs("<tr><td><b>", out);
        html_esc(out, s->name);
        fprintf(out, "</b></td><td class=\"n\">+%.2f s</td><td class=\"n\">%s</td>",
                s->started >= r->started ? s->started - r->started : 0,
                fmt_dur(step_seconds(s), d1, sizeof(d1)));
        fprintf(out, "<td><span class=\"pill %s\">", pill_class(s->status));
        html_esc(out, s->status);
        fputs("</span></td><td class=\"detail\">", out);
        html_esc(out, s->detail ? s->detail : "");
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
    html_restore(r, out);
    html_diffs(r, out);
    if (r->nrejects) {
        fputs("<h2>Rejects</h2><table><tr><th>table</th><th class=\"n\">rows</th>"
              "<th>reject file</th></tr>",
              out);
        for (int i = 0; i < r->nrejects; i++) {
            fputs("<tr><td><b>", out);
            html_esc(out, r->rejects[i].table);
            fputs("</b></td>", out);
            html_num(out, r->rejects[i].count);
            fputs("<td><code>", out);
            html_esc(out, r->rejects[i].file ? r->rejects[i].file : "-");
            fputs("</code></td></tr>", out);
        }
        fputs("</table>", out);
    }
    if (nhist > 1) {
        fprintf(out, "<h2>Rehearsal comparison</h2><p class=\"note\">Step durations of the last "
                     "%d runs of this mapping (hash %.16s); this run is outlined.</p>",
                nhist, r->mapping_hash);
        html_rehearsals(r, hist, nhist, out);
    }
    fprintf(out, "</main><footer>Generated by cutover %s from the journal <code>",
            CUT_VERSION_STRING);
    html_esc(out, journal);
    fprintf(out, "</code> at %s.</footer>\n</body></html>\n",
            fmt_time(cut_wallclock(), t1, sizeof(t1)));
}

/* -------------------------------------------------------------- entry */

int cut_report_run(cut_journal *j, int64_t run, cut_report_format fmt, FILE *out, cut_error *err)
{
    cut_jrun *r = NULL;
    cut_jrun **hist = NULL;
    int nhist = 0;
    cut_error reap_err; /* a journal that cannot be written is still read */
    cut_error_clear(&reap_err);
    cut_journal_reap(j, &reap_err);
    int rc = cut_journal_load(j, run, 1, &r, err);
    if (rc)
        return rc;
    if (fmt != CUT_REPORT_TEXT && (rc = load_history(j, r, &hist, &nhist, err))) {
        cut_jrun_free(r);
        return rc;
    }
    const char *jp = cut_journal_path(j);
    if (fmt == CUT_REPORT_TEXT)
        text_report(r, jp, out);
    else if (fmt == CUT_REPORT_JSON)
        json_report(r, hist, nhist, jp, out);
    else
        html_report(r, hist, nhist, jp, out);
    cut_jrun_free(r);
    cut_jrun_list_free(hist, nhist);
    return ferror(out) ? cut_error_set(err, CUT_EIO, "cannot write the report") : CUT_OK;
}

/* ------------------------------------------------------ runs, forecast */

/* Rows a step goes through, for the rate-based forecast (-1: does not scale with rows). */
static int64_t rows_now(const char *step, int64_t src, int64_t tgt)
{
    if (strcmp(step, CUT_STEP_MIGRATE) == 0 || strcmp(step, CUT_STEP_VERIFY) == 0)
        return src;
    if (strcmp(step, CUT_STEP_SNAPSHOT) == 0 || strcmp(step, CUT_STEP_RESTORE) == 0)
        return tgt;
    return -1;
}

/* A run's outcome in the history's words ("interrupted in migrate: BLOCKS the target"). */
static void outcome_words(const cut_jrun *r, char *oc, size_t size)
{
    const char *rb = rollback_state(r);
    const cut_jstep *stop = stopped_step(r);
    if (strcmp(r->outcome, "interrupted") == 0) {
        const char *then = !r->cleared                               ? ": BLOCKS the target"
                           : strncmp(r->cleared, "resumed", 7) == 0  ? ", resumed"
                           : strncmp(r->cleared, "restored", 8) == 0 ? ", restored"
                                                                     : "";
        snprintf(oc, size, "interrupted in %s%s", stop ? stop->name : "?", then);
    } else if (strcmp(r->outcome, "error") == 0) {
        snprintf(oc, size, "error in %s%s", stop ? stop->name : "?",
                 r->rolled_back ? ", rolled back" : "");
    } else {
        snprintf(oc, size, "%s%s%s%s", r->outcome, rb ? ", " : "", rb ? rb : "",
                 r->resumed_from ? " (resumed)" : "");
    }
}

int cut_report_runs(cut_journal *j, cut_mapping *m, FILE *out, cut_error *err)
{
    cut_jrun **all = NULL;
    int nall = 0;
    cut_error reap_err; /* a journal that cannot be written is still read */
    cut_error_clear(&reap_err);
    cut_journal_reap(j, &reap_err);
    int rc = cut_journal_list(j, m ? m->hash : NULL, &all, &nall, err);
    if (rc)
        return rc;
    char t1[40], d1[24], d2[24], d3[24];
    if (!nall) {
        fprintf(out, "journal %s: no runs%s yet\n", cut_journal_path(j),
                m ? " of this mapping" : "");
        cut_jrun_list_free(all, nall);
        return CUT_OK;
    }
    fprintf(out, "journal %s: %d run%s%s%s\n\n", cut_journal_path(j), nall, nall == 1 ? "" : "s",
            m ? " of " : "", m ? m->path : "");
    /* The outcome column is as wide as its widest entry: "interrupted in migrate: BLOCKS
       the target", the one that matters most, must not push its mapping out of line. */
    char(*oc)[96] = calloc((size_t)nall, sizeof(*oc));
    if (!oc) {
        cut_jrun_list_free(all, nall);
        return cut_error_set(err, CUT_ENOMEM, "out of memory");
    }
    int ow = (int)strlen("outcome");
    for (int i = 0; i < nall; i++) {
        outcome_words(all[i], oc[i], sizeof(oc[i]));
        if ((int)strlen(oc[i]) > ow)
            ow = (int)strlen(oc[i]);
    }
    fprintf(out, "%5s  %-10s  %-23s  %9s  %-*s  %s\n", "run", "kind", "started", "took", ow,
            "outcome", "mapping");
    for (int i = 0; i < nall; i++) {
        const cut_jrun *r = all[i];
        const char *base = strrchr(r->mapping, '/');
        fprintf(out, "%5" PRId64 "  %-10s  %-23s  %9s  %-*s  %s (%.8s)\n", r->id, r->kind,
                fmt_time(r->started, t1, sizeof(t1)), fmt_dur(run_seconds(r), d1, sizeof(d1)), ow,
                oc[i], base ? base + 1 : r->mapping, r->mapping_hash);
    }
    free(oc);

    /* The rehearsals of one mapping: the given one, else the latest run's. */
    const char *hash = m ? m->hash : all[nall - 1]->mapping_hash;
    cut_jrun *reh[HISTORY_COLUMNS];
    int nreh = 0, total_reh = 0;
    for (int i = 0; i < nall; i++)
        total_reh += strcmp(all[i]->mapping_hash, hash) == 0 &&
                     strcmp(all[i]->kind, "rehearsal") == 0;
    int skip = total_reh > HISTORY_COLUMNS ? total_reh - HISTORY_COLUMNS : 0;
    for (int i = 0; i < nall; i++) {
        if (strcmp(all[i]->mapping_hash, hash) != 0 || strcmp(all[i]->kind, "rehearsal") != 0)
            continue;
        if (skip > 0) {
            skip--;
            continue;
        }
        reh[nreh++] = all[i];
    }
    if (nreh == 0) {
        fprintf(out, "\nno rehearsals of mapping hash %.16s: nothing to forecast from\n", hash);
        cut_jrun_list_free(all, nall);
        return CUT_OK;
    }
    fprintf(out, "\nstep durations of the rehearsals (mapping hash %.16s%s)\n", hash,
            total_reh > nreh ? ", the latest ones" : "");
    fprintf(out, "%-9s", "step");
    for (int i = 0; i < nreh; i++) {
        char h[24];
        snprintf(h, sizeof(h), "run %" PRId64, reh[i]->id);
        fprintf(out, " %11s", h);
    }
    fputs("\n", out);
    for (int s = 0; cut_step_names[s]; s++) {
        int any = 0;
        for (int i = 0; i < nreh; i++)
            any = any || find_step(reh[i], cut_step_names[s]);
        if (!any)
            continue;
        fprintf(out, "%-9s", cut_step_names[s]);
        for (int i = 0; i < nreh; i++) {
            const cut_jstep *st = find_step(reh[i], cut_step_names[s]);
            const char *cell = !st                                 ? "-"
                               : strcmp(st->status, "skipped") == 0 ? "skipped"
                               : strcmp(st->status, "ok") == 0 ||
                                       strcmp(st->status, "failed") == 0
                                   ? fmt_dur(step_seconds(st), d1, sizeof(d1))
                                   : st->status;
            fprintf(out, " %11s", cell);
        }
        fputs("\n", out);
    }
    fprintf(out, "%-9s", "total");
    for (int i = 0; i < nreh; i++)
        fprintf(out, " %11s", fmt_dur(run_seconds(reh[i]), d1, sizeof(d1)));
    fputs("\n", out);

    /* Current row counts: from the mapping's databases, else the latest run. */
    int64_t src = -1, tgt = -1;
    char origin[600];
    if (m) {
        cut_error e;
        cut_error_clear(&e);
        char buf[400];
        if (cut_run_estimate_rows(m, &src, &tgt, &e) == CUT_OK)
            snprintf(origin, sizeof(origin), "driver estimates from the mapping's databases%s",
                     tgt < 0 ? " (target unreachable: target rows unknown)" : "");
        else
            snprintf(origin, sizeof(origin), "source unreachable (%s): ",
                     cut_error_format(&e, buf, sizeof(buf)));
    } else {
        snprintf(origin, sizeof(origin), "no mapping given: ");
    }
    if (src < 0) {
        /* The latest rehearsal that went through the rows (not one still running). */
        const cut_jrun *last = reh[nreh - 1];
        for (int i = nreh - 1; i >= 0; i--) {
            const cut_jstep *st = find_step(reh[i], CUT_STEP_VERIFY);
            if (!st)
                st = find_step(reh[i], CUT_STEP_MIGRATE);
            if (st && strcmp(st->status, "ok") == 0) {
                last = reh[i];
                break;
            }
        }
        const cut_jstep *mg = find_step(last, CUT_STEP_MIGRATE);
        const cut_jstep *vf = find_step(last, CUT_STEP_VERIFY);
        src = vf && vf->rows >= 0 ? vf->rows : mg ? mg->rows : -1;
        for (int i = nreh - 1; i >= 0 && tgt < 0; i--) {
            const cut_jstep *sn = find_step(reh[i], CUT_STEP_SNAPSHOT);
            if (sn && strcmp(sn->status, "ok") == 0)
                tgt = sn->rows;
        }
        size_t l = strlen(origin);
        snprintf(origin + l, sizeof(origin) - l, "the counts of run %" PRId64, last->id);
    }
    fprintf(out, "\nforecast for production, from %d rehearsal%s\n", nreh, nreh == 1 ? "" : "s");
    fprintf(out, "rows now: source ");
    if (src >= 0)
        fprintf(out, "%" PRId64, src);
    else
        fputs("unknown", out);
    fputs(", target ", out);
    if (tgt >= 0)
        fprintf(out, "%" PRId64, tgt);
    else
        fputs("unknown", out);
    fprintf(out, " (%s)\n", origin);
    fprintf(out, "%-9s %9s %9s %10s  %s\n", "step", "mean", "worst", "by rows/s", "rate");
    double tmean = 0, tworst = 0, trate = 0;
    int rate_complete = 1;
    cut_forecast restore_fc;
    memset(&restore_fc, 0, sizeof(restore_fc));
    for (int s = 0; cut_step_names[s]; s++) {
        const char *name = cut_step_names[s];
        double secs[HISTORY_COLUMNS];
        int64_t rows[HISTORY_COLUMNS];
        int n = 0;
        for (int i = 0; i < nreh; i++) {
            const cut_jstep *st = find_step(reh[i], name);
            /* Only whole steps: a resumed run migrated part of the tables. */
            if (!st || strcmp(st->status, "ok") != 0 || step_seconds(st) < 0 ||
                (reh[i]->resumed_from && strcmp(name, CUT_STEP_MIGRATE) == 0))
                continue;
            secs[n] = step_seconds(st);
            rows[n++] = st->rows;
        }
        cut_forecast f;
        cut_forecast_step(secs, rows, n, rows_now(name, src, tgt), &f);
        if (strcmp(name, CUT_STEP_RESTORE) == 0) {
            restore_fc = f;
            continue;
        }
        if (n == 0) {
            fprintf(out, "%-9s %9s %9s %10s  (no finished step to learn from)\n", name, "-", "-",
                    "-");
            rate_complete = 0;
            continue;
        }
        char rate[64] = "";
        if (f.rate > 0)
            snprintf(rate, sizeof(rate), "%.0f rows/s", f.rate);
        fprintf(out, "%-9s %9s %9s %10s  %s\n", name, fmt_dur(f.mean, d1, sizeof(d1)),
                fmt_dur(f.worst, d2, sizeof(d2)),
                f.by_rate >= 0 ? fmt_dur(f.by_rate, d3, sizeof(d3)) : "-", rate);
        tmean += f.mean;
        tworst += f.worst;
        trate += f.by_rate >= 0 ? f.by_rate : f.mean;
    }
    fprintf(out, "%-9s %9s %9s %10s  %s\n", "total", fmt_dur(tmean, d1, sizeof(d1)),
            fmt_dur(tworst, d2, sizeof(d2)), fmt_dur(trate, d3, sizeof(d3)),
            rate_complete ? "(by rows/s: steps without a rate count at their mean)"
                          : "(steps with no history are missing)");
    if (restore_fc.n)
        fprintf(out, "if No-Go: restore %s (mean of %d), worst %s%s%s\n",
                fmt_dur(restore_fc.mean, d1, sizeof(d1)), restore_fc.n,
                fmt_dur(restore_fc.worst, d2, sizeof(d2)),
                restore_fc.by_rate >= 0 ? ", by rows/s " : "",
                restore_fc.by_rate >= 0 ? fmt_dur(restore_fc.by_rate, d3, sizeof(d3)) : "");
    else
        fprintf(out, "if No-Go: restore (no rehearsal restored yet; plan for about the snapshot's "
                     "time)\n");
    cut_jrun_list_free(all, nall);
    return ferror(out) ? cut_error_set(err, CUT_EIO, "cannot write the report") : CUT_OK;
}
