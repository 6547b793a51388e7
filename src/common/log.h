/*
 * log — one-line log records on stderr, safe to call from any thread.
 * Each line is written with a single write(2) so lines from concurrent
 * threads never interleave. Level names: debug, info, warn, error.
 */
#ifndef RETORT_LOG_H
#define RETORT_LOG_H

typedef enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

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
