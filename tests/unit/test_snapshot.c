/*
 * test_snapshot.c — snapshots on SQLite (lib/snapshot.c): round trips,
 * restoring one table, digests equal to verify's, values that are easy to
 * lose (NULL, '', NUL bytes, unicode, blobs), tables spanning frames; and
 * refusals before anything is written: truncated files, a flipped byte in
 * each kind of frame (and in every byte of a small file), a newer format,
 * missing tables and different columns, a referencing table; the digest
 * proof rolling back a restore; cancellation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "digest.h"
#include "engine.h"
#include "snapshot.h"

/* ------------------------------------------------------------ fixture */

typedef struct fx {
    char dir[64];
    char src[128];  /* path of the database snapshotted */
    char tgt[128];  /* another database with the same schema */
    char url[160];  /* sqlite:src */
    char turl[160]; /* sqlite:tgt */
    char snap[128];
    char map[128];
} fx;

static const char *SCHEMA =
    "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score NUMERIC(8,2),"
    "  born DATE, data BLOB);"
    "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id),"
    "  note TEXT, at TIMESTAMPTZ);"
    "CREATE TABLE empty_t (id INTEGER PRIMARY KEY, v TEXT);";

static void sql(const char *path, const char *text)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("sql: %s: %s", text, msg ? msg : "?");
    sqlite3_close(db);
}

/* The first column of the first row, as text ("<NULL>" for NULL). */
static char *query(const char *path, const char *text)
{
    static char out[4][4096];
    static int slot;
    char *res = out[slot++ % 4];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, text, -1, &st, NULL) != SQLITE_OK)
        fail_msg("query: %s: %s", text, sqlite3_errmsg(db));
    if (sqlite3_step(st) != SQLITE_ROW)
        fail_msg("query: %s: no row", text);
    const unsigned char *v = sqlite3_column_text(st, 0);
    snprintf(res, 4096, "%s", v ? (const char *)v : "<NULL>");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return res;
}

/* A fingerprint of every row of the fixture's tables (hex of each value, in key order). */
static char *dump(const char *path)
{
    static char out[2][65];
    static int slot;
    char *res = out[slot++ % 2];
    const char *q =
        "SELECT (SELECT count(*) FROM parent) || '/' || (SELECT count(*) FROM child) || '/' || "
        "coalesce((SELECT sum(length(hex(id || '|' || name || '|' || coalesce(score,'N') || '|' ||"
        " coalesce(born,'N') || '|' || coalesce(hex(data),'N'))) * id) FROM parent), 0) || '/' ||"
        "coalesce((SELECT sum(length(coalesce(note,'N')) * id + parent_id) FROM child), 0) || '/' ||"
        "(SELECT group_concat(name, ',') FROM (SELECT name FROM parent ORDER BY id LIMIT 5)) || '/' ||"
        "(SELECT group_concat(coalesce(note,'N'), ',') FROM (SELECT note FROM child ORDER BY id DESC "
        "LIMIT 5))";
    snprintf(res, 65, "%.64s", query(path, q));
    return res;
}

static void fill(const char *path, int parents, int children)
{
    char buf[2048];
    sql(path, SCHEMA);
    snprintf(buf, sizeof(buf),
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
             "INSERT INTO parent SELECT i, 'name ' || i, i * 1.25, "
             "CASE WHEN i %% 7 = 0 THEN NULL ELSE date('2000-01-01', '+' || i || ' days') END, "
             "CASE WHEN i %% 5 = 0 THEN NULL ELSE randomblob(i %% 17) END FROM n;"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
             "INSERT INTO child SELECT i, 1 + i %% %d, CASE WHEN i %% 3 = 0 THEN NULL ELSE "
             "'note ' || i END, '2024-03-01 10:00:00+00' FROM n;",
             parents, children, parents);
    sql(path, buf);
}

static int setup_fx(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/cut_test_snapshot_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->src, sizeof(f->src), "%s/src.db", f->dir);
    snprintf(f->tgt, sizeof(f->tgt), "%s/tgt.db", f->dir);
    snprintf(f->url, sizeof(f->url), "sqlite:%s", f->src);
    snprintf(f->turl, sizeof(f->turl), "sqlite:%s", f->tgt);
    snprintf(f->snap, sizeof(f->snap), "%s/s.cutsnap", f->dir);
    snprintf(f->map, sizeof(f->map), "%s/map.yaml", f->dir);
    *state = f;
    return 0;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int teardown_fx(void **state)
{
    fx *f = *state;
    remove_tree(f->dir);
    free(f);
    return 0;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!hay || !strstr(hay, needle)) {
        print_error("'%s' not found in '%s'\n", needle, hay ? hay : "(null)");
        fail();
    }
}

static cut_snap_info *snapshot_ok(const char *url, const char *path, const char *const *tables)
{
    cut_snapshot_opts o;
    cut_snapshot_opts_init(&o);
    o.tables = tables;
    o.threads = 2;
    cut_snap_info *info = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = cut_snapshot_url(url, path, &o, &info, &err);
    if (rc) {
        char buf[2048];
        fail_msg("snapshot: %s", cut_error_format(&err, buf, sizeof(buf)));
    }
    assert_non_null(info);
    return info;
}

static cut_snap_info *restore_ok(const char *path, const char *url, const char *const *tables)
{
    cut_snapshot_opts o;
    cut_snapshot_opts_init(&o);
    o.tables = tables;
    cut_snap_info *info = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = cut_snapshot_restore(path, url, &o, &info, &err);
    if (rc) {
        char buf[2048];
        fail_msg("restore: %s", cut_error_format(&err, buf, sizeof(buf)));
    }
    assert_non_null(info);
    return info;
}

