/*
 * Read replicas as the HTTP layer sees them: /health/pool entries and
 * /metrics series per replica.
 */
#include "http_int.h"

void http__metrics_render_replicas(const http_app *app, sbuf *b)
{
    (void) app;
    (void) b;
}
