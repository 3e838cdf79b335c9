/*
 * test_url.c — connection URLs: every accepted form, the errors, and that no
 * password ever reaches the redacted text or an error message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cutover.h"
#include "util.h"

static cut_url *parse_ok(const char *text)
{
    cut_error err;
    cut_error_clear(&err);
    cut_url *u = NULL;
    int rc = cut_url_parse(text, &u, &err);
    if (rc != CUT_OK)
        fail_msg("cut_url_parse(%s) failed: %s", text, err.msg);
    assert_non_null(u);
    return u;
}

/* Parses text expecting CUT_EINVAL; returns the message (static storage). */
static const char *parse_fails(const char *text)
{
    static cut_error err;
    cut_error_clear(&err);
    cut_url *u = (cut_url *)(uintptr_t)1;
    int rc = cut_url_parse(text, &u, &err);
    if (rc != CUT_EINVAL)
        fail_msg("cut_url_parse(%s) returned %d, expected CUT_EINVAL", text, rc);
    assert_null(u);
    assert_int_equal(err.code, CUT_EINVAL);
    assert_true(err.msg[0] != '\0');
    return err.msg;
}

static void assert_lacks(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle))
        fail_msg("'%s' contains '%s'", haystack, needle);
}

static void test_sqlite_relative_path(void **state)
{
    (void)state;
    cut_url *u = parse_ok("sqlite:data/app.db");
    assert_string_equal(u->scheme, "sqlite");
    assert_string_equal(u->path, "data/app.db");
    assert_null(u->host);
    assert_null(u->user);
    assert_null(u->password);
    assert_int_equal(u->port, 0);
    assert_int_equal(u->nparams, 0);
    assert_string_equal(u->raw, "sqlite:data/app.db");
    assert_string_equal(u->redacted, "sqlite:data/app.db");
    cut_url_free(u);
}

static void test_sqlite_absolute_forms(void **state)
{
    (void)state;
    cut_url *u = parse_ok("sqlite:/abs/path.db");
    assert_string_equal(u->path, "/abs/path.db");
    cut_url_free(u);
    u = parse_ok("sqlite:///abs/path.db");
    assert_string_equal(u->path, "/abs/path.db");
    cut_url_free(u);
    /* Two slashes and no third: the rest is a relative path, not a host. */
    u = parse_ok("sqlite://relative.db");
    assert_string_equal(u->path, "relative.db");
    assert_null(u->host);
    cut_url_free(u);
}

static void test_file_paths_are_literal(void **state)
{
    (void)state;
    /* No percent-decoding, no query string, no userinfo for file URLs. */
    cut_url *u = parse_ok("sqlite:100%.db?x=1");
    assert_string_equal(u->path, "100%.db?x=1");
    assert_int_equal(u->nparams, 0);
    cut_url_free(u);
    u = parse_ok("csv:a:b@c/dir");
    assert_string_equal(u->path, "a:b@c/dir");
    assert_string_equal(u->redacted, "csv:a:b@c/dir");
    cut_url_free(u);
}

static void test_scheme_is_lowercased(void **state)
{
    (void)state;
    cut_url *u = parse_ok("SQLite:x.db");
    assert_string_equal(u->scheme, "sqlite");
    assert_string_equal(u->path, "x.db");
    assert_string_equal(u->raw, "SQLite:x.db");
    cut_url_free(u);
}

static void test_csv_forms(void **state)
{
    (void)state;
    cut_url *u = parse_ok("csv:path/to/dir");
    assert_string_equal(u->scheme, "csv");
    assert_string_equal(u->path, "path/to/dir");
    cut_url_free(u);
    u = parse_ok("csv:///srv/export");
    assert_string_equal(u->path, "/srv/export");
    cut_url_free(u);
    u = parse_ok("CSV://exports");
    assert_string_equal(u->scheme, "csv");
    assert_string_equal(u->path, "exports");
    cut_url_free(u);
}

