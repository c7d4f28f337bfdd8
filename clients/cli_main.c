/*  gridcase - the command line client: one command, a subcommand per task.
    This file: the usage, the command tables' parsing (getopt_long per
    command), main. Exit codes: 0 ok, 1 error reply, 2 usage, 3 daemon
    unreachable, 4 queued, 5 daemon too old. */
#include "cli.h"
#include "gridcase_json.h"

#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *s_usage_text =
    "usage: gridcase [-e ENDPOINT] [--as ROLE:ID] [--timeout MS] COMMAND [ARGS]\n"
    "\n"
    "officer\n"
    "  report --grid G --category C --title T [--severity red|yellow|green]\n"
    "         [--description D] [--address A] [--lat X --lon Y] [--link-to ID]\n"
    "                           report a case; prints its id\n"
    "  note ID --text T         add a note to a case's journal\n"
    "  resolve ID [--note N]    settle it on the spot (officer) or resolve it (holder)\n"
    "  escalate ID [--reason R] hand it one step up the ladder\n"
    "  verify ID --ok|--failed [--note N]\n"
    "                           verify a resolution on site; failed: rework\n"
    "  evaluate ID --rating 1-5 [--comment C]\n"
    "                           the resident's rating; 1-2 reopens the case\n"
    "  link ID --to OTHER       close ID as a duplicate of the open case OTHER\n"
    "committee, street, department workers\n"
    "  queue Q [--limit N] [--after ID] [--json]\n"
    "                           what waits in queue Q (committee/haihong, dept/gas, ...)\n"
    "  claim --queue Q | claim ID\n"
    "                           take the head of Q (or case ID); prints the case id\n"
    "  accept ID | renew ID | release ID [--reason R]\n"
    "                           start work on a claim, extend its lease, give it back\n"
    "  dispatch ID [--lead D] [--helpers D1,D2] [--note N]\n"
    "                           send it to a lead department (default: the category's)\n"
    "  bounce ID --reason R     a department returns a case that is not its own\n"
    "  extend ID --for DURATION|--until TIME --reason R [--park]\n"
    "  park ID --for DURATION|--until TIME --reason R\n"
    "                           ask a supervisor to stop the clock (extension or parking)\n"
    "supervisors\n"
    "  approve ID [--reason R] | reject ID [--reason R]\n"
    "                           rule on an extension or parking\n"
    "  arbitrate ID --department D [--reason R]\n"
    "                           decide which department owns a bounced case\n"
    "  regrade ID --severity S [--reason R]\n"
    "                           change the severity; deadlines follow at once\n"
    "everyone\n"
    "  show ID [--history] [--json]\n"
    "                           one case, optionally with its journal\n"
    "  list [--state S] [--level L] [--area A] [--severity S] [--overdue] [--period P]\n"
    "       [--limit N] [--after ID] [--json|--csv]\n"
    "                           cases, filtered\n"
    "  journal [--since N] [--case ID] [--topic T] [--escalations] [--limit N] [--json]\n"
    "                           journal entries after sequence N\n"
    "  watch TOPIC [--since N] [--json] [--events ENDPOINT]\n"
    "                           follow a topic (dept/gas, committee/haihong, officer/ID,\n"
    "                           supervision/siming, log); fetches what it missed\n"
    "supervisors' view\n"
    "  log [--follow] [--since N] [--area A] [--department D] [--period P] [--limit N]\n"
    "      [--json|--csv]       the escalation log; --follow goes on live\n"
    "  stats [--period P] [--by department|street|community|grid] [--area A] [--json|--csv]\n"
    "                           the figures; without options the daemon's counters\n"
    "  weekly --community C [--week 2026-W47] [--csv]\n"
    "                           the weekly report\n"
    "  info [--json]            the daemon: its version, protocol, city, time zone and mode,\n"
    "                           and whether this client may use it (exit 5 if too old)\n"
    "  verify-journal           check the journal's hash chain as the daemon serves it\n"
    "                           (a store on disk: gridcased --check DIR)\n"
    "in the field (the outbox)\n"
    "  outbox [--all]           what waits to be sent and what came back refused\n"
    "                           (--all: and what was delivered)\n"
    "  sync                     send what waits, oldest first; each answer printed\n"
    "operator\n"
    "  backup DIR               a compacting copy of the store, taken while serving\n"
    "  keygen NAME [--group G]  a CURVE key pair: NAME (public) and NAME_secret\n"
    "                           (--group: the secret readable by group G, mode 0640)\n"
    "  keygen --api-key ACTOR   an api key for ACTOR (the HTTP gateway), and its roster line\n"
    "  passwd ACTOR             a web password for ACTOR (the supervisors' page): its roster\n"
    "                           line (read from the terminal, or one line of stdin)\n"
    "\n"
    "  -e, --endpoint ENDPOINT  the daemon's command socket (default $GRIDCASE_ENDPOINT,\n"
    "                           else tcp://127.0.0.1:7570)\n"
    "      --as ROLE:ID         the actor in local mode, e.g. officer:o-haihong-01\n"
    "                           (default $GRIDCASE_AS)\n"
    "      --timeout MS         give up after MS milliseconds (default 10000)\n"
    "      --cert FILE          CURVE: this client's certificate (gridcase keygen; default\n"
    "                           $GRIDCASE_CERT); the daemon knows you by its key\n"
    "      --server-key KEY     CURVE: the server's public key, or its certificate file\n"
    "                           (default $GRIDCASE_SERVER_KEY)\n"
    "      --local              show times in this machine's time zone, not the city's\n"
    "      --outbox DIR         keep changing requests in the outbox DIR until answered:\n"
    "                           unanswered, one prints 'queued @N' (exit status 4) and\n"
    "                           waits for gridcase sync (default with GRIDCASE_OUTBOX=1:\n"
    "                           $GRIDCASE_STATE_DIR/outbox)\n"
    "      --based-on SEQ       the case's journal seq as you last saw it: refused as\n"
    "                           stale if someone else has moved the case since\n"
    "\n"
    "Dates and times are the city's, in its time zone, whatever this machine's is.\n"
    "DURATION is like 90s, 15m, 4h, 3d or 1h30m; TIME is like 2026-11-25T18:00;\n"
    "PERIOD is 2026-11-01..2026-11-30, 2026-11-22, 2026-11, 2026-W47, today, yesterday,\n"
    "this-week, last-week, this-month or last-month (stats: default this-month).\n"
    "Pages: --limit N cases or entries; stderr says how to get the next page\n"
    "(--after ID for list and queue, --since N for journal and log).\n"
    "A case is its id, or @N: the case made by this outbox's request N (a report\n"
    "queued offline).\n"
    "exit status: 0 ok, 1 the daemon refused (code and message on stderr), 2 usage,\n"
    "3 daemon unreachable, 4 queued in the outbox, 5 the daemon is too old for this client\n";

