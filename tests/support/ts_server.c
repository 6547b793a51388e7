#include "testsupport.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef RETORT_BINARY
#define RETORT_BINARY "retort"
#endif

bool ts_server_start(ts_server *s, const char *config_path, const char *const *env)
{
    memset(s, 0, sizeof *s);
    s->port = ts_free_port();
    snprintf(s->log_path, sizeof s->log_path, "/tmp/retort-server-%d-%d.log", (int) getpid(),
             s->port);
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        int fd = open(s->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            dup2(fd, STDOUT_FILENO);
            close(fd);
        }
        char port[32];
        snprintf(port, sizeof port, "%d", s->port);
        setenv("RETORT_SERVER_PORT", port, 1);
        setenv("RETORT_SERVER_HOST", "127.0.0.1", 1);
        if (!getenv("RETORT_DATABASE_URL") && getenv("RETORT_TEST_DATABASE_URL"))
            setenv("RETORT_DATABASE_URL", getenv("RETORT_TEST_DATABASE_URL"), 1);
        for (size_t i = 0; env && env[i]; i++)
            putenv((char *) env[i]);
        execl(RETORT_BINARY, "retort", "serve", "-c", config_path, (char *) NULL);
        _exit(127);
    }
    s->pid = pid;
    arena *a = arena_create(NULL, "ts_server_start");
    double deadline = ts_now() + 20;
    bool up = false;
    while (ts_now() < deadline) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            s->pid = 0;
            break;
        }
        ts_response *r = ts_http(a, s->port, "GET", "/health", NULL, NULL, 0, 1000);
        if (r->status == 200) {
            up = true;
            break;
        }
        ts_sleep_ms(50);
    }
    arena_destroy(a);
    if (!up) {
        ts_server_dump_log(s);
        ts_server_stop(s);
    }
    return up;
}

int ts_server_stop(ts_server *s)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    int status = 0;
    double deadline = ts_now() + 20;
    while (ts_now() < deadline) {
        pid_t w = waitpid(s->pid, &status, WNOHANG);
        if (w == s->pid) {
            s->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        ts_sleep_ms(20);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    s->pid = 0;
    return -1;
}

void ts_server_dump_log(const ts_server *s)
{
    FILE *f = fopen(s->log_path, "r");
    if (!f)
        return;
    printf("---- retort log %s ----\n", s->log_path);
    char line[1024];
    while (fgets(line, sizeof line, f))
        fputs(line, stdout);
    printf("---- end of log ----\n");
    fclose(f);
}
