/*
 * report.c — renders migrate and verify results: aligned text for terminals
 * and JSON for gates and CI (schema: docs/verify-json.md).
 */
#include <inttypes.h>
#include <string.h>

#include "cutover.h"
#include "util.h"

static const char *status_word(cut_table_status s)
{
    switch (s) {
    case CUT_TABLE_OK: return "ok";
    case CUT_TABLE_MISMATCH: return "mismatch";
    case CUT_TABLE_FAILED: return "failed";
    default: return "pending";
    }
}

static int name_width(const cut_result *r)
{
    int w = 5;
    for (int i = 0; i < r->ntables; i++) {
        int n = (int)strlen(r->tables[i].table);
        if (n > w)
            w = n;
    }
    return w > 40 ? 40 : w;
}

void cut_report_migrate_text(const cut_result *r, FILE *out)
{
    int w = name_width(r);
    fprintf(out, "%-*s %10s %9s %9s %10s %8s %10s\n", w, "table", "source", "filtered",
            "rejected", "loaded", "seconds", "rows/s");
    int64_t total = 0;
    for (int i = 0; i < r->ntables; i++) {
        const cut_table_result *t = &r->tables[i];
        if (t->status == CUT_TABLE_PENDING) {
            fprintf(out, "%-*s %10s\n", w, t->table, "not run");
            continue;
        }
        double rate = t->seconds > 0 ? (double)t->source_rows / t->seconds : 0;
        fprintf(out, "%-*s %10" PRId64 " %9" PRId64 " %9" PRId64 " %10" PRId64 " %8.2f %10.0f%s\n",
                w, t->table, t->source_rows, t->filtered, t->rejected, t->loaded, t->seconds,
                rate, t->status == CUT_TABLE_FAILED ? "  FAILED" : "");
        total += t->source_rows;
    }
    for (int i = 0; i < r->ntables; i++) {
        const cut_table_result *t = &r->tables[i];
        if (t->zero_dates)
            fprintf(out, "%s: %" PRId64 " zero date%s ('0000-00-00') became NULL\n", t->table,
                    t->zero_dates, t->zero_dates == 1 ? "" : "s");
        if (t->rejected && t->reject_file)
            fprintf(out, "%s: %" PRId64 " rejected row%s written to %s\n", t->table, t->rejected,
                    t->rejected == 1 ? "" : "s", t->reject_file);
        if (t->error)
            fprintf(out, "%s: %s\n", t->table, t->error);
    }
    fprintf(out, "%" PRId64 " source rows in %.2f s\n", total, r->seconds);
}

static const char *diff_word(cut_diff_kind k)
{
    return k == CUT_DIFF_MISSING ? "missing" : k == CUT_DIFF_EXTRA ? "extra" : "changed";
}

void cut_report_verify_text(const cut_result *r, FILE *out)
{
    int w = name_width(r);
    fprintf(out, "%-*s %10s %9s %9s %10s %10s  %s\n", w, "table", "source", "filtered", "rejected",
            "loaded", "target", "digest");
    int bad = 0, unfinished = 0;
    int64_t rows = 0;
    for (int i = 0; i < r->ntables; i++) {
        const cut_table_result *t = &r->tables[i];
        if (t->status == CUT_TABLE_PENDING || t->status == CUT_TABLE_FAILED)
            unfinished++;
        const char *dg = t->status == CUT_TABLE_FAILED                      ? "error"
                         : cut_digest_equal(&t->expected, &t->actual)        ? "equal"
                                                                              : "DIFFERENT";
        if (t->status == CUT_TABLE_PENDING) {
            fprintf(out, "%-*s %10s\n", w, t->table, "not run");
            bad++;
            continue;
        }
        fprintf(out, "%-*s %10" PRId64 " %9" PRId64 " %9" PRId64 " %10" PRId64 " %10" PRId64 "  %s\n",
                w, t->table, t->source_rows, t->filtered, t->rejected, t->loaded, t->target_rows,
                dg);
        rows += t->loaded;
        if (t->status != CUT_TABLE_OK)
            bad++;
    }
    for (int i = 0; i < r->ntables; i++) {
        const cut_table_result *t = &r->tables[i];
        if (t->zero_dates)
            fprintf(out, "%s: %" PRId64 " zero date%s ('0000-00-00') became NULL\n", t->table,
                    t->zero_dates, t->zero_dates == 1 ? "" : "s");
        if (t->error) {
            fprintf(out, "%s: %s\n", t->table, t->error);
            continue;
        }
        if (t->status == CUT_TABLE_MISMATCH && cut_digest_equal(&t->expected, &t->actual))
            fprintf(out, "%s: %" PRId64 " rejected row%s exceed%s max_rejects\n", t->table,
                    t->rejected, t->rejected == 1 ? "" : "s", t->rejected == 1 ? "s" : "");
        if (cut_digest_equal(&t->expected, &t->actual))
            continue;
        if (t->source_rows - t->filtered - t->rejected != t->loaded)
            fprintf(out, "%s: accounting does not balance\n", t->table);
        int64_t total = t->diff_missing + t->diff_extra + t->diff_changed;
        fprintf(out, "%s: %" PRId64 " difference%s (%" PRId64 " missing, %" PRId64
                     " extra, %" PRId64 " changed)\n",
                t->table, total, total == 1 ? "" : "s", t->diff_missing, t->diff_extra,
                t->diff_changed);
        for (int k = 0; k < t->ndiffs; k++) {
            const cut_diff *d = &t->diffs[k];
            fprintf(out, "  %-8s %s\n", diff_word(d->kind), d->key);
            for (int c = 0; c < d->ncols; c++)
                fprintf(out, "           %s: expected %s, target has %s\n", d->cols[c].column,
                        d->cols[c].expected ? d->cols[c].expected : "NULL",
                        d->cols[c].actual ? d->cols[c].actual : "NULL");
        }
        if (total > t->ndiffs)
            fprintf(out, "  ... and %" PRId64 " more\n", total - t->ndiffs);
        if (t->diff_unexamined)
            fprintf(out, "  (%" PRId64 " rows in other differing key ranges were not examined)\n",
                    t->diff_unexamined);
    }
    if (unfinished)
        /* An error or an interruption is not a verdict: the tables not verified say nothing
           of the target (the exit status is 2, not 1). */
        fprintf(out, "\nNo verdict: %d of %d table%s not verified (%.2f s)\n", unfinished,
                r->ntables, r->ntables == 1 ? "" : "s", r->seconds);
    else if (r->ntables == 0)
        fprintf(out, "\nNo-Go: no table was verified (%.2f s)\n", r->seconds);
    else if (bad == 0)
        fprintf(out, "\nGo: %d table%s, %" PRId64 " row%s verified, digests equal (%.2f s)\n",
                r->ntables, r->ntables == 1 ? "" : "s", rows, rows == 1 ? "" : "s", r->seconds);
    else
        fprintf(out, "\nNo-Go: %d of %d table%s failed verification (%.2f s)\n", bad, r->ntables,
                r->ntables == 1 ? "" : "s", r->seconds);
}

