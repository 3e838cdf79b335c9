/*
 * cmd_run.c — `cutover run`, `cutover runs` and `cutover report`: the runbook,
 * its history and forecast, and the report of one run. The library does the
 * work (lib/run.c, lib/journal.c, lib/report_run.c); this file parses options,
 * shows progress on stderr and maps outcomes to exit statuses.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cutover.h"

enum { EXIT_GO = 0, EXIT_NOGO = 1, EXIT_ERROR = 2 };

static volatile sig_atomic_t run_cancel;

static void on_signal(int sig)
{
    if (run_cancel) {
        /* A second signal: stop now. */
        signal(sig, SIG_DFL);
        raise(sig);
    }
    run_cancel = 1;
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

static int usage(const char *cmd, const char *msg, const char *arg)
{
    fprintf(stderr, "cutover %s: %s%s%s\nTry 'cutover %s --help'.\n", cmd, msg, arg ? " " : "",
            arg ? arg : "", cmd);
    return EXIT_ERROR;
}

static int fail(const char *what, const cut_error *err)
{
    char buf[2048];
    fprintf(stderr, "cutover: %s%s%s\n", what ? what : "", what ? ": " : "",
            cut_error_format(err, buf, sizeof(buf)));
    return EXIT_ERROR;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The journal to use: --journal, else cutover.db beside the mapping (or here). */
static char *journal_path(const char *given, const char *mapping)
{
    return given ? strdup(given) : cut_journal_default_path(mapping);
}

/* Opens an existing journal (runs and report never create one). */
static int open_existing(const char *path, cut_journal **j)
{
    cut_error err;
    cut_error_clear(&err);
    if (access(path, F_OK) != 0) {
        fprintf(stderr,
                "cutover: no journal at %s: 'cutover run MAPPING' writes one beside the "
                "mapping; give another with --journal FILE\n",
                path);
        return EXIT_ERROR;
    }
    if (cut_journal_open(path, j, &err))
        return fail(NULL, &err);
    return EXIT_GO;
}

/* ------------------------------------------------------------ progress */

typedef struct run_display {
    int quiet, tty;
    double start;
    int64_t run;
    cli_progress *prog; /* tables within a step */
} run_display;

static void on_step(void *ud, const cut_step_event *ev)
{
    run_display *d = ud;
    d->run = ev->run;
    if (d->quiet)
        return;
    /* A step line ends the previous step's table display. */
    cli_progress_free(d->prog);
    d->prog = cli_progress_new(d->quiet);
    if (strcmp(ev->status, "running") == 0) {
        fprintf(stderr, "cutover: run %" PRId64 ": %s ...\n", ev->run, ev->step);
        d->start = mono();
    } else {
        fprintf(stderr, "cutover: run %" PRId64 ": %s %s (%.2f s)%s%s\n", ev->run, ev->step,
                ev->status, ev->seconds, ev->detail ? ": " : "", ev->detail ? ev->detail : "");
    }
    fflush(stderr);
}

static void on_progress(void *ud, const cut_progress *p)
{
    run_display *d = ud;
    if (!d->quiet && d->prog)
        cli_progress_fn(d->prog, p);
}

/* ----------------------------------------------------------------- run */

static const char run_help[] =
    "Usage: cutover run MAPPING [OPTIONS]\n"
    "\n"
    "The go-live runbook in one command, every step timed and written to the run\n"
    "journal:\n"
    "  check     preflight: connect, resolve every table, column and expression\n"
    "  snapshot  copy the target tables the mapping writes: the way back\n"
    "  migrate   empty those tables and load them from the source\n"
    "  verify    counts and digests, source-after-mapping against the target\n"
    "  gate      Go when every table's counts add up, its digests are equal and its\n"
    "            rejects are within max_rejects\n"
    "  restore   on No-Go (or an error once migrate began): restore the snapshot,\n"
    "            proved by reading each table back against the snapshot's digest\n"
    "Then the run's report is printed (cutover report shows it again).\n"
    "\n"
    "Options:\n"
    "  --rehearsal        a rehearsal (default): its timings feed the forecast\n"
    "  --production       the production run\n"
    "  --journal FILE     the run journal (default: cutover.db beside the mapping)\n"
    "  --snapshot FILE    the snapshot to write (default: cutover-run-<id>.cutsnap\n"
    "                     beside the journal); an existing FILE is kept (it may be the\n"
    "                     only copy to roll back to) and the run refused, unless --force\n"
    "  --force            replace an existing snapshot FILE\n"
    "  --no-rollback      on No-Go or error, keep the failed state for investigation\n"
    "                     (the journal says so; cutover restore puts it back)\n"
    "  --resume           continue the interrupted run on this target: keep the tables\n"
    "                     it committed, migrate the others again, verify all, gate\n"
    "  -j, --jobs N       tables migrated / verified in parallel\n"
    "  -q, --quiet        no progress on stderr\n"
    "  -v, -vv            more log output (before the command: cutover -v run)\n"
    "  -h, --help         show this help\n"
    "\n"
    "A run killed or interrupted once migrate began blocks the next run on the same\n"
    "target until it is resumed (--resume) or its snapshot restored\n"
    "(cutover restore SNAPSHOT --journal FILE).\n"
    "\n"
    "Exit status: 0 Go, 1 No-Go (rolled back unless --no-rollback), 2 error,\n"
    "interrupted, or refused.\n";

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {{"rehearsal", no_argument, 0, 'R'},
                                         {"production", no_argument, 0, 'P'},
                                         {"journal", required_argument, 0, 'J'},
                                         {"snapshot", required_argument, 0, 'S'},
                                         {"force", no_argument, 0, 'f'},
                                         {"no-rollback", no_argument, 0, 'N'},
                                         {"resume", no_argument, 0, 'r'},
                                         {"jobs", required_argument, 0, 'j'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    cut_runbook_opts o;
    cut_runbook_opts_init(&o);
    const char *journal = NULL;
    int quiet = 0, ch, kinds = 0;
    while ((ch = getopt_long(argc, argv, ":j:qh", opts, NULL)) != -1) {
        switch (ch) {
        case 'R': o.kind = CUT_RUN_REHEARSAL; kinds |= 1; break;
        case 'P': o.kind = CUT_RUN_PRODUCTION; kinds |= 2; break;
        case 'J': journal = optarg; break;
        case 'S': o.snapshot = optarg; break;
        case 'f':
            o.force = 1;
            break;
        case 'N': o.no_rollback = 1; break;
        case 'r': o.resume = 1; break;
        case 'j': {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || v < 1 || v > 256) {
                fprintf(stderr, "cutover run: --jobs expects a whole number from 1 to 256, not "
                                "'%s'\n",
                        optarg);
                return EXIT_ERROR;
            }
            o.jobs = (int)v;
            break;
        }
        case 'q': quiet = 1; break;
        case 'h': fputs(run_help, stdout); return EXIT_GO;
        default:
            return cli_bad_option("run", ch, argv, opts);
        }
    }
    if (kinds == 3)
        return usage("run", "--rehearsal and --production exclude each other", NULL);
    if (optind + 1 != argc)
        return usage("run", "expects exactly one MAPPING file", NULL);
    if (o.resume && o.snapshot)
        return usage("run", "--resume keeps the interrupted run's snapshot; drop --snapshot",
                     NULL);
    /* Refused before anything, as `cutover snapshot` does: the file may be the only way
       back of an earlier run. */
    if (o.snapshot && !o.force && access(o.snapshot, F_OK) == 0) {
        fprintf(stderr,
                "cutover run: %s exists; use --force to replace it (it may be the only copy to "
                "roll back to)\n",
                o.snapshot);
        return EXIT_ERROR;
    }
    cut_error err;
    cut_error_clear(&err);
    cut_mapping *m = NULL;
    cut_journal *j = NULL;
    char *jpath = journal_path(journal, argv[optind]);
    int status = EXIT_ERROR;
    if (!jpath) {
        fprintf(stderr, "cutover: out of memory\n");
        return EXIT_ERROR;
    }
    if (cut_mapping_load(argv[optind], &m, &err)) {
        status = fail(NULL, &err);
        goto done;
    }
    if (cut_journal_open(jpath, &j, &err)) {
        status = fail(NULL, &err);
        goto done;
    }
    run_display d = {quiet, isatty(2), mono(), 0, NULL};
    o.step = on_step;
    o.step_ud = &d;
    o.progress = on_progress;
    o.progress_ud = &d;
    o.cancel = &run_cancel;
    install_signals();
    int64_t run = 0;
    cut_run_outcome outcome = CUT_OUTCOME_ERROR;
    int rc = cut_runbook(m, j, &o, &run, &outcome, &err);
    cli_progress_free(d.prog);
    d.prog = NULL;
    if (run) {
        cut_error e2;
        cut_error_clear(&e2);
        if (!quiet)
            fputc('\n', stderr);
        if (cut_report_run(j, run, CUT_REPORT_TEXT, stdout, &e2))
            fail("report", &e2);
        fflush(stdout);
    }
    if (rc) {
        status = fail(run ? NULL : "refusing to start", &err);
        if (outcome == CUT_OUTCOME_INTERRUPTED && run)
            fprintf(stderr, "cutover: run %" PRId64 " interrupted; 'cutover runs --journal %s' "
                            "shows what it left\n",
                    run, jpath);
    } else {
        status = outcome == CUT_OUTCOME_GO ? EXIT_GO : EXIT_NOGO;
    }
done:
    cut_journal_close(j);
    cut_mapping_free(m);
    free(jpath);
    return status;
}

/* ---------------------------------------------------------------- runs */

static const char runs_help[] =
    "Usage: cutover runs [OPTIONS]\n"
    "\n"
    "The run history of a journal: every run with its outcome; the step durations\n"
    "of the rehearsals side by side; and a forecast of a production run, per step:\n"
    "the mean and the worst of the rehearsals, and an estimate from their rows per\n"
    "second scaled to the row counts the databases hold now.\n"
    "\n"
    "Options:\n"
    "  --journal FILE     the run journal (default: cutover.db beside the mapping,\n"
    "                     else in the current directory)\n"
    "  --mapping MAPPING  only this mapping's runs (same content hash); the current\n"
    "                     row counts come from its databases' estimates (else from\n"
    "                     the latest run, as the output says)\n"
    "  -v, -vv            more log output (before the command: cutover -v runs)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 success, 2 error.\n";

int cmd_runs(int argc, char **argv)
{
    static const struct option opts[] = {{"journal", required_argument, 0, 'J'},
                                         {"mapping", required_argument, 0, 'm'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *journal = NULL, *mapping = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (ch) {
        case 'J': journal = optarg; break;
        case 'm': mapping = optarg; break;
        case 'h': fputs(runs_help, stdout); return EXIT_GO;
        default:
            return cli_bad_option("runs", ch, argv, opts);
        }
    }
    if (optind != argc)
        return usage("runs", "unexpected argument", argv[optind]);
    cut_error err;
    cut_error_clear(&err);
    cut_mapping *m = NULL;
    cut_journal *j = NULL;
    char *jpath = journal_path(journal, mapping);
    int status = EXIT_ERROR;
    if (!jpath)
        return EXIT_ERROR;
    if (mapping && cut_mapping_load(mapping, &m, &err)) {
        status = fail(NULL, &err);
        goto done;
    }
    if ((status = open_existing(jpath, &j)) != EXIT_GO)
        goto done;
    if (cut_report_runs(j, m, stdout, &err))
        status = fail(NULL, &err);
done:
    cut_journal_close(j);
    cut_mapping_free(m);
    free(jpath);
    return status;
}

/* -------------------------------------------------------------- report */

static const char report_help[] =
    "Usage: cutover report [RUN|latest] [OPTIONS]\n"
    "\n"
    "The report of one run from the journal (RUN: its number, or latest, the default):\n"
    "verdict, steps with their timings, per-table counts and digests, the first\n"
    "differences, rejects, and the rollback's proof.\n"
    "\n"
    "Options:\n"
    "  --format FORMAT    text (default), json (docs/report-json.md) or html (one\n"
    "                     self-contained page: inline CSS and SVG, no network)\n"
    "  -o, --output FILE  write to FILE instead of standard output\n"
    "  --journal FILE     the run journal (default: cutover.db here)\n"
    "  -v, -vv            more log output (before the command: cutover -v report)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 success, 2 error (no such run, no journal).\n";

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, 0, 'f'},
                                         {"output", required_argument, 0, 'o'},
                                         {"journal", required_argument, 0, 'J'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *journal = NULL, *output = NULL;
    cut_report_format fmt = CUT_REPORT_TEXT;
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'f':
            if (strcmp(optarg, "text") == 0)
                fmt = CUT_REPORT_TEXT;
            else if (strcmp(optarg, "json") == 0)
                fmt = CUT_REPORT_JSON;
            else if (strcmp(optarg, "html") == 0)
                fmt = CUT_REPORT_HTML;
            else
                return usage("report", "--format expects text, json or html, not", optarg);
            break;
        case 'o': output = optarg; break;
        case 'J': journal = optarg; break;
        case 'h': fputs(report_help, stdout); return EXIT_GO;
        default:
            return cli_bad_option("report", ch, argv, opts);
        }
    }
    int64_t run = 0;
    if (optind < argc) {
        const char *a = argv[optind++];
        char *end;
        errno = 0;
        long long v = strtoll(a, &end, 10);
        if (strcmp(a, "latest") != 0 && (errno || *end || end == a || v < 1))
            return usage("report", "RUN is a run number (see cutover runs), not", a);
        run = strcmp(a, "latest") == 0 ? 0 : (int64_t)v;
    }
    if (optind != argc)
        return usage("report", "unexpected argument", argv[optind]);
    cut_error err;
    cut_error_clear(&err);
    cut_journal *j = NULL;
    char *jpath = journal_path(journal, NULL);
    if (!jpath)
        return EXIT_ERROR;
    int status = open_existing(jpath, &j);
    if (status != EXIT_GO)
        goto done;
    FILE *f = stdout;
    char *tmp = NULL;
    if (output) {
        /* Written beside and renamed: a reader never sees half a report. */
        if (!(tmp = malloc(strlen(output) + 32))) {
            status = EXIT_ERROR;
            goto done;
        }
        sprintf(tmp, "%s.tmp-%ld", output, (long)getpid());
        if (!(f = fopen(tmp, "w"))) {
            fprintf(stderr, "cutover: cannot write %s: %s\n", output, strerror(errno));
            free(tmp);
            status = EXIT_ERROR;
            goto done;
        }
    }
    int rc = cut_report_run(j, run, fmt, f, &err);
    if (output) {
        int cr = fclose(f);
        if (rc == CUT_OK && cr != 0)
            rc = cut_error_set(&err, CUT_EIO, "cannot write %s: %s", output, strerror(errno));
        if (rc == CUT_OK && rename(tmp, output) != 0)
            rc = cut_error_set(&err, CUT_EIO, "cannot write %s: %s", output, strerror(errno));
        if (rc)
            unlink(tmp);
        free(tmp);
    }
    status = rc ? fail(NULL, &err) : EXIT_GO;
