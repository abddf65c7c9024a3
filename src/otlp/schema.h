/* otlp/schema.h — the OTLP v1 message types, shared by the validator
 * (otlp.c) and the JSON transcoder (json.c), whose per-field tables are
 * indexed by them. Private to src/otlp. */
#ifndef DF_OTLP_SCHEMA_H
#define DF_OTLP_SCHEMA_H

/* Largest field number used by OTLP v1 messages, plus one. */
#define DF_OTLP_NFIELDS 17

enum df_otlp_msg {
    M_NONE,
    M_ANY_VALUE,
    M_ARRAY_VALUE,
    M_KV_LIST,
    M_KEY_VALUE,
    M_SCOPE,
    M_RESOURCE,
    M_ENTITY_REF,
    M_LOGS_REQUEST,
    M_RESOURCE_LOGS,
    M_SCOPE_LOGS,
    M_LOG_RECORD,
    M_TRACES_REQUEST,
    M_RESOURCE_SPANS,
    M_SCOPE_SPANS,
    M_SPAN,
    M_EVENT,
    M_LINK,
    M_STATUS,
    M_METRICS_REQUEST,
    M_RESOURCE_METRICS,
    M_SCOPE_METRICS,
    M_METRIC,
    M_GAUGE,
    M_SUM,
    M_HISTOGRAM,
    M_EXP_HISTOGRAM,
    M_SUMMARY,
    M_NUMBER_POINT,
    M_HISTOGRAM_POINT,
    M_EXP_HISTOGRAM_POINT,
    M_BUCKETS,
    M_SUMMARY_POINT,
    M_QUANTILE,
    M_EXEMPLAR,
    M_COUNT
};

#endif
