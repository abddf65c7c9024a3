/* Option tables of `tls:` blocks (net/tls_config.h). */
#include "net/tls_config.h"

#include <stddef.h>

static int check_client(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    const struct df_tls_client_opts *o = obj;
    if (!o->cert_file != !o->key_file) {
        df_diags_add(d, src ? &src->mark : NULL, path,
                     "a client certificate needs both cert_file and key_file");
        df_diags_hint(d, "set both, or neither for no client certificate");
        return DF_EINVAL;
    }
    return 0;
}

static const struct df_option server_opts[] = {
    {.name = "cert_file",
     .type = DF_OPT_PATH,
     .flags = DF_OPT_REQUIRED | DF_OPT_MUST_EXIST,
     .offset = offsetof(struct df_tls_server_opts, cert_file),
     .desc = "PEM certificate (chain) presented to clients"},
    {.name = "key_file",
     .type = DF_OPT_PATH,
     .flags = DF_OPT_REQUIRED | DF_OPT_MUST_EXIST,
     .offset = offsetof(struct df_tls_server_opts, key_file),
     .desc = "PEM private key of the certificate"},
    {.name = "client_ca_file",
     .type = DF_OPT_PATH,
     .flags = DF_OPT_MUST_EXIST,
     .offset = offsetof(struct df_tls_server_opts, client_ca_file),
     .desc = "CA certificates; when set, clients must present a certificate they issued (mTLS)"},
    {.name = "min_version",
     .type = DF_OPT_ENUM,
     .enums = df_tls_version_names,
     .def = "'1.2'",
     .offset = offsetof(struct df_tls_server_opts, min_version),
     .desc = "lowest TLS version accepted"},
    {.name = "handshake_timeout",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 100000000,
     .max = 300000000000LL,
     .def = "10s",
     .offset = offsetof(struct df_tls_server_opts, handshake_timeout),
     .desc = "longest a client may take to complete the handshake"},
};

const struct df_option_table df_tls_server_table = DF_OPTION_TABLE(
    struct df_tls_server_opts, server_opts, "TLS for a listener; absent = plain TCP.");

static const struct df_option client_opts[] = {
    {.name = "ca_file",
     .type = DF_OPT_PATH,
     .flags = DF_OPT_MUST_EXIST,
     .offset = offsetof(struct df_tls_client_opts, ca_file),
     .desc = "CA certificates to verify the server with (default: the system's)"},
    {.name = "cert_file",
     .type = DF_OPT_PATH,
     .flags = DF_OPT_MUST_EXIST,
     .offset = offsetof(struct df_tls_client_opts, cert_file),
     .desc = "client certificate for mTLS (with key_file)"},
    {.name = "key_file",
     .type = DF_OPT_PATH,
     .flags = DF_OPT_MUST_EXIST,
     .offset = offsetof(struct df_tls_client_opts, key_file),
     .desc = "private key of the client certificate"},
    {.name = "server_name",
     .type = DF_OPT_STRING,
     .offset = offsetof(struct df_tls_client_opts, server_name),
     .desc = "name sent (SNI) and verified (default: the endpoint's host)"},
    {.name = "insecure_skip_verify",
     .type = DF_OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct df_tls_client_opts, insecure_skip_verify),
     .desc = "do not verify the server's certificate (testing only)"},
    {.name = "min_version",
     .type = DF_OPT_ENUM,
     .enums = df_tls_version_names,
     .def = "'1.2'",
     .offset = offsetof(struct df_tls_client_opts, min_version),
     .desc = "lowest TLS version offered"},
};

const struct df_option_table df_tls_client_table = {
    .name = "struct df_tls_client_opts",
    .size = sizeof(struct df_tls_client_opts),
    .options = client_opts,
    .count = DF_COUNTOF(client_opts),
    .check = check_client,
    .desc = "TLS for a client connection; absent = plain TCP.",
};