/* Restores expecting failure code; returns the message (static). */
static const char *restore_fails(const char *path, const char *url, const char *const *tables,
                                 int code)
{
    static char msg[2048];
    cut_snapshot_opts o;
    cut_snapshot_opts_init(&o);
    o.tables = tables;
    cut_snap_info *info = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = cut_snapshot_restore(path, url, &o, &info, &err);
    cut_error_format(&err, msg, sizeof(msg));
    if (rc != code)
        fail_msg("restore returned %d (%s), wanted %d", rc, msg, code);
    cut_snap_info_free(info);
    return msg;
}

static const cut_snap_table *stab(const cut_snap_info *in, const char *name)
{
    for (int i = 0; i < in->ntables; i++)
        if (strcmp(in->tables[i].name, name) == 0)
            return &in->tables[i];
    fail_msg("no table %s in the info", name);
    return NULL;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

static void spit(const char *path, const unsigned char *buf, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(buf, 1, len, fp), len);
    fclose(fp);
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Offsets of the parts of a snapshot image, read the way the format says. */
typedef struct layout {
    uint64_t header_end, index_off, footer_off;
    int ntables;
    uint64_t frame_off[16][8];
    uint32_t frame_len[16][8];
    uint32_t nframes[16];
} layout;

static void layout_of(const unsigned char *buf, size_t len, layout *L)
{
    memset(L, 0, sizeof(*L));
    L->footer_off = len - CUT_SNAP_FOOTER_SIZE;
    L->header_end = 8 + (uint64_t)le32(buf + 4);
    L->index_off = le64(buf + L->footer_off + 24);
    const unsigned char *ip = buf + L->index_off + 8;
    L->ntables = (int)le32(ip + 12);
    size_t pos = 24;
    for (int t = 0; t < L->ntables && t < 16; t++) {
        pos += 40;
        L->nframes[t] = le32(ip + pos);
        pos += 4;
        for (uint32_t k = 0; k < L->nframes[t]; k++) {
            if (k < 8) {
                L->frame_off[t][k] = le64(ip + pos);
                L->frame_len[t][k] = le32(ip + pos + 8);
            }
            pos += CUT_SNAP_INDEX_FRAME_SIZE;
        }
    }
}

static const char *inspect_msg(const char *path, int verify, int *rc)
{
    static char msg[2048];
    cut_snap_info *info = NULL;
    cut_error err;
    cut_error_clear(&err);
    *rc = cut_snapshot_inspect(path, verify, &info, &err);
    cut_error_format(&err, msg, sizeof(msg));
    cut_snap_info_free(info);
    return msg;
}

/* ------------------------------------------------------------ round trips */

static void test_round_trip_puts_changed_rows_back(void **state)
{
    fx *f = *state;
    fill(f->src, 200, 1000);
    char *before = strdup(dump(f->src));
    cut_snap_info *in = snapshot_ok(f->url, f->snap, NULL);
    assert_int_equal(in->ntables, 3);
    /* Parents before children in the file. */
    assert_string_equal(in->tables[0].name, "empty_t");
    assert_string_equal(in->tables[1].name, "parent");
    assert_string_equal(in->tables[2].name, "child");
    assert_int_equal(stab(in, "parent")->rows, 200);
    assert_int_equal(stab(in, "child")->rows, 1000);
    assert_int_equal(stab(in, "empty_t")->rows, 0);
    assert_int_equal(stab(in, "empty_t")->nframes, 0);
    assert_true(stab(in, "child")->stored_bytes < stab(in, "child")->raw_bytes);
    assert_string_equal(in->source, f->url);
    assert_string_equal(in->driver, "SQLite");
    assert_contains(stab(in, "child")->ddl, "REFERENCES parent");
    cut_digest dp = stab(in, "parent")->digest, dc = stab(in, "child")->digest;
    cut_snap_info_free(in);

    sql(f->src, "UPDATE parent SET name = 'changed' WHERE id = 3; DELETE FROM child WHERE id > 900;"
                "DELETE FROM parent WHERE id = 200 AND NOT EXISTS (SELECT 1 FROM child WHERE "
                "parent_id = 200); INSERT INTO parent (id, name) VALUES (5000, 'extra');"
                "INSERT INTO child VALUES (9999, 5000, 'x', NULL); INSERT INTO empty_t VALUES (1,'y');");
    assert_string_not_equal(dump(f->src), before);

    in = restore_ok(f->snap, NULL, NULL); /* back into the database it came from */
    assert_int_equal(in->ntables, 3);
    for (int i = 0; i < in->ntables; i++)
        assert_true(in->tables[i].verified);
    assert_true(cut_digest_equal(&stab(in, "parent")->digest, &dp));
    assert_true(cut_digest_equal(&stab(in, "child")->digest, &dc));
    cut_snap_info_free(in);
    assert_string_equal(dump(f->src), before);
    assert_string_equal(query(f->src, "SELECT count(*) FROM empty_t"), "0");
    assert_string_equal(query(f->src, "SELECT name FROM parent WHERE id = 3"), "name 3");
    free(before);
}

static void test_snapshot_digest_equals_verify_digest(void **state)
{
    fx *f = *state;
    fill(f->src, 50, 300);
    sql(f->tgt, SCHEMA);
    FILE *fp = fopen(f->map, "w");
    assert_non_null(fp);
    fprintf(fp, "source: %s\ntarget: %s\ntables:\n  parent: {}\n  child: {}\n", f->url, f->turl);
    fclose(fp);
    cut_mapping *m = NULL;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_mapping_load(f->map, &m, &err), 0);
    cut_run_opts ro;
    cut_run_opts_init(&ro);
    ro.jobs = 1;
    char rej[160];
    snprintf(rej, sizeof(rej), "%s/rej", f->dir);
    ro.reject_dir = rej;
    cut_result *r = NULL;
    assert_int_equal(cut_migrate(m, &ro, &r, &err), 0);
    cut_result_free(r);
    r = NULL;
    assert_int_equal(cut_verify(m, &ro, &r, &err), 0);
    assert_true(r->go);
    cut_snapshot_opts o;
    cut_snapshot_opts_init(&o);
    cut_snap_info *in = NULL;
    int rc = cut_snapshot_mapping(m, f->snap, &o, &in, &err);
    if (rc) {
        char buf[2048];
        fail_msg("%s", cut_error_format(&err, buf, sizeof(buf)));
    }
    assert_int_equal(in->ntables, 2);
    assert_string_equal(in->source, f->turl);
    for (int i = 0; i < r->ntables; i++)
        assert_true(cut_digest_equal(&stab(in, r->tables[i].table)->digest, &r->tables[i].actual));
    cut_snap_info_free(in);
    /* A table the mapping does not write is refused. */
    const char *only[] = {"empty_t", NULL};
    o.tables = only;
    assert_int_equal(cut_snapshot_mapping(m, f->snap, &o, &in, &err), CUT_ENOTFOUND);
    assert_null(in);
    cut_result_free(r);
    cut_mapping_free(m);
}

