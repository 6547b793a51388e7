/*
 * eng_result — read access to a PGresult that lives in an arena. The
 * PGresult is cleared by an arena_on_reset callback, so results need no
 * explicit free on any path.
 */
#include "eng_int.h"

#include <stdlib.h>
#include <string.h>

struct eng_result {
    PGresult *res;
};

static void clear_result(void *arg)
{
    eng_result *r = arg;
    PQclear(r->res);
    r->res = NULL;
}

eng_result *eng__result_new(arena *a, PGresult *res)
{
    eng_result *r = ARENA_NEW(a, eng_result);
    r->res = res;
    arena_on_reset(a, clear_result, r);
    return r;
}

static bool in_range(const eng_result *r, int row, int col)
{
    return r && r->res && row >= 0 && row < PQntuples(r->res) && col >= 0 &&
           col < PQnfields(r->res);
}

int eng_result_rows(const eng_result *r)
{
    return r && r->res ? PQntuples(r->res) : 0;
}

int eng_result_cols(const eng_result *r)
{
    return r && r->res ? PQnfields(r->res) : 0;
}

const char *eng_result_colname(const eng_result *r, int col)
{
    if (!r || !r->res || col < 0 || col >= PQnfields(r->res))
        return NULL;
    return PQfname(r->res, col);
}

uint32_t eng_result_coltype(const eng_result *r, int col)
{
    if (!r || !r->res || col < 0 || col >= PQnfields(r->res))
        return 0;
    return (uint32_t) PQftype(r->res, col);
}

/* Not PQfnumber: that one folds unquoted names to lower case, and our
 * column names come from the models exactly as written. */
int eng_result_colindex(const eng_result *r, const char *name)
{
    if (!r || !r->res || !name)
        return -1;
    int n = PQnfields(r->res);
    for (int i = 0; i < n; i++)
        if (strcmp(PQfname(r->res, i), name) == 0)
            return i;
    return -1;
}

bool eng_result_is_null(const eng_result *r, int row, int col)
{
    return !in_range(r, row, col) || PQgetisnull(r->res, row, col);
}

const char *eng_result_value(const eng_result *r, int row, int col)
{
    return in_range(r, row, col) ? PQgetvalue(r->res, row, col) : "";
}

int eng_result_length(const eng_result *r, int row, int col)
{
    return in_range(r, row, col) ? PQgetlength(r->res, row, col) : 0;
}

int64_t eng_result_affected(const eng_result *r)
{
    if (!r || !r->res)
        return 0;
    const char *n = PQcmdTuples(r->res);
    return n && *n ? strtoll(n, NULL, 10) : 0;
}
