#include "testsupport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef RETORT_SOURCE_DIR
#define RETORT_SOURCE_DIR "."
#endif

const char *ts_database_url(void)
{
    const char *url = getenv("RETORT_TEST_DATABASE_URL");
    if (!url || !*url) {
        fprintf(stderr, "RETORT_TEST_DATABASE_URL is not set: run the tests through "
                        "scripts/test, which starts a throw-away cluster\n");
        exit(1);
    }
    return url;
}

int ts_system(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc == -1)
        return -1;
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int ts_psql_capture(arena *a, const char *url, const char *sql, const char **out,
                    const char **errors)
{
    if (out)
        *out = NULL;
    if (errors)
        *errors = NULL;
    /* A file, not -c: any text goes, several statements included. */
    char path[] = "/tmp/retort-sql-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    size_t n = strlen(sql);
    if (write(fd, sql, n) != (ssize_t) n) {
        close(fd);
        unlink(path);
        return -1;
    }
    close(fd);
    char errpath[64];
    snprintf(errpath, sizeof errpath, "%s.err", path);
    const char *cmd =
        arena_sprintf(a, "psql -X -q -At -v ON_ERROR_STOP=1 '%s' -f %s 2>%s", url, path, errpath);
    FILE *p = popen(cmd, "r");
    if (!p) {
        unlink(path);
        return -1;
    }
    size_t cap = 4096, len = 0, got;
    char *text = arena_alloc(a, cap);
    while ((got = fread(text + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (cap - len < 1024) {
            text = arena_realloc(a, text, len, cap * 2);
            cap *= 2;
        }
    }
    text[len] = '\0';
    int rc = pclose(p);
    unlink(path);
    if (errors)
        *errors = ts_read_file(a, errpath, NULL);
    unlink(errpath);
    while (len > 0 && text[len - 1] == '\n')
        text[--len] = '\0';
    if (out)
        *out = text;
    if (rc == -1)
        return -1;
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int ts_psql(const char *url, const char *sql)
{
    arena *a = arena_create(NULL, "ts_psql");
    int rc = ts_psql_capture(a, url, sql, NULL, NULL);
    arena_destroy(a);
    return rc;
}

int ts_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof sa) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *) &sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

double ts_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

void ts_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

const char *ts_source_path(arena *a, const char *relative)
{
    return arena_sprintf(a, "%s/%s", RETORT_SOURCE_DIR, relative);
}

const char *ts_on_path(arena *a, const char *name)
{
    const char *path = getenv("PATH");
    for (const char *p = path ? path : ""; *p;) {
        size_t n = strcspn(p, ":");
        const char *cand = arena_sprintf(a, "%.*s/%s", (int) n, p, name);
        if (n && access(cand, X_OK) == 0)
            return cand;
        p += n + (p[n] == ':');
    }
    return NULL;
}

const char *ts_chromium(arena *a)
{
    const char *c = getenv("RETORT_CHROMIUM");
    return c && *c ? c : ts_on_path(a, "chromium");
}
