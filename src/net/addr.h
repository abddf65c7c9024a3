/* net/addr.h — turning configured socket addresses into sockaddrs. */
#ifndef DF_NET_ADDR_H
#define DF_NET_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

#include "df/options.h"

/* Resolves `a` (an IP literal, or a host name looked up once, first result
 * wins) into `out`. Blocking (getaddrinfo): call at start-up only. Returns 0
 * or DF_EINVAL with a message in `err`. */
int df_sockaddr_resolve(const struct df_sockaddr *a, struct sockaddr_storage *out, char *err,
                        size_t errlen);

/* Formats `sa` as host:port ([v6]:port) into buf; returns buf. */
char *df_sockaddr_format(const struct sockaddr *sa, char *buf, size_t len);

#endif
