/*  The CLI's commands that change a case: report, and each step of the
    lifecycle. See cli.h. */
#include "cli.h"

#include <sys/stat.h>
#include <unistd.h>

//  Sends REQUEST and prints the case it returns
static int
s_case_call (context_t *ctx, Gridcase__Request *request, bool json)
{
    Gridcase__Reply *reply;
    int rc = cli_call (ctx, request, &reply);
    return rc ? rc : cli_print_result (reply, json);
}

static const char *const s_cmd_report_options[] = {
    "grid=", "category=", "severity=", "title=", "description=", "address=", "lat=",
    "lon=",  "link-to=",  "json",      NULL};

static int
s_cmd_report (context_t *ctx, const cli_args_t *a)
{
    const char *const *v = a->v;
    int positional = a->positionals;
    if (positional)
        return cli_usage ("report takes no positional arguments");
    if (!v[0] || !v[1] || !v[3])
        return cli_usage ("report needs --grid, --category and --title");
    Gridcase__ReportRequest report = GRIDCASE__REPORT_REQUEST__INIT;
    report.grid = (char *)v[0];
    report.category = (char *)v[1];
    if (v[2] && !(report.severity = gridcase_severity_parse (v[2])))
        return cli_usage ("--severity is red, yellow or green");
    report.title = (char *)v[3];
    report.description = (char *)(v[4] ? v[4] : "");
    report.address = (char *)(v[5] ? v[5] : "");
    report.link_to = (char *)(v[8] ? v[8] : "");
    Gridcase__Location location = GRIDCASE__LOCATION__INIT;
    if (v[6] || v[7]) {
        if (!v[6] || !v[7] || !cli_number (v[6], &location.lat) ||
            !cli_number (v[7], &location.lon))
            return cli_usage ("--lat and --lon go together, as decimal degrees");
        report.location = &location;
    }
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_REPORT;
    request.report = &report;
    Gridcase__Reply *reply;
    int rc = cli_call (ctx, &request, &reply);
    if (rc)
        return rc;
    if (v[9])
        return cli_print_result (reply, true);
    printf ("%s\n", reply->case_->case_->id);
    gridcase__reply__free_unpacked (reply, NULL);
    return 0;
}

//  --------------------------------------------------------------------------
//  Changing a case

static const char *
s_or_empty (const char *text)
{
    return text ? text : "";
}

static const char *const s_cmd_note_options[] = {"text=", "json", NULL};

static int
s_cmd_note (context_t *ctx, const cli_args_t *a)
{
    if (!a->v[0])
        return cli_usage ("note needs --text");
    Gridcase__NoteRequest note = GRIDCASE__NOTE_REQUEST__INIT;
    note.case_id = (char *)a->id;
    note.text = (char *)a->v[0];
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_NOTE;
    request.note = &note;
    return s_case_call (ctx, &request, a->json);
}

static const char *const s_cmd_resolve_options[] = {"note=", "json", NULL};

static int
s_cmd_resolve (context_t *ctx, const cli_args_t *a)
{
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    Gridcase__ResolveOnSiteRequest on_site = GRIDCASE__RESOLVE_ON_SITE_REQUEST__INIT;
    Gridcase__ResolveRequest resolve = GRIDCASE__RESOLVE_REQUEST__INIT;
    //  The officer settles on the spot; anyone else resolves what they hold
    if (ctx->role == GRIDCASE__ROLE__ROLE_OFFICER) {
        on_site.case_id = (char *)a->id;
        on_site.note = (char *)s_or_empty (a->v[0]);
        request.op_case = GRIDCASE__REQUEST__OP_RESOLVE_ON_SITE;
        request.resolve_on_site = &on_site;
    } else {
        resolve.case_id = (char *)a->id;
        resolve.note = (char *)s_or_empty (a->v[0]);
        request.op_case = GRIDCASE__REQUEST__OP_RESOLVE;
        request.resolve = &resolve;
    }
    return s_case_call (ctx, &request, a->json);
}

static const char *const s_cmd_escalate_options[] = {"reason=", "json", NULL};

static int
s_cmd_escalate (context_t *ctx, const cli_args_t *a)
{
    Gridcase__EscalateRequest escalate = GRIDCASE__ESCALATE_REQUEST__INIT;
    escalate.case_id = (char *)a->id;
    escalate.reason = (char *)s_or_empty (a->v[0]);
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_ESCALATE;
    request.escalate = &escalate;
    return s_case_call (ctx, &request, a->json);
}

static const char *const s_cmd_claim_options[] = {"queue=", "json", NULL};

