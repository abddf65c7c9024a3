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

#endif
