/*  The gridcase command line: what its files share. cli_main.c reads the
    global options and runs a command from the tables; cli_cases.c holds
    the commands that change a case, cli_reads.c the reads (and backup,
    keygen), supervise.c the supervisors' log, stats, weekly and
    verify-journal, cli_field.c the outbox (outbox, sync); cli_daemon.c
    talks to the daemon, cli_output.c prints. */
#ifndef GC_CLI_H_INCLUDED
#define GC_CLI_H_INCLUDED

#include "gc_util.h"
#include "gridcase.h"
#include "gridcase_json.h"

#include <czmq.h>
#include <time.h>

#define EXIT_REPLY 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3
#define EXIT_QUEUED 4 //  the daemon did not answer: the request waits in the outbox
#define EXIT_OLD 5    //  the daemon is too old for this client (ServerInfo)

typedef struct {
    const char *endpoint;
    Gridcase__Role role;
    const char *actor;
    int timeout;
    const char *cert;       //  CURVE: this client's certificate file, or NULL
    const char *server_key; //  CURVE: the server's public key (Z85)
    bool local_time;        //  --local: times in the desktop's zone, not the city's
    const char *outbox;     //  --outbox: changing requests wait here when unanswered
    uint64_t based_on;      //  --based-on: the case's journal seq as last seen
} context_t;

//  Tables for people, JSON lines for programs, CSV for spreadsheets
typedef enum { CLI_TEXT, CLI_JSON, CLI_CSV } cli_format_t;

int cli_usage (const char *why);
//  A command's arguments as the command table parsed them (getopt_long)
#define CLI_OPTIONS_MAX 16
typedef struct {
    const char *command;            //  as typed: "accept", "park", ...
    const char *v[CLI_OPTIONS_MAX]; //  each option's value, in the order the table lists
                                    //  them; a flag given is "1", one not given NULL
    const char *id;                 //  the first positional argument (a case id, a queue,
                                    //  a topic, a name), or NULL
    int positionals;                //  how many there were
    bool json;                      //  --json was given (when the command has it)
} cli_args_t;
bool cli_number (const char *text, double *value);
//  Sends REQUEST and waits for its reply; 0 or an exit code (errors
//  printed). A case named "@N" is the one this outbox's request N made.
//  With an outbox, an unanswered changing request prints "queued @N" and
//  gives EXIT_QUEUED.
int cli_call (context_t *ctx, Gridcase__Request *request, Gridcase__Reply **reply_p);
//  Asks the daemon what it is (ServerInfo) and checks it is new enough for
//  this client: 0 with *REPLY_P (NULL: not wanted), or an exit code with
//  the reason on stderr (EXIT_OLD: upgrade the daemon)
int cli_server_info (context_t *ctx, Gridcase__Reply **reply_p);
//  The process's connection (and outbox), each call with the next request
//  id of this user's client; NULL with *RC the exit code
gridcase_t *cli_client (context_t *ctx, int *rc);
//  The outbox (--outbox), NULL with *RC when there is none
gridcase_outbox_t *cli_outbox (context_t *ctx, int *rc);
//  Where this user's client id and outbox live ($GRIDCASE_STATE_DIR, ...)
const char *cli_state_dir (void);
//  A reply named the city's time zone ZONE: times are shown in it (unless
//  --local), and it is kept for times shown offline
void cli_city_zone (context_t *ctx, const char *zone);

//  One CSV field, quoted when it must be; LAST ends the line
void cli_csv_field (const char *text, bool last);
const char *cli_time_local (int64_t ms, char *buffer, size_t size);
void cli_actor_text (const Gridcase__Actor *actor, char *buffer, size_t size);

//  Any message as one line of JSON (gridcase_json)
void cli_print_json (const ProtobufCMessage *message);
//  A JSON value as one line; takes VALUE (json_decref)
void cli_print_json_value (json_t *value);
void cli_print_case_json (const Gridcase__Case *c);
//  A case for people, field by field
void cli_print_case_text (const Gridcase__Case *c);
void cli_print_case_line (const Gridcase__Case *c);
void cli_entry_header (cli_format_t format);
void cli_print_entry (const Gridcase__JournalEntry *e, cli_format_t format);

//  Prints journal entries matching QUERY after query->since, page by page, up
//  to LIMIT and (UNTIL > 0) before seq UNTIL. *LAST: the last seq seen; TOPIC
//  (if not NULL) gets the reply's follow_topic.
int cli_journal_pages (context_t *ctx, Gridcase__JournalRequest *query, uint64_t limit,
                       uint64_t until, cli_format_t format, uint64_t *last, char *topic,
                       size_t topic_size);
//  The events endpoint: GIVEN, else $GRIDCASE_EVENTS, else the default
const char *cli_events_endpoint (const char *given);
//  Follows TOPIC live; with BACKLOG first prints what QUERY finds after
//  query->since. A notice whose prev_seq is past the last one seen means some
//  were lost: they are fetched from the journal with QUERY before going on.
int cli_follow (context_t *ctx, const char *events, const char *topic,
                Gridcase__JournalRequest *query, bool backlog, cli_format_t format);

//  Periods and times go to the daemon as the user typed them: it reads them
//  on the city's calendar and clock. Replies name the city's time zone; the
//  CLI shows times in it (cli_call sets TZ) unless --local.

//  A command: its name, what runs it, its options ("name" a flag, "name="
//  takes a value; getopt_long reads them), and whether it takes exactly one
//  case id. Each command file has a table of its own, ending with a NULL name.
typedef struct {
    const char *name;
    int (*run) (context_t *ctx, const cli_args_t *a);
    const char *const *options;
    bool one_case;
} cli_command_t;
extern const cli_command_t cli_changing_commands[];    //  cli_cases.c
extern const cli_command_t cli_reading_commands[];     //  cli_reads.c
extern const cli_command_t cli_supervising_commands[]; //  supervise.c
extern const cli_command_t cli_field_commands[];       //  cli_field.c

//  Prints what a changing command did: the case as JSON, or one line
int cli_print_result (Gridcase__Reply *reply, bool json);

#endif
