/*
 * cutover-fixture — writes deterministic test data for cutover.
 *
 *   cutover-fixture gym --scale SF (--sqlite FILE | --csv DIR | --tsv DIR) [--seed N] [--force]
 *   cutover-fixture sql --sqlite FILE [--force] SCRIPT.sql
 *
 * `gym` generates the legacy gym booking database (the system that took
 * bookings by phone and e-mail) with all the mess a real one collects: stray
 * spaces, case-only duplicate e-mails, zero dates, six phone formats, notes full
 * of tabs, newlines, backslashes and emoji. `sql` runs an SQL script into a
 * SQLite file, for hand-written fixtures.
 *
 * The program stands alone (sqlite3 + libcsv only) so fixtures can be made even
 * when the engine does not build. Three parts, read top down:
 *   1. a counter-based PRNG: every row is generated from (seed, table, row id)
 *      alone, so output is byte-identical for the same arguments and the
 *      clients of SF=1 are exactly the first 5,000 clients of SF=10;
 *   2. the row generators, which format into per-row fixed buffers (no malloc
 *      per row, no snprintf in the hot loop);
 *   3. sinks: a small struct of function pointers (open table, write row of
 *      nullable strings, close table, finish) with one implementation per
 *      format, so a MySQL or PostgreSQL sink can be added without touching the
 *      generators. Every sink writes to temporary names and only renames them
 *      into place when everything succeeded; a failed or killed run never
 *      leaves half a fixture under the requested name.
 */
#include <csv.h>
#include <sqlite3.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG       "cutover-fixture"
#define EXIT_USAGE 2

#define CLIENTS_PER_SF  5000.0
#define BOOKINGS_PER_SF 12000.0
#define MAX_SCALE       100000.0 /* 500 million clients: beyond that, a typo */
#define DEFAULT_SEED    42

/* ------------------------------------------------------------------ errors */

static char g_err[1024];

/* Records a message for the caller to print; returns -1 so `return fail(...)` reads well. */
static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_err, sizeof g_err, fmt, ap);
    va_end(ap);
    return -1;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* -------------------------------------------------------------------- PRNG */
/*
 * splitmix64 as a keyed stream: the state starts at a hash of (seed, stream,
 * id) and each draw advances it by the golden-ratio increment and finalizes.
 * Streams are cheap to create, so each row owns one and no row's content
 * depends on how many rows came before it.
 */
struct rng {
    uint64_t s;
};

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

enum { STREAM_CLIENT = 1, STREAM_BOOKING = 2, STREAM_DUP = 3 };

static void rng_init(struct rng *r, uint64_t seed, uint64_t stream, uint64_t id)
{
    r->s = mix64(seed ^ mix64(stream * UINT64_C(0x9e3779b97f4a7c15) ^ mix64(id)));
}

static uint64_t rng_next(struct rng *r)
{
    r->s += UINT64_C(0x9e3779b97f4a7c15);
    return mix64(r->s);
}

/* Uniform in [0, n) by multiply-shift; the bias (n / 2^32) is irrelevant here. */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [0, 1). */
static double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* ------------------------------------------------------------ formatting */

