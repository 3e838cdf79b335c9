/*
 * cli.h — sub-commands of the cutover CLI that live outside tools/cutover.c.
 * Each takes the arguments from the command name on (argv[0] is the command)
 * with getopt's optind reset by the caller, and returns the exit status:
 * 0 success, 1 verification failed (No-Go), 2 usage or runtime error.
 */
#ifndef CUT_CLI_H
#define CUT_CLI_H

#include <getopt.h>

#include "cutover.h"

/* Prints the one line for an option getopt_long refused (unknown, ambiguous, missing its
   value, or given one it does not take), with opterr 0 and ':' leading the option string;
   returns the exit status 2 (tools/cutover.c). */
int cli_bad_option(const char *cmd, int ch, char *const *argv, const struct option *opts);
/* Splits a --tables list in place into a NULL-terminated array (*out, caller frees);
   an empty list or name is a usage error, printed: returns the exit status (0 or 2)
   (tools/cutover.c). */
int cli_split_tables(const char *cmd, char *list, const char ***out);

/* cutover snapshot URL|MAPPING -o FILE (tools/cmd_snapshot.c) */
int cmd_snapshot(int argc, char **argv);
/* cutover restore FILE [--target URL] (tools/cmd_snapshot.c) */
int cmd_restore(int argc, char **argv);
/* cutover inspect FILE [--verify] (tools/cmd_snapshot.c) */
int cmd_inspect(int argc, char **argv);

/* cutover run MAPPING [--rehearsal|--production] ... (tools/cmd_run.c) */
int cmd_run(int argc, char **argv);
/* cutover runs [--journal FILE] [--mapping MAPPING] (tools/cmd_run.c) */
int cmd_runs(int argc, char **argv);
/* cutover report [RUN] --format text|json|html [-o FILE] (tools/cmd_run.c) */
int cmd_report(int argc, char **argv);
/* cutover restore --journal (tools/cmd_run.c), before the restore: opens the journal at
   path into *j and checks that the restore of snapshot into target (NULL: the database the
   snapshot records) puts back the target of the run that took it; returns an exit status
   (2 with the reason printed, *j NULL, when not). */
int cli_journal_restore_check(const char *path, const char *snapshot, const char *target,
                              cut_journal **j);
/* After it: records in j that snapshot was restored; returns an exit status. */
int cli_journal_restored(cut_journal *j, const char *snapshot, const cut_snap_info *info);

/* The progress display on stderr (tools/progress.c): pass cli_progress_fn as the
   library's progress callback with the cli_progress as its argument. */
typedef struct cli_progress cli_progress;
cli_progress *cli_progress_new(int quiet);
void cli_progress_fn(void *ud, const cut_progress *p);
/* Erases the live block (on a terminal) before other output goes to stderr. */
void cli_progress_clear(cli_progress *p);
void cli_progress_free(cli_progress *p);

#endif
