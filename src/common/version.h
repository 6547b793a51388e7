/*
 * version — retort's release version, one fact for the command line
 * (`retort --version`), GET /health and the retort_build_info metric.
 * The number comes from CMake's project(VERSION ...) and nowhere else.
 */
#ifndef RETORT_VERSION_H
#define RETORT_VERSION_H

/* "X.Y.Z"; a static string. */
const char *retort_version(void);

#endif