static int
s_cmd_claim (context_t *ctx, const cli_args_t *a)
{
    const char *const *v = a->v;
    int positional = a->positionals;
    const char *id = a->id;
    if (positional > 1 || (!positional && !v[0]))
        return cli_usage ("claim --queue Q takes the head of the queue; claim ID takes one case");
    Gridcase__ClaimRequest claim = GRIDCASE__CLAIM_REQUEST__INIT;
    claim.queue = (char *)s_or_empty (v[0]);
    claim.case_id = (char *)(positional ? id : "");
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_CLAIM;
    request.claim = &claim;
    Gridcase__Reply *reply;
    int rc = cli_call (ctx, &request, &reply);
    if (rc)
        return rc;
    if (v[1])
        return cli_print_result (reply, true);
    //  The case id alone, for scripts: id=$(gridcase claim --queue dept/gas)
    printf ("%s\n", reply->case_->case_->id);
    gridcase__reply__free_unpacked (reply, NULL);
    return 0;
}

//  accept, renew and release differ only in their request
static const char *const s_cmd_lease_options[] = {"reason=", "json", NULL};

static int
s_cmd_lease (context_t *ctx, const cli_args_t *a)
{
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    Gridcase__AcceptRequest accept = GRIDCASE__ACCEPT_REQUEST__INIT;
    Gridcase__RenewRequest renew = GRIDCASE__RENEW_REQUEST__INIT;
    Gridcase__ReleaseRequest release = GRIDCASE__RELEASE_REQUEST__INIT;
    if (streq (a->command, "accept")) {
        accept.case_id = (char *)a->id;
        request.op_case = GRIDCASE__REQUEST__OP_ACCEPT;
        request.accept = &accept;
    } else if (streq (a->command, "renew")) {
        renew.case_id = (char *)a->id;
        request.op_case = GRIDCASE__REQUEST__OP_RENEW;
        request.renew = &renew;
    } else {
        release.case_id = (char *)a->id;
        release.reason = (char *)s_or_empty (a->v[0]);
        request.op_case = GRIDCASE__REQUEST__OP_RELEASE;
        request.release = &release;
    }
    return s_case_call (ctx, &request, a->json);
}

static const char *const s_cmd_dispatch_options[] = {"lead=", "helpers=", "note=", "json", NULL};

static int
s_cmd_dispatch (context_t *ctx, const cli_args_t *a)
{
    Gridcase__DispatchRequest dispatch = GRIDCASE__DISPATCH_REQUEST__INIT;
    dispatch.case_id = (char *)a->id;
    dispatch.lead = (char *)s_or_empty (a->v[0]);
    dispatch.note = (char *)s_or_empty (a->v[2]);
    char helpers[1024];
    char *helper[32];
    if (a->v[1]) {
        snprintf (helpers, sizeof (helpers), "%s", a->v[1]);
        char *save = NULL;
        for (char *h = strtok_r (helpers, ",", &save); h; h = strtok_r (NULL, ",", &save)) {
            if (dispatch.n_helpers == 32)
                return cli_usage ("at most 32 helper departments");
            helper[dispatch.n_helpers++] = h;
        }
        dispatch.helpers = helper;
    }
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_DISPATCH;
    request.dispatch = &dispatch;
    return s_case_call (ctx, &request, a->json);
}

static const char *const s_cmd_bounce_options[] = {"reason=", "json", NULL};

static int
s_cmd_bounce (context_t *ctx, const cli_args_t *a)
{
    if (!a->v[0])
        return cli_usage ("bounce needs --reason: why the case is not your department's");
    Gridcase__BounceRequest bounce = GRIDCASE__BOUNCE_REQUEST__INIT;
    bounce.case_id = (char *)a->id;
    bounce.reason = (char *)a->v[0];
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_BOUNCE;
    request.bounce = &bounce;
    return s_case_call (ctx, &request, a->json);
}

static const char *const s_cmd_verify_options[] = {"ok", "failed", "note=", "json", NULL};

static int
s_cmd_verify (context_t *ctx, const cli_args_t *a)
{
    if (!a->v[0] == !a->v[1])
        return cli_usage ("verify needs --ok or --failed");
    Gridcase__VerifyRequest verify = GRIDCASE__VERIFY_REQUEST__INIT;
    verify.case_id = (char *)a->id;
    verify.ok = a->v[0] != NULL;
    verify.note = (char *)s_or_empty (a->v[2]);
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_VERIFY;
    request.verify = &verify;
    return s_case_call (ctx, &request, a->json);
}

static const char *const s_cmd_evaluate_options[] = {"rating=", "comment=", "json", NULL};

static int
s_cmd_evaluate (context_t *ctx, const cli_args_t *a)
{
    double rating;
    if (!a->v[0] || !cli_number (a->v[0], &rating) || rating < 1 || rating > 5 ||
        rating != (int)rating)
        return cli_usage ("evaluate needs --rating 1 to 5");
    Gridcase__EvaluateRequest evaluate = GRIDCASE__EVALUATE_REQUEST__INIT;
    evaluate.case_id = (char *)a->id;
    evaluate.rating = (uint32_t)rating;
    evaluate.comment = (char *)s_or_empty (a->v[1]);
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_EVALUATE;
    request.evaluate = &evaluate;
    return s_case_call (ctx, &request, a->json);
}

static const char *const s_cmd_regrade_options[] = {"severity=", "reason=", "json", NULL};

