/* df_engine command-line entry point.
 *
 *   df_engine [-c FILE] [--validate-and-exit] [--num-cores N]
 *             [--core-id-range A-B] [--http-admin-bind HOST:PORT]
 *             [--shutdown-deadline DURATION]
 *   df_engine catalog [--format text|json|markdown]
 *   df_engine --help | --version
 *
 * Exit codes: 0 ok, 2 invalid config or usage, 1 runtime failure. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/model.h"
#include "core/suggest.h"
#include "df_version.h"
#include "registry/catalog.h"
#include "registry/registry.h"
#include "runtime/controller.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_INVALID = 2 };

struct cli {
    const char *config_path;
    bool validate_only;
    int64_t num_cores;        /* 0 = not given */
    int64_t core_lo, core_hi; /* -1 = not given */
    struct df_sockaddr admin_bind;
    bool has_admin_bind;
    uint64_t shutdown_deadline; /* ns, 0 = default */
};

/* Lists the URNs compiled in, sorted (as the catalog is). */
static void print_components(FILE *out)
{
    const struct df_node_desc *const *nodes;
    const struct df_extension_desc *const *exts;
    size_t nn = df_registry_nodes(&nodes), ne = df_registry_extensions(&exts);
    const char *urns[512];
    size_t n = 0;
    for (size_t i = 0; i < nn && n < DF_COUNTOF(urns); i++)
        urns[n++] = nodes[i]->urn;
    for (size_t i = 0; i < ne && n < DF_COUNTOF(urns); i++)
        urns[n++] = exts[i]->urn;
    qsort(urns, n, sizeof *urns, df_cmp_strptr);
    fprintf(out, "\nComponents in this build (%zu node types, %zu extension providers):\n", nn, ne);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %s\n", urns[i]);
    fprintf(out, "Run `df_engine catalog` for their options.\n");
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: df_engine [options]\n"
            "       df_engine catalog [--format text|json|markdown]\n"
            "\n"
            "Runs an otel_dataflow/v1 pipeline config; with no -c, the embedded default\n"
            "(OTLP gRPC on 127.0.0.1:4317 and OTLP/HTTP on 127.0.0.1:4318 to the console).\n"
            "\n"
            "Options:\n"
            "  -c, --config FILE         config file (YAML or JSON)\n"
            "      --validate-and-exit   run every static check, then exit (0 valid, 2 invalid)\n"
            "      --num-cores N         run each pipeline on N cores\n"
            "      --core-id-range A-B   run each pipeline on cores A..B (inclusive)\n"
            "      --http-admin-bind ADDR  admin API address (default 127.0.0.1:8080)\n"
            "      --shutdown-deadline DURATION\n"
            "                            longest each drain stage may take (default 60s)\n"
            "  -h, --help                this text\n"
            "  -V, --version             version\n");
    print_components(out);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "df_engine: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'df_engine --help'.\n");
    return EXIT_INVALID;
}

static int parse_core_range(const char *s, struct cli *cli)
{
    const char *dash = strchr(s, '-');
    char lo[32], err[128];
    if (!dash || (size_t)(dash - s) >= sizeof lo)
        return DF_EINVAL;
    memcpy(lo, s, (size_t)(dash - s));
    lo[dash - s] = '\0';
    if (df_parse_int(lo, &cli->core_lo, err, sizeof err) ||
        df_parse_int(dash + 1, &cli->core_hi, err, sizeof err))
        return DF_EINVAL;
    if (cli->core_lo < 0 || cli->core_hi < cli->core_lo || cli->core_hi > 4095)
        return DF_EINVAL;
    return 0;
}

static int run_catalog(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    enum df_catalog_format fmt = DF_CATALOG_TEXT;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (df_catalog_format_parse(optarg, &fmt))
                return usage_error("unknown catalog format '%s' (text, json or markdown)", optarg);
            break;
        case 'h':
            printf("Usage: df_engine catalog [--format text|json|markdown]\n");
            return EXIT_OK;
        default:
            return usage_error("%s", "bad catalog option");
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    return df_catalog_write(stdout, fmt) ? EXIT_RUNTIME : EXIT_OK;
}

