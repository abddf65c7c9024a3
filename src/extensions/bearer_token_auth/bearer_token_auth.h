/* extensions/bearer_token_auth/bearer_token_auth.h — extension:bearer_token_auth's
 * configuration and the token rules shared by its config check (config.c)
 * and its runtime (bearer_token_auth.c). Private to this folder.
 *
 * The config names one or more tokens: `token` (inline) or `file` (a file
 * holding the token), and/or a list `tokens` of {token | file, subject}.
 * Once parsed the config is read-only; any thread may read it. */
#ifndef DF_EXTENSIONS_BEARER_TOKEN_AUTH_BEARER_TOKEN_AUTH_H
#define DF_EXTENSIONS_BEARER_TOKEN_AUTH_BEARER_TOKEN_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "df/options.h"

/* The largest token file, and the longest token (inline or read). */
#define BTA_TOKEN_MAX (16 * 1024)
/* The most entries `tokens` may list. */
#define BTA_ENTRIES_MAX 256

/* One entry of `tokens`: exactly one of token and file (the check makes
 * sure). */
struct bta_entry_config {
    const char *token;   /* inline token, or NULL */
    const char *file;    /* token file, or NULL */
    const char *subject; /* NULL: "bearer-<index in tokens>" */
};

struct bta_config {
    const char *token;       /* inline token, or NULL */
    const char *file;        /* token file, or NULL */
    const char *subject;     /* identity subject of token/file ("bearer") */
    bool has_subject;        /* `subject` was written */
    struct df_list tokens;   /* struct bta_entry_config */
    const char *scheme;      /* "Bearer" */
    const char *header;      /* "authorization" */
    uint64_t watch_interval; /* ns between checks of the token files */
};

/* The option table of `config:`; its checks enforce the rules above,
 * validate inline tokens and read each token file once (the same rules as
 * at run time: it must exist, hold a token and be at most BTA_TOKEN_MAX). */
extern const struct df_option_table bta_table;

/* Finds the token in `buf[0..len)` (a file's content): trims surrounding
 * whitespace (spaces, tabs, CR, LF) and checks what is left. Sets *start and
 * *tlen and returns NULL, or returns why there is no usable token (a static
 * string that never quotes the content): empty, too long, or holding
 * characters other than visible ASCII (which could never arrive in a header,
 * or would split one). Pure; any thread. */
const char *bta_token_find(const char *buf, size_t len, size_t *start, size_t *tlen);

/* As bta_token_find for an inline token, which is not trimmed. */
const char *bta_token_check(const char *token, size_t len);

#endif
