/*
 * pgformat — the text forms of PostgreSQL types that JSON has no type for,
 * both ways: what a client may send (checked here so that what passes is
 * what PostgreSQL accepts, whatever the server's DateStyle or
 * IntervalStyle) and what PostgreSQL's default output becomes in JSON
 * (ISO 8601 durations, local timestamps with "T", base64, arrays).
 *
 * Pure functions on strings: no database, no global state; results live
 * in the arena passed in, or in the caller's buffer.
 */
#ifndef RETORT_PGFORMAT_H
#define RETORT_PGFORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

/* "HH:MM:SS" or "HH:MM" with optional ".fraction" (24:00:00 allowed, as
 * PostgreSQL allows it). */
bool pgf_time_ok(const char *s);

/* ISO 8601 local date-time without an offset: "YYYY-MM-DDTHH:MM:SS[.f]"
 * ("T" or a space). A zone or offset is refused: the column has none. */
bool pgf_timestamp_ok(const char *s);

/* ISO 8601 duration as PostgreSQL reads it: "P1Y2M3DT4H5M6.5S", "P2W",
 * "PT0S", each number optionally negative ("P-1DT2H"). */
bool pgf_duration_ok(const char *s);

/* PostgreSQL's interval output (IntervalStyle postgres: "1 year 2 mons
 * -3 days +04:05:06.5") as an ISO 8601 duration in PostgreSQL's own
 * iso_8601 style ("P1Y2M-3DT4H5M6.5S", "PT0S"). False when the text is
 * not in that form (out gets a copy then). */
bool pgf_interval_iso(const char *pg, char *out, size_t cap);

/* "2026-12-07 17:43:46.17" → "2026-12-07T17:43:46.17"; other text
 * (infinity, BC dates) is copied unchanged. */
void pgf_timestamp_iso(const char *pg, char *out, size_t cap);

/* base64 (RFC 4648, padded) → bytea's hex input form "\x4142"; NULL
 * when s is not base64. In a. */
const char *pgf_base64_to_bytea(arena *a, const char *s, size_t len);

/* bytea's hex output "\x4142" → base64; NULL when not in hex form. In a. */
const char *pgf_bytea_to_base64(arena *a, const char *hex);

/* inet: an IPv4 or IPv6 address with an optional /prefix; cidr: also no
 * bits set after the prefix. */
bool pgf_inet_ok(const char *s, bool cidr);

/* A one-dimensional array's text output ("{1,NULL,\"a b\"}") into its
 * elements (NULL entries for NULL), in a. False for anything else
 * (more dimensions, explicit bounds). */
bool pgf_array_parse(arena *a, const char *text, const char ***elems /* OUT */,
                     size_t *n /* OUT */);

#endif
