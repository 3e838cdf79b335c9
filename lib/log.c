/*
 * log.c — the one logger: levels, and a sink that defaults to stderr.
 * Lines from several threads are serialised by a mutex.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "cutover.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER; /* guards the three below */
static cut_log_level log_level = CUT_LOG_WARN;
static cut_log_sink log_sink;
static void *log_ud;

void cut_log_set_level(cut_log_level level)
{
    pthread_mutex_lock(&log_lock);
    log_level = level;
    pthread_mutex_unlock(&log_lock);
}

cut_log_level cut_log_get_level(void)
{
    pthread_mutex_lock(&log_lock);
    cut_log_level l = log_level;
    pthread_mutex_unlock(&log_lock);
    return l;
}

void cut_log_set_sink(cut_log_sink sink, void *ud)
{
    pthread_mutex_lock(&log_lock);
    log_sink = sink;
    log_ud = ud;
    pthread_mutex_unlock(&log_lock);
}

void cut_log(cut_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    char line[2048];
    pthread_mutex_lock(&log_lock);
    if (level > log_level) {
        pthread_mutex_unlock(&log_lock);
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (log_sink)
        log_sink(log_ud, level, line);
    else
        fprintf(stderr, "cutover: %s: %s\n", names[level], line);
    pthread_mutex_unlock(&log_lock);
}
