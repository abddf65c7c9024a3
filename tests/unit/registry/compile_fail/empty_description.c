/* expect: node description must be a non-empty string literal */
#include "df/node.h"
DF_REGISTER_NODE(bad, "urn:test:exporter:bad", DF_NODE_EXPORTER, "", "https://example.invalid");
