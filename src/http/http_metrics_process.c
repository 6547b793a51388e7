/*
 * What /metrics says about the process and the build, in the names
 * Prometheus' client libraries use (process_*), read from /proc at scrape
 * time; and the resource label of a request.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "http_int.h"
#include "version.h"

/* utime, stime (clock ticks), vsize (bytes), rss (pages) and starttime
 * (ticks after boot) from /proc/self/stat; false when unreadable. */
static bool read_stat(double *cpu_s, double *vsize, double *rss, double *start_ticks)
{
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        return false;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: skip to the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p)
        return false;
    unsigned long long utime, stime, starttime, vsz;
    long long rss_pages;
    /* fields 3.. after "pid (comm)": state ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime
     * vsize rss */
    if (sscanf(p + 2,
               "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d "
               "%llu %llu %lld",
               &utime, &stime, &starttime, &vsz, &rss_pages) != 5)
        return false;
    double hz = (double) sysconf(_SC_CLK_TCK);
    *cpu_s = (double) (utime + stime) / hz;
    *vsize = (double) vsz;
    *rss = (double) rss_pages * (double) sysconf(_SC_PAGESIZE);
    *start_ticks = (double) starttime;
    return true;
}

/* Seconds since the epoch at boot, from /proc/stat's btime. */
static double boot_time(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return 0;
    char line[256];
    double bt = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "btime ", 6) == 0) {
            bt = atof(line + 6);
            break;
        }
    fclose(f);
    return bt;
}

static long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

void http__metrics_render_process(sbuf *b)
{
    sbuf_printf(b,
                "# HELP retort_build_info The running build; the value is always 1.\n"
                "# TYPE retort_build_info gauge\nretort_build_info{version=\"%s\"} 1\n",
                retort_version());
    double cpu, vsize, rss, start;
    if (read_stat(&cpu, &vsize, &rss, &start)) {
        sbuf_printf(b,
                    "# HELP process_cpu_seconds_total Total user and system CPU time spent in "
                    "seconds.\n# TYPE process_cpu_seconds_total counter\n"
                    "process_cpu_seconds_total %.2f\n"
                    "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                    "# TYPE process_resident_memory_bytes gauge\n"
                    "process_resident_memory_bytes %.0f\n"
                    "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
                    "# TYPE process_virtual_memory_bytes gauge\n"
                    "process_virtual_memory_bytes %.0f\n"
                    "# HELP process_start_time_seconds Start time of the process since unix "
                    "epoch in seconds.\n# TYPE process_start_time_seconds gauge\n"
                    "process_start_time_seconds %.2f\n",
                    cpu, rss, vsize, boot_time() + start / (double) sysconf(_SC_CLK_TCK));
    }
    long fds = open_fds();
    struct rlimit rl;
    if (fds >= 0)
        sbuf_printf(b,
                    "# HELP process_open_fds Number of open file descriptors.\n"
                    "# TYPE process_open_fds gauge\nprocess_open_fds %ld\n",
                    fds);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        sbuf_printf(b,
                    "# HELP process_max_fds Maximum number of open file descriptors.\n"
                    "# TYPE process_max_fds gauge\nprocess_max_fds %llu\n",
                    (unsigned long long) rl.rlim_cur);
}

const char *http__metrics_resource(http_request *req)
{
    const char *resource = http_req_path_param(req, "resource");
    const orm_registry *reg = req->server->app ? req->server->app->registry : NULL;
    /* Only configured models: a label per garbage path would let clients
     * grow the series without bound. */
    return resource && reg && orm_mapper_by_resource(reg, resource) ? resource : NULL;
}
