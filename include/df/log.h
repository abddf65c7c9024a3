/* df/log.h — structured, levelled logging to stderr.
 *
 * One line per event in logfmt:
 *   ts=2026-11-27T10:40:00.123Z level=info scope=runtime msg="pipeline started" core=0
 * Each line is formatted into a stack buffer and written with one write(2),
 * so lines from different threads never interleave. Any thread may log. The
 * level is process-wide (engine.telemetry.logs.level); messages above it
 * cost one relaxed load. */
#ifndef DF_LOG_H
#define DF_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum df_log_level { DF_LOG_OFF, DF_LOG_ERROR, DF_LOG_WARN, DF_LOG_INFO, DF_LOG_DEBUG };

/* Sets the process-wide level; messages with a higher level are dropped. */
void df_log_set_level(enum df_log_level level);

/* True when a message at `level` would be written. */
bool df_log_enabled(enum df_log_level level);

/* Logs `fmt` as the msg field under `scope` (a component name such as
 * "runtime" or "group/pipeline/node"). `fields`, when not NULL, is appended
 * verbatim after the message: pre-formatted logfmt pairs like "core=0". */
void df_log(enum df_log_level level, const char *scope, const char *fields, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void df_logv(enum df_log_level level, const char *scope, const char *fields, const char *fmt,
             va_list ap) __attribute__((format(printf, 4, 0)));

/* A limit for a recurring line (refused requests, failed exports): at most
 * one per interval, with a count of those left out. One per node and core;
 * not for sharing between threads. Zero-initialised, it passes the first
 * line. */
struct df_log_limit {
    uint64_t next_ms;  /* (loop) time before which lines are left out */
    uint64_t left_out; /* lines left out since the last one written */
};

/* True when a line may be written at `now_ms`, then `*left_out` is the
 * number of lines left out before it and the next one waits `interval_ms`;
 * false counts this line as left out. */
static inline bool df_log_limit_pass(struct df_log_limit *l, uint64_t now_ms, uint64_t interval_ms,
                                     uint64_t *left_out)
{
    if (now_ms < l->next_ms) {
        l->left_out++;
        return false;
    }
    l->next_ms = now_ms + interval_ms;
    *left_out = l->left_out;
    l->left_out = 0;
    return true;
}

#endif
