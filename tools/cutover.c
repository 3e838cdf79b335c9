/*
 * cutover.c — the command line: parses options, calls libcutover, prints.
 * The library does the work; this file only turns arguments into calls and
 * results into text, JSON and exit statuses (0 Go/success, 1 No-Go, 2 error).
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

static volatile sig_atomic_t cancel_flag;
static int quiet;

static void on_signal(int sig)
{
    if (cancel_flag) {
        /* A second signal: stop now. */
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

static int fail(const cut_error *err)
{
    char buf[2048];
    fprintf(stderr, "cutover: %s\n", cut_error_format(err, buf, sizeof(buf)));
    return EXIT_ERROR;
}

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "cutover %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'cutover %s --help'.\n", cmd);
    return EXIT_ERROR;
}

/* ------------------------------------------------------------- helpers */

/*
 * Splits the --tables list "a,b,c" in place into a NULL-terminated array (the caller frees
 * the array). An empty list or an empty name in it is a usage error, not "no tables": it
 * is what an unset or empty variable leaves ("--tables $TABLES", "$A,$B"), and a verify
 * of zero tables would say Go without having compared anything.
 */
int cli_split_tables(const char *cmd, char *s, const char ***out)
{
    *out = NULL;
    size_t n = 1;
    int empty = !*s;
    for (const char *p = s; *p; p++) {
        n += *p == ',';
        empty = empty || (*p == ',' && (p == s || p[1] == ',' || p[1] == '\0'));
    }
    if (empty) {
        fprintf(stderr,
                "cutover %s: --tables '%s' %s (is a variable empty?); leave --tables out to "
                "take every table of the mapping\nTry 'cutover %s --help'.\n",
                cmd, s, *s ? "holds an empty table name" : "names no table", cmd);
        return EXIT_ERROR;
    }
    const char **v = calloc(n + 1, sizeof(char *));
    if (!v) {
        fprintf(stderr, "cutover: out of memory\n");
        return EXIT_ERROR;
    }
    size_t k = 0;
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ","))
        v[k++] = tok;
    *out = v;
    return EXIT_GO;
}

/* The name of the long option as typed ("--tables" of "--tables=x") into buf. */
static const char *long_name(const char *arg, char *buf, size_t size)
{
    snprintf(buf, size, "%.*s", (int)strcspn(arg, "="), arg);
    return buf;
}

