/* An HTTP/1.1 server, plain or over TLS, on 127.0.0.1 and an ephemeral port, for tests of
 * clients (token endpoints, web services an extension fetches from): the
 * engine's own listener and HTTP/1.1 stack on a thread and loop of its own.
 * Requests go to the test's handler on that thread; the handler and the
 * test share what they share with locks or atomics. */
#ifndef DF_TEST_HTTP_SERVER_H
#define DF_TEST_HTTP_SERVER_H

#include "net/http1.h"

struct test_http_server;

/* Called on the server's thread for each complete request (see
 * df_http1_handler_fn: set res->status, content_type and a malloc'd body). */
typedef void (*test_http_handler_fn)(void *ud, const struct df_http1_request *req,
                                     struct df_http1_response *res);

/* Starts a server; NULL (with the reason printed) when it could not. */
struct test_http_server *test_http_server_start(test_http_handler_fn fn, void *ud);

/* The same over TLS (https) with the PEM certificate chain and key given
 * (test_pki's server.pem and server.key name localhost and 127.0.0.1). */
struct test_http_server *test_http_server_start_tls(test_http_handler_fn fn, void *ud,
                                                    const char *cert_file, const char *key_file);

/* Its port. */
int test_http_server_port(const struct test_http_server *s);

/* Closes the listener and its connections, joins the thread and frees the
 * server; 0, or -1 when the loop kept a handle open. */
int test_http_server_stop(struct test_http_server *s);

/* A socket bound to a free port of 127.0.0.1 and not listening: connects
 * to it are refused, and no other process can take the port while it is
 * open (close the returned fd when done). Sets *port; -1 on failure. */
int test_refusing_port(int *port);

#endif
