/*
 * pg_copy.h — PostgreSQL COPY text format, both ways (internal, used by
 * drv_pg.c). Kept apart from the driver so it can be tested without a server.
 *
 * One row is one line; fields are separated by a tab; NULL is \N; inside a
 * field a backslash escapes: \b \f \n \r \t \v, \\, \digits (1 to 3 octal
 * digits: a byte), \xH or \xHH (a byte), and any other character stands for
 * itself. bytea values travel in their hex text form ("\x0102"), which COPY
 * escapes once more ("\\x0102").
 */
#ifndef CUT_PG_COPY_H
#define CUT_PG_COPY_H

#include <stddef.h>

#include "cutover.h"
#include "row.h"

/*
 * Splits one COPY text row (line/len, without its newline) into exactly
 * ncols cells, decoding escapes in place: cells point into line, which
 * therefore must stay alive and writable. Returns 0, or CUT_EDATA when the
 * row does not have ncols fields (*why is a static message).
 */
int cut_pg_copy_split(char *line, size_t len, int ncols, cut_cell *cells, const char **why);

/*
 * Decodes bytea hex text ("\x" then pairs of hex digits, upper or lower case)
 * in place into raw bytes. Returns 0 with *out_len set, or CUT_EDATA. The
 * legacy "escape" output format is accepted too (\\ and \ooo octal).
 */
int cut_pg_bytea_decode(char *p, size_t len, size_t *out_len);

/* Appends p/len to b escaped as one COPY text field (\\, \t, \n, \r). */
int cut_pg_copy_escape(cut_buf *b, const char *p, size_t len);

/* Appends raw bytes as a COPY text bytea field: \\x followed by lowercase hex. */
int cut_pg_copy_bytea(cut_buf *b, const char *p, size_t len);

/*
 * COPY's binary format, for loading: a header, then per row a 16-bit field
 * count and per field a 32-bit length (-1: NULL) and the type's binary form
 * (what its receive function reads), all big-endian; a 16-bit -1 ends it. The
 * server then skips parsing text: integers, dates, timestamps and numerics
 * are taken as they come. Only canonical values are encoded (docs/canonical.md):
 * anything else makes cut_pg_bin_field fail, and the caller sends the batch
 * as text, so that the server, not this codec, judges it.
 */
enum {
    CUT_PGB_NONE = 0, /* no binary form here: the table loads as text */
    CUT_PGB_BOOL, CUT_PGB_INT2, CUT_PGB_INT4, CUT_PGB_INT8, CUT_PGB_OID, CUT_PGB_FLOAT4,
    CUT_PGB_FLOAT8, CUT_PGB_NUMERIC, CUT_PGB_RAW, CUT_PGB_DATE, CUT_PGB_TIME,
    CUT_PGB_TIMESTAMP, CUT_PGB_TIMESTAMPTZ, CUT_PGB_UUID, CUT_PGB_JSONB,
};
#define CUT_PG_BIN_HEADER_LEN 19
extern const unsigned char cut_pg_bin_header[CUT_PG_BIN_HEADER_LEN];

/* The binary form used for a column of (base) type oid, or CUT_PGB_NONE. */
int cut_pg_bin_kind(unsigned oid);

/* Appends the 16-bit field count that starts a row. */
int cut_pg_bin_row(cut_buf *b, int nfields);

/* Appends one field: a NULL cell, or the canonical value p/len in the binary form
   `kind`. Returns 0, CUT_ENOMEM, or CUT_EDATA when p/len is not canonical for it
   (b then holds a partial field: the caller drops what it appended). */
int cut_pg_bin_field(cut_buf *b, int kind, const cut_cell *v);

#endif
