/* libFuzzer target: the whole config loader — YAML/JSON parsing, env
 * substitution, the model's option tables and static validation — on
 * arbitrary bytes. Any crash, leak, sanitizer report or hang is a bug; every
 * outcome must be a config or collected diagnostics. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct df_diags diags;
    df_diags_reset(&diags);
    struct df_config *cfg = df_config_parse("fuzz.yaml", (const char *)data, size, &diags);
    if (cfg) {
        df_config_free(cfg);
    } else {
        /* Printing exercises every stored diagnostic's formatting. */
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            df_diags_print(&diags, null);
            fclose(null);
        }
    }
    return 0;
}
