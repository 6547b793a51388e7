#include "version.h"

#ifndef RETORT_VERSION
#error "RETORT_VERSION must come from CMake's project(VERSION)"
#endif

const char *retort_version(void)
{
    return RETORT_VERSION;
}
