/*
 * schema_names — readable names for reflected models and relationships:
 * "order_items" → model "OrderItem"; foreign key "author_id" → "author"
 * and back "books"; never a name a column or another relationship of the
 * same model already has.
 */
#include <ctype.h>

#include "schema_int.h"

/* English plural → singular for table names, by the common suffixes;
 * good enough for names a human can rename later. In a. */
const char *schema__singular(arena *a, const char *word)
{
    static const char *const ES[] = {"sses", "shes", "ches", "xes", "zes"};
    size_t n = strlen(word);
    char *s = arena_strdup(a, word);
    if (n > 4 && strcmp(word + n - 3, "ies") == 0) {
        strcpy(s + n - 3, "y");
        return s;
    }
    for (size_t i = 0; i < sizeof ES / sizeof ES[0]; i++) {
        size_t k = strlen(ES[i]);
        if (n > k + 1 && strcmp(word + n - k, ES[i]) == 0) {
            s[n - 2] = '\0';
            return s;
        }
    }
    if (n > 3 && word[n - 1] == 's' && !strchr("sui", word[n - 2]))
        s[n - 1] = '\0';
    return s;
}

/* "order_items" → "OrderItem". In a. */
const char *schema__model_name(arena *a, const char *table)
{
    const char *one = schema__singular(a, table);
    sbuf s;
    sbuf_init(&s, a, strlen(one) + 1);
    bool up = true;
    for (const char *p = one; *p; p++) {
        if (*p == '_' || *p == ' ' || *p == '-') {
            up = true;
            continue;
        }
        sbuf_append_char(&s, up ? (char) toupper((unsigned char) *p) : *p);
        up = false;
    }
    if (s.len == 0)
        sbuf_append(&s, "Model");
    return sbuf_str(&s);
}

/* The many-to-one name of a foreign-key column: "author_id" → "author",
 * "parent" stays (the caller makes it unique), otherwise the singular of
 * the referenced table. In a. */
const char *schema__to_one_name(arena *a, const char *column, const char *ref_table)
{
    size_t n = strlen(column);
    if (n > 3 && strcmp(column + n - 3, "_id") == 0)
        return arena_strndup(a, column, n - 3);
    return schema__singular(a, ref_table);
}

/* name, or name_rel, name_rel2 ... : the first that taken() refuses. */
const char *schema__unique_name(arena *a, const char *name, bool (*taken)(void *, const char *),
                                void *ctx)
{
    if (!taken(ctx, name))
        return name;
    const char *cand = arena_sprintf(a, "%s_rel", name);
    for (int i = 2; taken(ctx, cand); i++)
        cand = arena_sprintf(a, "%s_rel%d", name, i);
    return cand;
}
