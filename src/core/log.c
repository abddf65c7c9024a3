/* Logging (df/log.h): logfmt lines to stderr, one write(2) each. */
#include "df/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int current_level = DF_LOG_INFO;

static const char *const level_names[] = {"off", "error", "warn", "info", "debug"};

void df_log_set_level(enum df_log_level level)
{
    __atomic_store_n(&current_level, (int)level, __ATOMIC_RELAXED);
}

bool df_log_enabled(enum df_log_level level)
{
    return level != DF_LOG_OFF && (int)level <= __atomic_load_n(&current_level, __ATOMIC_RELAXED);
}

/* A line being built: `pos` never exceeds `cap - 2`, leaving room for the
 * newline and the NUL, so truncation is silent and safe. */
struct line {
    char buf[2048];
    size_t pos;
};

static void put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct line *l, const char *fmt, ...)
{
    size_t room = sizeof l->buf - 1 - l->pos;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->buf + l->pos, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->pos += (size_t)n < room ? (size_t)n : room - 1;
}

/* Appends `s`, quoted and escaped when it holds a space, quote, '=' or a
 * control byte (logfmt). */
static void put_value(struct line *l, const char *s)
{
    if (*s && !strpbrk(s, " \"=\t\n\r\\")) {
        put(l, "%s", s);
        return;
    }
    put(l, "\"");
    for (; *s && l->pos < sizeof l->buf - 4; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            put(l, "\\%c", c);
        else if (c == '\n')
            put(l, "\\n");
        else
            put(l, "%c", c < 0x20 ? ' ' : c);
    }
    put(l, "\"");
}

void df_logv(enum df_log_level level, const char *scope, const char *fields, const char *fmt,
             va_list ap)
{
    if (!df_log_enabled(level))
        return;
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    struct line l = {.pos = 0};
    put(&l, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s scope=", tm.tm_year + 1900,
        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
        level_names[level]);
    put_value(&l, scope ? scope : "engine");
    put(&l, " msg=");
    put_value(&l, msg);
    if (fields && *fields)
        put(&l, " %s", fields);
    l.buf[l.pos++] = '\n';
    ssize_t w = write(STDERR_FILENO, l.buf, l.pos);
    (void)w;
}

void df_log(enum df_log_level level, const char *scope, const char *fields, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    df_logv(level, scope, fields, fmt, ap);
    va_end(ap);
}
