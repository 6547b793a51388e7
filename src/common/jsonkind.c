#include "jsonkind.h"

const char *jsonkind_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "a JSON value"; /* not reached: jansson has no other type */
}

const char *jsonkind_noun(const json_t *v)
{
    /* Query documents and values have always said "a number" for a real. */
    return json_is_real(v) ? "a number" : jsonkind_name(v);
}