static void test_single_table_restores_alone(void **state)
{
    fx *f = *state;
    fill(f->src, 100, 400);
    cut_snap_info *in = snapshot_ok(f->url, f->snap, NULL);
    cut_snap_info_free(in);
    sql(f->src, "UPDATE parent SET name = 'kept' WHERE id = 1; UPDATE child SET note = 'lost';");
    const char *only[] = {"child", NULL};
    in = restore_ok(f->snap, NULL, only);
    assert_int_equal(in->ntables, 1);
    assert_string_equal(in->tables[0].name, "child");
    assert_true(in->tables[0].verified);
    cut_snap_info_free(in);
    assert_string_equal(query(f->src, "SELECT count(*) FROM child WHERE note = 'lost'"), "0");
    assert_string_equal(query(f->src, "SELECT name FROM parent WHERE id = 1"), "kept");
    /* A table that is not in the snapshot is named with the ones that are. */
    const char *nope[] = {"nope", NULL};
    const char *msg = restore_fails(f->snap, NULL, nope, CUT_ENOTFOUND);
    assert_contains(msg, "table nope is not in the snapshot");
    assert_contains(msg, "parent");
    /* An empty selection restores nothing and must not say every digest is equal. */
    const char *none[] = {NULL};
    sql(f->src, "UPDATE child SET note = 'lost';");
    msg = restore_fails(f->snap, NULL, none, CUT_EINVAL);
    assert_contains(msg, "no tables to restore");
    assert_string_equal(query(f->src, "SELECT count(*) FROM child WHERE note != 'lost'"), "0");
}

static void test_restore_into_another_database_matches_columns_by_name(void **state)
{
    fx *f = *state;
    fill(f->src, 30, 60);
    /* Same columns, another order. */
    sql(f->tgt, "CREATE TABLE parent (data BLOB, born DATE, score NUMERIC(8,2), name TEXT NOT NULL,"
                "  id INTEGER PRIMARY KEY);"
                "CREATE TABLE child (note TEXT, at TIMESTAMPTZ, id INTEGER PRIMARY KEY,"
                "  parent_id INTEGER NOT NULL REFERENCES parent(id));"
                "CREATE TABLE empty_t (v TEXT, id INTEGER PRIMARY KEY);"
                "INSERT INTO parent (id, name) VALUES (1, 'old');");
    cut_snap_info *in = snapshot_ok(f->url, f->snap, NULL);
    cut_snap_info_free(in);
    in = restore_ok(f->snap, f->turl, NULL);
    assert_string_equal(in->target, f->turl);
    cut_snap_info_free(in);
    assert_string_equal(dump(f->tgt), dump(f->src));
}

static void test_empty_table_round_trips(void **state)
{
    fx *f = *state;
    sql(f->src, SCHEMA);
    const char *only[] = {"empty_t", NULL};
    cut_snap_info *in = snapshot_ok(f->url, f->snap, only);
    assert_int_equal(in->ntables, 1);
    assert_int_equal(in->tables[0].rows, 0);
    assert_int_equal(in->tables[0].raw_bytes, 0);
    cut_snap_info_free(in);
    int rc;
    inspect_msg(f->snap, 1, &rc);
    assert_int_equal(rc, 0);
    sql(f->src, "INSERT INTO empty_t VALUES (1, 'a'), (2, 'b');");
    in = restore_ok(f->snap, NULL, NULL);
    assert_true(in->tables[0].verified);
    cut_snap_info_free(in);
    assert_string_equal(query(f->src, "SELECT count(*) FROM empty_t"), "0");
}

