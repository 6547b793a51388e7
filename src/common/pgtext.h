/*
 * pgtext — the text forms of uuid, date, time and timestamptz values that
 * retort accepts from clients and configuration, checked in one place so
 * that config defaults, bodies, query documents and URL keys agree.
 *
 * The rule: what passes is accepted by PostgreSQL for that type, whatever
 * the server's DateStyle and TimeZone. uuid follows PostgreSQL's own input
 * function (uuid_in); dates and times are RFC 3339, which PostgreSQL reads
 * the same way under every setting.
 *
 * Pure functions of their arguments; thread-safe.
 */
#ifndef RETORT_PGTEXT_H
#define RETORT_PGTEXT_H

#include <stdbool.h>
#include <stddef.h>

enum { PGTEXT_UUID_LEN = 36 }; /* canonical form, without the NUL */

/* PostgreSQL's uuid input: 32 hex digits of either case, a hyphen allowed
 * after any group of four (not after the last), the whole optionally in
 * braces: "123e4567-e89b-12d3-a456-426614174000",
 * "123E4567E89B12D3A456426614174000", "{123e4567-e89b12d3-a456-4266-14174000}".
 * On success, when canonical is not NULL, writes the form PostgreSQL
 * prints (lower case, 8-4-4-4-12, NUL-terminated). */
bool pgtext_uuid(const char *s, char canonical[PGTEXT_UUID_LEN + 1]);

/* RFC 3339 full-date "YYYY-MM-DD": a real calendar date, year 0001..9999
 * (PostgreSQL has no year 0). */
bool pgtext_date(const char *s);

/* RFC 3339 partial-time "hh:mm:ss[.frac]" (second 60, a leap second, is
 * allowed as RFC 3339 and PostgreSQL allow it), without an offset. */
bool pgtext_time(const char *s);

/* RFC 3339 date-time: full-date, "T" (or "t" or a space), partial-time,
 * then "Z" (or "z") or an offset "+hh:mm"/"-hh:mm". */
bool pgtext_timestamptz(const char *s);

/* The length of UTF-8 text in characters (code points), as varchar(n)
 * counts it. */
size_t pgtext_length(const char *s);

#endif
