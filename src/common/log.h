/*
 * log — one-line log records on stderr, safe to call from any thread.
 * Each line is written with a single write(2) so lines from concurrent
 * threads never interleave. Level names: debug, info, warn, error.
 *
 * Two formats (log.format): text, "<RFC 3339 time> <level> <message>
 * key=value ...", and json, one object a line: {"time", "level", "msg",
 * then the record's fields}. log_record() writes a message with typed
 * fields (the access log); log_write() a formatted message.
 *
 * What never goes to info: row contents. PostgreSQL's detail messages
 * ("Key (email)=(…) already exists") carry values; callers log them at
 * debug only.
 */
#ifndef RETORT_LOG_H
#define RETORT_LOG_H

#include <stddef.h>

typedef enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;
typedef enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON } log_format;

/* One field of a record: a string (NULL = left out), an integer or a
 * number (printed with 3 decimals). The key is a literal. */
typedef struct log_field {
    const char *key;
    enum { LOG_FIELD_STR, LOG_FIELD_INT, LOG_FIELD_NUM } kind;
    const char *s;
    long long i;
    double d;
} log_field;
#define LOG_STR(k, v) ((log_field){.key = (k), .kind = LOG_FIELD_STR, .s = (v)})
#define LOG_INT(k, v) ((log_field){.key = (k), .kind = LOG_FIELD_INT, .i = (long long) (v)})
#define LOG_NUM(k, v) ((log_field){.key = (k), .kind = LOG_FIELD_NUM, .d = (double) (v)})

void log_set_format(log_format format);
log_format log_get_format(void);
/* Parses "text"/"json"; returns false for anything else. */
int log_parse_format(const char *name, log_format *out /* OUT */);
/* A record: msg and the n fields, in order. */
void log_record(log_level level, const char *msg, const log_field *fields, size_t n);

void log_set_level(log_level level);
log_level log_get_level(void);
/* Parses "debug"/"info"/"warn"/"error"; returns false for anything else. */
int log_parse_level(const char *name, log_level *out /* OUT */);
void log_write(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)

#endif