static void test_nulls_empty_strings_nul_bytes_and_unicode_survive(void **state)
{
    fx *f = *state;
    const char *ddl = "CREATE TABLE v (id INTEGER PRIMARY KEY, t TEXT, b BLOB, r REAL, j JSON,"
                      "  flag BOOLEAN, d NUMERIC(10,3));";
    sql(f->src, ddl);
    sql(f->tgt, ddl);
    sql(f->src, "INSERT INTO v VALUES "
                "(1, NULL, NULL, NULL, NULL, NULL, NULL),"
                "(2, '', x'', 0.0, '{}', 0, '0'),"
                "(3, 'h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9d\x84\x9e', x'00ff0001', -1.5e300,"
                "   '{\"a\":[true,null],\"b\":1}', 1, '-12.5'),"
                "(4, CAST(x'610062' AS TEXT), x'000000', 0.1, '\"x\"', 1, '99999.999'),"
                "(5, 'NULL', x'4e554c4c', 3.0, 'null', 0, NULL),"
                "(6, ' trailing  ', randomblob(300), 1e-10, '[]', 1, '1');");
    const char *q = "SELECT group_concat(id || ':' || coalesce(hex(t), 'N') || ':' || "
                    "coalesce(hex(b), 'N') || ':' || coalesce(r, 'N') || ':' || coalesce(j, 'N')"
                    " || ':' || coalesce(flag, 'N') || ':' || coalesce(d, 'N'), ';') FROM "
                    "(SELECT * FROM v ORDER BY id)";
    char *want = strdup(query(f->src, q));
    cut_snap_info *in = snapshot_ok(f->url, f->snap, NULL);
    assert_int_equal(in->tables[0].rows, 6);
    cut_snap_info_free(in);
    in = restore_ok(f->snap, f->turl, NULL);
    assert_true(in->tables[0].verified);
    cut_snap_info_free(in);
    assert_string_equal(query(f->tgt, q), want);
    /* And back over changed rows in the source itself. */
    sql(f->src, "UPDATE v SET t = NULL, b = NULL;");
    in = restore_ok(f->snap, NULL, NULL);
    cut_snap_info_free(in);
    assert_string_equal(query(f->src, q), want);
    free(want);
    /* Values come back in their canonical form: the same value, maybe other bytes. */
    sql(f->src, "UPDATE v SET j = '{ \"b\": 1, \"a\": 2 }' WHERE id = 2;");
    in = snapshot_ok(f->url, f->snap, NULL);
    cut_snap_info_free(in);
    in = restore_ok(f->snap, f->turl, NULL);
    cut_snap_info_free(in);
    assert_string_equal(query(f->tgt, "SELECT j FROM v WHERE id = 2"), "{\"a\":2,\"b\":1}");
}

static void test_large_table_spans_frames_and_a_huge_row_gets_its_own(void **state)
{
    fx *f = *state;
    sql(f->src, "CREATE TABLE big (id INTEGER PRIMARY KEY, payload TEXT, blob BLOB);"
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000) "
                "INSERT INTO big SELECT i, printf('%0.2000d', i), NULL FROM n;"
                "INSERT INTO big VALUES (6001, 'huge', zeroblob(5000000));");
    cut_snap_info *in = snapshot_ok(f->url, f->snap, NULL);
    assert_int_equal(in->tables[0].rows, 6001);
    assert_true(in->tables[0].nframes >= 4);
    assert_true(in->tables[0].raw_bytes > 17000000);
    cut_digest d = in->tables[0].digest;
    cut_snap_info_free(in);
    size_t len;
    unsigned char *buf = slurp(f->snap, &len);
    layout L;
    layout_of(buf, len, &L);
    free(buf);
    assert_int_equal(L.ntables, 1);
    int rc;
    cut_snap_info *v = NULL;
    cut_error err;
    cut_error_clear(&err);
    rc = cut_snapshot_inspect(f->snap, 1, &v, &err);
    assert_int_equal(rc, 0);
    assert_true(v->tables[0].verified);
    assert_true(cut_digest_equal(&v->tables[0].digest, &d));
    cut_snap_info_free(v);
    sql(f->src, "DELETE FROM big WHERE id % 2 = 0;");
    in = restore_ok(f->snap, NULL, NULL);
    assert_true(in->tables[0].verified);
    cut_snap_info_free(in);
    assert_string_equal(query(f->src, "SELECT count(*) || '/' || length(max(blob)) FROM big"),
                        "6001/5000000");
}

/* ------------------------------------------------ damaged files, refused */

/* Snapshot of src, then src is changed; returns the dump after the change. */
static char *prepare_damage(fx *f)
{
    fill(f->src, 100, 500);
    cut_snap_info *in = snapshot_ok(f->url, f->snap, NULL);
    cut_snap_info_free(in);
    sql(f->src, "UPDATE child SET note = 'after' WHERE id < 50;");
    return strdup(dump(f->src));
}

static void flip(const char *path, uint64_t off)
{
    size_t len;
    unsigned char *buf = slurp(path, &len);
    assert_true(off < len);
    buf[off] ^= 0x10;
    spit(path, buf, len);
    free(buf);
}

static void test_truncated_file_is_refused_before_writing(void **state)
{
    fx *f = *state;
    char *after = prepare_damage(f);
    size_t len;
    unsigned char *buf = slurp(f->snap, &len);
    size_t cuts[] = {len - 1, len - 64, len - 65, len / 2, 100, 20, 3, 0};
    char path[200];
    snprintf(path, sizeof(path), "%s/cut.cutsnap", f->dir);
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        spit(path, buf, cuts[i]);
        const char *msg = restore_fails(path, f->url, NULL, CUT_ECORRUPT);
        if (cuts[i] >= 4)
            assert_contains(msg, "truncated");
        assert_string_equal(dump(f->src), after);
        int rc;
        inspect_msg(path, 0, &rc);
        assert_int_equal(rc, CUT_ECORRUPT);
    }
    /* Bytes appended are refused too. */
    unsigned char *more = malloc(len + 10);
    memcpy(more, buf, len);
    memset(more + len, 0, 10);
    spit(path, more, len + 10);
    restore_fails(path, f->url, NULL, CUT_ECORRUPT);
    free(more);
    free(buf);
    free(after);
}

