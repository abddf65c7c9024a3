/* Logging (df/log.h): logfmt lines to stderr, one write(2) each. */
#include "df/log.h"

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

/* Appends `s` quoted when it holds a space, quote, '=' or control byte. */
static size_t put_value(char *buf, size_t pos, size_t cap, const char *s)
{
    bool quote = !*s || strpbrk(s, " \"=\t\n\r\\") != NULL;
    if (!quote) {
        int n = snprintf(buf + pos, cap - pos, "%s", s);
        return n < 0 ? pos : pos + (size_t)n < cap ? pos + (size_t)n : cap - 1;
    }
    if (pos < cap - 1)
        buf[pos++] = '"';
    for (; *s && pos < cap - 3; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[pos++] = '\\';
            buf[pos++] = (char)c;
        } else if (c == '\n') {
            buf[pos++] = '\\';
            buf[pos++] = 'n';
        } else if (c < 0x20) {
            buf[pos++] = ' ';
        } else {
            buf[pos++] = (char)c;
        }
    }
    if (pos < cap - 1)
        buf[pos++] = '"';
    buf[pos] = 0;
    return pos;
}

void df_logv(enum df_log_level level, const char *scope, const char *fields, const char *fmt,
             va_list ap)
{
    if (!df_log_enabled(level))
        return;
    char msg[1024], line[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line,
                     "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s scope=", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, level_names[level]);
    size_t pos = (size_t)n;
    pos = put_value(line, pos, sizeof line - 1, scope ? scope : "engine");
    pos += (size_t)snprintf(line + pos, sizeof line - 1 - pos, " msg=");
    pos = put_value(line, pos, sizeof line - 1, msg);
    if (fields && *fields && pos < sizeof line - 2) {
        int m = snprintf(line + pos, sizeof line - 1 - pos, " %s", fields);
        pos = m < 0 ? pos : pos + (size_t)m < sizeof line - 1 ? pos + (size_t)m : sizeof line - 2;
    }
    line[pos++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, pos);
    (void)w;
}

void df_log(enum df_log_level level, const char *scope, const char *fields, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    df_logv(level, scope, fields, fmt, ap);
    va_end(ap);
}
