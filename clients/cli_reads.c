/*  The CLI's reading commands: show, journal, list, queue, watch; and the
    operator's backup and keygen. See cli.h. */
#include "cli.h"
#include "gc_util.h"

#include <sodium.h>
#include <sys/random.h>
#include <termios.h>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const s_cmd_show_options[] = {"json", "history", NULL};

static int
s_cmd_show (context_t *ctx, const cli_args_t *a)
{
    const char *const *v = a->v;
    int positional = a->positionals;
    const char *id = a->id;
    if (positional != 1)
        return cli_usage ("show takes one case id");
    Gridcase__GetRequest get = GRIDCASE__GET_REQUEST__INIT;
    get.case_id = (char *)id;
    get.with_history = v[1] != NULL;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_GET;
    request.get = &get;
    Gridcase__Reply *reply;
    int rc = cli_call (ctx, &request, &reply);
    if (rc)
        return rc;
    if (v[0])
        cli_print_case_json (reply->case_->case_);
    else
        cli_print_case_text (reply->case_->case_);
    if (v[1] && !v[0])
        printf ("history\n");
    for (size_t i = 0; i < reply->case_->n_history; i++)
        cli_print_entry (reply->case_->history[i], v[0] ? CLI_JSON : CLI_TEXT);
    gridcase__reply__free_unpacked (reply, NULL);
    return 0;
}

static const char *const s_cmd_journal_options[] = {"since=", "case=",       "limit=", "json",
                                                    "topic=", "escalations", NULL};

static int
s_cmd_journal (context_t *ctx, const cli_args_t *a)
{
    const char *const *v = a->v;
    int positional = a->positionals;
    if (positional)
        return cli_usage ("journal takes no positional arguments");
    Gridcase__JournalRequest query = GRIDCASE__JOURNAL_REQUEST__INIT;
    double number;
    if (v[0]) {
        if (!cli_number (v[0], &number) || number < 0)
            return cli_usage ("--since wants a journal sequence number");
        query.since = (uint64_t)number;
    }
    query.case_id = (char *)(v[1] ? v[1] : "");
    query.topic = (char *)(v[4] ? v[4] : "");
    query.escalations_only = v[5] != NULL;
    uint64_t limit = UINT64_MAX;
    if (v[2]) {
        if (!cli_number (v[2], &number) || number < 1)
            return cli_usage ("--limit wants a positive number");
        limit = (uint64_t)number;
    }
    return cli_journal_pages (ctx, &query, limit, 0, v[3] ? CLI_JSON : CLI_TEXT, NULL, NULL, 0);
}

//  --------------------------------------------------------------------------
//  Lists and queues

static void
s_print_case_csv (const Gridcase__Case *c)
{
    char created[64], response[64], resolution[64];
    const char *fields[] = {
        c->id,
        gridcase_severity_name (c->severity),
        gridcase_state_name (c->state),
        gridcase_level_name (c->level),
        c->holder,
        c->grid,
        c->community,
        c->street,
        c->category,
        cli_time_local (c->created_at, created, sizeof (created)),
        c->response_due ? cli_time_local (c->response_due, response, sizeof (response)) : "",
        c->resolution_due ? cli_time_local (c->resolution_due, resolution, sizeof (resolution))
                          : "",
        c->title};
    size_t n = sizeof (fields) / sizeof (fields[0]);
    for (size_t i = 0; i < n; i++)
        cli_csv_field (fields[i], i + 1 == n);
}

static int
s_list_call (context_t *ctx, Gridcase__ListRequest *list, uint64_t limit, cli_format_t format)
{
    if (format == CLI_CSV)
        puts ("id,severity,state,level,holder,grid,community,street,category,created,"
              "response_due,resolution_due,title");
    while (limit > 0) {
        list->limit = limit < 500 ? (uint32_t)limit : 500;
        Gridcase__Request request = GRIDCASE__REQUEST__INIT;
        request.op_case = GRIDCASE__REQUEST__OP_LIST;
        request.list = list;
        Gridcase__Reply *reply;
        int rc = cli_call (ctx, &request, &reply);
        if (rc)
            return rc;
        Gridcase__ListReply *page = reply->list;
        for (size_t i = 0; i < page->n_cases; i++) {
            if (format == CLI_JSON)
                cli_print_case_json (page->cases[i]);
            else if (format == CLI_CSV)
                s_print_case_csv (page->cases[i]);
            else
                cli_print_case_line (page->cases[i]);
        }
        static char after[64];
        snprintf (after, sizeof (after), "%s", page->next_after);
        limit -= page->n_cases < limit ? page->n_cases : limit;
        gridcase__reply__free_unpacked (reply, NULL);
        if (!*after)
            break;
        list->after = after;
        if (limit == 0)
            //  Stdout stays the cases; the way on goes to stderr
            fprintf (stderr,
                     "gridcase: more cases follow; for the next page run the same command with "
                     "--after %s\n",
                     after);
    }
    return 0;
}