static void test_empty_file_path_is_an_error(void **state)
{
    (void)state;
    const char *m = parse_fails("sqlite:");
    assert_non_null(strstr(m, "sqlite:FILE"));
    m = parse_fails("sqlite://");
    assert_non_null(strstr(m, "sqlite:FILE"));
    m = parse_fails("csv:");
    assert_non_null(strstr(m, "csv:DIR"));
}

static void test_postgresql_full(void **state)
{
    (void)state;
    cut_url *u = parse_ok("postgresql://alice:pw@db.example.com:5433/sales?sslmode=require&"
                          "application_name=cutover");
    assert_string_equal(u->scheme, "postgresql");
    assert_string_equal(u->user, "alice");
    assert_string_equal(u->password, "pw");
    assert_string_equal(u->host, "db.example.com");
    assert_int_equal(u->port, 5433);
    assert_string_equal(u->path, "sales");
    assert_int_equal(u->nparams, 2);
    assert_string_equal(u->keys[0], "sslmode");
    assert_string_equal(u->values[0], "require");
    assert_string_equal(cut_url_param(u, "application_name"), "cutover");
    assert_string_equal(u->redacted, "postgresql://alice:***@db.example.com:5433/sales?"
                                     "sslmode=require&application_name=cutover");
    cut_url_free(u);
}

static void test_scheme_aliases_are_normalised(void **state)
{
    (void)state;
    cut_url *u = parse_ok("postgres://h/db");
    assert_string_equal(u->scheme, "postgresql");
    assert_string_equal(u->host, "h");
    assert_string_equal(u->path, "db");
    assert_string_equal(u->raw, "postgres://h/db");
    cut_url_free(u);
    u = parse_ok("mariadb://root@localhost/shop");
    assert_string_equal(u->scheme, "mysql");
    assert_string_equal(u->user, "root");
    assert_null(u->password);
    cut_url_free(u);
    u = parse_ok("MySQL://root@localhost:3307/shop");
    assert_string_equal(u->scheme, "mysql");
    assert_int_equal(u->port, 3307);
    cut_url_free(u);
}

static void test_minimal_network_urls(void **state)
{
    (void)state;
    cut_url *u = parse_ok("postgresql://");
    assert_null(u->host);
    assert_null(u->path);
    assert_null(u->user);
    assert_int_equal(u->port, 0);
    cut_url_free(u);
    u = parse_ok("postgresql:///localdb");
    assert_null(u->host);
    assert_string_equal(u->path, "localdb");
    cut_url_free(u);
    u = parse_ok("mysql://h/");
    assert_string_equal(u->host, "h");
    assert_null(u->path);
    cut_url_free(u);
}

static void test_percent_decoding(void **state)
{
    (void)state;
    cut_url *u = parse_ok("postgresql://us%65r:p%40ss%2Fw%3Ard@%2Fvar%2Frun%2Fpostgresql/my%20db?"
                          "options=-c%20search_path%3Dx&a%26b=c%3Dd");
    assert_string_equal(u->user, "user");
    assert_string_equal(u->password, "p@ss/w:rd");
    assert_string_equal(u->host, "/var/run/postgresql");
    assert_string_equal(u->path, "my db");
    assert_string_equal(cut_url_param(u, "options"), "-c search_path=x");
    assert_string_equal(cut_url_param(u, "a&b"), "c=d");
    assert_string_equal(u->redacted, "postgresql://us%65r:***@%2Fvar%2Frun%2Fpostgresql/my%20db?"
                                     "options=-c%20search_path%3Dx&a%26b=c%3Dd");
    cut_url_free(u);
}

static void test_bad_percent_encoding(void **state)
{
    (void)state;
    const char *m = parse_fails("postgresql://u:se%zzcret@h/db");
    assert_lacks(m, "se%zzcret");
    assert_lacks(m, "cret");
    assert_non_null(strstr(m, "password"));
    m = parse_fails("postgresql://h/db%4");
    assert_non_null(strstr(m, "database name"));
    m = parse_fails("postgresql://h/db%00x");
    assert_non_null(strstr(m, "%00"));
}