/* Writes v as exactly `width` decimal digits (zero padded) and returns the end. */
static char *put_digits(char *p, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

static char *put_uint(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* Days since 1970-01-01 for a proleptic Gregorian date (era arithmetic, 400-year cycles). */
static long days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

static void civil_from_days(long z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + (unsigned)era * 400) + (*m <= 2);
}

/* 'YYYY-MM-DD' */
static char *put_date(char *p, long day)
{
    int y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    p = put_digits(p, (unsigned)y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    return put_digits(p, d, 2);
}

/* 'YYYY-MM-DD HH:MM:SS' */
static char *put_datetime(char *p, long day, unsigned secs)
{
    p = put_date(p, day);
    *p++ = ' ';
    p = put_digits(p, secs / 3600, 2);
    *p++ = ':';
    p = put_digits(p, secs / 60 % 60, 2);
    *p++ = ':';
    return put_digits(p, secs % 60, 2);
}

/*
 * Creation times are local wall-clock times strictly between 07:00:00 and
 * 21:59:00, far from any DST gap or overlap (those happen around 02:00-03:00),
 * so a source_timezone conversion is never ambiguous.
 */
#define CREATED_MIN_SECS (7 * 3600 + 1)
#define CREATED_MAX_SECS (21 * 3600 + 59 * 60 - 1)

/* ------------------------------------------------------------------- data */

struct name {
    const char *text;  /* as stored: UTF-8, with apostrophes, spaces, diacritics */
    const char *ascii; /* as used in e-mail addresses; NULL when equal to text */
};

/* clang-format off */
static const struct name first_names[] = {
    {"Zoë", "Zoe"}, {"Zoe", NULL}, {"Łukasz", "Lukasz"}, {"José", "Jose"},
    {"Søren", "Soren"}, {"Chloé", "Chloe"}, {"Anaïs", "Anais"}, {"Björn", "Bjorn"},
    {"Çağla", "Cagla"}, {"Jürgen", "Jurgen"}, {"Noël", "Noel"}, {"Mathéo", "Matheo"},
    {"Siobhán", "Siobhan"}, {"Ngọc", "Ngoc"}, {"Émilie", "Emilie"},
    {"François", "Francois"}, {"Jean-Pierre", NULL}, {"Marie-Claire", NULL},
    {"Dorothée", "Dorothee"}, {"Inès", "Ines"}, {"Aïcha", "Aicha"},
    /* The same name decomposed (NFD: 'e' + U+0301), as some Mac-entered rows are. */
    {"Jose\xcc\x81", "Jose"}, {"Emma", NULL}, {"Lucas", NULL}, {"Noah", NULL},
    {"Olivia", NULL}, {"Liam", NULL}, {"Louise", NULL}, {"Arthur", NULL},
    {"Mila", NULL}, {"Jules", NULL}, {"Elena", NULL}, {"Mohamed", NULL},
    {"Fatima", NULL}, {"Yusuf", NULL}, {"Wout", NULL}, {"Lotte", NULL},
    {"Sander", NULL}, {"Femke", NULL}, {"Pieter", NULL}, {"An", NULL}, {"Bo", NULL},
    {"Ines", NULL}, {"Thijs", NULL}, {"Dmitrij", NULL}, {"Sarah", NULL},
};
/* clang-format on */

/* clang-format off */
static const struct name last_names[] = {
    {"Peeters", NULL}, {"Janssens", NULL}, {"Maes", NULL}, {"Jacobs", NULL},
    {"Mertens", NULL}, {"Willems", NULL}, {"Claes", NULL}, {"Goossens", NULL},
    {"Wouters", NULL}, {"De Smet", "DeSmet"}, {"Van den Bossche", "VandenBossche"},
    {"Müller", "Muller"}, {"O'Brien", "OBrien"}, {"Nguyễn", "Nguyen"},
    {"Ødegaard", "Odegaard"}, {"Dubois", NULL}, {"Lambert", NULL}, {"Dupont", NULL},
    {"Van Damme", "VanDamme"}, {"D'Hondt", "DHondt"}, {"El Amrani", "ElAmrani"},
    {"Öztürk", "Ozturk"}, {"Kowalski", NULL}, {"Wiśniewski", "Wisniewski"},
    {"García", "Garcia"}, {"Fernández", "Fernandez"}, {"Lefèvre", "Lefevre"},
    {"Vandenberghe", NULL}, {"Çelik", "Celik"}, {"Smith-Jones", NULL},
    {"Dvořák", "Dvorak"}, {"Ó Súilleabháin", "OSuilleabhain"}, {"Tanaka", NULL},
    {"Schäfer", "Schafer"}, {"de la Cruz", "delaCruz"}, {"Lemaître", "Lemaitre"},
    {"Verhaeghe", NULL}, {"Şahin", "Sahin"}, {"Åberg", "Aberg"}, {"Ng", NULL},
};
/* clang-format on */

static const char *const domains[] = {
    "gmail.com",   "hotmail.com", "outlook.com", "telenet.be", "skynet.be",
    "proximus.be", "yahoo.fr",    "icloud.com",  "gmx.de",     "hotmail.be",
};

/*
 * Short notes as the front desk typed them. Several exist to trip exporters:
 * tabs, LF and CRLF, both quote kinds, backslashes including the literal
 * two-character sequences \N and \t (COPY text format's NULL and tab), a note
 * that is exactly \N, one that is the word NULL, commas, non-ASCII and emoji
 * (U+1F3CB followed by the variation selector U+FE0F).
 */
static const char *const short_notes[] = {
    "Prefers morning classes",
    "Knee injury\tno jumping",
    "Called twice.\nWill come back on Monday",
    "Paid cash at the desk\r\nreceipt #42",
    "Says \"no\" to the newsletter",
    "Friend of Anna's, referral bonus pending",
    "Old file C:\\Users\\frontdesk\\clients.xls",
    "Imported from old system: \\N",
    "\\N",
    "Column sep was \\t in the 2014 export",
    "Escaped twice: \\\\t and \\\\N",
    "NULL",
    "Allergic to latex, nuts, and dust",
    "Gerät defekt – bitte Bescheid sagen",
    "Loves crème brûlée after Body Pump",
    "日本語を話します",
    "💪🏋️ beast mode",
    "Mixed: \"double\", 'single', \\back\\slash,\ttab\nnewline",
    "  see front desk  ",
    "Wants invoice; VAT BE0123.456.789",
    "Line one\r\nLine two\r\nLine three",
    "Ça va? Très bien! Ünïcödé everywhere",
    "Trailing backslash \\",
    "Personal trainer: Łukasz (Tue/Thu)",
    "Emoji only: 🧘‍♀️🚴",
};

/* Sentences long notes are built from, whole pieces only so the result stays valid UTF-8. */
static const char *const long_note_pieces[] = {
    "Client called about the schedule change and asked whether the Tuesday class moves too. ",
    "Explained the new booking platform; she prefers to keep calling us. ",
    "Gerät Nr. 7 (Laufband) war wieder kaputt, Techniker kommt am Freitag. ",
    "Note from the manager: \"be patient, long-time member\". ",
    "Paid 3 months in advance, cash, receipt in the blue folder.\n",
    "Ne mange pas de crème brûlée pendant le régime 😉. ",
    "Reminder: ask about the knee\tbefore any jumping exercise.\r\n",
    "予約は電話でお願いします。",
    "Path of the scanned form: \\\\nas01\\scans\\2019\\forms. ",
    "💪🏋️ ",
};

static const char *const gyms[] = {"BRU1", "BRU2", "ANT1", "GHE1", "LIE1"};
static const char *const classes[] = {"Yoga",   "Spinning", "CrossFit", "Pilates",
                                      "Boxing", "Aqua Gym", "Body Pump"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ tables */

enum col_kind { COL_INT, COL_TEXT };

struct column {
    const char *name;
    const char *decl; /* declared SQL type, as the legacy system had it */
    enum col_kind kind;
};

struct table_def {
    const char *name;
    int ncols;
    const struct column *cols;
};

static const struct column client_cols[] = {
    {"id", "INTEGER PRIMARY KEY", COL_INT},
    {"first_name", "VARCHAR(50)", COL_TEXT},
    {"last_name", "VARCHAR(50)", COL_TEXT},
    {"email", "VARCHAR(100)", COL_TEXT},
    {"phone", "VARCHAR(30)", COL_TEXT},
    {"birth_date", "DATE", COL_TEXT},
    {"created", "DATETIME", COL_TEXT},
    {"is_active", "TINYINT", COL_INT},
    {"notes", "TEXT", COL_TEXT},
};

static const struct column booking_cols[] = {
    {"id", "INTEGER PRIMARY KEY", COL_INT}, {"client_id", "INTEGER", COL_INT},
    {"gym_code", "CHAR(4)", COL_TEXT},      {"class_name", "VARCHAR(40)", COL_TEXT},
    {"slot", "DATETIME", COL_TEXT},         {"status", "VARCHAR(12)", COL_TEXT},
    {"price", "DECIMAL(8,2)", COL_TEXT},    {"channel", "VARCHAR(8)", COL_TEXT},
    {"created", "DATETIME", COL_TEXT},
};

static const struct table_def clients_table = {"clients", (int)NELEM(client_cols), client_cols};
static const struct table_def bookings_table = {"bookings", (int)NELEM(booking_cols), booking_cols};

#define MAX_COLS 9

/* One cell of a row: p == NULL is SQL NULL; otherwise n bytes at p (need not be terminated). */
struct cell {
    const char *p;
    size_t n;
};

/* -------------------------------------------------------------------- sinks */
/*
 * A sink receives tables one after another. Ownership: the cells passed to
 * write_row are only valid during the call. Every function returns 0 or -1
 * with a message in g_err. finish(commit=true) makes the output visible under
 * its final name; finish(commit=false) removes everything written. free
 * releases the sink after finish (or instead of it, on early errors) and
 * accepts NULL.
 */
struct sink {
    int version;        /* 1 */
    const char *target; /* what the summary line names */
    int (*open_table)(struct sink *, const struct table_def *);
    int (*write_row)(struct sink *, const struct cell *cells);
    int (*close_table)(struct sink *);
    int (*finish)(struct sink *, bool commit);
    void (*free)(struct sink *);
};

/* ---- SQLite sink */

struct sqlite_sink {
    struct sink base;
    char *path;     /* final name */
    char *tmp_path; /* written here, renamed on commit */
    sqlite3 *db;
    sqlite3_stmt *ins;
    const struct table_def *table;
};

static int sqlite_fail(sqlite3 *db, const char *what)
{
    return fail("sqlite: %s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

static int sqlite_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fail("sqlite: %s: %s", sql, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int sqlite_open_table(struct sink *s, const struct table_def *t)
{
    struct sqlite_sink *ss = (struct sqlite_sink *)s;
    char ddl[1024], ins[512];
    size_t a = 0, b = 0;

    a += (size_t)snprintf(ddl + a, sizeof ddl - a, "CREATE TABLE %s (", t->name);
    b += (size_t)snprintf(ins + b, sizeof ins - b, "INSERT INTO %s VALUES (", t->name);
    for (int i = 0; i < t->ncols; i++) {
        a += (size_t)snprintf(ddl + a, sizeof ddl - a, "%s%s %s", i ? ", " : "", t->cols[i].name,
                              t->cols[i].decl);
        b += (size_t)snprintf(ins + b, sizeof ins - b, "%s?", i ? ", " : "");
    }
    snprintf(ddl + a, sizeof ddl - a, ")");
    snprintf(ins + b, sizeof ins - b, ")");
    if (sqlite_exec(ss->db, ddl) < 0)
        return -1;
    if (sqlite3_prepare_v2(ss->db, ins, -1, &ss->ins, NULL) != SQLITE_OK)
        return sqlite_fail(ss->db, ins);
    ss->table = t;
    return 0;
}

static int sqlite_write_row(struct sink *s, const struct cell *cells)
{
    struct sqlite_sink *ss = (struct sqlite_sink *)s;
    const struct table_def *t = ss->table;

    for (int i = 0; i < t->ncols; i++) {
        int rc;
        if (!cells[i].p)
            rc = sqlite3_bind_null(ss->ins, i + 1);
        else if (t->cols[i].kind == COL_INT)
            rc = sqlite3_bind_int64(ss->ins, i + 1, strtoll(cells[i].p, NULL, 10));
        else
            rc = sqlite3_bind_text(ss->ins, i + 1, cells[i].p, (int)cells[i].n, SQLITE_STATIC);
        if (rc != SQLITE_OK)
            return sqlite_fail(ss->db, "bind");
    }
    if (sqlite3_step(ss->ins) != SQLITE_DONE) {
        sqlite_fail(ss->db, t->name);
        sqlite3_reset(ss->ins);
        return -1;
    }
    sqlite3_reset(ss->ins);
    return 0;
}

static int sqlite_close_table(struct sink *s)
{
    struct sqlite_sink *ss = (struct sqlite_sink *)s;
    sqlite3_finalize(ss->ins);
    ss->ins = NULL;
    ss->table = NULL;
    return 0;
}

/* Removes FILE-journal, FILE-wal and FILE-shm: left beside a file we replace, SQLite would
 * replay or roll them back into the new database. */
static void unlink_sqlite_sidecars(const char *path)
{
    static const char *const sfx[] = {"-journal", "-wal", "-shm"};
    char buf[4096];
    for (size_t i = 0; i < NELEM(sfx); i++) {
        if ((size_t)snprintf(buf, sizeof buf, "%s%s", path, sfx[i]) < sizeof buf)
            unlink(buf);
    }
}

static int sqlite_finish(struct sink *s, bool commit)
{
    struct sqlite_sink *ss = (struct sqlite_sink *)s;
    int rc = 0;

    sqlite3_finalize(ss->ins);
    ss->ins = NULL;
    if (commit && sqlite_exec(ss->db, "COMMIT") < 0) {
        rc = -1;
        commit = false;
    }
    if (sqlite3_close(ss->db) != SQLITE_OK && commit) {
        rc = sqlite_fail(ss->db, "close");
        commit = false;
    }
    ss->db = NULL;
    if (commit) {
        unlink_sqlite_sidecars(ss->path);
        if (rename(ss->tmp_path, ss->path) != 0) {
            rc = fail("cannot rename %s to %s: %s", ss->tmp_path, ss->path, strerror(errno));
            commit = false;
        }
    }
    if (!commit)
        unlink(ss->tmp_path);
    return rc;
}

static void sqlite_free(struct sink *s)
{
    struct sqlite_sink *ss = (struct sqlite_sink *)s;
    if (!ss)
        return;
    if (ss->db) {
        sqlite3_finalize(ss->ins);
        sqlite3_close(ss->db);
        unlink(ss->tmp_path);
    }
    free(ss->path);
    free(ss->tmp_path);
    free(ss);
}

/*
 * Opens a SQLite sink writing to a temporary file beside `path`. Bulk settings:
 * no journal, no fsync, one transaction; a crash just leaves the temporary file.
 */
static struct sink *sqlite_sink_open(const char *path)
{
    struct sqlite_sink *ss = calloc(1, sizeof *ss);
    if (!ss) {
        fail("out of memory");
        return NULL;
    }
    ss->base = (struct sink){
        1,          path, sqlite_open_table, sqlite_write_row, sqlite_close_table, sqlite_finish,
        sqlite_free};
    ss->path = strdup(path);
    if (!ss->path || asprintf(&ss->tmp_path, "%s.tmp-%ld", path, (long)getpid()) < 0) {
        ss->tmp_path = NULL;
        fail("out of memory");
        goto error;
    }
    unlink(ss->tmp_path);
    if (sqlite3_open_v2(ss->tmp_path, &ss->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        sqlite_fail(ss->db, ss->tmp_path);
        goto error;
    }
    if (sqlite_exec(ss->db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
                            "PRAGMA locking_mode=EXCLUSIVE; PRAGMA cache_size=-65536; "
                            "BEGIN") < 0)
        goto error;
    return &ss->base;
error:
    sqlite_free(&ss->base);
    return NULL;
}

/* ---- CSV and TSV sinks (one file per table in a directory) */

enum text_format { FMT_CSV, FMT_TSV };

#define MAX_TABLES 8

struct file_sink {
    struct sink base;
    enum text_format fmt;
    char *dir;
    FILE *fp;
    const struct table_def *table;
    int nfiles;
    char *tmp[MAX_TABLES];
    char *final[MAX_TABLES];
};

static int write_fail(const char *path)
{
    return fail("cannot write %s: %s", path, strerror(errno ? errno : EIO));
}

/*
 * RFC 4180: a field is quoted (by libcsv, which doubles inner quotes) when it
 * holds a comma, quote, CR or LF, and when it is the empty string, so that an
 * empty unquoted field can stand for NULL.
 */
static int csv_put_cell(FILE *fp, const struct cell *c)
{
    if (!c->p)
        return 0;
    if (c->n == 0 || memchr(c->p, ',', c->n) || memchr(c->p, '"', c->n) ||
        memchr(c->p, '\n', c->n) || memchr(c->p, '\r', c->n))
        return csv_fwrite(fp, c->p, c->n) == 0 ? 0 : -1;
    return fwrite_unlocked(c->p, 1, c->n, fp) == c->n ? 0 : -1;
}

/* PostgreSQL COPY text format: \N is NULL; backslash, tab, LF and CR are escaped. */
static int tsv_put_cell(FILE *fp, const struct cell *c)
{
    if (!c->p)
        return fwrite_unlocked("\\N", 1, 2, fp) == 2 ? 0 : -1;
    const char *p = c->p, *end = c->p + c->n, *run = p;
    for (; p < end; p++) {
        char esc;
        switch (*p) {
        case '\\':
            esc = '\\';
            break;
        case '\t':
            esc = 't';
            break;
        case '\n':
            esc = 'n';
            break;
        case '\r':
            esc = 'r';
            break;
        default:
            continue;
        }
        if (fwrite_unlocked(run, 1, (size_t)(p - run), fp) != (size_t)(p - run))
            return -1;
        putc_unlocked('\\', fp);
        putc_unlocked(esc, fp);
        run = p + 1;
    }
    return fwrite_unlocked(run, 1, (size_t)(end - run), fp) == (size_t)(end - run) ? 0 : -1;
}

static int file_open_table(struct sink *s, const struct table_def *t)
{
    struct file_sink *fs = (struct file_sink *)s;
    const char *ext = fs->fmt == FMT_CSV ? "csv" : "tsv";
    int i = fs->nfiles;

    if (i >= MAX_TABLES)
        return fail("too many tables");
    if (asprintf(&fs->final[i], "%s/%s.%s", fs->dir, t->name, ext) < 0) {
        fs->final[i] = NULL;
        return fail("out of memory");
    }
    if (asprintf(&fs->tmp[i], "%s.tmp-%ld", fs->final[i], (long)getpid()) < 0) {
        fs->tmp[i] = NULL;
        free(fs->final[i]);
        return fail("out of memory");
    }
    fs->nfiles++;
    fs->fp = fopen(fs->tmp[i], "w");
    if (!fs->fp)
        return fail("cannot create %s: %s", fs->tmp[i], strerror(errno));
    setvbuf(fs->fp, NULL, _IOFBF, 1 << 20);
    fs->table = t;
    if (fs->fmt == FMT_CSV) {
        for (int c = 0; c < t->ncols; c++) {
            if (c)
                putc_unlocked(',', fs->fp);
            fputs(t->cols[c].name, fs->fp);
        }
        putc_unlocked('\n', fs->fp);
    }
    return ferror(fs->fp) ? write_fail(fs->tmp[i]) : 0;
}

static int file_write_row(struct sink *s, const struct cell *cells)
{
    struct file_sink *fs = (struct file_sink *)s;
    char sep = fs->fmt == FMT_CSV ? ',' : '\t';
    int rc = 0;

    for (int c = 0; c < fs->table->ncols && rc == 0; c++) {
        if (c)
            putc_unlocked(sep, fs->fp);
        rc = fs->fmt == FMT_CSV ? csv_put_cell(fs->fp, &cells[c]) : tsv_put_cell(fs->fp, &cells[c]);
    }
    putc_unlocked('\n', fs->fp);
    if (rc < 0 || ferror(fs->fp))
        return write_fail(fs->tmp[fs->nfiles - 1]);
    return 0;
}

static int file_close_table(struct sink *s)
{
    struct file_sink *fs = (struct file_sink *)s;
    FILE *fp = fs->fp;
    fs->fp = NULL;
    fs->table = NULL;
    errno = 0;
    if (fflush(fp) != 0 || ferror(fp)) {
        fclose(fp);
        return write_fail(fs->tmp[fs->nfiles - 1]);
    }
    if (fclose(fp) != 0)
        return write_fail(fs->tmp[fs->nfiles - 1]);
    return 0;
}

static int file_finish(struct sink *s, bool commit)
{
    struct file_sink *fs = (struct file_sink *)s;
    int rc = 0;
    if (fs->fp) {
        fclose(fs->fp);
        fs->fp = NULL;
        commit = false;
    }
    for (int i = 0; i < fs->nfiles && commit; i++) {
        if (rename(fs->tmp[i], fs->final[i]) != 0) {
            rc = fail("cannot rename %s to %s: %s", fs->tmp[i], fs->final[i], strerror(errno));
            commit = false;
        }
    }
    if (!commit) {
        for (int i = 0; i < fs->nfiles; i++)
            unlink(fs->tmp[i]);
    }
    fs->nfiles = commit ? fs->nfiles : 0;
    return rc;
}

static void file_free(struct sink *s)
{
    struct file_sink *fs = (struct file_sink *)s;
    if (!fs)
        return;
    if (fs->fp)
        fclose(fs->fp);
    for (int i = 0; i < MAX_TABLES; i++) {
        free(fs->tmp[i]);
        free(fs->final[i]);
    }
    free(fs->dir);
    free(fs);
}

static struct sink *file_sink_open(const char *dir, enum text_format fmt)
{
    struct file_sink *fs = calloc(1, sizeof *fs);
    if (!fs || !(fs->dir = strdup(dir))) {
        free(fs);
        fail("out of memory");
        return NULL;
    }
    fs->base = (struct sink){
        1, dir, file_open_table, file_write_row, file_close_table, file_finish, file_free};
    fs->fmt = fmt;
    return &fs->base;
}

/* ------------------------------------------------------------- generators */

struct gen {
    uint64_t seed;
    int64_t nclients;
    int64_t nbookings;
    uint64_t stride; /* coprime with nclients: spreads the popular clients over the id range */
};

/* ~0.4% of clients are test accounts; the first ten never are, so tiny scales still have
 * real clients to book. Decided by the first draw of the client's stream. */
static bool client_is_test(uint64_t seed, int64_t id)
{
    struct rng r;
    rng_init(&r, seed, STREAM_CLIENT, (uint64_t)id);
    return rng_below(&r, 1000) < 4 && id > 10;
}

enum email_kind { EMAIL_NORMAL, EMAIL_NULL, EMAIL_DUP };

struct client_row {
    bool test;
    enum email_kind email_kind;
    const struct name *first, *last;
    unsigned domain, case_style;
    char id[24];
    char first_name[64], last_name[64];
    char email[192];
    char phone[32];
    char birth[16];
    char created[24];
    char active[2];
    const char *notes; /* NULL for SQL NULL */
    size_t notes_len;
    char notes_buf[2800];
    bool phone_null, birth_null, email_null;
};

/* The address before any stray spaces or duplication: First.Last<id>@domain in the row's
 * case style. */
static size_t base_email(const struct client_row *c, int64_t id, char *out)
{
    const char *f = c->first->ascii ? c->first->ascii : c->first->text;
    const char *l = c->last->ascii ? c->last->ascii : c->last->text;
    char *p = out, *at;
    p = put_str(p, f);
    *p++ = '.';
    p = put_str(p, l);
    p = put_uint(p, (uint64_t)id);
    at = p;
    *p++ = '@';
    p = put_str(p, domains[c->domain]);
    *p = '\0';
    switch (c->case_style) {
    case 0:
        break; /* Zoe.Peeters17@gmail.com */
    case 1:    /* zoe.peeters17@gmail.com */
        for (char *q = out; q < p; q++)
            if (*q >= 'A' && *q <= 'Z')
                *q = (char)(*q + 32);
        break;
    case 2:
        at[1] = (char)(at[1] - 32);
        break; /* Zoe.Peeters17@Gmail.com */
    case 3:    /* ZOE.PEETERS17@GMAIL.COM */
        for (char *q = out; q < p; q++)
            if (*q >= 'a' && *q <= 'z')
                *q = (char)(*q - 32);
        break;
    default: /* ZOE.PEETERS17@gmail.com */
        for (char *q = out; q < at; q++)
            if (*q >= 'a' && *q <= 'z')
                *q = (char)(*q - 32);
        break;
    }
    return (size_t)(p - out);
}

static void gen_client(const struct gen *g, int64_t id, struct client_row *c);

/*
 * A case-only duplicate copies the address of an earlier client j (a real one, with an e-mail
 * that is its own) and flips its case. j depends only on (seed, id), so the row stays a
 * function of its id. Returns false when no suitable j was found.
 */
static bool dup_email(const struct gen *g, int64_t id, char *out, size_t *len)
{
    struct rng r;
    struct client_row other;
    bool has_upper = false;

    if (id < 2)
        return false;
    rng_init(&r, g->seed, STREAM_DUP, (uint64_t)id);
    for (int attempt = 0; attempt < 8; attempt++) {
        int64_t j = 1 + (int64_t)(rng_unit(&r) * (double)(id - 1));
        gen_client(g, -j, &other); /* negative id: generate without resolving duplicates */
        if (other.test || other.email_kind != EMAIL_NORMAL)
            continue;
        *len = base_email(&other, j, out);
        for (size_t i = 0; i < *len; i++)
            has_upper |= out[i] >= 'A' && out[i] <= 'Z';
        for (size_t i = 0; i < *len; i++) {
            if (has_upper && out[i] >= 'A' && out[i] <= 'Z')
                out[i] = (char)(out[i] + 32);
            else if (!has_upper && out[i] >= 'a' && out[i] <= 'z')
                out[i] = (char)(out[i] - 32);
        }
        return true;
    }
    return false;
}

static size_t gen_phone(struct rng *r, char *out)
{
    char d[10]; /* 04xx xx xx xx: a Belgian mobile number */
    d[0] = '0';
    d[1] = '4';
    d[2] = (char)('7' + rng_below(r, 3));
    for (int i = 3; i < 10; i++)
        d[i] = (char)('0' + rng_below(r, 10));
    const char *pat;
    switch (rng_below(r, 6)) {
    case 0:
        pat = "+32 abc de fg hi";
        break;
    case 1:
        pat = "0abc/de.fg.hi";
        break;
    case 2:
        pat = "0abcdefghi";
        break;
    case 3:
        pat = "(0abc) de fg hi";
        break;
    case 4:
        pat = "+32abcdefghi";
        break;
    default:
        pat = "0032 abc de fg hi";
        break;
    }
    char *p = out;
    for (; *pat; pat++)
        *p++ = (*pat >= 'a' && *pat <= 'i') ? d[1 + (*pat - 'a')] : *pat;
    *p = '\0';
    return (size_t)(p - out);
}

static void gen_notes(struct rng *r, struct client_row *c)
{
    unsigned k = rng_below(r, 1000);
    if (k < 600) { /* 60% NULL */
        c->notes = NULL;
        c->notes_len = 0;
    } else if (k < 605) { /* 0.5% empty string */
        c->notes = "";
        c->notes_len = 0;
    } else if (k < 608) { /* 0.3% long, about 2 KB */
        size_t target = 1800 + rng_below(r, 500), n = 0;
        for (;;) {
            const char *piece = long_note_pieces[rng_below(r, NELEM(long_note_pieces))];
            size_t len = strlen(piece);
            if (n + len >= sizeof c->notes_buf)
                break;
            memcpy(c->notes_buf + n, piece, len);
            n += len;
            if (n >= target)
                break;
        }
        c->notes = c->notes_buf;
        c->notes_len = n;
    } else {
        const char *a = short_notes[rng_below(r, NELEM(short_notes))];
        if (rng_below(r, 5) == 0) { /* a fifth of them: two notes, one per line */
            const char *b = short_notes[rng_below(r, NELEM(short_notes))];
            size_t la = strlen(a), lb = strlen(b);
            memcpy(c->notes_buf, a, la);
            c->notes_buf[la] = '\n';
            memcpy(c->notes_buf + la + 1, b, lb);
            c->notes = c->notes_buf;
            c->notes_len = la + 1 + lb;
        } else {
            c->notes = a;
            c->notes_len = strlen(a);
        }
    }
}

/* strcpy bounded by cap (the name tables fit easily; truncation would only drop bytes). */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Pads a name with a stray space before or after it. */
static void stray_space(char *buf, size_t cap, bool before)
{
    size_t n = strlen(buf);
    if (n + 3 > cap)
        return;
    if (before) {
        memmove(buf + 1, buf, n + 1);
        buf[0] = ' ';
    } else {
        buf[n] = ' ';
        buf[n + 1] = '\0';
    }
}

/*
 * Generates client |id| into *c. A negative id asks for the row without resolving a
 * case-only duplicate (used by dup_email, and keeps the recursion one level deep).
 * Every draw comes from the client's own stream, in a fixed order.
 */
static void gen_client(const struct gen *g, int64_t signed_id, struct client_row *c)
{
    int64_t id = signed_id < 0 ? -signed_id : signed_id;
    struct rng r;
    unsigned k;

    rng_init(&r, g->seed, STREAM_CLIENT, (uint64_t)id);
    c->test = rng_below(&r, 1000) < 4 && id > 10; /* must match client_is_test() */
    *put_uint(c->id, (uint64_t)id) = '\0';

    c->first = &first_names[rng_below(&r, NELEM(first_names))];
    c->last = &last_names[rng_below(&r, NELEM(last_names))];
    c->domain = rng_below(&r, NELEM(domains));
    k = rng_below(&r, 100);
    c->case_style = k < 50 ? 0 : k < 75 ? 1 : k < 90 ? 2 : k < 97 ? 3 : 4;

    /* first_name, last_name: ~1% with a stray space somewhere */
    copy_str(c->first_name, sizeof c->first_name, c->test ? "Test" : c->first->text);
    copy_str(c->last_name, sizeof c->last_name, c->test ? "TEST" : c->last->text);
    k = rng_below(&r, 400);
    if (k < 4 && !c->test) {
        if (k < 2)
            stray_space(c->first_name, sizeof c->first_name, k == 0);
        else
            stray_space(c->last_name, sizeof c->last_name, k == 2);
    }

    /* email: ~2% NULL, ~0.5% case-only duplicates, ~3% with stray spaces */
    k = rng_below(&r, 1000);
    c->email_kind = k < 20 ? EMAIL_NULL : k < 25 ? EMAIL_DUP : EMAIL_NORMAL;
    unsigned spaces = rng_below(&r, 100) < 3 ? 1 + rng_below(&r, 3) : 0;
    char addr[160];
    size_t alen = 0;
    c->email_null = false;
    if (c->test) {
        alen = (size_t)(put_str(put_uint(put_str(addr, "test+"), (uint64_t)id), "@gym.invalid") -
                        addr);
        spaces = 0;
    } else if (c->email_kind == EMAIL_NULL) {
        c->email_null = true;
    } else if (c->email_kind == EMAIL_DUP && signed_id > 0 && dup_email(g, id, addr, &alen)) {
        /* addr holds the re-cased address of an earlier client */
    } else {
        alen = base_email(c, id, addr);
    }
    if (!c->email_null) {
        char *p = c->email;
        if (spaces & 1) /* 1 and 3: leading */
            *p++ = ' ';
        memcpy(p, addr, alen);
        p += alen;
        if (spaces >= 2) /* 2 and 3: trailing */
            p = put_str(p, spaces == 2 ? "  " : " ");
        *p = '\0';
    }

    /* phone: ~3% NULL, ~1% '' */
    k = rng_below(&r, 100);
    c->phone_null = k < 3;
    if (k == 3)
        c->phone[0] = '\0';
    else
        gen_phone(&r, c->phone);

    /* birth_date: ~3% NULL, ~1% '0000-00-00', else 1940..2008 */
    static long birth_lo, birth_n, created_lo, created_n;
    if (!birth_n) {
        birth_lo = days_from_civil(1940, 1, 1);
        birth_n = days_from_civil(2009, 1, 1) - birth_lo;
        created_lo = days_from_civil(2015, 1, 1);
        created_n = days_from_civil(2025, 1, 1) - created_lo;
    }
    k = rng_below(&r, 100);
    long bday = birth_lo + (long)rng_below(&r, (uint32_t)birth_n);
    c->birth_null = k < 3;
    if (k == 3)
        strcpy(c->birth, "0000-00-00");
    else
        *put_date(c->birth, bday) = '\0';

    /* created: 2015..2024, wall clock strictly inside 07:00..21:59 */
    long cday = created_lo + (long)rng_below(&r, (uint32_t)created_n);
    unsigned csec = CREATED_MIN_SECS + rng_below(&r, CREATED_MAX_SECS - CREATED_MIN_SECS + 1);
    *put_datetime(c->created, cday, csec) = '\0';

    c->active[0] = rng_below(&r, 100) < 85 ? '1' : '0';
    c->active[1] = '\0';

    gen_notes(&r, c);
}

static void cell_str(struct cell *cell, const char *s)
{
    *cell = (struct cell){s, strlen(s)};
}

static void client_cells(const struct client_row *c, struct cell *cells)
{
    cell_str(&cells[0], c->id);
    cell_str(&cells[1], c->first_name);
    cell_str(&cells[2], c->last_name);
    if (c->email_null)
        cells[3] = (struct cell){NULL, 0};
    else
        cell_str(&cells[3], c->email);
    if (c->phone_null)
        cells[4] = (struct cell){NULL, 0};
    else
        cell_str(&cells[4], c->phone);
    if (c->birth_null)
        cells[5] = (struct cell){NULL, 0};
    else
        cell_str(&cells[5], c->birth);
    cell_str(&cells[6], c->created);
    cell_str(&cells[7], c->active);
    cells[8] = (struct cell){c->notes, c->notes_len};
}

struct booking_row {
    char id[24], client_id[24];
    char gym[8];
    char klass[48];
    char slot[24];
    const char *status;
    char price[16];
    bool price_null;
    const char *channel;
    char created[24];
};

/*
 * Picks the booking's client. A client's rank (its position in a stride permutation of the ids,
 * which scatters the popular clients over the id range) falls in one of three bands, so the
 * shape does not change with the scale: the top 0.2% of ranks take 12% of the bookings (about
 * 144 each), the next 5% take 25% (about 12 each), the rest share 63% (about 1.6 each; a fifth
 * of them have none). Test accounts are skipped by drawing again; ids 1..10 are never test
 * accounts, so the fallback is always valid.
 */
static int64_t pick_client(const struct gen *g, struct rng *r)
{
    for (int attempt = 0; attempt < 64; attempt++) {
        double band = rng_unit(r), v = rng_unit(r), x;
        if (band < 0.12)
            x = v * 0.002;
        else if (band < 0.37)
            x = 0.002 + v * 0.05;
        else
            x = 0.052 + v * 0.948;
        uint64_t rank = (uint64_t)(x * (double)g->nclients);
        if (rank >= (uint64_t)g->nclients)
            rank = (uint64_t)g->nclients - 1;
        int64_t id = 1 + (int64_t)((unsigned __int128)rank * g->stride % (uint64_t)g->nclients);
        if (!client_is_test(g->seed, id))
            return id;
    }
    return 1;
}

static void gen_booking(const struct gen *g, int64_t id, struct booking_row *b)
{
    static long slot_lo, slot_n;
    struct rng r;
    unsigned k;

    if (!slot_n) {
        slot_lo = days_from_civil(2016, 1, 1);
        slot_n = days_from_civil(2026, 1, 1) - slot_lo;
    }
    rng_init(&r, g->seed, STREAM_BOOKING, (uint64_t)id);
    *put_uint(b->id, (uint64_t)id) = '\0';
    *put_uint(b->client_id, (uint64_t)pick_client(g, &r)) = '\0';

    /* gym_code: always 4 characters, ~2% lower case */
    memcpy(b->gym, gyms[rng_below(&r, NELEM(gyms))], 5);
    if (rng_below(&r, 100) < 2)
        for (char *q = b->gym; *q; q++)
            if (*q >= 'A' && *q <= 'Z')
                *q = (char)(*q + 32);

    /* class_name: ~2% with odd spacing or case */
    const char *cls = classes[rng_below(&r, NELEM(classes))];
    k = rng_below(&r, 200);
    if (k >= 4) {
        strcpy(b->klass, cls);
    } else {
        char *p = b->klass;
        bool has_space = strchr(cls, ' ') != NULL;
        if (k == 0) /* ' yoga' */
            *p++ = ' ';
        for (const char *s = cls; *s; s++) {
            char ch = *s;
            if (k == 0 && ch >= 'A' && ch <= 'Z')
                ch = (char)(ch + 32);
            if (k == 1 && ch >= 'a' && ch <= 'z') /* 'SPINNING' */
                ch = (char)(ch - 32);
            if (k == 3 && !has_space && ch >= 'A' && ch <= 'Z') /* 'pilates' */
                ch = (char)(ch + 32);
            *p++ = ch;
            if (k == 3 && ch == ' ') /* 'Body  Pump' */
                *p++ = ' ';
        }
        if (k == 2) /* 'Pilates ' */
            *p++ = ' ';
        *p = '\0';
    }

    /* slot: 2016..2025, on the hour or half hour, 06:00..21:30 */
    long sday = slot_lo + (long)rng_below(&r, (uint32_t)slot_n);
    unsigned ssec = 6 * 3600 + 1800 * rng_below(&r, 32);
    *put_datetime(b->slot, sday, ssec) = '\0';

    k = rng_below(&r, 100);
    b->status = k < 55 ? "attended" : k < 75 ? "booked" : k < 92 ? "cancelled" : "no-show";

    /* price: 5.00..35.00 in steps of 0.25, ~5% NULL */
    k = rng_below(&r, 100);
    unsigned cents = 500 + 25 * rng_below(&r, 121);
    b->price_null = k < 5;
    char *p = put_uint(b->price, cents / 100);
    *p++ = '.';
    *put_digits(p, cents % 100, 2) = '\0';

    b->channel = rng_below(&r, 100) < 60 ? "phone" : "email";

    /* created: 0..59 days before the slot, same clock rules as clients.created, and
     * strictly before the slot when on the same day */
    unsigned before = rng_below(&r, 60);
    unsigned frac = rng_below(&r, CREATED_MAX_SECS - CREATED_MIN_SECS + 1);
    if (before == 0 && ssec <= CREATED_MIN_SECS)
        before = 1;
    unsigned hi = CREATED_MAX_SECS;
    if (before == 0 && ssec - 1 < hi)
        hi = ssec - 1;
    unsigned csec = CREATED_MIN_SECS + frac % (hi - CREATED_MIN_SECS + 1);
    *put_datetime(b->created, sday - (long)before, csec) = '\0';
}

static void booking_cells(const struct booking_row *b, struct cell *cells)
{
    cell_str(&cells[0], b->id);
    cell_str(&cells[1], b->client_id);
    cell_str(&cells[2], b->gym);
    cell_str(&cells[3], b->klass);
    cell_str(&cells[4], b->slot);
    cell_str(&cells[5], b->status);
    if (b->price_null)
        cells[6] = (struct cell){NULL, 0};
    else
        cell_str(&cells[6], b->price);
    cell_str(&cells[7], b->channel);
    cell_str(&cells[8], b->created);
}

/* ---------------------------------------------------------------- progress */

struct progress {
    bool on;
    int64_t total, done, next;
    double t0;
};

static void progress_step(struct progress *pr)
{
    pr->done++;
    if (pr->on && pr->done >= pr->next) {
        fprintf(stderr, PROG ": %3d%%  %" PRId64 " of %" PRId64 " rows  %.1f s\n",
                (int)(100 * pr->done / pr->total), pr->done, pr->total, now_seconds() - pr->t0);
        pr->next += pr->total / 10;
    }
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Writes both tables into the sink and finishes it. Returns 0 or -1 (g_err set). */
static int generate_gym(struct gen *g, struct sink *s, bool show_progress, double t0)
{
    struct progress pr = {show_progress, g->nclients + g->nbookings, 0, 0, t0};
    struct cell cells[MAX_COLS];
    struct client_row *c = malloc(sizeof *c);
    struct booking_row b;

    if (!c)
        return fail("out of memory");
    pr.next = pr.total / 10;
    g->stride = 1000003;
    while (gcd_u64(g->stride, (uint64_t)g->nclients) != 1)
        g->stride += 2;

    if (s->open_table(s, &clients_table) < 0)
        goto error;
    for (int64_t id = 1; id <= g->nclients; id++) {
        gen_client(g, id, c);
        client_cells(c, cells);
        if (s->write_row(s, cells) < 0)
            goto error;
        progress_step(&pr);
    }
    if (s->close_table(s) < 0)
        goto error;

    if (s->open_table(s, &bookings_table) < 0)
        goto error;
    for (int64_t id = 1; id <= g->nbookings; id++) {
        gen_booking(g, id, &b);
        booking_cells(&b, cells);
        if (s->write_row(s, cells) < 0)
            goto error;
        progress_step(&pr);
    }
    if (s->close_table(s) < 0)
        goto error;
    free(c);
    return s->finish(s, true);

error:
    free(c);
    s->finish(s, false);
    return -1;
}

/* --------------------------------------------------------------- the CLI */

static void usage(FILE *fp)
{
    fputs(
        "Usage:\n"
        "  " PROG " gym --scale SF (--sqlite FILE | --csv DIR | --tsv DIR) [--seed N] [--force]\n"
        "  " PROG " sql --sqlite FILE [--force] SCRIPT.sql\n"
        "  " PROG " hold --sqlite FILE DIR\n"
        "  " PROG " --help\n"
        "\n"
        "gym: write the messy legacy gym booking database (tables clients, bookings).\n"
        "  -s, --scale SF     scale factor, may be fractional: round(5000*SF) clients and\n"
        "                     round(12000*SF) bookings (0.01 gives 50 and 120); 0 < SF <= 100000\n"
        "      --sqlite FILE  write a SQLite database\n"
        "      --csv DIR      write DIR/clients.csv and DIR/bookings.csv (RFC 4180, header row,\n"
        "                     LF line ends, NULL = empty unquoted field, '' = \"\")\n"
        "      --tsv DIR      write DIR/clients.tsv and DIR/bookings.tsv (PostgreSQL COPY text\n"
        "                     format: no header, \\N = NULL, \\\\ \\t \\n \\r escaped)\n"
        "      --seed N       PRNG seed, an unsigned 64-bit integer, decimal or 0x hex (default\n"
        "                     42); the output depends only on SF and N\n"
        "  -f, --force        replace an existing FILE, or files in a non-empty DIR\n"
        "\n"
        "sql: run SCRIPT.sql ('-' for standard input) into the SQLite database FILE,\n"
        "     creating it when missing; with --force an existing FILE is replaced.\n"
        "     The script runs in one transaction (unless it issues its own BEGIN); on\n"
        "     error that is rolled back and a newly created FILE is removed. Rows the\n"
        "     statements return are printed first, one per line, values '|'-separated\n"
        "     (NULL as \\N).\n"
        "\n"
        "hold: take the SQLite database FILE's write lock (BEGIN IMMEDIATE), create\n"
        "     DIR/held, wait until DIR/release exists (at most 120 s), then let go\n"
        "     without writing. Readers go on meanwhile; a writer waits: tests use it\n"
        "     to hold a load at a known moment.\n"
        "\n"
        "  -h, --help         show this help\n"
        "\n"
        "Output goes to temporary names and is renamed into place only on success.\n"
        "stdout gets one summary line; progress (SF >= 10) and errors go to stderr.\n"
        "Exit status: 0 success, 2 usage or runtime error.\n",
        fp);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs(PROG ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n"
          "Try '" PROG " --help' for more information.\n",
          stderr);
    return EXIT_USAGE;
}

static int runtime_error(void)
{
    fprintf(stderr, PROG ": error: %s\n", g_err);
    return EXIT_USAGE;
}

/* 1 if path exists, 0 if not, -1 on other errors (g_err set). */
static int path_exists(const char *path, struct stat *st)
{
    if (stat(path, st) == 0)
        return 1;
    if (errno == ENOENT)
        return 0;
    return fail("%s: %s", path, strerror(errno));
}

/* Creates dir and its missing parents (mode 0777 & ~umask). */
static int mkdir_p(const char *dir)
{
    char buf[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf)
        return fail("bad directory name '%s'", dir);
    memcpy(buf, dir, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return fail("cannot create directory %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return fail("cannot create directory %s: %s", buf, strerror(errno));
    return 0;
}

static int dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int empty = 1;
    if (!d)
        return fail("cannot open directory %s: %s", dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            empty = 0;
            break;
        }
    }
    closedir(d);
    return empty;
}

/* Checks the output path against --force; prepares directories. 0 ok, -1 refused (g_err). */
static int prepare_output(const char *path, bool is_dir, bool force)
{
    struct stat st;
    int ex = path_exists(path, &st);
    if (ex < 0)
        return -1;
    if (!is_dir) {
        if (ex && S_ISDIR(st.st_mode))
            return fail("%s is a directory", path);
        if (ex && !force)
            return fail("%s already exists (use --force to replace it)", path);
        return 0;
    }
    if (ex && !S_ISDIR(st.st_mode))
        return fail("%s exists and is not a directory", path);
    if (!ex)
        return mkdir_p(path);
    int empty = dir_is_empty(path);
    if (empty < 0)
        return -1;
    if (!empty && !force)
        return fail("directory %s is not empty (use --force to overwrite its files)", path);
    return 0;
}

static int parse_scale(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > MAX_SCALE)
        return -1;
    *out = v;
    return 0;
}

static int parse_seed(const char *s, uint64_t *out)
{
    char *end;
    if (*s == '-' || *s == '\0')
        return -1;
    errno = 0;
    bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    unsigned long long v = strtoull(s, &end, hex ? 16 : 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

enum { OPT_SQLITE = 256, OPT_CSV, OPT_TSV, OPT_SEED };

static const struct option long_opts[] = {
    {"scale", required_argument, NULL, 's'},
    {"sqlite", required_argument, NULL, OPT_SQLITE},
    {"csv", required_argument, NULL, OPT_CSV},
    {"tsv", required_argument, NULL, OPT_TSV},
    {"seed", required_argument, NULL, OPT_SEED},
    {"force", no_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct options {
    const char *scale_arg;
    const char *out;
    int out_kind; /* OPT_SQLITE, OPT_CSV, OPT_TSV or 0 */
    const char *seed_arg;
    bool force;
    bool help;
};

/* Parses options after the sub-command; leaves optind at the first operand. */
static int parse_options(int argc, char **argv, struct options *o)
{
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":s:fh", long_opts, NULL)) != -1) {
        switch (ch) {
        case 's':
            o->scale_arg = optarg;
            break;
        case OPT_SEED:
            o->seed_arg = optarg;
            break;
        case 'f':
            o->force = true;
            break;
        case 'h':
            o->help = true;
            break;
        case OPT_SQLITE:
        case OPT_CSV:
        case OPT_TSV:
            if (o->out_kind)
                return usage_error("give only one of --sqlite, --csv, --tsv");
            o->out_kind = ch;
            o->out = optarg;
            break;
        case ':':
            return usage_error("option '%s' needs an argument", argv[optind - 1]);
        default:
            if (optopt)
                return usage_error("unknown option '-%c'", optopt);
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    return 0;
}

static int cmd_gym(int argc, char **argv)
{
    struct options o = {0};
    int rc = parse_options(argc, argv, &o);
    double sf;
    uint64_t seed = DEFAULT_SEED;

    if (rc)
        return rc;
    if (o.help) {
        usage(stdout);
        return 0;
    }
    if (optind < argc)
        return usage_error("gym: unexpected argument '%s'", argv[optind]);
    if (!o.scale_arg)
        return usage_error("gym: --scale SF is required");
    if (parse_scale(o.scale_arg, &sf) < 0)
        return usage_error("gym: --scale wants a number > 0 and <= %g, not '%s'", MAX_SCALE,
                           o.scale_arg);
    if (!o.out_kind)
        return usage_error("gym: one of --sqlite FILE, --csv DIR, --tsv DIR is required");
    if (o.seed_arg && parse_seed(o.seed_arg, &seed) < 0)
        return usage_error("gym: --seed wants an unsigned 64-bit integer, not '%s'", o.seed_arg);

    struct gen g = {seed, (int64_t)llround(CLIENTS_PER_SF * sf),
                    (int64_t)llround(BOOKINGS_PER_SF * sf), 0};
    if (g.nclients < 1)
        return usage_error("gym: --scale %s gives no clients (the smallest is 0.0001)",
                           o.scale_arg);

    double t0 = now_seconds();
    if (prepare_output(o.out, o.out_kind != OPT_SQLITE, o.force) < 0)
        return runtime_error();
    struct sink *s = o.out_kind == OPT_SQLITE
                         ? sqlite_sink_open(o.out)
                         : file_sink_open(o.out, o.out_kind == OPT_CSV ? FMT_CSV : FMT_TSV);
    if (!s)
        return runtime_error();
    rc = generate_gym(&g, s, sf >= 10, t0);
    s->free(s);
    if (rc < 0)
        return runtime_error();
    printf("clients %" PRId64 ", bookings %" PRId64 " → %s (%.1f s)\n", g.nclients, g.nbookings,
           o.out, now_seconds() - t0);
    return fflush(stdout) == 0 ? 0 : EXIT_USAGE;
}

/* Reads a whole file (or stdin for "-") into a NUL-terminated buffer the caller frees. */
static char *read_all(const char *path, size_t *len)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (!fp) {
        fail("cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (cap - n < 65536) {
            char *nb = realloc(buf, cap = cap ? cap * 2 : 1 << 20);
            if (!nb) {
                fail("out of memory reading %s", path);
                goto error;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        fail("cannot read %s: %s", path, strerror(errno));
        goto error;
    }
    if (fp != stdin)
        fclose(fp);
    buf[n] = '\0';
    *len = n;
    return buf;
error:
    free(buf);
    if (fp != stdin)
        fclose(fp);
    return NULL;
}

static int line_of(const char *start, const char *at)
{
    int line = 1;
    for (const char *p = start; p < at; p++)
        line += *p == '\n';
    return line;
}

/*
 * Runs every statement of the script in one transaction unless the script
 * manages its own (it then starts with BEGIN somewhere and we stay out of the
 * way). Errors name the script line of the failing statement.
 */
static int run_script(sqlite3 *db, const char *script_name, const char *sql)
{
    const char *p = sql;
    bool own_tx = false;

    if (strncmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3;
    if (sqlite_exec(db, "BEGIN") < 0)
        return -1;
    own_tx = true;
    while (*p) {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL;
        if (sqlite3_prepare_v2(db, p, -1, &st, &tail) != SQLITE_OK) {
            while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                p++;
            fail("%s:%d: %s", script_name, line_of(sql, p), sqlite3_errmsg(db));
            goto error;
        }
        if (st) {
            int rc;
            /* The script manages its own transactions: end ours, then run it as written. */
            if (own_tx && sqlite3_strnicmp(sqlite3_sql(st), "BEGIN", 5) == 0) {
                if (sqlite_exec(db, "COMMIT") < 0) {
                    sqlite3_finalize(st);
                    goto error;
                }
                own_tx = false;
            }
            while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                /* Rows a statement returns, so tests can read a database back. */
                for (int i = 0; i < sqlite3_column_count(st); i++) {
                    const unsigned char *v = sqlite3_column_text(st, i);
                    printf("%s%s", i ? "|" : "", v ? (const char *)v : "\\N");
                }
                putchar('\n');
            }
            if (rc != SQLITE_DONE) {
                const char *q = p;
                while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
                    q++;
                fail("%s:%d: %s", script_name, line_of(sql, q), sqlite3_errmsg(db));
                sqlite3_finalize(st);
                goto error;
            }
            sqlite3_finalize(st);
        }
        p = tail;
    }
    if (own_tx && sqlite_exec(db, "COMMIT") < 0)
        goto error;
    if (!sqlite3_get_autocommit(db)) {
        fail("%s: the script leaves a transaction open", script_name);
        goto error;
    }
    return 0;
error:
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static int cmd_sql(int argc, char **argv)
{
    struct options o = {0};
    int rc = parse_options(argc, argv, &o);
    struct stat st;
    sqlite3 *db = NULL;
    char *script = NULL;
    size_t len;
    bool created;
    double t0 = now_seconds();

    if (rc)
        return rc;
    if (o.help) {
        usage(stdout);
        return 0;
    }
    if (o.out_kind != OPT_SQLITE)
        return usage_error("sql: --sqlite FILE is required (and only --sqlite)");
    if (o.scale_arg || o.seed_arg)
        return usage_error("sql: --scale and --seed belong to 'gym'");
    if (optind != argc - 1)
        return usage_error("sql: give exactly one SCRIPT.sql");

    int ex = path_exists(o.out, &st);
    if (ex < 0)
        return runtime_error();
    if (ex && S_ISDIR(st.st_mode)) {
        fail("%s is a directory", o.out);
        return runtime_error();
    }
    if (!(script = read_all(argv[optind], &len)))
        return runtime_error();
    if (ex && o.force) {
        unlink(o.out);
        unlink_sqlite_sidecars(o.out);
        ex = 0;
    }
    created = !ex;
    rc = 0;
    if (sqlite3_open_v2(o.out, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = sqlite_fail(db, o.out);
    } else if (sqlite_exec(db, "PRAGMA synchronous=OFF; PRAGMA journal_mode=MEMORY") < 0 ||
               run_script(db, argv[optind], script) < 0) {
        rc = -1;
    }
    if (sqlite3_close(db) != SQLITE_OK && rc == 0)
        rc = fail("sqlite: close %s failed", o.out);
    free(script);
    if (rc < 0) {
        if (created) {
            unlink(o.out);
            unlink_sqlite_sidecars(o.out);
        }
        return runtime_error();
    }
    printf("%s → %s (%.1f s)\n", argv[optind], o.out, now_seconds() - t0);
    return fflush(stdout) == 0 ? 0 : EXIT_USAGE;
}

static int cmd_hold(int argc, char **argv)
{
    struct options o = {0};
    int rc = parse_options(argc, argv, &o);
    if (rc)
        return rc;
    if (o.help) {
        usage(stdout);
        return 0;
    }
    if (o.out_kind != OPT_SQLITE || optind != argc - 1)
        return usage_error("hold: give --sqlite FILE and one DIR");
    const char *dir = argv[optind];
    char held[4096], release[4096];
    snprintf(held, sizeof(held), "%s/held", dir);
    snprintf(release, sizeof(release), "%s/release", dir);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(o.out, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sqlite_fail(db, o.out);
        sqlite3_close(db);
        return runtime_error();
    }
    sqlite3_busy_timeout(db, 30000);
    rc = sqlite_exec(db, "BEGIN IMMEDIATE");
    FILE *f = rc < 0 ? NULL : fopen(held, "w");
    if (rc == 0 && !f)
        rc = fail("cannot create %s: %s", held, strerror(errno));
    if (f && fclose(f) != 0)
        rc = fail("cannot write %s: %s", held, strerror(errno));
    struct stat st;
    double t0 = now_seconds();
    while (rc == 0 && stat(release, &st) != 0) {
        if (now_seconds() - t0 > 120) {
            rc = fail("%s did not appear within 120 s", release);
            break;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    return rc < 0 ? runtime_error() : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("a sub-command is required: gym or sql");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "gym") == 0)
        return cmd_gym(argc - 1, argv + 1);
    if (strcmp(argv[1], "sql") == 0)
        return cmd_sql(argc - 1, argv + 1);
    if (strcmp(argv[1], "hold") == 0)
        return cmd_hold(argc - 1, argv + 1);
    return usage_error("unknown sub-command '%s' (want gym, sql or hold)", argv[1]);
}