static int
s_cmd_regrade (context_t *ctx, const cli_args_t *a)
{
    Gridcase__RegradeRequest regrade = GRIDCASE__REGRADE_REQUEST__INIT;
    regrade.case_id = (char *)a->id;
    if (!a->v[0] || !(regrade.severity = gridcase_severity_parse (a->v[0])))
        return cli_usage ("regrade needs --severity red, yellow or green");
    regrade.reason = (char *)s_or_empty (a->v[1]);
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_REGRADE;
    request.regrade = &regrade;
    return s_case_call (ctx, &request, a->json);
}

static const char *const s_cmd_extend_options[] = {
    "for=", "until=", "reason=", "park", "json", NULL};

static int
s_cmd_extend (context_t *ctx, const cli_args_t *a)
{
    Gridcase__ExtendRequest extend = GRIDCASE__EXTEND_REQUEST__INIT;
    extend.case_id = (char *)a->id;
    extend.park = a->v[3] != NULL || streq (a->command, "park");
    if (!a->v[0] == !a->v[1])
        return cli_usage ("extend needs --for DURATION or --until TIME");
    if (a->v[0] && (extend.duration = gc_parse_duration (a->v[0])) <= 0)
        return cli_usage ("--for wants a duration like 2h or 3d");
    //  A time on the city's clock: the daemon reads it
    extend.until_local = (char *)(a->v[1] ? a->v[1] : "");
    if (!a->v[2])
        return cli_usage ("extend needs --reason");
    extend.reason = (char *)a->v[2];
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_EXTEND;
    request.extend = &extend;
    return s_case_call (ctx, &request, a->json);
}

static const char *const s_cmd_approve_options[] = {"reason=", "json", NULL};

static int
s_cmd_approve (context_t *ctx, const cli_args_t *a)
{
    Gridcase__ApproveRequest approve = GRIDCASE__APPROVE_REQUEST__INIT;
    approve.case_id = (char *)a->id;
    approve.approve = streq (a->command, "approve");
    approve.reason = (char *)s_or_empty (a->v[0]);
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_APPROVE;
    request.approve = &approve;
    return s_case_call (ctx, &request, a->json);
}

static const char *const s_cmd_arbitrate_options[] = {"department=", "reason=", "json", NULL};

static int
s_cmd_arbitrate (context_t *ctx, const cli_args_t *a)
{
    if (!a->v[0])
        return cli_usage ("arbitrate needs --department");
    Gridcase__ArbitrateRequest arbitrate = GRIDCASE__ARBITRATE_REQUEST__INIT;
    arbitrate.case_id = (char *)a->id;
    arbitrate.department = (char *)a->v[0];
    arbitrate.reason = (char *)s_or_empty (a->v[1]);
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_ARBITRATE;
    request.arbitrate = &arbitrate;
    return s_case_call (ctx, &request, a->json);
}

static const char *const s_cmd_link_options[] = {"to=", "json", NULL};

static int
s_cmd_link (context_t *ctx, const cli_args_t *a)
{
    if (!a->v[0])
        return cli_usage ("link needs --to: the open case this one duplicates");
    Gridcase__LinkRequest link = GRIDCASE__LINK_REQUEST__INIT;
    link.case_id = (char *)a->id;
    link.duplicate_of = (char *)a->v[0];
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_LINK;
    request.link = &link;
    return s_case_call (ctx, &request, a->json);
}

const cli_command_t cli_changing_commands[] = {
    {"note", s_cmd_note, s_cmd_note_options, true},
    {"resolve", s_cmd_resolve, s_cmd_resolve_options, true},
    {"escalate", s_cmd_escalate, s_cmd_escalate_options, true},
    {"claim", s_cmd_claim, s_cmd_claim_options, false},
    {"accept", s_cmd_lease, s_cmd_lease_options, true},
    {"renew", s_cmd_lease, s_cmd_lease_options, true},
    {"release", s_cmd_lease, s_cmd_lease_options, true},
    {"dispatch", s_cmd_dispatch, s_cmd_dispatch_options, true},
    {"bounce", s_cmd_bounce, s_cmd_bounce_options, true},
    {"verify", s_cmd_verify, s_cmd_verify_options, true},
    {"evaluate", s_cmd_evaluate, s_cmd_evaluate_options, true},
    {"regrade", s_cmd_regrade, s_cmd_regrade_options, true},
    {"extend", s_cmd_extend, s_cmd_extend_options, true},
    {"park", s_cmd_extend, s_cmd_extend_options, true},
    {"approve", s_cmd_approve, s_cmd_approve_options, true},
    {"reject", s_cmd_approve, s_cmd_approve_options, true},
    {"arbitrate", s_cmd_arbitrate, s_cmd_arbitrate_options, true},
    {"link", s_cmd_link, s_cmd_link_options, true},
    {"report", s_cmd_report, s_cmd_report_options, false},
    {NULL, NULL, NULL, false},
};