static void test_flipped_byte_in_header_is_refused_before_writing(void **state)
{
    fx *f = *state;
    char *after = prepare_damage(f);
    size_t len;
    unsigned char *buf = slurp(f->snap, &len);
    layout L;
    layout_of(buf, len, &L);
    free(buf);
    flip(f->snap, L.header_end / 2);
    const char *msg = restore_fails(f->snap, NULL, NULL, CUT_ECORRUPT);
    assert_contains(msg, "header frame");
    assert_string_equal(dump(f->src), after);
    free(after);
}

static void test_flipped_byte_in_each_data_frame_is_refused_before_writing(void **state)
{
    fx *f = *state;
    char *after = prepare_damage(f);
    size_t len;
    unsigned char *good = slurp(f->snap, &len);
    layout L;
    layout_of(good, len, &L);
    const char *names[] = {"empty_t", "parent", "child"};
    for (int t = 0; t < L.ntables; t++) {
        for (uint32_t k = 0; k < L.nframes[t]; k++) {
            uint64_t offs[] = {L.frame_off[t][k], L.frame_off[t][k] + 5,
                               L.frame_off[t][k] + L.frame_len[t][k] / 2,
                               L.frame_off[t][k] + L.frame_len[t][k] - 1};
            for (int j = 0; j < 4; j++) {
                spit(f->snap, good, len);
                flip(f->snap, offs[j]);
                const char *msg = restore_fails(f->snap, NULL, NULL, CUT_ECORRUPT);
                char want[64];
                snprintf(want, sizeof(want), "table %s, data frame %u of %u", names[t], k + 1,
                         L.nframes[t]);
                assert_contains(msg, want);
                assert_string_equal(dump(f->src), after);
                int rc;
                msg = inspect_msg(f->snap, 1, &rc);
                assert_int_equal(rc, CUT_ECORRUPT);
                assert_contains(msg, want);
                inspect_msg(f->snap, 0, &rc);
                assert_int_equal(rc, 0); /* the index alone does not read frames */
            }
        }
    }
    /* Restoring only the other table is still possible: its frames are intact. */
    spit(f->snap, good, len);
    flip(f->snap, L.frame_off[1][0] + 7);
    const char *only[] = {"child", NULL};
    cut_snap_info *in = restore_ok(f->snap, NULL, only);
    cut_snap_info_free(in);
    free(good);
    free(after);
}

static void test_flipped_byte_in_index_is_refused_before_writing(void **state)
{
    fx *f = *state;
    char *after = prepare_damage(f);
    size_t len;
    unsigned char *buf = slurp(f->snap, &len);
    layout L;
    layout_of(buf, len, &L);
    uint64_t offs[] = {L.index_off, L.index_off + 4, L.index_off + 8 + 30, L.footer_off - 1};
    for (int j = 0; j < 4; j++) {
        spit(f->snap, buf, len);
        flip(f->snap, offs[j]);
        const char *msg = restore_fails(f->snap, NULL, NULL, CUT_ECORRUPT);
        assert_contains(msg, "index frame");
        assert_string_equal(dump(f->src), after);
    }
    free(buf);
    free(after);
}

static void test_flipped_byte_in_footer_is_refused_before_writing(void **state)
{
    fx *f = *state;
    char *after = prepare_damage(f);
    size_t len;
    unsigned char *buf = slurp(f->snap, &len);
    /* Every byte of the footer but the version (a newer version is its own refusal). */
    for (size_t k = 0; k < CUT_SNAP_FOOTER_SIZE; k++) {
        if (k >= 16 && k < 20)
            continue;
        spit(f->snap, buf, len);
        flip(f->snap, len - CUT_SNAP_FOOTER_SIZE + k);
        const char *msg = restore_fails(f->snap, NULL, NULL, CUT_ECORRUPT);
        if (k < 16)
            assert_contains(msg, "truncated"); /* no footer found at all */
        else
            assert_contains(msg, "footer");
        assert_string_equal(dump(f->src), after);
    }
    free(buf);
    free(after);
}

static void test_every_single_byte_change_is_detected(void **state)
{
    fx *f = *state;
    sql(f->src, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                "INSERT INTO t VALUES (1, 'one'), (2, NULL), (3, '');");
    cut_snap_info *in = snapshot_ok(f->url, f->snap, NULL);
    cut_snap_info_free(in);
    size_t len;
    unsigned char *buf = slurp(f->snap, &len);
    assert_true(len < 4096);
    char path[200];
    snprintf(path, sizeof(path), "%s/x.cutsnap", f->dir);
    for (size_t k = 0; k < len; k++) {
        for (int bit = 0; bit < 8; bit += 7) {
            buf[k] ^= (unsigned char)(1u << bit);
            spit(path, buf, len);
            buf[k] ^= (unsigned char)(1u << bit);
            int rc;
            const char *msg = inspect_msg(path, 1, &rc);
            if (rc == CUT_OK)
                fail_msg("a flip of bit %d at byte %zu of %zu went unnoticed", bit, k, len);
            if (rc != CUT_ECORRUPT && rc != CUT_EUNSUPPORTED)
                fail_msg("byte %zu: %d %s", k, rc, msg);
        }
    }
    free(buf);
}

