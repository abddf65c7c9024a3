/* df/signal.h — the three OTLP signal types a pdata can carry. */
#ifndef DF_SIGNAL_H
#define DF_SIGNAL_H

#define DF_SIGNALS(X)                                                                              \
    X(DF_SIGNAL_LOGS, "logs")                                                                      \
    X(DF_SIGNAL_METRICS, "metrics")                                                                \
    X(DF_SIGNAL_TRACES, "traces")

enum df_signal {
#define DF_SIGNAL_ENUM(name, text) name,
    DF_SIGNALS(DF_SIGNAL_ENUM)
#undef DF_SIGNAL_ENUM
        DF_SIGNAL_COUNT
};

/* Returns "logs", "metrics" or "traces" (NULL for an out-of-range value). */
static inline const char *df_signal_name(enum df_signal s)
{
    static const char *const names[] = {
#define DF_SIGNAL_NAME(name, text) text,
        DF_SIGNALS(DF_SIGNAL_NAME)
#undef DF_SIGNAL_NAME
    };
    return (unsigned)s < DF_SIGNAL_COUNT ? names[s] : 0;
}

#endif