int cli_bad_option(const char *cmd, int ch, char *const *argv, const struct option *opts)
{
    const char *arg = argv[optind - 1];
    char name[128], alts[512] = "";
    /* optopt is 0 for an unknown or ambiguous long option, else the option's val: a long
       option's when arg names it, a short one's otherwise ("--quiet -Zq"). */
    int is_long = strncmp(arg, "--", 2) == 0 && arg[2];
    long_name(arg, name, sizeof(name));
    if (is_long && optopt) {
        is_long = 0;
        for (const struct option *o = opts; o->name; o++)
            is_long =
                is_long || (o->val == optopt && strncmp(o->name, name + 2, strlen(name + 2)) == 0);
    }
    if (!is_long)
        snprintf(name, sizeof(name), "-%c", optopt ? optopt : '?');
    if (strcmp(name, "-v") == 0 || strcmp(name, "--verbose") == 0) {
        fprintf(stderr, "cutover %s: %s goes before the command: cutover %s %s ...\n", cmd, name,
                name, cmd);
        return EXIT_ERROR;
    }
    if (ch == ':') {
        fprintf(stderr, "cutover %s: option '%s' needs a value; see 'cutover %s --help'\n", cmd,
                name, cmd);
        return EXIT_ERROR;
    }
    if (is_long && optopt) {
        fprintf(stderr, "cutover %s: option '%s' takes no value; see 'cutover %s --help'\n", cmd,
                name, cmd);
        return EXIT_ERROR;
    }
    /* A prefix of several long options: name them. */
    size_t n = is_long ? strlen(name + 2) : 0, len = 0;
    int k = 0;
    for (const struct option *o = opts; is_long && o->name; o++) {
        if (strncmp(o->name, name + 2, n) != 0)
            continue;
        int w = snprintf(alts + len, sizeof(alts) - len, "%s--%s", k++ ? ", " : " (", o->name);
        if (w > 0 && (size_t)w < sizeof(alts) - len)
            len += (size_t)w;
    }
    if (k > 1)
        fprintf(stderr, "cutover %s: ambiguous option '%s'%s); see 'cutover %s --help'\n", cmd,
                name, alts, cmd);
    else
        fprintf(stderr, "cutover %s: unknown option '%s'; see 'cutover %s --help'\n", cmd, name,
                cmd);
    return EXIT_ERROR;
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

typedef struct common {
    const char *source, *target;
    char *tables_arg;
    const char **tables;
} common;

/* Loads the mapping and applies --source/--target. */
static int load_mapping(const char *path, const common *c, cut_mapping **m, cut_error *err)
{
    int rc = cut_mapping_load(path, m, err);
    if (rc)
        return rc;
    if (c->source && (rc = cut_mapping_set_source(*m, c->source, err)))
        return rc;
    if (c->target && (rc = cut_mapping_set_target(*m, c->target, err)))
        return rc;
    return CUT_OK;
}

/* --------------------------------------------------------------- check */

static const char check_help[] =
    "Usage: cutover check MAPPING [OPTIONS]\n"
    "\n"
    "Preflight a migration without writing anything: parse the mapping, connect to\n"
    "the source and the target, resolve every table and column, compile every\n"
    "expression, and list every problem with file:line:col.\n"
    "\n"
    "Options:\n"
    "  --source URL      use this source instead of the mapping's\n"
    "  --target URL      use this target instead of the mapping's\n"
    "  --tables A,B      check only these target tables\n"
    "  -v, -vv           more log output (before the command: cutover -v check)\n"
    "  -h, --help        show this help\n"
    "\n"
    "Exit status: 0 ready, 2 problems found or an error.\n";

static int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {{"source", required_argument, 0, 's'},
                                         {"target", required_argument, 0, 't'},
                                         {"tables", required_argument, 0, 'T'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    common c = {0};
    int ch;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (ch) {
        case 's': c.source = optarg; break;
        case 't': c.target = optarg; break;
        case 'T': c.tables_arg = optarg; break;
        case 'h': fputs(check_help, stdout); return EXIT_GO;
        default:
            return cli_bad_option("check", ch, argv, opts);
        }
    }
    if (optind + 1 != argc)
        return usage_error("check", "%s", "expects exactly one MAPPING file");
    cut_error err;
    cut_error_clear(&err);
    cut_mapping *m = NULL;
    cut_run_opts o;
    cut_run_opts_init(&o);
    if (c.tables_arg && cli_split_tables("check", c.tables_arg, &c.tables))
        return EXIT_ERROR;
    o.tables = c.tables;
    int rc = load_mapping(argv[optind], &c, &m, &err), checked = rc == CUT_OK;
    if (checked)
        rc = cut_check(m, &o, stdout, &err);
    int status = rc ? EXIT_ERROR : EXIT_GO;
    /* What check printed comes first, in a log that holds both streams too. */
    fflush(stdout);
    if (rc && checked) {
        /* cut_check listed each problem on stdout ("error: ..."): not again here. */
        fprintf(stderr, "cutover: check failed: the problems are listed on standard output\n");
    } else if (rc) {
        char buf[2048];
        fprintf(stderr, "cutover: check failed: %s\n", cut_error_format(&err, buf, sizeof(buf)));
    }
    cut_mapping_free(m);
    free(c.tables);
    return status;
}

/* ------------------------------------------------------------- migrate */

static const char migrate_help[] =
    "Usage: cutover migrate MAPPING [OPTIONS]\n"
    "\n"
    "Stream every table of the mapping from the source into the target: read,\n"
    "map, convert to the canonical form of the target's types, load. Rows that\n"
    "cannot be converted or loaded go to a reject file (one JSON object per line:\n"
    "table, key, source line, column, value, reason); every source row is loaded,\n"
    "filtered or rejected, and the report shows that the counts add up.\n"
    "Each table, or key-range chunk of a big table, is loaded in one transaction:\n"
    "one that fails is rolled back.\n"
    "\n"
    "Options:\n"
    "  --source URL       use this source instead of the mapping's\n"
    "  --target URL       use this target instead of the mapping's\n"
    "  --tables A,B       migrate only these target tables\n"
    "  --truncate         first empty the target tables (children first, in one\n"
    "                     transaction); without it a non-empty table is refused\n"
    "  -j, --jobs N       tables loaded in parallel (default: number of CPUs)\n"
    "  --rejects DIR      directory for <table>.rejects.jsonl\n"
    "                     (default: options.reject_dir, else <mapping name>.rejects)\n"
    "  --batch-rows N     rows per batch (default 4096)\n"
    "  --chunk-rows N     split tables with a single integer key into key ranges of\n"
    "                     about N rows, loaded in parallel, one transaction each\n"
    "                     (default: options.chunk_rows, else 250000; 0 = never)\n"
    "  --defer-constraints  drop the targets' foreign keys, non-unique indexes and\n"
    "                     keys while loading, recreate them after (foreign keys\n"
    "                     validated), also when the load fails; a duplicate key or a\n"
    "                     missing parent then fails the rebuild instead of being\n"
    "                     rejected (PostgreSQL; default: the mapping's\n"
    "                     options.defer_constraints); --no-defer-constraints: never\n"
    "  -q, --quiet        no progress on stderr\n"
    "  -v, -vv            more log output (before the command: cutover -v migrate)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 success, 2 error (nothing of a failed table or chunk is\n"
    "committed).\n";

static int cmd_migrate(int argc, char **argv)
{
    static const struct option opts[] = {{"source", required_argument, 0, 's'},
                                         {"target", required_argument, 0, 't'},
                                         {"tables", required_argument, 0, 'T'},
                                         {"truncate", no_argument, 0, 'X'},
                                         {"jobs", required_argument, 0, 'j'},
                                         {"rejects", required_argument, 0, 'r'},
                                         {"batch-rows", required_argument, 0, 'b'},
                                         {"chunk-rows", required_argument, 0, 'C'},
                                         {"defer-constraints", no_argument, 0, 'D'},
                                         {"no-defer-constraints", no_argument, 0, 'N'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    common c = {0};
    cut_run_opts o;
    cut_run_opts_init(&o);
    int ch, chunk = 0;
    while ((ch = getopt_long(argc, argv, ":j:qh", opts, NULL)) != -1) {
        switch (ch) {
        case 's': c.source = optarg; break;
        case 't': c.target = optarg; break;
        case 'T': c.tables_arg = optarg; break;
        case 'X': o.truncate = 1; break;
        case 'j':
            if (parse_int("migrate", "--jobs", optarg, 1, 256, &o.jobs))
                return EXIT_ERROR;
            break;
        case 'r': o.reject_dir = optarg; break;
        case 'b':
            if (parse_int("migrate", "--batch-rows", optarg, 1, 1000000, &o.batch_rows))
                return EXIT_ERROR;
            break;
        case 'C':
            if (parse_int("migrate", "--chunk-rows", optarg, 0, 2000000000, &chunk))
                return EXIT_ERROR;
            o.chunk_rows = chunk ? chunk : -1;
            break;
        case 'D': o.defer_constraints = 1; break;
        case 'N': o.defer_constraints = -1; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(migrate_help, stdout); return EXIT_GO;
        default:
            return cli_bad_option("migrate", ch, argv, opts);
        }
    }
    if (optind + 1 != argc)
        return usage_error("migrate", "%s", "expects exactly one MAPPING file");
    cut_error err;
    cut_error_clear(&err);
    cut_mapping *m = NULL;
    cut_result *res = NULL;
    if (c.tables_arg && cli_split_tables("migrate", c.tables_arg, &c.tables))
        return EXIT_ERROR;
    o.tables = c.tables;
    cli_progress *prog = cli_progress_new(quiet);
    o.progress = cli_progress_fn;
    o.progress_ud = prog;
    o.cancel = &cancel_flag;
    install_signals();
    int rc = load_mapping(argv[optind], &c, &m, &err);
    if (rc == CUT_OK)
        rc = cut_migrate(m, &o, &res, &err);
    cli_progress_free(prog);
    if (res)
        cut_report_migrate_text(res, stdout);
    fflush(stdout);
    int status = rc ? fail(&err) : EXIT_GO;
    cut_result_free(res);
    cut_mapping_free(m);
    free(c.tables);
    return status;
}

/* -------------------------------------------------------------- verify */

static const char verify_help[] =
    "Usage: cutover verify MAPPING [OPTIONS]\n"
    "\n"
    "Recompute the source through the mapping, read the target back, and compare\n"
    "per table: row counts (source = loaded + filtered + rejected) and XXH3-128\n"
    "digests of the canonically encoded rows. When a digest differs, name the\n"
    "keys that differ: missing, extra, or changed (with the column and both\n"
    "values; the first 20, then a count).\n"
    "\n"
    "Options:\n"
    "  --source URL       use this source instead of the mapping's\n"
    "  --target URL       use this target instead of the mapping's\n"
    "  --tables A,B       verify only these target tables\n"
    "  --json FILE        also write the result as JSON (docs/verify-json.md); - for\n"
    "                     standard output, the text report then going to standard error\n"
    "  --no-locate        do not look for the differing keys (--locate: do, the default)\n"
    "  --max-diffs N      differences listed per table (default 20)\n"
    "  --rejects DIR      where migrate wrote the reject files\n"
    "  -j, --jobs N       tables verified in parallel (default: CPUs / 2)\n"
    "  -q, --quiet        no progress on stderr\n"
    "  -v, -vv            more log output (before the command: cutover -v verify)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 Go, 1 No-Go (a count or digest differs, or too many rejects),\n"
    "2 error.\n";

static int cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {{"source", required_argument, 0, 's'},
                                         {"target", required_argument, 0, 't'},
                                         {"tables", required_argument, 0, 'T'},
                                         {"json", required_argument, 0, 'J'},
                                         {"no-locate", no_argument, 0, 'L'},
                                         {"locate", no_argument, 0, 'l'},
                                         {"max-diffs", required_argument, 0, 'm'},
                                         {"rejects", required_argument, 0, 'r'},
                                         {"jobs", required_argument, 0, 'j'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    common c = {0};
    cut_run_opts o;
    cut_run_opts_init(&o);
    o.locate = 1;
    const char *json = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, ":j:qh", opts, NULL)) != -1) {
        switch (ch) {
        case 's': c.source = optarg; break;
        case 't': c.target = optarg; break;
        case 'T': c.tables_arg = optarg; break;
        case 'J': json = optarg; break;
        case 'L': o.locate = 0; break;
        case 'l': o.locate = 1; break;
        case 'm':
            if (parse_int("verify", "--max-diffs", optarg, 1, 100000, &o.max_diffs))
                return EXIT_ERROR;
            break;
        case 'r': o.reject_dir = optarg; break;
        case 'j':
            if (parse_int("verify", "--jobs", optarg, 1, 256, &o.jobs))
                return EXIT_ERROR;
            break;
        case 'q': quiet = 1; break;
        case 'h': fputs(verify_help, stdout); return EXIT_GO;
        default:
            return cli_bad_option("verify", ch, argv, opts);
        }
    }
    if (optind + 1 != argc)
        return usage_error("verify", "%s", "expects exactly one MAPPING file");
    cut_error err;
    cut_error_clear(&err);
    cut_mapping *m = NULL;
    cut_result *res = NULL;
    if (c.tables_arg && cli_split_tables("verify", c.tables_arg, &c.tables))
        return EXIT_ERROR;
    o.tables = c.tables;
    cli_progress *prog = cli_progress_new(quiet);
    o.progress = cli_progress_fn;
    o.progress_ud = prog;
    o.cancel = &cancel_flag;
    install_signals();
    int rc = load_mapping(argv[optind], &c, &m, &err);
    if (rc == CUT_OK)
        rc = cut_verify(m, &o, &res, &err);
    cli_progress_free(prog);
    /* With --json -, standard output is the JSON alone, for a program to parse: the text
       report goes to standard error, with the progress. */
    FILE *text = json && strcmp(json, "-") == 0 ? stderr : stdout;
    int status;
    if (rc) {
        if (res)
            cut_report_verify_text(res, text);
        fflush(text);
        status = fail(&err);
    } else {
        cut_report_verify_text(res, text);
        fflush(text);
        status = res->go ? EXIT_GO : EXIT_NOGO;
    }
    if (res && json) {
        FILE *f = strcmp(json, "-") == 0 ? stdout : fopen(json, "w");
        if (!f) {
            fprintf(stderr, "cutover: cannot write %s: %s\n", json, strerror(errno));
            status = EXIT_ERROR;
        } else {
            int jr = cut_report_verify_json(res, f);
            if ((f != stdout && fclose(f) != 0) || jr) {
                fprintf(stderr, "cutover: cannot write %s\n", json);
                status = EXIT_ERROR;
            }
        }
    }
    cut_result_free(res);
    cut_mapping_free(m);
    free(c.tables);
    return status;
}

/* ---------------------------------------------------------------- main */

static const char main_help[] =
    "Usage: cutover COMMAND [OPTIONS]\n"
    "\n"
    "Data migration and integrity verification for go-live night.\n"
    "\n"
    "Commands:\n"
    "  check MAPPING      preflight: parse, connect, resolve every column and expression\n"
    "  migrate MAPPING    stream source rows through the mapping into the target\n"
    "  verify MAPPING     compare counts and digests; exit 0 Go, 1 No-Go\n"
    "  snapshot URL|MAPPING -o FILE   copy tables into a checksummed .cutsnap file\n"
    "  restore FILE       put a snapshot back in one transaction, proven by digest\n"
    "  inspect FILE       show a snapshot's tables, counts and digests (--verify)\n"
    "  run MAPPING        the runbook: check, snapshot, migrate, verify, gate, rollback\n"
    "  runs               the run journal: history, step timings, production forecast\n"
    "  report [RUN]       one run's report as text, JSON or a self-contained HTML page\n"
    "\n"
    "Run 'cutover COMMAND --help' for a command's options. Manual: docs/cutover.md.\n"
    "\n"
    "Options:\n"
    "  -v, --verbose      more log output (-vv for debug); before the command\n"
    "  -h, --help         show this help\n"
    "  -V, --version      show the version\n"
    "\n"
    "Exit status: 0 success or Go, 1 No-Go, 2 usage or runtime error.\n";

int main(int argc, char **argv)
{
    int verbose = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(main_help, stdout);
            return EXIT_GO;
        } else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            printf("cutover %s\n", CUT_VERSION_STRING);
            return EXIT_GO;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            verbose++;
        } else if (strcmp(a, "-vv") == 0) {
            verbose += 2;
        } else {
            fprintf(stderr, "cutover: unknown option '%s'\nTry 'cutover --help'.\n", a);
            return EXIT_ERROR;
        }
    }
    if (i >= argc) {
        fputs(main_help, stderr);
        return EXIT_ERROR;
    }
    /* The commands print their own one-line message for a bad option (cli_bad_option). */
    opterr = 0;
    cut_log_set_level(verbose >= 2 ? CUT_LOG_DEBUG : verbose ? CUT_LOG_INFO : CUT_LOG_WARN);
    const char *cmd = argv[i];
    argc -= i;
    argv += i;
    optind = 1;
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc, argv);
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(argc, argv);
    if (strcmp(cmd, "verify") == 0)
        return cmd_verify(argc, argv);
    if (strcmp(cmd, "snapshot") == 0) return cmd_snapshot(argc, argv);
    if (strcmp(cmd, "restore") == 0) return cmd_restore(argc, argv);
    if (strcmp(cmd, "inspect") == 0) return cmd_inspect(argc, argv);
    if (strcmp(cmd, "run") == 0) return cmd_run(argc, argv);
    if (strcmp(cmd, "runs") == 0) return cmd_runs(argc, argv);
    if (strcmp(cmd, "report") == 0) return cmd_report(argc, argv);
    if (strcmp(cmd, "help") == 0) {
        fputs(main_help, stdout);
        return EXIT_GO;
    }
    fprintf(stderr, "cutover: unknown command '%s'\nTry 'cutover --help'.\n", cmd);
    return EXIT_ERROR;
}