static void test_future_format_version_is_refused_before_writing(void **state)
{
    fx *f = *state;
    char *after = prepare_damage(f);
    size_t len;
    unsigned char *buf = slurp(f->snap, &len);
    layout L;
    layout_of(buf, len, &L);
    /* Version 2 everywhere, every checksum recomputed: a well-formed newer file. */
    buf[len - CUT_SNAP_FOOTER_SIZE + 16] = 2;
    buf[8 + 8] = 2;
    buf[L.index_off + 8 + 8] = 2;
    assert_int_equal(cut_snap_reseal(buf, len), 0);
    spit(f->snap, buf, len);
    const char *msg = restore_fails(f->snap, NULL, NULL, CUT_EUNSUPPORTED);
    assert_contains(msg, "newer cutover");
    assert_contains(msg, "format 2");
    assert_string_equal(dump(f->src), after);
    int rc;
    inspect_msg(f->snap, 0, &rc);
    assert_int_equal(rc, CUT_EUNSUPPORTED);
    /* Even with a footer laid out differently beyond its version field. */
    memset(buf + len - CUT_SNAP_FOOTER_SIZE + 20, 0xAB, CUT_SNAP_FOOTER_SIZE - 20);
    spit(f->snap, buf, len);
    msg = restore_fails(f->snap, NULL, NULL, CUT_EUNSUPPORTED);
    assert_contains(msg, "newer cutover");
    free(buf);
    free(after);
}

static void test_reseal_of_an_intact_file_is_a_no_op(void **state)
{
    fx *f = *state;
    fill(f->src, 20, 20);
    cut_snap_info *in = snapshot_ok(f->url, f->snap, NULL);
    cut_snap_info_free(in);
    size_t len;
    unsigned char *buf = slurp(f->snap, &len);
    unsigned char *copy = malloc(len);
    memcpy(copy, buf, len);
    assert_int_equal(cut_snap_reseal(copy, len), 0);
    assert_memory_equal(copy, buf, len);
    /* Too short to hold a footer: nothing to follow. */
    assert_int_equal(cut_snap_reseal(buf, 10), -1);
    free(copy);
    free(buf);
}

/* ------------------------------------------- targets that do not fit */

static void test_restore_refuses_missing_table_before_writing(void **state)
{
    fx *f = *state;
    fill(f->src, 10, 10);
    cut_snap_info *in = snapshot_ok(f->url, f->snap, NULL);
    cut_snap_info_free(in);
    sql(f->tgt, "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score "
                "NUMERIC(8,2), born DATE, data BLOB); INSERT INTO parent (id, name) VALUES (7, 'x');");
    const char *msg = restore_fails(f->snap, f->turl, NULL, CUT_ESCHEMA);
    assert_contains(msg, "does not exist");
    assert_contains(msg, "restore does not create tables");
    assert_contains(msg, "CREATE TABLE"); /* the DDL it should look like */
    assert_string_equal(query(f->tgt, "SELECT count(*) || name FROM parent"), "1x");
}

static void test_restore_refuses_extra_or_missing_column_before_writing(void **state)
{
    fx *f = *state;
    fill(f->src, 10, 10);
    cut_snap_info *in = snapshot_ok(f->url, f->snap, NULL);
    cut_snap_info_free(in);
    const char *only[] = {"empty_t", NULL};
    /* An extra column. */
    sql(f->tgt, "CREATE TABLE empty_t (id INTEGER PRIMARY KEY, v TEXT, w TEXT);"
                "INSERT INTO empty_t VALUES (1, 'a', 'b');");
    const char *msg = restore_fails(f->snap, f->turl, only, CUT_ESCHEMA);
    assert_contains(msg, "not in the snapshot: w");
    assert_string_equal(query(f->tgt, "SELECT count(*) FROM empty_t"), "1");
    /* A missing column. */
    sql(f->tgt, "DROP TABLE empty_t; CREATE TABLE empty_t (id INTEGER PRIMARY KEY);"
                "INSERT INTO empty_t VALUES (1);");
    msg = restore_fails(f->snap, f->turl, only, CUT_ESCHEMA);
    assert_contains(msg, "missing in the target: v");
    assert_string_equal(query(f->tgt, "SELECT count(*) FROM empty_t"), "1");
    /* A column of another kind. */
    sql(f->tgt, "DROP TABLE empty_t; CREATE TABLE empty_t (id INTEGER PRIMARY KEY, v BLOB);"
                "INSERT INTO empty_t VALUES (1, x'00');");
    msg = restore_fails(f->snap, f->turl, only, CUT_ESCHEMA);
    assert_contains(msg, "column v: text in the snapshot");
    assert_string_equal(query(f->tgt, "SELECT count(*) FROM empty_t"), "1");
}

static void test_restore_refuses_when_a_table_outside_references_one_inside(void **state)
{
    fx *f = *state;
    fill(f->src, 10, 10);
    cut_snap_info *in = snapshot_ok(f->url, f->snap, NULL);
    cut_snap_info_free(in);
    sql(f->src, "UPDATE parent SET name = 'changed';");
    const char *only[] = {"parent", NULL};
    const char *msg = restore_fails(f->snap, NULL, only, CUT_ESTATE);
    assert_contains(msg, "table child references parent");
    assert_string_equal(query(f->src, "SELECT count(*) FROM parent WHERE name = 'changed'"), "10");
    /* Once the child is empty, the parent restores alone. */
    sql(f->src, "DELETE FROM child;");
    in = restore_ok(f->snap, NULL, only);
    cut_snap_info_free(in);
    assert_string_equal(query(f->src, "SELECT count(*) FROM parent WHERE name = 'changed'"), "0");
}

