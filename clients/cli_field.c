/*  The CLI in the field: what waits in the outbox and what came back
    (outbox), and sending what waits (sync). See cli.h. */
#include "cli.h"

#include <inttypes.h>

//  "report in haihong-01", "note on @57", "resolve_on_site on 20261123-000012"
static void
s_what (Gridcase__Request *request, char *out, size_t size)
{
    char **named = gridcase_case_id_of (request);
    if (request->case_of)
        snprintf (out, size, "%s on @%" PRIu64, gridcase_op_name (request), request->case_of);
    else if (named && **named)
        snprintf (out, size, "%s on %s", gridcase_op_name (request), *named);
    else if (request->op_case == GRIDCASE__REQUEST__OP_REPORT)
        snprintf (out, size, "report in %s: %s", request->report->grid, request->report->title);
    else
        snprintf (out, size, "%s", gridcase_op_name (request));
}

//  What came back: "case 20261123-000012 (at_grid)", or the refusal
static void
s_outcome (const Gridcase__Reply *reply, char *out, size_t size)
{
    if (reply->result_case == GRIDCASE__REPLY__RESULT_ERROR)
        snprintf (out, size, "%s: %s", gridcase_error_name (reply->error->code),
                  reply->error->message);
    else if (reply->result_case == GRIDCASE__REPLY__RESULT_CASE)
        snprintf (out, size, "case %s (%s)", reply->case_->case_->id,
                  gridcase_state_name (reply->case_->case_->state));
    else
        snprintf (out, size, "done");
}

static const char *const s_cmd_outbox_options[] = {"all", NULL};

static int
s_cmd_outbox (context_t *ctx, const cli_args_t *a)
{
    if (a->positionals)
        return cli_usage ("outbox takes no positional arguments");
    int rc;
    gridcase_outbox_t *outbox = cli_outbox (ctx, &rc);
    if (!outbox)
        return rc;
    gridcase_outbox_item_t *items;
    size_t count, waiting = 0, refused = 0;
    if (gridcase_outbox_items (outbox, &items, &count)) {
        fprintf (stderr, "gridcase: cannot read the outbox in %s\n", ctx->outbox);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < count; i++) {
        gridcase_outbox_item_t *item = &items[i];
        bool failed = item->reply && item->reply->result_case == GRIDCASE__REPLY__RESULT_ERROR;
        waiting += !item->reply;
        refused += failed;
        if (item->reply && !failed && !a->v[0])
            continue; //  delivered: shown with --all
        char when[40], what[400], outcome[2400] = "";
        s_what (item->request, what, sizeof (what));
        if (item->reply)
            s_outcome (item->reply, outcome, sizeof (outcome));
        printf ("%-9s @%-6" PRIu64 " %s  %s%s%s\n",
                !item->reply ? "waiting"
                : failed     ? "refused"
                             : "delivered",
                item->request->sequence, cli_time_local (item->queued_at, when, sizeof (when)),
                what, *outcome ? ": " : "", outcome);
    }
    gridcase_outbox_items_free (&items, count);
    fprintf (stderr, "%zu waiting, %zu refused%s\n", waiting, refused,
             waiting ? "; gridcase sync sends what waits" : "");
    return 0;
}

typedef struct {
    context_t *ctx;
    size_t answered;
} sync_t;

static void
s_told (const Gridcase__Request *request, const Gridcase__Reply *reply, void *arg)
{
    sync_t *told = (sync_t *)arg;
    told->answered++;
    cli_city_zone (told->ctx, reply->timezone);
    char what[400], outcome[2400];
    s_what ((Gridcase__Request *)request, what, sizeof (what));
    s_outcome (reply, outcome, sizeof (outcome));
    printf ("%s @%" PRIu64 " %s: %s\n",
            reply->result_case == GRIDCASE__REPLY__RESULT_ERROR ? "refused" : "delivered",
            request->sequence, what, outcome);
    fflush (stdout);
}

static const char *const s_cmd_sync_options[] = {NULL};

static int
s_cmd_sync (context_t *ctx, const cli_args_t *a)
{
    if (a->positionals)
        return cli_usage ("sync takes no positional arguments");
    int rc;
    gridcase_outbox_t *outbox = cli_outbox (ctx, &rc);
    if (!outbox)
        return rc;
    //  What waits goes only to a daemon new enough for this client
    size_t waiting_before = gridcase_outbox_waiting (outbox);
    rc = waiting_before ? cli_server_info (ctx, NULL) : 0;
    if (rc == EXIT_UNREACHABLE) {
        fprintf (stderr, "gridcase: %zu still wait in %s\n", waiting_before, ctx->outbox);
        return rc;
    }
    if (rc)
        return rc;
    gridcase_t *client = cli_client (ctx, &rc);
    sync_t told = {ctx, 0};
    rc = gridcase_flush (client, s_told, &told);
    size_t answered = told.answered;
    size_t waiting = gridcase_outbox_waiting (outbox);
    if (rc == GRIDCASE_OK) {
        fprintf (stderr, "%zu answered; nothing waits\n", answered);
        return 0;
    }
    if (rc == GRIDCASE_EBUSY)
        fprintf (stderr, "gridcase: another sync of %s is under way; %zu wait\n", ctx->outbox,
                 waiting);
    else if (rc == GRIDCASE_ELOCAL)
        fprintf (stderr, "gridcase: cannot use the outbox in %s\n", ctx->outbox);
    else
        fprintf (stderr, "gridcase: no answer from gridcased at %s; %zu answered, %zu still wait\n",
                 ctx->endpoint, answered, waiting);
    return rc == GRIDCASE_ELOCAL ? EXIT_USAGE : EXIT_UNREACHABLE;
}

const cli_command_t cli_field_commands[] = {
    {"outbox", s_cmd_outbox, s_cmd_outbox_options, false},
    {"sync", s_cmd_sync, s_cmd_sync_options, false},
    {NULL, NULL, NULL, false},
};
