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

#endif