static const char *const s_cmd_queue_options[] = {"limit=", "json", "csv", "after=", NULL};

static int
s_cmd_queue (context_t *ctx, const cli_args_t *a)
{
    const char *const *v = a->v;
    int positional = a->positionals;
    const char *queue = a->id;
    if (positional != 1)
        return cli_usage ("queue takes one queue name, e.g. committee/haihong or dept/gas");
    double number = 100;
    if (v[0] && (!cli_number (v[0], &number) || number < 1))
        return cli_usage ("--limit wants a positive number");
    Gridcase__ListRequest list = GRIDCASE__LIST_REQUEST__INIT;
    list.queue = (char *)queue;
    list.after = (char *)(v[3] ? v[3] : "");
    return s_list_call (ctx, &list, (uint64_t)number, v[1] ? CLI_JSON : v[2] ? CLI_CSV : CLI_TEXT);
}

static const char *const s_cmd_list_options[] = {"state=",  "level=", "area=", "severity=",
                                                 "overdue", "limit=", "json",  "csv",
                                                 "period=", "after=", NULL};

static int
s_cmd_list (context_t *ctx, const cli_args_t *a)
{
    const char *const *v = a->v;
    int positional = a->positionals;
    if (positional)
        return cli_usage ("list takes no positional arguments");
    Gridcase__ListRequest list = GRIDCASE__LIST_REQUEST__INIT;
    if (v[0] && !(list.state = gridcase_state_parse (v[0])))
        return cli_usage ("--state is at_grid, queued, claimed, in_progress, resolved, verified "
                          "or closed");
    if (v[1] && !(list.level = gridcase_level_parse (v[1])))
        return cli_usage ("--level is grid, community, street, district, department or "
                          "supervision");
    list.area = (char *)(v[2] ? v[2] : "");
    if (v[3] && !(list.severity = gridcase_severity_parse (v[3])))
        return cli_usage ("--severity is red, yellow or green");
    list.overdue = v[4] != NULL;
    double number = 100;
    if (v[5] && (!cli_number (v[5], &number) || number < 1))
        return cli_usage ("--limit wants a positive number");
    //  Reported in the period: the daemon reads it on the city's calendar
    list.period = (char *)(v[8] ? v[8] : "");
    list.after = (char *)(v[9] ? v[9] : ""); //  the next page: where the last one ended
    return s_list_call (ctx, &list, (uint64_t)number, v[6] ? CLI_JSON : v[7] ? CLI_CSV : CLI_TEXT);
}

//  --------------------------------------------------------------------------
//  watch: follow a topic; a gap in the notices is filled from the journal

static const char *const s_cmd_watch_options[] = {"since=", "json", "events=", NULL};

static int
s_cmd_watch (context_t *ctx, const cli_args_t *a)
{
    const char *const *v = a->v;
    int positional = a->positionals;
    const char *topic = a->id;
    if (positional != 1)
        return cli_usage ("watch takes one topic, e.g. dept/gas, committee/haihong or log");
    double number = 0;
    if (v[0] && (!cli_number (v[0], &number) || number < 0))
        return cli_usage ("--since wants a journal sequence number");
    Gridcase__JournalRequest query = GRIDCASE__JOURNAL_REQUEST__INIT;
    query.since = (uint64_t)number;
    return cli_follow (ctx, cli_events_endpoint (v[2]), topic, &query, v[0] != NULL,
                       v[1] ? CLI_JSON : CLI_TEXT);
}

static const char *const s_cmd_keygen_options[] = {"api-key", "group=", NULL};

