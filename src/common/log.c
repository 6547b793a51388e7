/*
 * log — one record a line on stderr, as text or as JSON (log.format).
 *
 * Each line is built in a stack buffer and written with a single write(2),
 * so lines from concurrent threads never interleave. Values are cut to
 * FIELD_MAX bytes (on a UTF-8 boundary) so a record always fits the buffer
 * and a JSON line always stays valid JSON.
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { LINE_MAX_BYTES = 8192, FIELD_MAX = 1024 };

static _Atomic int current_level = LOG_INFO;
static _Atomic int current_format = LOG_FORMAT_TEXT;
static const char *const NAMES[] = {"debug", "info", "warn", "error"};

void log_set_level(log_level level)
{
    current_level = (int) level;
}

log_level log_get_level(void)
{
    return (log_level) current_level;
}

void log_set_format(log_format format)
{
    current_format = (int) format;
}

log_format log_get_format(void)
{
    return (log_format) current_format;
}

int log_parse_level(const char *name, log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, NAMES[i]) == 0) {
            *out = (log_level) i;
            return 1;
        }
    }
    return 0;
}

int log_parse_format(const char *name, log_format *out)
{
    if (strcmp(name, "text") == 0)
        *out = LOG_FORMAT_TEXT;
    else if (strcmp(name, "json") == 0)
        *out = LOG_FORMAT_JSON;
    else
        return 0;
    return 1;
}

/* ---- a line under construction ------------------------------------------- */

typedef struct line {
    char buf[LINE_MAX_BYTES];
    size_t n;
} line;

static void put(line *l, const char *s, size_t len)
{
    if (len > sizeof l->buf - 2 - l->n) /* room for the newline */
        len = sizeof l->buf - 2 - l->n;
    memcpy(l->buf + l->n, s, len);
    l->n += len;
}

static void puts_(line *l, const char *s)
{
    put(l, s, strlen(s));
}

/* At most max bytes of s, not cutting a UTF-8 sequence. */
static size_t cut(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char) s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

static void put_json_string(line *l, const char *s)
{
    size_t n = cut(s, FIELD_MAX);
    puts_(l, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char) c;
            put(l, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            puts_(l, esc);
        } else {
            put(l, (const char *) &c, 1);
        }
    }
    puts_(l, "\"");
}

/* Text values: bare when they are one word, else quoted like JSON. */
static void put_text_value(line *l, const char *s)
{
    bool bare = *s != '\0';
    for (const char *p = s; *p && bare; p++)
        bare = (unsigned char) *p > ' ' && *p != '"' && *p != '=' && *p != '\\';
    if (bare)
        put(l, s, cut(s, FIELD_MAX));
    else
        put_json_string(l, s);
}

static void begin(line *l, log_level level, log_format format)
{
    l->n = 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char time[48];
    size_t t = strftime(time, sizeof time, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(time + t, sizeof time - t, ".%03ldZ", ts.tv_nsec / 1000000);
    if (format == LOG_FORMAT_JSON) {
        puts_(l, "{\"time\":\"");
        puts_(l, time);
        puts_(l, "\",\"level\":\"");
        puts_(l, NAMES[level]);
        puts_(l, "\",\"msg\":");
    } else {
        puts_(l, time);
        puts_(l, " ");
        puts_(l, NAMES[level]);
        puts_(l, " ");
    }
}

static void end(line *l, log_format format)
{
    if (format == LOG_FORMAT_JSON)
        puts_(l, "}");
    l->buf[l->n++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, l->buf, l->n);
    (void) ignored;
}

void log_write(log_level level, const char *fmt, ...)
{
    if ((int) level < current_level)
        return;
    char msg[LINE_MAX_BYTES / 2];
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (m < 0)
        msg[0] = '\0';
    log_format format = (log_format) current_format;
    line l;
    begin(&l, level, format);
    if (format == LOG_FORMAT_JSON)
        put_json_string(&l, msg);
    else
        put(&l, msg, cut(msg, sizeof msg));
    end(&l, format);
}

void log_record(log_level level, const char *msg, const log_field *fields, size_t n)
{
    if ((int) level < current_level)
        return;
    log_format format = (log_format) current_format;
    line l;
    begin(&l, level, format);
    if (format == LOG_FORMAT_JSON)
        put_json_string(&l, msg);
    else
        puts_(&l, msg);
    for (size_t i = 0; i < n; i++) {
        const log_field *f = &fields[i];
        if (f->kind == LOG_FIELD_STR && !f->s)
            continue; /* absent: left out, not null */
        char num[48];
        if (f->kind == LOG_FIELD_INT)
            snprintf(num, sizeof num, "%lld", f->i);
        else if (f->kind == LOG_FIELD_NUM)
            snprintf(num, sizeof num, "%.3f", f->d);
        if (format == LOG_FORMAT_JSON) {
            puts_(&l, ",");
            put_json_string(&l, f->key);
            puts_(&l, ":");
            if (f->kind == LOG_FIELD_STR)
                put_json_string(&l, f->s);
            else
                puts_(&l, num);
        } else {
            puts_(&l, " ");
            puts_(&l, f->key);
            puts_(&l, "=");
            if (f->kind == LOG_FIELD_STR)
                put_text_value(&l, f->s);
            else
                puts_(&l, num);
        }
    }
    end(&l, format);
}