static int parse_args(int argc, char **argv, struct cli *cli)
{
    enum { OPT_VALIDATE = 256, OPT_NUM_CORES, OPT_CORE_RANGE, OPT_ADMIN_BIND, OPT_DEADLINE };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"validate-and-exit", no_argument, NULL, OPT_VALIDATE},
        {"num-cores", required_argument, NULL, OPT_NUM_CORES},
        {"core-id-range", required_argument, NULL, OPT_CORE_RANGE},
        {"http-admin-bind", required_argument, NULL, OPT_ADMIN_BIND},
        {"shutdown-deadline", required_argument, NULL, OPT_DEADLINE},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    static struct df_arena cli_arena; /* lives for the process */
    char err[200];
    int c;
    opterr = 0; /* unknown options are reported below, with a pointer to --help */
    while ((c = getopt_long(argc, argv, ":c:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            cli->config_path = optarg;
            break;
        case OPT_VALIDATE:
            cli->validate_only = true;
            break;
        case OPT_NUM_CORES:
            if (df_parse_int(optarg, &cli->num_cores, err, sizeof err) || cli->num_cores < 1 ||
                cli->num_cores > 4096)
                return usage_error("--num-cores takes a number from 1 to 4096, not '%s'", optarg);
            break;
        case OPT_CORE_RANGE:
            if (parse_core_range(optarg, cli))
                return usage_error("--core-id-range takes A-B with 0 <= A <= B <= 4095, not '%s'",
                                   optarg);
            break;
        case OPT_ADMIN_BIND:
            if (df_parse_sockaddr(optarg, &cli_arena, &cli->admin_bind, err, sizeof err))
                return usage_error("--http-admin-bind: %s", err);
            cli->has_admin_bind = true;
            break;
        case OPT_DEADLINE:
            if (df_parse_duration(optarg, &cli->shutdown_deadline, err, sizeof err) ||
                !cli->shutdown_deadline)
                return usage_error("--shutdown-deadline takes a positive duration like 30s, not "
                                   "'%s'",
                                   optarg);
            break;
        case 'h':
            usage(stdout);
            exit(EXIT_OK);
        case 'V':
            printf("df_engine %s (%s)\n", DF_VERSION, DF_GIT_DESCRIBE);
            exit(EXIT_OK);
        case ':':
            return usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (cli->num_cores && cli->core_lo >= 0)
        return usage_error("%s", "--num-cores and --core-id-range exclude each other");
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    static struct df_diags diags;
    if (df_registry_check(&diags)) {
        fprintf(stderr, "df_engine: the component registry of this build is inconsistent:\n");
        df_diags_print(&diags, stderr);
        return EXIT_RUNTIME;
    }
    if (argc > 1 && !strcmp(argv[1], "catalog"))
        return run_catalog(argc - 1, argv + 1);

    struct cli cli = {.core_lo = -1, .core_hi = -1};
    int rc = parse_args(argc, argv, &cli);
    if (rc)
        return rc;

    /* Without -c: the embedded default, a local OTLP debug collector. */
    struct df_config *cfg = cli.config_path
                                ? df_config_load(cli.config_path, &diags)
                                : df_config_parse("<embedded default>", df_default_config,
                                                  df_default_config_len, &diags);
    const char *name = cli.config_path ? cli.config_path : "the embedded default config";
    if (!cfg) {
        df_diags_print(&diags, stderr);
        fprintf(stderr, "df_engine: %s is invalid\n", name);
        return EXIT_INVALID;
    }
    /* A valid config may still carry warnings (an extension no node binds). */
    if (diags.count)
        df_diags_print(&diags, stderr);
    if (cli.validate_only) {
        df_config_free(cfg);
        printf("%s: valid\n", name);
        return EXIT_OK;
    }
    /* A peer that resets a connection must not kill the engine: writes then
     * fail with EPIPE, handled where they happen. */
    signal(SIGPIPE, SIG_IGN);
    struct df_engine_opts opts = {.num_cores = cli.num_cores,
                                  .core_lo = cli.core_lo,
                                  .core_hi = cli.core_hi,
                                  .admin_bind = cli.has_admin_bind ? &cli.admin_bind : NULL,
                                  .drain_deadline_ns = cli.shutdown_deadline};
    rc = df_engine_run(cfg, &opts);
    df_config_free(cfg);
    return rc;
}
