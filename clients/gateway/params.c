/*  gridcase-gateway's view of one HTTP request: its parameters, as the
    routes and the endpoints read them. See gateway.h. */
#include "gateway.h"

#include <string.h>

const char *
gw_arg (const gw_request_t *request, const char *name)
{
    for (size_t i = 0; i < request->args; i++)
        if (strcmp (request->arg[i].name, name) == 0)
            return request->arg[i].value;
    return NULL;
}
