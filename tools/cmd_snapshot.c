/*
 * cmd_snapshot.c — the snapshot, restore and inspect commands: options in,
 * libcutover calls, aligned tables out. The format and the checks are the
 * library's (lib/snapshot.c, docs/snapshot-format.md).
 *
 * Exit statuses: 0 success; 1 the snapshot failed a check or a restored
 * table's digest differed (nothing was committed); 2 usage or runtime error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cutover.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_ERROR = 2 };

static volatile sig_atomic_t cancel_flag;

static void on_signal(int sig)
{
    if (cancel_flag) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
    cancel_flag = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static int usage_error(const char *cmd, const char *msg)
{
    fprintf(stderr, "cutover %s: %s\nTry 'cutover %s --help'.\n", cmd, msg, cmd);
    return EXIT_ERROR;
}

static int report_error(const cut_error *err)
{
    char buf[2048];
    fprintf(stderr, "cutover: %s\n", cut_error_format(err, buf, sizeof(buf)));
    return err->code == CUT_ECORRUPT ? EXIT_FAILED : EXIT_ERROR;
}

static int parse_int(const char *cmd, const char *opt, const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi) {
        fprintf(stderr, "cutover %s: %s expects a whole number from %d to %d, not '%s'\n", cmd,
                opt, lo, hi, s);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static const char *human(uint64_t n, char *buf, size_t size)
{
    static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, size, "%" PRIu64 " B", n);
    else
        snprintf(buf, size, "%.1f %s", v, unit[u]);
    return buf;
}

/* ------------------------------------------------------------ tables */

static int name_width(const cut_snap_info *in)
{
    int w = 5;
    for (int i = 0; i < in->ntables; i++) {
        int n = (int)strlen(in->tables[i].name);
        if (n > w)
            w = n;
    }
    return w > 40 ? 40 : w;
}

/* mode 0: snapshot/inspect, 1: inspect --verify, 2: restore */
static void print_tables(const cut_snap_info *in, int mode, FILE *out)
{
    int w = name_width(in);
    if (mode == 2)
        fprintf(out, "%-*s %12s  %-32s  %s\n", w, "table", "rows", "digest", "read back");
    else
        fprintf(out, "%-*s %12s %10s %10s %7s  %-32s%s\n", w, "table", "rows", "raw", "stored",
                "frames", "digest", mode == 1 ? "  check" : "");
    for (int i = 0; i < in->ntables; i++) {
        const cut_snap_table *t = &in->tables[i];
        char hex[33], raw[32], stored[32];
        cut_digest_hex(&t->digest, hex);
        if (mode == 2) {
            fprintf(out, "%-*s %12" PRIu64 "  %-32s  %s\n", w, t->name, t->digest.rows, hex,
                    t->verified ? "equal" : t->error ? "DIFFERENT" : "not restored");
            continue;
        }
        fprintf(out, "%-*s %12" PRId64 " %10s %10s %7d  %-32s%s\n", w, t->name, t->rows,
                human(t->raw_bytes, raw, sizeof(raw)), human(t->stored_bytes, stored, sizeof(stored)),
                t->nframes, hex,
                mode != 1 ? "" : t->verified ? "  ok" : t->error ? "  FAILED" : "  not checked");
    }
    for (int i = 0; i < in->ntables; i++)
        if (in->tables[i].error)
            fprintf(out, "%s\n", in->tables[i].error);
}

static void totals(const cut_snap_info *in, int64_t *rows, uint64_t *raw, uint64_t *stored)
{
    *rows = 0;
    *raw = *stored = 0;
    for (int i = 0; i < in->ntables; i++) {
        *rows += in->tables[i].rows;
        *raw += in->tables[i].raw_bytes;
        *stored += in->tables[i].stored_bytes;
    }
}

/* ------------------------------------------------------------ snapshot */

static const char snapshot_help[] =
    "Usage: cutover snapshot URL|MAPPING -o FILE [OPTIONS]\n"
    "\n"
    "Copy tables of a database into a snapshot file (.cutsnap): all tables are\n"
    "read in one consistent read, each value in the canonical form of its type,\n"
    "compressed in checksummed zstd frames, with each table's row count and\n"
    "digest in an index (docs/snapshot-format.md). FILE is written beside its\n"
    "final name and renamed into place only when complete.\n"
    "\n"
    "With a MAPPING file, snapshot the target tables the mapping writes, from\n"
    "its target database: the state 'cutover restore' returns to.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE  the snapshot file to write (required)\n"
    "  --tables A,B       only these tables (default: every table of the database,\n"
    "                     or every target table of the mapping)\n"
    "  --target URL       with a MAPPING: use this target instead of the mapping's\n"
    "  --level N          zstd compression level, 1 to 19 (default 3)\n"
    "  --threads N        zstd worker threads, 1 to 64 (default: number of CPUs)\n"
    "  --force            replace FILE if it exists\n"
    "  -q, --quiet        no progress on stderr\n"
    "  -v, -vv            more log output (before the command: cutover -v snapshot)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 written, 2 error (FILE is left as it was).\n";