//  The usage text's lines for COMMAND (its line, and the lines under it up
//  to the next command or heading); false if the text has none
static bool
s_command_help (const char *command)
{
    size_t length = strlen (command);
    bool printing = false, found = false;
    for (const char *line = s_usage_text; *line;) {
        const char *end = strchr (line, '\n');
        size_t size = end ? (size_t)(end - line) : strlen (line);
        bool names = size > length + 2 && strncmp (line, "  ", 2) == 0 &&
                     strncmp (line + 2, command, length) == 0 &&
                     (line[2 + length] == ' ' || line[2 + length] == '\n');
        bool heading = size > 0 && line[0] != ' ';
        bool another = size > 2 && strncmp (line, "  ", 2) == 0 && line[2] != ' ';
        if (names) {
            printing = found = true;
            printf ("usage: gridcase [OPTIONS] %.*s\n", (int)(size - 2), line + 2);
        } else if (printing && (heading || another))
            printing = false;
        else if (printing)
            printf ("%.*s\n", (int)size, line);
        line = end ? end + 1 : line + size;
    }
    return found;
}

//  --------------------------------------------------------------------------
//  The command table: each command's options (getopt_long), how many
//  positional arguments it takes, and what runs it

//  Parses the command's arguments with getopt_long (so --limit 5 and
//  --limit=5 both work, and options and positional arguments mix)
static int
s_parse_command (const cli_command_t *command, int argc, char **argv, cli_args_t *a)
{
    memset (a, 0, sizeof (*a));
    a->command = argv[0];
    struct option longopts[CLI_OPTIONS_MAX + 1];
    char names[CLI_OPTIONS_MAX][32];
    size_t count = 0;
    for (; command->options[count] && count < CLI_OPTIONS_MAX; count++) {
        const char *option = command->options[count];
        size_t len = strcspn (option, "=");
        snprintf (names[count], sizeof (names[count]), "%.*s", (int)len, option);
        longopts[count] =
            (struct option){names[count], option[len] == '=' ? required_argument : no_argument,
                            NULL, 256 + (int)count};
    }
    longopts[count] = (struct option){NULL, 0, NULL, 0};
    opterr = 0;
    optind = 0; //  GNU: start afresh after the global options
    int opt;
    char why[200];
    while ((opt = getopt_long (argc, argv, ":", longopts, NULL)) != -1) {
        if (opt == '?' || opt == ':') {
            snprintf (why, sizeof (why), "%s: %s %s", a->command, argv[optind - 1],
                      opt == '?' ? "is not an option of this command" : "needs a value");
            return cli_usage (why);
        }
        a->v[opt - 256] = optarg ? optarg : "1";
        if (streq (names[opt - 256], "json"))
            a->json = true;
    }
    a->positionals = argc - optind;
    a->id = optind < argc ? argv[optind] : NULL;
    if (command->one_case && a->positionals != 1) {
        snprintf (why, sizeof (why), "%s takes one case id", a->command);
        return cli_usage (why);
    }
    return 0;
}

