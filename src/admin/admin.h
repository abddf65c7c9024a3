/* admin/admin.h — the admin HTTP API on the control thread.
 *
 *   GET  /api/v1/status            engine, groups, pipelines, cores, nodes (JSON)
 *   GET  /api/v1/livez             200 while the control loop runs
 *   GET  /api/v1/readyz            200 only while every pipeline runs on every core
 *   GET  /api/v1/metrics, /metrics Prometheus text (docs/metrics.md)
 *   POST /api/v1/groups/shutdown   drains every pipeline, then the engine exits
 *
 * Control thread only: handlers read the cores' states and counters with
 * relaxed atomic loads and never wait for a core. */
#ifndef DF_ADMIN_ADMIN_H
#define DF_ADMIN_ADMIN_H

#include <stddef.h>
#include <sys/socket.h>

struct df_engine;

/* Listens on `addr` on the engine's control loop. NULL with a message in
 * `err` when it cannot. */
struct df_admin *df_admin_start(struct df_engine *e, const struct sockaddr *addr, char *err,
                                size_t errlen);

/* Closes the listener and its connections; `done(ud)` runs once they are
 * closed. */
void df_admin_close(struct df_admin *a, void (*done)(void *), void *ud);

/* Renders every metric in Prometheus text format into a malloc'd string
 * (*len bytes); NULL on exhaustion. */
char *df_admin_metrics(const struct df_engine *e, size_t *len);

#endif
