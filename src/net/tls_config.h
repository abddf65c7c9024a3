/* net/tls_config.h — the `tls:` blocks of node configs, as option tables.
 *
 * Receivers and exporters embed these tables (by reference: absent = no
 * TLS). Keys follow the Rust engine's TlsServerConfig / TlsClientConfig
 * where they overlap, plus `min_version`. Files must exist and be readable
 * when the config is loaded; their contents are checked when the node
 * starts (net/tls.c loads them). Parsed structs are read-only: any thread. */
#ifndef DF_NET_TLS_CONFIG_H
#define DF_NET_TLS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "df/options.h"
#include "net/tls.h"

struct df_tls_server_opts {
    const char *cert_file;      /* PEM certificate chain, required */
    const char *key_file;       /* PEM private key, required */
    const char *client_ca_file; /* set: require and verify client certificates (mTLS) */
    int min_version;            /* enum df_tls_version */
    uint64_t handshake_timeout; /* ns */
};

struct df_tls_client_opts {
    const char *ca_file;   /* trust anchors; NULL = the system's */
    const char *cert_file; /* client certificate (mTLS), with key_file */
    const char *key_file;
    const char *server_name; /* SNI and verified name; NULL = the endpoint's host */
    bool insecure_skip_verify;
    int min_version; /* enum df_tls_version */
};

extern const struct df_option_table df_tls_server_table;
extern const struct df_option_table df_tls_client_table;

#endif