static void test_ipv6_hosts(void **state)
{
    (void)state;
    cut_url *u = parse_ok("postgresql://u@[::1]:5432/db");
    assert_string_equal(u->host, "::1");
    assert_int_equal(u->port, 5432);
    assert_string_equal(u->path, "db");
    cut_url_free(u);
    u = parse_ok("mysql://[2001:db8::7]/x");
    assert_string_equal(u->host, "2001:db8::7");
    assert_int_equal(u->port, 0);
    cut_url_free(u);
    parse_fails("postgresql://[::1/db");
    parse_fails("postgresql://[::1]x/db");
}

static void test_ports(void **state)
{
    (void)state;
    cut_url *u = parse_ok("postgresql://h:1/db");
    assert_int_equal(u->port, 1);
    cut_url_free(u);
    u = parse_ok("postgresql://h:65535/db");
    assert_int_equal(u->port, 65535);
    cut_url_free(u);

    const char *bad[] = {"postgresql://u:topsecret@h:0/db",
                         "postgresql://u:topsecret@h:65536/db",
                         "postgresql://u:topsecret@h:54x2/db",
                         "mysql://u:topsecret@h:/db",
                         "postgresql://u:topsecret@h:99999999999999999999999/db",
                         "postgresql://u:topsecret@h:-1/db"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *m = parse_fails(bad[i]);
        assert_non_null(strstr(m, "port"));
        assert_non_null(strstr(m, ":***@h:")); /* names the redacted URL */
        assert_lacks(m, "topsecret");
    }
}

static void test_not_a_url(void **state)
{
    (void)state;
    const char *m = parse_fails("data.db");
    assert_non_null(strstr(m, "not a URL: expected sqlite:FILE, csv:DIR, postgresql://"));
    assert_non_null(strstr(m, "data.db"));
    m = parse_fails("");
    assert_non_null(strstr(m, "not a URL"));
    /* A colon after a '/' is part of a path, not a scheme. */
    m = parse_fails("./dir/a:b.db");
    assert_non_null(strstr(m, "not a URL"));
    /* Something that might be "user:password@host" is not echoed. */
    m = parse_fails("/x/alice:hunter2@h");
    assert_lacks(m, "hunter2");
    cut_error err;
    cut_url *u = NULL;
    assert_int_equal(cut_url_parse(NULL, &u, &err), CUT_EINVAL);
    assert_null(u);
}

static void test_unknown_scheme_still_parses(void **state)
{
    (void)state;
    cut_url *u = parse_ok("Oracle://scott:tiger@h:notaport/x");
    assert_string_equal(u->scheme, "oracle");
    assert_string_equal(u->redacted, "Oracle://scott:***@h:notaport/x");
    cut_url_free(u);
    u = parse_ok(":nothing");
    assert_string_equal(u->scheme, "");
    cut_url_free(u);
    /* "user:password@host" typed without a scheme: the password is still hidden. */
    u = parse_ok("alice:hunter2@db.example.com/x");
    assert_string_equal(u->scheme, "alice");
    assert_lacks(u->redacted, "hunter2");
    cut_url_free(u);
}

/* A misspelt scheme has a nearest known one; a scheme without its ':' is named. */
static void test_scheme_typos_are_named(void **state)
{
    (void)state;
    assert_string_equal(cut_url_scheme_suggest("postgresq"), "postgresql");
    assert_string_equal(cut_url_scheme_suggest("postgersql"), "postgresql");
    assert_string_equal(cut_url_scheme_suggest("sqlte"), "sqlite");
    assert_string_equal(cut_url_scheme_suggest("mysq"), "mysql");
    assert_string_equal(cut_url_scheme_suggest("cvs"), "csv");
    assert_null(cut_url_scheme_suggest("oracle"));
    assert_null(cut_url_scheme_suggest("psql"));
    assert_null(cut_url_scheme_suggest("postgresql"));
    assert_true(cut_url_scheme_is_file("SQLite"));
    assert_false(cut_url_scheme_is_file("mysql"));
    const char *m = parse_fails("postgresql//u:pw@h/db");
    assert_string_equal(m, "not a URL: missing ':' after 'postgresql' (expected postgresql://…)");
    m = parse_fails("csv/export");
    assert_string_equal(m, "not a URL: missing ':' after 'csv' (expected csv:DIR)");
}

