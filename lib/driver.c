/*
 * driver.c — the driver registry, connecting by URL, and table-description
 * helpers shared by the drivers.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "driver.h"
#include "util.h"

static const cut_driver *const registry[] = {
    &cut_driver_sqlite,
    &cut_driver_csv,
    &cut_driver_pg,
    &cut_driver_mysql,
};

const cut_driver *cut_driver_find(const char *scheme)
{
    if (!scheme)
        return NULL;
    for (size_t i = 0; i < CUT_ARRAY_LEN(registry); i++)
        if (strcmp(registry[i]->scheme, scheme) == 0)
            return registry[i];
    return NULL;
}

int cut_connect(const char *text, int mode, cut_conn **out, cut_error *err)
{
    *out = NULL;
    cut_url *url = NULL;
    int rc = cut_url_parse(text, &url, err);
    if (rc)
        return rc;
    const cut_driver *drv = cut_driver_find(url->scheme);
    if (!drv) {
        /* A typo in the scheme gets a "did you mean" like a typo anywhere else. */
        const char *near = cut_url_scheme_suggest(url->scheme);
        rc = cut_error_set(err, CUT_EINVAL,
                           "%s: unknown URL scheme '%s' (expected sqlite:, csv:, postgresql:// "
                           "or mysql://%s%s%s)",
                           url->redacted, url->scheme, near ? "; did you mean " : "",
                           near ? near : "",
                           !near                          ? ""
                           : cut_url_scheme_is_file(near) ? ":?"
                                                          : "://?");
        cut_url_free(url);
        return rc;
    }
    if (mode == CUT_OPEN_WRITE && !(drv->caps & CUT_DRV_TARGET)) {
        rc = cut_error_set(err, CUT_EUNSUPPORTED, "%s: %s can only be a source, not a target",
                           url->redacted, drv->name);
        cut_url_free(url);
        return rc;
    }
    rc = drv->connect(url, mode, out, err);
    if (rc) {
        cut_url_free(url);
        return rc;
    }
    (*out)->drv = drv;
    (*out)->url = url;
    return CUT_OK;
}

void cut_disconnect(cut_conn *c)
{
    if (!c)
        return;
    cut_url *url = c->url;
    c->drv->disconnect(c);
    cut_url_free(url);
}

void cut_range_delete_sql(cut_buf *out, const char *qtable, const char *qcol,
                          const cut_load_opts *o)
{
    cut_buf_reset(out);
    cut_buf_printf(out, "DELETE FROM %s WHERE ", qtable);
    if (o->has_lo)
        cut_buf_printf(out, "%s >= %" PRId64, qcol, o->lo);
    if (o->has_hi)
        cut_buf_printf(out, "%s%s < %" PRId64, o->has_lo ? " AND " : "", qcol, o->hi);
    if (!o->has_lo && !o->has_hi)
        cut_buf_printf(out, "1 = 1");
}

int cut_describe(cut_conn *c, const char *name, cut_table **out, cut_error *err)
{
    int rc = c->drv->describe(c, name, out, err);
    if (rc == CUT_OK && (*out)->ncols == 0) {
        cut_table_free(*out);
        *out = NULL;
        return cut_error_set(err, CUT_ESCHEMA, "table %s has no columns", name);
    }
    return rc;
}

void cut_table_free(cut_table *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->ncols; i++) {
        free(t->cols[i].name);
        free(t->cols[i].native);
    }
    free(t->cols);
    free(t->pk);
    for (int i = 0; i < t->nfk; i++) {
        free(t->fks[i].name);
        free(t->fks[i].cols);
        free(t->fks[i].ref_table);
        for (int k = 0; k < t->fks[i].ncols; k++)
            free(t->fks[i].ref_cols[k]);
        free(t->fks[i].ref_cols);
    }
    free(t->fks);
    free(t->name);
    free(t->schema);
    free(t);
}

int cut_table_column(const cut_table *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return i;
    int found = -1;
    for (int i = 0; i < t->ncols; i++) {
        if (strcasecmp(t->cols[i].name, name) == 0) {
            if (found >= 0)
                return -1; /* ambiguous */
            found = i;
        }
    }
    return found;
}

int cut_table_add_column(cut_table *t, const char *name, const char *native, cut_type type)
{
    cut_column *cols = realloc(t->cols, sizeof(*cols) * (size_t)(t->ncols + 1));
    if (!cols)
        return CUT_ENOMEM;
    t->cols = cols;
    cut_column *c = &cols[t->ncols];
    memset(c, 0, sizeof(*c));
    c->name = cut_strdup(name);
    c->native = cut_strdup(native ? native : "");
    c->type = type;
    if (!c->name || !c->native) {
        free(c->name);
        free(c->native);
        return CUT_ENOMEM;
    }
    return t->ncols++;
}
