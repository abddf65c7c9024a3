/* expect: error: */
#include "df/node.h"
static const char *urn = "urn:test:exporter:bad";
DF_REGISTER_NODE(bad, urn, DF_NODE_EXPORTER, "A description.", "https://example.invalid");
