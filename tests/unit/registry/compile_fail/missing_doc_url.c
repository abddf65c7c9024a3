/* expect: extension documentation URL must be a non-empty string literal */
#include "df/extension.h"
DF_REGISTER_EXTENSION(bad, "urn:test:extension:bad", "A description.", "", DF_EXEC_LOCAL,
                      DF_LIFECYCLE_BACKGROUND);