static void test_network_url_needs_slashes(void **state)
{
    (void)state;
    const char *m = parse_fails("postgresql:mydb");
    assert_non_null(strstr(m, "postgresql://"));
    m = parse_fails("mysql:root@h/x");
    assert_non_null(strstr(m, "mysql://"));
}

static void test_redaction_hides_password_and_query_password(void **state)
{
    (void)state;
    cut_url *u = parse_ok("postgresql://u:s%40cret@h/db?password=x");
    assert_string_equal(u->password, "s@cret");
    assert_string_equal(cut_url_param(u, "password"), "x");
    assert_string_equal(u->redacted, "postgresql://u:***@h/db?password=***");
    assert_lacks(u->redacted, "s%40cret");
    assert_lacks(u->redacted, "cret");
    assert_lacks(u->redacted, "=x");
    char *r = cut_url_redact(u->raw);
    assert_string_equal(r, u->redacted);
    free(r);
    cut_url_free(u);
}

static void test_redaction_keeps_other_bytes(void **state)
{
    (void)state;
    struct {
        const char *in, *out;
    } cases[] = {
        {"postgresql://u@h/db", "postgresql://u@h/db"},
        {"postgresql://u:@h/db", "postgresql://u:***@h/db"},
        {"postgresql://:pw@h", "postgresql://:***@h"},
        {"postgresql://h/db?sslmode=verify-full&sslpassword=k3y&x=1",
         "postgresql://h/db?sslmode=verify-full&sslpassword=***&x=1"},
        {"postgresql://h/db?PassWord=a&password=b&password",
         "postgresql://h/db?PassWord=***&password=***&password"},
        {"mysql://root:r%3Aoot@[::1]:3306/x?socket=/tmp/m.sock",
         "mysql://root:***@[::1]:3306/x?socket=/tmp/m.sock"},
        {"mysql://a:b:c@h", "mysql://a:***@h"},
        {"mysql://a:b@c@h/x", "mysql://a:***@h/x"},
        {"sqlite:file.db", "sqlite:file.db"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *r = cut_url_redact(cases[i].in);
        assert_non_null(r);
        assert_string_equal(r, cases[i].out);
        free(r);
        cut_url *u = parse_ok(cases[i].in);
        assert_string_equal(u->redacted, cases[i].out);
        cut_url_free(u);
    }
}

static void test_redact_non_url_is_unchanged(void **state)
{
    (void)state;
    char *r = cut_url_redact("just some text");
    assert_string_equal(r, "just some text");
    free(r);
    r = cut_url_redact("");
    assert_string_equal(r, "");
    free(r);
    assert_null(cut_url_redact(NULL));
}

/* Found by tests/fuzz/fuzz_url (corpus-url/regress-mistyped-scheme-*): check printed these. */
static void test_redact_hides_password_behind_a_mistyped_scheme(void **state)
{
    (void)state;
    struct {
        const char *in, *out;
    } cases[] = {
        {"postgresql//alice:s3cret@db/sales", "postgresql//alice:***@db/sales"},
        {"my postgresql://u:secret@h/db", "my postgresql:***@h/db"},
        {"postgres ql://u:p@ss@h", "postgres ql:***@h"},
        {"./a:b@c", "./a:***@c"},
        {"alice@db", "alice@db"},
        {"no scheme: no at sign", "no scheme: no at sign"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *r = cut_url_redact(cases[i].in);
        assert_non_null(r);
        assert_string_equal(r, cases[i].out);
        free(r);
    }
    /* The parser's error for such text quotes none of it either. */
    assert_lacks(parse_fails("postgresql//alice:s3cret@db/sales"), "s3cret");
}

static void test_unencoded_specials_in_password_are_not_echoed(void **state)
{
    (void)state;
    /* The '/' or '?' cut the authority short; whatever the parser does, no secret leaks. */
    const char *m = parse_fails("postgresql://u:pa/ss@h/db");
    assert_lacks(m, "pa/ss");
    assert_lacks(m, "ss@");
    assert_non_null(strstr(m, "%2F"));
    m = parse_fails("postgresql://u:pa?ss@h/db");
    assert_lacks(m, "pa?ss");
    assert_lacks(m, "ss@");
    m = parse_fails("postgresql://u:12?34@h/db");
    assert_lacks(m, "12?34");
    assert_lacks(m, "34@");
    m = parse_fails("postgresql://u:1234/x@h/db");
    assert_lacks(m, "1234");
    /* With an '@' in the password too, the authority looks complete, but is not. */
    m = parse_fails("postgresql://u:p@ss/w@db/sales");
    assert_lacks(m, "ss/w");
    m = parse_fails("postgresql://u:p@ss?w@db/sales");
    assert_lacks(m, "ss?w");
    /* The redacted display of such text hides all of it as well. */
    struct {
        const char *url, *secret;
    } leaky[] = {
        {"postgresql://u:p@ss/w@db/sales", "ss/w"}, {"postgresql://u:p@ss?w@db/sales", "ss?w"},
        {"postgresql://u:1234/x@h/db", "1234"},     {"postgresql://u:12?34@h/db", "12?34"},
        {"postgresql://u:pa?ss@h/db?x=1", "pa?ss"}, {"postgresql://u:pa?ss@h/db?password=zz", "zz"},
    };
    for (size_t i = 0; i < sizeof(leaky) / sizeof(leaky[0]); i++) {
        char *r = cut_url_redact(leaky[i].url);
        assert_non_null(r);
        assert_lacks(r, leaky[i].secret);
        free(r);
    }
    /* An encoded '@' in the database name is fine. */
    cut_url *u = parse_ok("postgresql://h/db%40x");
    assert_string_equal(u->path, "db@x");
    cut_url_free(u);
}

/* A password holding an unencoded '@': the user information ends at the LAST '@' before
   the host, so the host is what follows it and the whole password is hidden. */
static void test_userinfo_ends_at_the_last_at_before_the_host(void **state)
{
    (void)state;
    const char *schemes[] = {"postgresql", "mysql"};
    for (int i = 0; i < 2; i++) {
        char text[128], shown[128];
        snprintf(text, sizeof(text), "%s://rv2_user:Right@Pw9x@127.0.0.1:16399/rv2_pw", schemes[i]);
        snprintf(shown, sizeof(shown), "%s://rv2_user:***@127.0.0.1:16399/rv2_pw", schemes[i]);
        cut_url *u = parse_ok(text);
        assert_string_equal(u->user, "rv2_user");
        assert_string_equal(u->password, "Right@Pw9x");
        assert_string_equal(u->host, "127.0.0.1");
        assert_int_equal(u->port, 16399);
        assert_string_equal(u->path, "rv2_pw");
        assert_string_equal(u->redacted, shown);
        cut_url_free(u);
    }
    cut_url *u = parse_ok("postgresql://a@b:c@d@h/db");
    assert_string_equal(u->user, "a@b");
    assert_string_equal(u->password, "c@d");
    assert_string_equal(u->host, "h");
    cut_url_free(u);
}

/* The text libpq gets: it ends the user information at the FIRST '@', so the user name
   and password go percent-encoded; the rest is kept as written, and it parses back to
   the same parts. */
static void test_text_for_libpq_encodes_the_user_information(void **state)
{
    (void)state;
    struct {
        const char *in, *out;
    } cases[] = {
        {"postgresql://rv2_user:Right@Pw9x@127.0.0.1:16399/rv2_pw",
         "postgresql://rv2_user:Right%40Pw9x@127.0.0.1:16399/rv2_pw"},
        {"postgres://u:p%2Fw@%2Fvar%2Frun/db?sslmode=disable&password=x",
         "postgresql://u:p%2Fw@%2Fvar%2Frun/db?sslmode=disable&password=x"},
        {"POSTGRESQL://app@[::1]:5433/sales", "postgresql://app@[::1]:5433/sales"},
        {"postgresql://u:@h", "postgresql://u:@h"},
        {"postgresql://:pw@h/db", "postgresql://:pw@h/db"},
        {"postgresql:///db", "postgresql:///db"},
        {"postgresql://h", "postgresql://h"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cut_url *u = parse_ok(cases[i].in);
        char *t = cut_url_text_encoded(u);
        assert_non_null(t);
        assert_string_equal(t, cases[i].out);
        cut_url *back = parse_ok(t);
        assert_true((!u->user && !back->user) || strcmp(u->user, back->user) == 0);
        assert_true((!u->password && !back->password) || strcmp(u->password, back->password) == 0);
        assert_true((!u->host && !back->host) || strcmp(u->host, back->host) == 0);
        free(t);
        cut_url_free(back);
        cut_url_free(u);
    }
    /* Every byte a password may hold survives: the encoded text holds no '@' but one. */
    cut_url *u = parse_ok("postgresql://us%20er:a%20b%3Ac%2Fd%3Fe%23f%25g@x@h/db");
    assert_string_equal(u->password, "a b:c/d?e#f%g@x");
    char *t = cut_url_text_encoded(u);
    assert_non_null(t);
    assert_int_equal(strchr(t, '@'), strrchr(t, '@'));
    cut_url *back = parse_ok(t);
    assert_string_equal(back->user, "us er");
    assert_string_equal(back->password, "a b:c/d?e#f%g@x");
    assert_string_equal(back->host, "h");
    free(t);
    cut_url_free(back);
    cut_url_free(u);
}

static void test_params(void **state)
{
    (void)state;
    cut_url *u = parse_ok("mysql://root@localhost/shop?socket=/run/mysqld/mysqld.sock&flag&&"
                          "k=1&k=2&empty=");
    assert_int_equal(u->nparams, 5);
    assert_string_equal(cut_url_param(u, "socket"), "/run/mysqld/mysqld.sock");
    assert_string_equal(cut_url_param(u, "flag"), "");
    assert_string_equal(cut_url_param(u, "k"), "2"); /* the last one wins */
    assert_string_equal(cut_url_param(u, "empty"), "");
    assert_null(cut_url_param(u, "missing"));
    assert_null(cut_url_param(u, "SOCKET"));
    assert_null(cut_url_param(NULL, "socket"));
    assert_null(cut_url_param(u, NULL));
    cut_url_free(u);
    cut_url_free(NULL);
}

/* What a restore recorded in a run's journal is checked with: one database, or two. */
static void test_same_database_ignores_spelling_and_credentials(void **state)
{
    (void)state;
    static const char *const same[][2] = {
        {"postgresql://app:s3cret@DB.example.com/gym",
         "postgres://app:***@db.example.com:5432/gym"},
        {"postgresql://app@db/gym?sslmode=require", "postgresql://other@db:5432/gym"},
        {"postgresql://app@/gym?host=/run/pg&port=5433", "postgresql://x@%2Frun%2Fpg:5433/gym"},
        {"postgresql://app@db", "postgresql://app:***@db/app"}, /* libpq: dbname = user */
        {"mysql://root:pw@db/shop", "mariadb://app@DB:3306/shop"},
        {"mysql://root@localhost/shop", "mysql://root@/shop"},
        {"sqlite:/srv/gym.db", "sqlite:///srv/gym.db"},
    };
    static const char *const other[][2] = {
        {"postgresql://app@db/gym", "postgresql://app@db/scratch"},
        {"postgresql://app@db/gym", "postgresql://app@db:5433/gym"},
        {"postgresql://app@db/gym", "postgresql://app@db2/gym"},
        {"postgresql://app@db/gym", "mysql://app@db/gym"},
        {"mysql://root@db/shop", "mysql://root@db/shop?socket=/run/mysqld.sock"},
        {"sqlite:/srv/gym.db", "sqlite:/srv/scratch.db"},
        {"sqlite:/srv/gym.db", "csv:/srv/gym.db"},
    };
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        if (!cut_url_same_database(same[i][0], same[i][1]))
            fail_msg("%s and %s should be one database", same[i][0], same[i][1]);
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
        if (cut_url_same_database(other[i][0], other[i][1]))
            fail_msg("%s and %s should be two databases", other[i][0], other[i][1]);
    /* A relative SQLite path is the file it names from here. */
    char *cwd = getcwd(NULL, 0);
    char abs[4200];
    snprintf(abs, sizeof(abs), "sqlite:%s/test_url.c.db", cwd);
    FILE *f = fopen("test_url.c.db", "w");
    assert_non_null(f);
    fclose(f);
    assert_true(cut_url_same_database("sqlite:test_url.c.db", abs));
    assert_true(cut_url_same_database("sqlite:./test_url.c.db", "sqlite:test_url.c.db"));
    unlink("test_url.c.db");
    free(cwd);
    /* Text that does not parse is one database only with itself. */
    assert_true(cut_url_same_database("nonsense", "nonsense"));
    assert_false(cut_url_same_database("nonsense", "sqlite:nonsense"));
    assert_false(cut_url_same_database(NULL, "sqlite:x.db"));
}

static void test_password_hint_names_the_driver_s_sources(void **state)
{
    (void)state;
    assert_non_null(strstr(cut_url_password_hint("postgresql://u:***@h/db"), "PGPASSWORD"));
    assert_non_null(strstr(cut_url_password_hint("postgresql://u:pw@h/db"), "~/.pgpass"));
    assert_non_null(strstr(cut_url_password_hint("postgresql://u@h/db?password=***"), "--target"));
    assert_non_null(strstr(cut_url_password_hint("mysql://u:***@h/db"), "MYSQL_PWD"));
    assert_string_equal(cut_url_password_hint("postgresql://u@h/db"), "");
    assert_string_equal(cut_url_password_hint("sqlite:gym.db"), "");
    assert_string_equal(cut_url_password_hint(NULL), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlite_relative_path),
        cmocka_unit_test(test_sqlite_absolute_forms),
        cmocka_unit_test(test_file_paths_are_literal),
        cmocka_unit_test(test_scheme_is_lowercased),
        cmocka_unit_test(test_csv_forms),
        cmocka_unit_test(test_empty_file_path_is_an_error),
        cmocka_unit_test(test_postgresql_full),
        cmocka_unit_test(test_scheme_aliases_are_normalised),
        cmocka_unit_test(test_minimal_network_urls),
        cmocka_unit_test(test_percent_decoding),
        cmocka_unit_test(test_bad_percent_encoding),
        cmocka_unit_test(test_ipv6_hosts),
        cmocka_unit_test(test_ports),
        cmocka_unit_test(test_not_a_url),
        cmocka_unit_test(test_unknown_scheme_still_parses),
        cmocka_unit_test(test_network_url_needs_slashes),
        cmocka_unit_test(test_scheme_typos_are_named),
        cmocka_unit_test(test_redaction_hides_password_and_query_password),
        cmocka_unit_test(test_redaction_keeps_other_bytes),
        cmocka_unit_test(test_redact_non_url_is_unchanged),
        cmocka_unit_test(test_redact_hides_password_behind_a_mistyped_scheme),
        cmocka_unit_test(test_unencoded_specials_in_password_are_not_echoed),
        cmocka_unit_test(test_userinfo_ends_at_the_last_at_before_the_host),
        cmocka_unit_test(test_text_for_libpq_encodes_the_user_information),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_same_database_ignores_spelling_and_credentials),
        cmocka_unit_test(test_password_hint_names_the_driver_s_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