//  An api key for the roster's actor NAME: printed once, kept nowhere; the
//  roster holds its SHA-256
static int
s_api_keygen (const char *name)
{
    uint8_t random[24];
    if (getrandom (random, sizeof (random), 0) != (ssize_t)sizeof (random)) {
        fprintf (stderr, "gridcase: no random bytes from the system for a key\n");
        return EXIT_USAGE;
    }
    char key[64], hashed[80];
    size_t at = (size_t)snprintf (key, sizeof (key), "gck_");
    for (size_t i = 0; i < sizeof (random); i++, at += 2)
        snprintf (key + at, sizeof (key) - at, "%02x", random[i]);
    gc_api_key_hash (key, hashed, sizeof (hashed));
    printf ("api key for %s (hand it to its holder now: it is kept nowhere, only its hash):\n"
            "  %s\n"
            "for the roster, under actor %s:   api_key = \"%s\"\n",
            name, key, name, hashed);
    return 0;
}

static int
s_cmd_keygen (context_t *ctx, const cli_args_t *a)
{
    (void)ctx;
    int positional = a->positionals;
    const char *name = a->id;
    if (a->v[0] && positional == 1)
        return s_api_keygen (name);
    if (positional != 1)
        return cli_usage ("keygen takes one name: the file to write (NAME and NAME_secret), or "
                          "with --api-key the roster actor the key is for");
    char secret[1100];
    snprintf (secret, sizeof (secret), "%s_secret", name);
    if (zsys_file_exists (name) || zsys_file_exists (secret)) {
        fprintf (stderr, "gridcase: %s or %s exists already; not overwriting a key\n", name,
                 secret);
        return EXIT_USAGE;
    }
    zcert_t *cert = zcert_new ();
    zcert_set_meta (cert, "name", "%s", name);
    //  The secret file is for its owner's eyes only
    mode_t old = umask (077);
    int rc = zcert_save (cert, name);
    umask (old);
    if (rc) {
        fprintf (stderr, "gridcase: cannot write %s and %s\n", name, secret);
        zcert_destroy (&cert);
        return EXIT_USAGE;
    }
    chmod (name, 0644);
    //  --group: the daemon's group may read the secret (the packaged unit
    //  runs as user and group gridcase)
    const char *group = a->v[1];
    struct group *g = group ? getgrnam (group) : NULL;
    if (group && (!g || chown (secret, (uid_t)-1, g->gr_gid) || chmod (secret, 0640))) {
        fprintf (stderr, "gridcase: cannot give %s to group '%s': %s\n", secret, group,
                 g ? strerror (errno) : "no such group");
        zcert_destroy (&cert);
        return EXIT_USAGE;
    }
    struct stat info;
    if (stat (secret, &info) != 0)
        memset (&info, 0, sizeof (info));
    struct passwd *owner = getpwuid (info.st_uid);
    struct group *owners = getgrgid (info.st_gid);
    printf ("wrote %s (the public key, mode 0644) and %s (keep it secret: mode %04o, owner %s, "
            "group %s)\n"
            "public key: %s\n"
            "for the roster:   key = \"%s\"\n",
            name, secret, (unsigned)(info.st_mode & 07777), owner ? owner->pw_name : "?",
            owners ? owners->gr_name : "?", zcert_public_txt (cert), zcert_public_txt (cert));
    if (info.st_uid == 0 && !group)
        printf ("only root can read %s: give the daemon's group read access (keygen --group "
                "gridcase, as the packages' unit runs), or hand it over with systemd's "
                "LoadCredential= (see the README)\n",
                secret);
    zcert_destroy (&cert);
    return 0;
}

static const char *const s_cmd_passwd_options[] = {NULL};