static void json_str(FILE *out, cut_buf *b, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    cut_buf_reset(b);
    cut_json_string(b, s, strlen(s));
    fwrite(b->p, 1, b->len, out);
}

int cut_report_verify_json(const cut_result *r, FILE *out)
{
    cut_buf b = {0};
    char hex[33];
    fprintf(out, "{\n  \"format\": \"cutover-verify\",\n  \"version\": 1,\n  \"verdict\": \"%s\",\n",
            r->go ? "go" : "no-go");
    fprintf(out, "  \"mapping\": ");
    json_str(out, &b, r->mapping);
    fprintf(out, ",\n  \"source\": ");
    json_str(out, &b, r->source);
    fprintf(out, ",\n  \"target\": ");
    json_str(out, &b, r->target);
    fprintf(out, ",\n  \"seconds\": %.3f,\n  \"tables\": [", r->seconds);
    for (int i = 0; i < r->ntables; i++) {
        const cut_table_result *t = &r->tables[i];
        fprintf(out, "%s\n    {\"table\": ", i ? "," : "");
        json_str(out, &b, t->table);
        fprintf(out, ", \"source_table\": ");
        json_str(out, &b, t->source);
        fprintf(out, ", \"status\": \"%s\",\n", status_word(t->status));
        fprintf(out,
                "     \"source_rows\": %" PRId64 ", \"filtered\": %" PRId64
                ", \"rejected\": %" PRId64 ", \"loaded\": %" PRId64 ", \"target_rows\": %" PRId64
                ", \"zero_dates\": %" PRId64 ",\n",
                t->source_rows, t->filtered, t->rejected, t->loaded, t->target_rows,
                t->zero_dates);
        fprintf(out, "     \"expected_digest\": \"%s\", ", cut_digest_hex(&t->expected, hex));
        fprintf(out, "\"actual_digest\": \"%s\", \"digest_match\": %s, \"seconds\": %.3f,\n",
                cut_digest_hex(&t->actual, hex),
                cut_digest_equal(&t->expected, &t->actual) ? "true" : "false", t->seconds);
        fprintf(out,
                "     \"differences\": {\"missing\": %" PRId64 ", \"extra\": %" PRId64
                ", \"changed\": %" PRId64 ", \"unexamined\": %" PRId64 ", \"first\": [",
                t->diff_missing, t->diff_extra, t->diff_changed, t->diff_unexamined);
        for (int k = 0; k < t->ndiffs; k++) {
            const cut_diff *d = &t->diffs[k];
            fprintf(out, "%s\n       {\"kind\": \"%s\", \"key\": ", k ? "," : "", diff_word(d->kind));
            json_str(out, &b, d->key);
            fprintf(out, ", \"columns\": [");
            for (int c = 0; c < d->ncols; c++) {
                fprintf(out, "%s{\"column\": ", c ? ", " : "");
                json_str(out, &b, d->cols[c].column);
                fprintf(out, ", \"expected\": ");
                json_str(out, &b, d->cols[c].expected);
                fprintf(out, ", \"actual\": ");
                json_str(out, &b, d->cols[c].actual);
                fprintf(out, "}");
            }
            fprintf(out, "]}");
        }
        fprintf(out, "%s]},\n     \"error\": ", t->ndiffs ? "\n     " : "");
        json_str(out, &b, t->error);
        fprintf(out, ", \"reject_file\": ");
        json_str(out, &b, t->reject_file);
        fprintf(out, "}");
    }
    fprintf(out, "\n  ]\n}\n");
    cut_buf_free(&b);
    return ferror(out) ? CUT_EIO : CUT_OK;
}
