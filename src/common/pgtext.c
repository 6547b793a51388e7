#include "pgtext.h"

#include "strbuf.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool pgtext_uuid(const char *s, char canonical[PGTEXT_UUID_LEN + 1])
{
    static const char HEX[] = "0123456789abcdef";
    char out[PGTEXT_UUID_LEN + 1];
    size_t o = 0;
    bool braces = *s == '{';
    if (braces)
        s++;
    /* uuid_in: 16 bytes of two hex digits; after every second byte but
     * the last, one optional hyphen. */
    for (int byte = 0; byte < 16; byte++) {
        int hi = sbuf_hex_digit(s[0]), lo = hi < 0 ? -1 : sbuf_hex_digit(s[1]);
        if (lo < 0)
            return false;
        out[o++] = HEX[hi];
        out[o++] = HEX[lo];
        if (byte == 3 || byte == 5 || byte == 7 || byte == 9)
            out[o++] = '-';
        s += 2;
        if (*s == '-' && byte % 2 == 1 && byte < 15)
            s++;
    }
    if (braces && *s++ != '}')
        return false;
    if (*s != '\0')
        return false;
    out[o] = '\0';
    if (canonical)
        for (size_t i = 0; i <= o; i++)
            canonical[i] = out[i];
    return true;
}

/* n digits at s, their value in *v. */
static bool digits(const char *s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return true;
}

/* YYYY-MM-DD at s; *end past it. */
static bool full_date(const char *s, const char **end)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &m) || s[7] != '-' ||
        !digits(s + 8, 2, &d))
        return false;
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > days[m - 1] + (m == 2 && leap))
        return false;
    *end = s + 10;
    return true;
}

/* hh:mm:ss[.frac] at s; *end past it. */
static bool partial_time(const char *s, const char **end)
{
    int h, mi, se;
    if (!digits(s, 2, &h) || s[2] != ':' || !digits(s + 3, 2, &mi) || s[5] != ':' ||
        !digits(s + 6, 2, &se))
        return false;
    if (h > 23 || mi > 59 || se > 60) /* 60: a leap second */
        return false;
    s += 8;
    if (*s == '.') {
        s++;
        if (!is_digit(*s))
            return false;
        while (is_digit(*s))
            s++;
    }
    *end = s;
    return true;
}

bool pgtext_date(const char *s)
{
    const char *end;
    return full_date(s, &end) && *end == '\0';
}

bool pgtext_time(const char *s)
{
    const char *end;
    return partial_time(s, &end) && *end == '\0';
}

bool pgtext_timestamptz(const char *s)
{
    const char *p;
    if (!full_date(s, &p) || (*p != 'T' && *p != 't' && *p != ' ') || !partial_time(p + 1, &p))
        return false;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
        return true;
    int oh, om;
    if ((*p != '+' && *p != '-') || !digits(p + 1, 2, &oh) || p[3] != ':' ||
        !digits(p + 4, 2, &om) || p[6] != '\0')
        return false;
    return oh <= 23 && om <= 59;
}

size_t pgtext_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char) *s & 0xC0) != 0x80;
    return n;
}