//  One line of the terminal or of stdin, without its newline; PROMPT and no
//  echo on a terminal
static bool
s_read_secret (const char *prompt, char *out, size_t size)
{
    bool tty = isatty (STDIN_FILENO);
    struct termios saved, quiet;
    if (tty) {
        fprintf (stderr, "%s", prompt);
        tcgetattr (STDIN_FILENO, &saved);
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    bool ok = fgets (out, (int)size, stdin) != NULL;
    if (tty) {
        tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
        fprintf (stderr, "\n");
    }
    if (ok)
        out[strcspn (out, "\r\n")] = 0;
    return ok;
}

//  A web password for the roster's ACTOR (the gateway's supervisors' page):
//  read twice on a terminal, once from a pipe; printed only as its hash
static int
s_cmd_passwd (context_t *ctx, const cli_args_t *a)
{
    (void)ctx;
    if (a->positionals != 1)
        return cli_usage ("passwd takes the roster actor the password is for");
    char password[256], again[256];
    if (!s_read_secret ("web password: ", password, sizeof (password)))
        return cli_usage ("no password given");
    if (isatty (STDIN_FILENO) &&
        (!s_read_secret ("again: ", again, sizeof (again)) || strcmp (password, again) != 0)) {
        fprintf (stderr, "gridcase: the two passwords differ; nothing printed\n");
        return EXIT_USAGE;
    }
    if (strlen (password) < 8) {
        fprintf (stderr, "gridcase: a web password has 8 characters at least\n");
        return EXIT_USAGE;
    }
    char hashed[crypto_pwhash_STRBYTES];
    if (sodium_init () < 0 ||
        crypto_pwhash_str (hashed, password, strlen (password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                           crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        fprintf (stderr, "gridcase: cannot hash the password (out of memory?)\n");
        return EXIT_USAGE;
    }
    sodium_memzero (password, sizeof (password));
    sodium_memzero (again, sizeof (again));
    printf ("for the roster, under actor %s:   password = \"%s\"\n", a->id, hashed);
    return 0;
}

static const char *const s_cmd_backup_options[] = {NULL};

static int
s_cmd_backup (context_t *ctx, const cli_args_t *a)
{
    int positional = a->positionals;
    const char *dir = a->id;
    if (positional != 1)
        return cli_usage ("backup takes one directory, on the daemon's machine");
    //  The daemon writes it: a relative path is taken from here
    char path[4096];
    if (*dir == '/')
        snprintf (path, sizeof (path), "%s", dir);
    else {
        char cwd[2048];
        if (!getcwd (cwd, sizeof (cwd)))
            return cli_usage ("cannot tell the current directory: give an absolute path");
        snprintf (path, sizeof (path), "%s/%s", cwd, dir);
    }
    Gridcase__BackupRequest backup = GRIDCASE__BACKUP_REQUEST__INIT;
    backup.path = path;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_BACKUP;
    request.backup = &backup;
    Gridcase__Reply *reply;
    int rc = cli_call (ctx, &request, &reply);
    if (rc)
        return rc;
    printf ("backed up to %s: %" PRIu64 " bytes\n", reply->backup->path, reply->backup->bytes);
    gridcase__reply__free_unpacked (reply, NULL);
    return 0;
}

static const char *const s_cmd_info_options[] = {"json", NULL};

//  gridcase info: which daemon this is, and whether this client may use it
static int
s_cmd_info (context_t *ctx, const cli_args_t *a)
{
    if (a->positionals)
        return cli_usage ("info takes no positional arguments");
    Gridcase__Reply *reply = NULL;
    int rc = cli_server_info (ctx, &reply);
    if (rc)
        return rc;
    const Gridcase__ServerInfoReply *info = reply->server_info;
    if (a->json)
        cli_print_json (&info->base);
    else {
        printf ("daemon   gridcased %s at %s (protocol %u, store schema %u)\n", info->version,
                ctx->endpoint, info->protocol, info->schema);
        printf ("city     %s, time zone %s\n", info->city, info->timezone);
        printf ("mode     %s\n", info->curve ? "CURVE: encrypted, clients known by their key"
                                             : "local: loopback only, no keys");
        printf ("client   gridcase %s (protocol %d): compatible\n", gridcase_version (),
                GRIDCASE_PROTOCOL);
    }
    gridcase__reply__free_unpacked (reply, NULL);
    return 0;
}

const cli_command_t cli_reading_commands[] = {
    {"info", s_cmd_info, s_cmd_info_options, false},
    {"show", s_cmd_show, s_cmd_show_options, false},
    {"journal", s_cmd_journal, s_cmd_journal_options, false},
    {"queue", s_cmd_queue, s_cmd_queue_options, false},
    {"list", s_cmd_list, s_cmd_list_options, false},
    {"watch", s_cmd_watch, s_cmd_watch_options, false},
    {"backup", s_cmd_backup, s_cmd_backup_options, false},
    {"keygen", s_cmd_keygen, s_cmd_keygen_options, false},
    {"passwd", s_cmd_passwd, s_cmd_passwd_options, false},
    {NULL, NULL, NULL, false},
};
