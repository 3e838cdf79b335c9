/*
 * encoding.c — source text in a legacy single-byte encoding (the mapping's
 * options.source_encoding: latin1 or cp1252) turned into UTF-8 before it is
 * canonicalized. Legacy exports are often Windows-1252; ISO-8859-1 differs from
 * it only in 0x80..0x9F, where cp1252 has printable characters (€, smart quotes)
 * and latin1 has C1 control codes.
 */
#include <string.h>

#include "types.h"
#include "util.h"

/* cp1252 0x80..0x9F; 0 marks the five bytes Windows-1252 leaves undefined. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

int cut_encoding_parse(const char *name, cut_encoding *out)
{
    if (!name || strcasecmp(name, "utf8") == 0 || strcasecmp(name, "utf-8") == 0)
        *out = CUT_ENC_UTF8;
    else if (strcasecmp(name, "latin1") == 0 || strcasecmp(name, "iso-8859-1") == 0)
        *out = CUT_ENC_LATIN1;
    else if (strcasecmp(name, "cp1252") == 0 || strcasecmp(name, "windows-1252") == 0)
        *out = CUT_ENC_CP1252;
    else
        return CUT_EINVAL;
    return CUT_OK;
}

int cut_transcode_to_utf8(cut_encoding enc, const char *in, size_t len, cut_buf *out,
                          const char **reason)
{
    cut_buf_reset(out);
    if (enc == CUT_ENC_UTF8)
        return CUT_CANON_SAME;
    /* Pure ASCII is the same in every one of these encodings. */
    size_t i = 0;
    while (i < len && !((unsigned char)in[i] & 0x80))
        i++;
    if (i == len)
        return CUT_CANON_SAME;
    if (cut_buf_reserve(out, len * 3))
        return CUT_ENOMEM;
    memcpy(out->p, in, i);
    out->len = i;
    for (; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        uint32_t cp = c;
        if (c >= 0x80 && c <= 0x9F && enc == CUT_ENC_CP1252) {
            cp = cp1252_high[c - 0x80];
            if (!cp)
                return cut_reason(out, reason, "byte 0x%02X at offset %zu is undefined in cp1252",
                                  c, i);
        }
        out->len += (size_t)cut_utf8_encode(cp, out->p + out->len);
    }
    out->p[out->len] = '\0';
    return CUT_CANON_NEW;
}
