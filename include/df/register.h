/* df/register.h — link-time registration (internal to the SDK headers).
 *
 * A component is a `static const` descriptor; DF_REGISTER_IN places a
 * pointer to it in a named linker section, marked used and retained so
 * neither the compiler nor --gc-sections drops it. The engine walks each
 * section through the linker-provided __start_/__stop_ symbols
 * (src/registry). Providers include df/node.h, df/extension.h or
 * df/capability.h rather than this file. */
#ifndef DF_REGISTER_H
#define DF_REGISTER_H

/* Requires a non-empty string literal: "" x "" does not compile for a
 * pointer, and the static assertion rejects "". */
#define DF_REQUIRE_LITERAL(x, what)                                                                \
    _Static_assert(sizeof("" x "") > 1, what " must be a non-empty string literal")

#define DF_REGISTER_IN(sec, type, ident)                                                           \
    static const type *const ident##_registration __attribute__((used, retain, section(sec))) =    \
        &ident

#endif