done:
    cut_journal_close(j);
    free(jpath);
    return status;
}

/* ------------------------------------------------ restore --journal */

int cli_journal_restore_check(const char *path, const char *snapshot, const char *target,
                              cut_journal **out)
{
    *out = NULL;
    cut_journal *j = NULL;
    int status = open_existing(path, &j);
    if (status != EXIT_GO)
        return status;
    cut_error err;
    cut_error_clear(&err);
    /* Without --target the restore goes where the snapshot says it was taken. A file
       whose header cannot be read is left to the restore, which names what is wrong. */
    cut_snap_info *info = NULL;
    if (!target) {
        cut_error ierr;
        cut_error_clear(&ierr);
        cut_snapshot_inspect(snapshot, 0, &info, &ierr);
        target = info ? info->source : NULL;
    }
    int64_t run = 0;
    if (target && cut_journal_restore_check(j, snapshot, target, &run, &err)) {
        char buf[2048];
        fprintf(stderr, "cutover restore: --journal %s: %s\ncutover: nothing was restored\n", path,
                cut_error_format(&err, buf, sizeof(buf)));
        cut_journal_close(j);
        j = NULL;
        status = EXIT_ERROR;
    }
    cut_snap_info_free(info);
    *out = j;
    return status;
}

int cli_journal_restored(cut_journal *j, const char *snapshot, const cut_snap_info *info)
{
    const char *path = cut_journal_path(j);
    cut_error err;
    cut_error_clear(&err);
    int64_t run = 0;
    int status = EXIT_GO;
    if (cut_journal_mark_restored(j, snapshot, info, &run, &err)) {
        status = fail("journal", &err);
    } else if (run) {
        /* A run killed during a deferred migrate left the keys, foreign keys and indexes
           it dropped out of the target: the restore put the rows back, these go back now. */
        int fixed = 0;
        int rc = cut_runbook_restore_constraints(j, run, &fixed, &err);
        if (rc && rc != CUT_ESTATE)
            return fail("restore", &err);
        if (rc) /* the rows are back and recorded; the constraints are for check to list */
            fprintf(stderr, "cutover: warning: %s\n", err.msg);
        if (fixed)
            fprintf(stderr, "cutover: recreated the constraints of %d table%s that run %" PRId64
                            "'s interrupted migrate had dropped\n",
                    fixed, fixed == 1 ? "" : "s", run);
        fprintf(stderr, "cutover: journal %s: run %" PRId64 " restored from its snapshot; "
                        "a new run on its target may start\n",
                path, run);
    } else {
        fprintf(stderr, "cutover: journal %s: no run took the snapshot %s; nothing recorded\n",
                path, snapshot);
    }
    return status;
}
