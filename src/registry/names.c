/* Display names of the SDK's enums, generated from their X-macros. */
#include "df/capabilities/auth_check.h"
#include "df/extension.h"
#include "df/node.h"

#define NAME_CASE(name, text)                                                                      \
    case name:                                                                                     \
        return text;

const char *df_node_kind_name(enum df_node_kind kind)
{
    switch (kind) {
        DF_NODE_KINDS(NAME_CASE)
    }
    return "?";
}

const char *df_exec_model_name(enum df_exec_model m)
{
    switch (m) {
        DF_EXEC_MODELS(NAME_CASE)
    }
    return "?";
}

const char *df_lifecycle_name(enum df_lifecycle l)
{
    switch (l) {
        DF_LIFECYCLES(NAME_CASE)
    }
    return "?";
}

const char *df_auth_reason_name(enum df_auth_reason r)
{
    switch (r) {
        DF_AUTH_REASONS(NAME_CASE)
    }
    return "?";
}
