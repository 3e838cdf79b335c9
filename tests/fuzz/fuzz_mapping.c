/*
 * fuzz_mapping.c — libFuzzer target for the mapping parser (lib/mapping.c):
 * cut_mapping_parse() on arbitrary bytes.
 *
 * A few environment variables are set once, so that ${VAR}, ${VAR:-default}
 * and the unset-variable error are all reachable from short inputs:
 *   FZ=sqlite:a.db   FZE= (set but empty)   FZP=postgresql://u:pw@h/db
 * (FZU is never set). Seeds: tests/fuzz/corpus-mapping, dictionary: mapping.dict.
 *
 * Properties, besides "no crash, no leak, no undefined behaviour":
 *  - the result is CUT_OK, CUT_EMAPPING or CUT_ENOMEM, and *out is set iff OK;
 *  - an error has a message and a position inside the input (line >= 1, and no
 *    further than the line after the last);
 *  - a parsed mapping is complete: tables have names and sources, columns
 *    have targets and expressions, keys are non-empty, lookups are named;
 *    table names are unique (cut_mapping_find_table finds each one at its index).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mapping.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("FZ", "sqlite:a.db", 1);
    setenv("FZE", "", 1);
    setenv("FZP", "postgresql://u:pw@h/db", 1);
    unsetenv("FZU");
    return 0;
}

/*
 * An upper bound on the line numbers libyaml reports: it counts CR, LF, NEL, LS
 * and PS (the last two bytes of the latter are counted here), and at the end of
 * a text without a final line break it reports one line more.
 */
static long count_lines(const uint8_t *data, size_t size)
{
    long n = 2;
    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n' || data[i] == '\r' || data[i] == 0x85 || data[i] == 0xA8 ||
             data[i] == 0xA9;
    return n;
}

static void check_mapping(const cut_mapping *m)
{
    if (cut_mapping_table_count(m) < 1 || strlen(cut_mapping_hash(m)) != 32)
        abort();
    for (int i = 0; i < m->ntables; i++) {
        const cut_map_table *t = &m->tables[i];
        if (!t->target || !*t->target || !t->source || !*t->source)
            abort();
        if (cut_mapping_find_table(m, t->target) != i)
            abort();
        if (t->nkey < 0 || (t->nkey > 0 && !t->key))
            abort();
        for (int k = 0; k < t->nkey; k++)
            if (!t->key[k] || !*t->key[k])
                abort();
        if (t->has_columns && t->ncols < 1)
            abort();
        for (int k = 0; k < t->ncols; k++) {
            const cut_map_column *c = &t->cols[k];
            if (!c->target || !*c->target || !c->expr || !*c->expr)
                abort();
            if (c->bare && !*c->bare)
                abort();
        }
        if (t->where && !*t->where)
            abort();
    }
    for (int i = 0; i < m->nlookups; i++) {
        const cut_map_lookup *l = &m->lookups[i];
        if (!l->name || (l->n > 0 && !l->keys))
            abort();
        for (int k = 0; k < l->n; k++)
            if (!l->keys[k])
                abort();
    }
    if (m->opts.batch_rows < 0 || m->opts.max_rejects < 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cut_mapping *m = (cut_mapping *)(uintptr_t)1;
    cut_error err;
    cut_error_clear(&err);
    int rc = cut_mapping_parse("fuzz.yaml", (const char *)data, size, &m, &err);
    if (rc == CUT_OK) {
        if (!m)
            abort();
        check_mapping(m);
        cut_mapping_free(m);
        return 0;
    }
    if (m != NULL)
        abort();
    if (rc == CUT_ENOMEM)
        return 0;
    if (rc != CUT_EMAPPING || err.code != rc || !err.msg[0])
        abort();
    if (err.line < 1 || err.line > count_lines(data, size) || err.col < 1)
        abort();
    return 0;
}