int
main (int argc, char *argv[])
{
    zsys_init ();
    zsys_set_logstream (stderr);
    context_t ctx = {getenv ("GRIDCASE_ENDPOINT"),
                     GRIDCASE__ROLE__ROLE_UNSPECIFIED,
                     NULL,
                     10000,
                     NULL,
                     NULL,
                     false,
                     NULL,
                     0};
    if (!ctx.endpoint || !*ctx.endpoint)
        ctx.endpoint = "tcp://127.0.0.1:7570";
    const char *as = getenv ("GRIDCASE_AS");
    static const struct option options[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"as", required_argument, NULL, 'a'},
        {"timeout", required_argument, NULL, 't'},
        {"cert", required_argument, NULL, 'c'},
        {"server-key", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"local", no_argument, NULL, 'L'},
        {"outbox", required_argument, NULL, 'o'},
        {"based-on", required_argument, NULL, 'b'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    //  '+': stop at the subcommand; its options are its own
    while ((opt = getopt_long (argc, argv, "+e:h", options, NULL)) != -1) {
        switch (opt) {
            case 'e':
                ctx.endpoint = optarg;
                break;
            case 'a':
                as = optarg;
                break;
            case 't':
                ctx.timeout = atoi (optarg);
                if (ctx.timeout <= 0)
                    return cli_usage ("--timeout wants milliseconds");
                break;
            case 'c':
                ctx.cert = optarg;
                break;
            case 'k':
                ctx.server_key = optarg;
                break;
            case 'h':
                fputs (s_usage_text, stdout);
                return 0;
            case 'V':
                printf ("gridcase %s\n", GC_VERSION);
                return 0;
            case 'L':
                ctx.local_time = true;
                break;
            case 'o':
                ctx.outbox = optarg;
                break;
            case 'b': {
                char *end;
                ctx.based_on = strtoull (optarg, &end, 10);
                if (*end || !ctx.based_on)
                    return cli_usage ("--based-on wants the case's journal seq as you saw it");
                break;
            }
            default:
                return cli_usage (NULL);
        }
    }
    static char actor[128];
    if (as && *as) {
        const char *colon = strchr (as, ':');
        if (!colon || colon == as || !colon[1] || strlen (colon + 1) >= sizeof (actor))
            return cli_usage ("--as wants ROLE:ID, e.g. officer:o-haihong-01");
        char role[32];
        snprintf (role, sizeof (role), "%.*s", (int)(colon - as), as);
        ctx.role = gridcase_role_parse (role);
        if (!ctx.role)
            return cli_usage ("the role in --as is officer, committee, street, worker, supervisor "
                              "or admin");
        snprintf (actor, sizeof (actor), "%s", colon + 1);
        ctx.actor = actor;
    }
    if (!ctx.cert && getenv ("GRIDCASE_CERT") && *getenv ("GRIDCASE_CERT"))
        ctx.cert = getenv ("GRIDCASE_CERT");
    if (!ctx.server_key)
        ctx.server_key = getenv ("GRIDCASE_SERVER_KEY");
    static char server_key[64];
    if (ctx.server_key && zsys_file_exists (ctx.server_key)) {
        //  A certificate file: its public key
        zcert_t *cert = zcert_load (ctx.server_key);
        snprintf (server_key, sizeof (server_key), "%s", cert ? zcert_public_txt (cert) : "");
        zcert_destroy (&cert);
        ctx.server_key = server_key;
    }
    static char outbox[1100];
    const char *wanted = getenv ("GRIDCASE_OUTBOX");
    if (!ctx.outbox && wanted && (streq (wanted, "1") || streq (wanted, "yes"))) {
        snprintf (outbox, sizeof (outbox), "%s/outbox", cli_state_dir ());
        ctx.outbox = outbox;
    }
    if (ctx.cert && !ctx.server_key)
        return cli_usage ("--cert needs --server-key (the server's public key or its .cert file)");
    if (optind >= argc)
        return cli_usage ("no command given");
    const char *command = argv[optind];
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    //  COMMAND --help: that command's part of the usage
    for (int i = 1; i < sub_argc; i++)
        if (streq (sub_argv[i], "--help") || streq (sub_argv[i], "-h")) {
            if (s_command_help (command))
                return 0;
            break;
        }
    const cli_command_t *tables[] = {cli_changing_commands, cli_reading_commands,
                                     cli_supervising_commands, cli_field_commands};
    for (size_t t = 0; t < sizeof (tables) / sizeof (tables[0]); t++)
        for (const cli_command_t *c = tables[t]; c->name; c++)
            if (streq (command, c->name)) {
                cli_args_t args;
                if (s_parse_command (c, sub_argc, sub_argv, &args))
                    return EXIT_USAGE;
                return c->run (&ctx, &args);
            }
    if (streq (command, "help"))
        return fputs (s_usage_text, stdout), 0;
    char why[200];
    snprintf (why, sizeof (why), "unknown command '%s'", command);
    return cli_usage (why);
}
