/*
 * kafc — the library-wide entry points that belong to no layer: version.
 * The client handle that owns the I/O thread and wires the layers together
 * arrives with the network client (issue #4).
 */
#include "kafc/kafc.h"

#ifndef KAFC_VERSION_FULL
#error "KAFC_VERSION_FULL must be defined by the build"
#endif

KAFC_EXTERN uint32_t kafc_version(void)
{
    return KAFC_VERSION_NUM;
}

KAFC_EXTERN const char *kafc_version_str(void)
{
    return KAFC_VERSION_FULL;
}