static void test_digest_differing_after_load_rolls_back(void **state)
{
    fx *f = *state;
    fill(f->src, 20, 50);
    cut_snap_info *in = snapshot_ok(f->url, f->snap, NULL);
    cut_snap_info_free(in);
    sql(f->tgt, SCHEMA);
    sql(f->tgt, "INSERT INTO parent (id, name) VALUES (1, 'before');"
                "CREATE TRIGGER touch AFTER INSERT ON child BEGIN "
                "  UPDATE child SET note = coalesce(note, '') || '!' WHERE id = NEW.id; END;");
    cut_snapshot_opts o;
    cut_snapshot_opts_init(&o);
    cut_snap_info *info = NULL;
    cut_error err;
    cut_error_clear(&err);
    int rc = cut_snapshot_restore(f->snap, f->turl, &o, &info, &err);
    assert_int_equal(rc, CUT_ECORRUPT);
    assert_contains(err.msg, "table child: read back after loading, its digest differs");
    assert_contains(err.msg, "rolled back");
    assert_non_null(info);
    assert_true(stab(info, "parent")->verified);
    assert_false(stab(info, "child")->verified);
    assert_non_null(stab(info, "child")->error);
    cut_snap_info_free(info);
    assert_string_equal(query(f->tgt, "SELECT count(*) || name FROM parent"), "1before");
    assert_string_equal(query(f->tgt, "SELECT count(*) FROM child"), "0");
}

static void test_restore_reports_a_row_the_target_refuses_and_rolls_back(void **state)
{
    fx *f = *state;
    fill(f->src, 20, 0);
    cut_snap_info *in = snapshot_ok(f->url, f->snap, NULL);
    cut_snap_info_free(in);
    sql(f->tgt, SCHEMA);
    sql(f->tgt, "DROP TABLE parent; CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT "
                "NULL CHECK (name <> 'name 13'), score NUMERIC(8,2), born DATE, data BLOB);"
                "INSERT INTO parent (id, name) VALUES (99, 'before');");
    const char *msg = restore_fails(f->snap, f->turl, NULL, CUT_ESERVER);
    assert_contains(msg, "id=13");
    assert_string_equal(query(f->tgt, "SELECT count(*) || name FROM parent"), "1before");
}

/* ------------------------------------------------------- cancellation */

static volatile sig_atomic_t cancel_flag;

static void cancel_on_first(void *ud, const cut_progress *p)
{
    (void)ud;
    if (p->rows > 0)
        cancel_flag = 1;
}

static void test_cancelled_snapshot_leaves_the_old_file_and_no_temp(void **state)
{
    fx *f = *state;
    fill(f->src, 100, 20000);
    spit(f->snap, (const unsigned char *)"old", 3);
    cut_snapshot_opts o;
    cut_snapshot_opts_init(&o);
    cancel_flag = 0;
    o.cancel = &cancel_flag;
    o.progress = cancel_on_first;
    cut_snap_info *in = NULL;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_snapshot_url(f->url, f->snap, &o, &in, &err), CUT_EINTR);
    assert_null(in);
    size_t len;
    unsigned char *buf = slurp(f->snap, &len);
    assert_int_equal(len, 3);
    free(buf);
    DIR *d = opendir(f->dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp-"))
            fail_msg("temporary file left: %s", e->d_name);
    closedir(d);
    /* A failure (a table that does not exist) also leaves the old file. */
    const char *bad[] = {"parent", "nope", NULL};
    o.cancel = NULL;
    o.progress = NULL;
    o.tables = bad;
    assert_int_equal(cut_snapshot_url(f->url, f->snap, &o, &in, &err), CUT_ENOTFOUND);
    assert_contains(err.msg, "nope");
    buf = slurp(f->snap, &len);
    assert_int_equal(len, 3);
    free(buf);
}

static void test_cancelled_restore_rolls_back(void **state)
{
    fx *f = *state;
    fill(f->src, 100, 20000);
    cut_snap_info *in = snapshot_ok(f->url, f->snap, NULL);
    cut_snap_info_free(in);
    sql(f->src, "UPDATE child SET note = 'after';");
    char *after = strdup(dump(f->src));
    cut_snapshot_opts o;
    cut_snapshot_opts_init(&o);
    cancel_flag = 0;
    o.cancel = &cancel_flag;
    o.progress = cancel_on_first;
    cut_error err;
    cut_error_clear(&err);
    in = NULL;
    assert_int_equal(cut_snapshot_restore(f->snap, NULL, &o, &in, &err), CUT_EINTR);
    cut_snap_info_free(in);
    assert_string_equal(dump(f->src), after);
    free(after);
}

/* --------------------------------------------------------- the decoder */

static int count_batch(void *ud, cut_batch *b, cut_error *err)
{
    (void)err;
    *(int *)ud += b->nrows;
    return 0;
}