/*
 * Whether arg names a database rather than a mapping file: 1 a URL (a known scheme,
 * or any scheme when no such file exists: the driver lookup names it), 0 a mapping,
 * -1 a URL that does not parse (err says why, its password hidden) — opened as a
 * mapping, it would be quoted whole in "cannot read mapping".
 */
static int is_url(const char *arg, cut_error *err)
{
    cut_url *u = NULL;
    struct stat st;
    int exists = stat(arg, &st) == 0;
    if (cut_url_parse(arg, &u, err) != CUT_OK)
        return !exists && (strstr(arg, "://") || strchr(arg, '@')) ? -1 : 0;
    int known = strcmp(u->scheme, "sqlite") == 0 || strcmp(u->scheme, "csv") == 0 ||
                strcmp(u->scheme, "postgresql") == 0 || strcmp(u->scheme, "mysql") == 0;
    cut_url_free(u);
    return known || !exists;
}

int cmd_snapshot(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"tables", required_argument, 0, 'T'},
                                         {"target", required_argument, 0, 't'},
                                         {"level", required_argument, 0, 'l'},
                                         {"threads", required_argument, 0, 'j'},
                                         {"force", no_argument, 0, 'f'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    cut_snapshot_opts o;
    cut_snapshot_opts_init(&o);
    const char *output = NULL, *target = NULL;
    char *tables_arg = NULL;
    int force = 0, quiet = 0, ch;
    while ((ch = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': output = optarg; break;
        case 'T': tables_arg = optarg; break;
        case 't': target = optarg; break;
        case 'l':
            if (parse_int("snapshot", "--level", optarg, 1, 19, &o.level))
                return EXIT_ERROR;
            break;
        case 'j':
            if (parse_int("snapshot", "--threads", optarg, 1, 64, &o.threads))
                return EXIT_ERROR;
            break;
        case 'f': force = 1; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(snapshot_help, stdout); return EXIT_OK;
        default:
            return cli_bad_option("snapshot", ch, argv, opts);
        }
    }
    if (optind + 1 != argc)
        return usage_error("snapshot", "expects exactly one URL or MAPPING");
    if (!output)
        return usage_error("snapshot", "needs -o FILE, the snapshot to write");
    const char *what = argv[optind];
    cut_error uerr;
    cut_error_clear(&uerr);
    int url_mode = is_url(what, &uerr);
    if (url_mode < 0) {
        char buf[2048];
        fprintf(stderr, "cutover: snapshot failed: %s\n", cut_error_format(&uerr, buf, sizeof(buf)));
        return EXIT_ERROR;
    }
    if (url_mode && target)
        return usage_error("snapshot", "--target goes with a MAPPING; give the URL itself instead");
    struct stat st;
    if (!force && stat(output, &st) == 0) {
        fprintf(stderr,
                "cutover snapshot: %s exists; use --force to replace it (it may be the only "
                "copy to roll back to)\n",
                output);
        return EXIT_ERROR;
    }
    const char **tables = NULL;
    if (tables_arg && cli_split_tables("snapshot", tables_arg, &tables))
        return EXIT_ERROR;
    o.tables = tables;
    cli_progress *prog = cli_progress_new(quiet);
    o.progress = cli_progress_fn;
    o.progress_ud = prog;
    o.cancel = &cancel_flag;
    install_signals();
    cut_error err;
    cut_error_clear(&err);
    cut_snap_info *info = NULL;
    cut_mapping *m = NULL;
    int rc;
    if (url_mode) {
        rc = cut_snapshot_url(what, output, &o, &info, &err);
    } else {
        rc = cut_mapping_load(what, &m, &err);
        if (rc == CUT_OK && target)
            rc = cut_mapping_set_target(m, target, &err);
        if (rc == CUT_OK)
            rc = cut_snapshot_mapping(m, output, &o, &info, &err);
    }
    cli_progress_free(prog);
    int status = EXIT_OK;
    if (rc) {
        char buf[2048];
        fprintf(stderr, "cutover: snapshot failed: %s\n", cut_error_format(&err, buf, sizeof(buf)));
        status = EXIT_ERROR;
    } else {
        print_tables(info, 0, stdout);
        int64_t rows;
        uint64_t raw, stored;
        totals(info, &rows, &raw, &stored);
        char a[32], b[32];
        printf("wrote %s: %d table%s, %" PRId64 " row%s, %s of rows in %s (%.0f%%), %.2f s\n",
               output, info->ntables, info->ntables == 1 ? "" : "s", rows, rows == 1 ? "" : "s",
               human(raw, a, sizeof(a)),
               human(info->file_bytes, b, sizeof(b)),
               raw ? 100.0 * (double)info->file_bytes / (double)raw : 100.0, info->seconds);
    }
    cut_snap_info_free(info);
    cut_mapping_free(m);
    free(tables);
    return status;
}