static void test_decoder_refuses_malformed_rows(void **state)
{
    (void)state;
    cut_error err;
    cut_digest d;
    /* Two rows of two cells, (NULL, 'ab') and ('', NULL), column after column. */
    const unsigned char good[] = {0, 1, 0, 0, 0, 0, 1, 2, 0, 0, 0, 'a', 'b', 0};
    cut_digest_init(&d);
    cut_error_clear(&err);
    assert_int_equal(cut_snap_decode_rows(good, sizeof(good), 2, 2, &d, NULL, NULL, NULL, &err), 0);
    assert_int_equal(d.rows, 2);
    /* The row hash is the digest module's. */
    cut_cell cells[2] = {{NULL, 0, CUT_CELL_NULL}, {"ab", 2, 0}};
    cut_buf scratch = {0};
    cut_digest d1;
    cut_digest_init(&d1);
    cut_digest_add(&d1, cut_row_hash(cells, 2, &scratch));
    cut_cell cells2[2] = {{"", 0, 0}, {NULL, 0, CUT_CELL_NULL}};
    cut_digest_add(&d1, cut_row_hash(cells2, 2, &scratch));
    cut_buf_free(&scratch);
    assert_true(cut_digest_equal(&d, &d1));
    /* In batches of one row. */
    cut_batch *b = cut_batch_new(2, 1);
    int n = 0;
    assert_int_equal(cut_snap_decode_rows(good, sizeof(good), 2, 2, NULL, b, count_batch, &n, &err),
                     0);
    assert_int_equal(n, 2);
    cut_batch_free(b);
    /* Too few rows, too many, a bad tag, a length past the end, bytes left over. */
    assert_int_equal(cut_snap_decode_rows(good, sizeof(good), 2, 3, NULL, NULL, NULL, NULL, &err),
                     CUT_ECORRUPT);
    assert_int_equal(cut_snap_decode_rows(good, sizeof(good), 2, 1, NULL, NULL, NULL, NULL, &err),
                     CUT_ECORRUPT);
    assert_contains(err.msg, "left over");
    unsigned char bad[sizeof(good)];
    memcpy(bad, good, sizeof(good));
    bad[1] = 2;
    assert_int_equal(cut_snap_decode_rows(bad, sizeof(bad), 2, 2, NULL, NULL, NULL, NULL, &err),
                     CUT_ECORRUPT);
    assert_contains(err.msg, "bad tag");
    memcpy(bad, good, sizeof(good));
    bad[2] = 200;
    assert_int_equal(cut_snap_decode_rows(bad, sizeof(bad), 2, 2, NULL, NULL, NULL, NULL, &err),
                     CUT_ECORRUPT);
    assert_contains(err.msg, "runs past the end");
    assert_int_equal(cut_snap_decode_rows(good, 4, 2, 1, NULL, NULL, NULL, NULL, &err),
                     CUT_ECORRUPT);
    assert_int_equal(cut_snap_decode_rows(good, sizeof(good), 0, 1, NULL, NULL, NULL, NULL, &err),
                     CUT_EINVAL);
}

static void test_inspect_reports_tables_and_refuses_a_non_snapshot(void **state)
{
    fx *f = *state;
    fill(f->src, 10, 30);
    cut_snap_info *in = snapshot_ok(f->url, f->snap, NULL);
    cut_digest dc = stab(in, "child")->digest;
    cut_snap_info_free(in);
    cut_snap_info *info = NULL;
    cut_error err;
    cut_error_clear(&err);
    assert_int_equal(cut_snapshot_inspect(f->snap, 0, &info, &err), 0);
    assert_int_equal(info->format_version, 1);
    assert_string_equal(info->tool_version, "cutover " CUT_VERSION_STRING);
    assert_int_equal(strlen(info->created), 20);
    assert_true(cut_digest_equal(&stab(info, "child")->digest, &dc));
    assert_false(stab(info, "child")->verified);
    assert_int_equal(stab(info, "child")->ncols, 4);
    cut_snap_info_free(info);
    /* A file that is not a snapshot, and one that does not exist. */
    spit(f->snap, (const unsigned char *)"this is not a snapshot at all, but long enough to look "
                                         "for a footer at its end...........",
         90);
    int rc;
    const char *msg = inspect_msg(f->snap, 0, &rc);
    assert_int_equal(rc, CUT_EINVAL); /* the wrong file, not a damaged snapshot */
    assert_contains(msg, "not a cutover snapshot");
    unlink(f->snap);
    msg = inspect_msg(f->snap, 0, &rc);
    assert_int_equal(rc, CUT_EIO);
    assert_contains(msg, "cannot open");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_fx, teardown_fx)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_round_trip_puts_changed_rows_back),
        T(test_snapshot_digest_equals_verify_digest),
        T(test_single_table_restores_alone),
        T(test_restore_into_another_database_matches_columns_by_name),
        T(test_empty_table_round_trips),
        T(test_nulls_empty_strings_nul_bytes_and_unicode_survive),
        T(test_large_table_spans_frames_and_a_huge_row_gets_its_own),
        T(test_truncated_file_is_refused_before_writing),
        T(test_flipped_byte_in_header_is_refused_before_writing),
        T(test_flipped_byte_in_each_data_frame_is_refused_before_writing),
        T(test_flipped_byte_in_index_is_refused_before_writing),
        T(test_flipped_byte_in_footer_is_refused_before_writing),
        T(test_every_single_byte_change_is_detected),
        T(test_future_format_version_is_refused_before_writing),
        T(test_reseal_of_an_intact_file_is_a_no_op),
        T(test_restore_refuses_missing_table_before_writing),
        T(test_restore_refuses_extra_or_missing_column_before_writing),
        T(test_restore_refuses_when_a_table_outside_references_one_inside),
        T(test_digest_differing_after_load_rolls_back),
        T(test_restore_reports_a_row_the_target_refuses_and_rolls_back),
        T(test_cancelled_snapshot_leaves_the_old_file_and_no_temp),
        T(test_cancelled_restore_rolls_back),
        T(test_decoder_refuses_malformed_rows),
        T(test_inspect_reports_tables_and_refuses_a_non_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