/* ------------------------------------------------------------- inspect */

static const char inspect_help[] =
    "Usage: cutover inspect FILE [OPTIONS]\n"
    "\n"
    "Show what a snapshot holds: format version, when and from where it was\n"
    "taken, and per table the rows, raw and stored sizes, frames and digest.\n"
    "The footer, index and header are checked (structure and checksums).\n"
    "\n"
    "Options:\n"
    "  --verify           also read every data frame: checksums, decompression, row\n"
    "                     structure, and each table's digest recomputed\n"
    "  --schema           print each table's CREATE TABLE statement (what a restore\n"
    "                     target must look like)\n"
    "  -v, -vv            more log output (before the command: cutover -v inspect)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 the file checks out, 1 it is damaged (the table and frame are\n"
    "named), 2 usage error, unreadable file, not a snapshot, or a newer format.\n";

int cmd_inspect(int argc, char **argv)
{
    static const struct option opts[] = {{"verify", no_argument, 0, 'v'},
                                         {"schema", no_argument, 0, 's'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int verify = 0, schema = 0, ch;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (ch) {
        case 'v': verify = 1; break;
        case 's': schema = 1; break;
        case 'h': fputs(inspect_help, stdout); return EXIT_OK;
        default:
            return cli_bad_option("inspect", ch, argv, opts);
        }
    }
    if (optind + 1 != argc)
        return usage_error("inspect", "expects exactly one snapshot FILE");
    const char *path = argv[optind];
    cut_error err;
    cut_error_clear(&err);
    cut_snap_info *info = NULL;
    int rc = cut_snapshot_inspect(path, verify, &info, &err);
    if (!info)
        return report_error(&err);
    char sz[32];
    printf("file      %s (%" PRIu64 " bytes, %s)\n", path, info->file_bytes,
           human(info->file_bytes, sz, sizeof(sz)));
    printf("format    cutsnap %d, written by %s at %s\n", info->format_version, info->tool_version,
           info->created);
    printf("source    %s (%s)\n\n", info->source, info->driver);
    print_tables(info, verify ? 1 : 0, stdout);
    if (schema)
        for (int i = 0; i < info->ntables; i++)
            printf("\n-- %s\n%s\n", info->tables[i].name,
                   info->tables[i].ddl[0] ? info->tables[i].ddl : "(no DDL recorded)");
    int64_t rows;
    uint64_t raw, stored;
    totals(info, &rows, &raw, &stored);
    int status = EXIT_OK, failed = 0;
    for (int i = 0; i < info->ntables; i++)
        failed += info->tables[i].error != NULL;
    if (rc && failed) {
        /* Each failure was printed under the table list. */
        printf("\nFAILED: %d of %d table%s damaged; restore refuses %s (the other tables can "
               "be restored alone with --tables)\n",
               failed, info->ntables, info->ntables == 1 ? "" : "s", failed == 1 ? "it" : "them");
        status = err.code == CUT_ECORRUPT ? EXIT_FAILED : EXIT_ERROR;
    } else if (rc) {
        fflush(stdout);
        status = report_error(&err);
    } else if (verify) {
        printf("\nverified: %d table%s, %" PRId64 " row%s: every frame's checksum and every "
               "digest check out (%.2f s)\n",
               info->ntables, info->ntables == 1 ? "" : "s", rows, rows == 1 ? "" : "s",
               info->seconds);
    } else {
        printf("\n%d table%s, %" PRId64 " row%s (footer, index and header check out; --verify "
               "reads the data frames)\n",
               info->ntables, info->ntables == 1 ? "" : "s", rows, rows == 1 ? "" : "s");
    }
    cut_snap_info_free(info);
    return status;
}

/* ------------------------------------------------------------- restore */

static const char restore_help[] =
    "Usage: cutover restore FILE [OPTIONS]\n"
    "\n"
    "Put a snapshot's tables back, and prove it. First the file is checked (footer,\n"
    "index, header, and the checksum of every frame of the tables restored), then\n"
    "that each table exists in the target with the same columns, and that no other\n"
    "non-empty table references one of them — all before anything is written.\n"
    "Then, in one transaction: the tables are emptied (children first) and loaded\n"
    "(parents first, identity and auto-increment counters moved past the keys),\n"
    "each is read back, canonicalized and hashed, and the transaction commits only\n"
    "if every digest equals the snapshot's. Otherwise it is rolled back.\n"
    "Restore does not create tables: 'cutover inspect --schema FILE' shows them.\n"
    "\n"
    "Options:\n"
    "  --target URL       restore into this database (default: the one the snapshot\n"
    "                     was taken from; its password comes from the environment)\n"
    "  --tables A,B       only these tables of the snapshot\n"
    "  --journal FILE     record the restore in this run journal: the run that took\n"
    "                     the snapshot gets a restore step, and the block its\n"
    "                     interruption put on the target is lifted (cutover run);\n"
    "                     refused, before anything is written, when the restore\n"
    "                     goes to another database than that run's target\n"
    "  -q, --quiet        no progress on stderr\n"
    "  -v, -vv            more log output (before the command: cutover -v restore)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 restored and every digest equal; 1 the snapshot is damaged, or a\n"
    "table read back differs (nothing was committed); 2 usage or runtime error\n"
    "(FILE not a snapshot, missing table, different columns, connection,\n"
    "interrupted: nothing committed).\n";

int cmd_restore(int argc, char **argv)
{
    static const struct option opts[] = {{"target", required_argument, 0, 't'},
                                         {"tables", required_argument, 0, 'T'},
                                         {"journal", required_argument, 0, 'J'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    cut_snapshot_opts o;
    cut_snapshot_opts_init(&o);
    const char *target = NULL, *journal = NULL;
    char *tables_arg = NULL;
    int quiet = 0, ch;
    while ((ch = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
        switch (ch) {
        case 't': target = optarg; break;
        case 'T': tables_arg = optarg; break;
        case 'J': journal = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(restore_help, stdout); return EXIT_OK;
        default:
            return cli_bad_option("restore", ch, argv, opts);
        }
    }
    if (optind + 1 != argc)
        return usage_error("restore", "expects exactly one snapshot FILE");
    if (journal && tables_arg)
        return usage_error("restore", "--journal records a whole restore; drop --tables");
    /* Checked before anything is written: the journal must name the run whose target
       this restore puts back. */
    cut_journal *j = NULL;
    int status;
    if (journal && (status = cli_journal_restore_check(journal, argv[optind], target, &j)))
        return status;
    const char **tables = NULL;
    if (tables_arg && cli_split_tables("restore", tables_arg, &tables)) {
        cut_journal_close(j);
        return EXIT_ERROR;
    }
    o.tables = tables;
    cli_progress *prog = cli_progress_new(quiet);
    o.progress = cli_progress_fn;
    o.progress_ud = prog;
    o.cancel = &cancel_flag;
    install_signals();
    cut_error err;
    cut_error_clear(&err);
    cut_snap_info *info = NULL;
    int rc = cut_snapshot_restore(argv[optind], target, &o, &info, &err);
    cli_progress_free(prog);
    status = EXIT_OK;
    int64_t rows = 0;
    for (int i = 0; info && i < info->ntables; i++)
        rows += info->tables[i].rows;
    if (info && (rc == CUT_OK || rc == CUT_ECORRUPT) && info->target)
        print_tables(info, 2, stdout);
    if (rc) {
        fflush(stdout);
        status = report_error(&err);
        if (info && info->target && rc != CUT_ECORRUPT)
            fprintf(stderr, "cutover: nothing was committed to %s\n", info->target);
        else if (info && info->target)
            fprintf(stderr, "cutover: No-Go: the restore was rolled back; %s is as it was\n",
                    info->target);
        else if (rc == CUT_ECORRUPT)
            fprintf(stderr, "cutover: the snapshot failed its checks; nothing was written\n");
    } else {
        printf("restored %d table%s into %s: %" PRId64 " row%s, every digest equal to the "
               "snapshot's (%.2f s)\n",
               info->ntables, info->ntables == 1 ? "" : "s", info->target, rows,
               rows == 1 ? "" : "s", info->seconds);
        if (j)
            status = cli_journal_restored(j, argv[optind], info);
    }
    cut_journal_close(j);
    cut_snap_info_free(info);
    free(tables);
    return status;
}
