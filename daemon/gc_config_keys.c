/*  gc_config_keys - the keys each section of a config file may hold, as the
    README's configuration reference lists them. See gc_config_keys.h. */
#include "gc_config_keys.h"

//  --------------------------------------------------------------------------
//  The keys each section may hold: anything else is a mistake

#define ONCE GC_ZPL_ONCE
#define IDS GC_ZPL_IDS
#define LINES GC_ZPL_LINES

static const gc_zpl_key_t s_settings[] = {{"timezone", ONCE, NULL},     {"command", ONCE, NULL},
                                          {"events", ONCE, NULL},       {"datadir", ONCE, NULL},
                                          {"map_size", ONCE, NULL},     {"map_max", ONCE, NULL},
                                          {"curve", ONCE, NULL},        {"server_cert", ONCE, NULL},
                                          {"roster", ONCE, NULL},       {"city", ONCE, NULL},
                                          {"readers", ONCE, NULL},      {"connections", ONCE, NULL},
                                          {"idle_timeout", ONCE, NULL}, {"idempotency", ONCE, NULL},
                                          {"grids", ONCE, NULL},        {NULL, ONCE, NULL}};
static const gc_zpl_key_t s_calendar[] = {
    {"days", ONCE, NULL}, {"hours", ONCE, NULL}, {"holidays", LINES, NULL}, {NULL, ONCE, NULL}};
static const gc_zpl_key_t s_calendars[] = {{"calendar", IDS, s_calendar}, {NULL, ONCE, NULL}};
static const gc_zpl_key_t s_window[] = {
    {"response", ONCE, NULL}, {"resolution", ONCE, NULL}, {NULL, ONCE, NULL}};
static const gc_zpl_key_t s_rule_severity[] = {{"calendar", ONCE, NULL},
                                               {"response", ONCE, NULL},
                                               {"resolution", ONCE, NULL},
                                               {NULL, ONCE, NULL}};
static const gc_zpl_key_t s_level[] = {{"severity", IDS, s_window}, {NULL, ONCE, NULL}};
static const gc_zpl_key_t s_rule_category[] = {
    {"severity", IDS, s_window}, {"level", IDS, s_level}, {NULL, ONCE, NULL}};
static const gc_zpl_key_t s_rules[] = {
    {"calendar", ONCE, NULL},           {"lease", ONCE, NULL},
    {"max_deliveries", ONCE, NULL},     {"verification", ONCE, NULL},
    {"evaluation", ONCE, NULL},         {"pause_max", ONCE, NULL},
    {"severity", IDS, s_rule_severity}, {"level", IDS, s_level},
    {"category", IDS, s_rule_category}, {NULL, ONCE, NULL}};
static const gc_zpl_key_t s_grid[] = {{"name", ONCE, NULL}, {NULL, ONCE, NULL}};
static const gc_zpl_key_t s_community[] = {
    {"name", ONCE, NULL}, {"calendar", ONCE, NULL}, {"grid", IDS, s_grid}, {NULL, ONCE, NULL}};
static const gc_zpl_key_t s_street[] = {{"name", ONCE, NULL},
                                        {"calendar", ONCE, NULL},
                                        {"community", IDS, s_community},
                                        {NULL, ONCE, NULL}};
static const gc_zpl_key_t s_district[] = {
    {"name", ONCE, NULL}, {"calendar", ONCE, NULL}, {"street", IDS, s_street}, {NULL, ONCE, NULL}};
static const gc_zpl_key_t s_city[] = {{"district", IDS, s_district}, {NULL, ONCE, NULL}};
static const gc_zpl_key_t s_department[] = {
    {"name", ONCE, NULL}, {"calendar", ONCE, NULL}, {NULL, ONCE, NULL}};
static const gc_zpl_key_t s_departments[] = {{"department", IDS, s_department}, {NULL, ONCE, NULL}};
static const gc_zpl_key_t s_category[] = {
    {"name", ONCE, NULL}, {"department", ONCE, NULL}, {"severity", ONCE, NULL}, {NULL, ONCE, NULL}};
static const gc_zpl_key_t s_categories[] = {{"category", IDS, s_category}, {NULL, ONCE, NULL}};
static const gc_zpl_key_t s_actor[] = {
    {"name", ONCE, NULL},     {"role", ONCE, NULL},       {"key", ONCE, NULL},
    {"grid", IDS, NULL},      {"community", ONCE, NULL},  {"street", ONCE, NULL},
    {"district", ONCE, NULL}, {"department", ONCE, NULL}, {"api_key", LINES, NULL},
    {"password", ONCE, NULL}, {NULL, ONCE, NULL}};
static const gc_zpl_key_t s_roster[] = {{"actor", IDS, s_actor}, {NULL, ONCE, NULL}};
//  gridcase-gateway's settings
static const gc_zpl_key_t s_gateway[] = {
    {"listen", ONCE, NULL},           {"command", ONCE, NULL}, {"events", ONCE, NULL},
    {"behind_tls_proxy", ONCE, NULL}, {"actor", ONCE, NULL},   {"cert", ONCE, NULL},
    {"server_key", ONCE, NULL},       {"threads", ONCE, NULL}, {"tls_cert", ONCE, NULL},
    {"web_root", ONCE, NULL},         {"tls_key", ONCE, NULL}, {NULL, ONCE, NULL}};

//  A file's top level: the daemon's settings, the city, the roster
const gc_zpl_key_t gc_config_file_all[] = {{"gridcase", ONCE, s_settings},
                                           {"calendars", ONCE, s_calendars},
                                           {"rules", ONCE, s_rules},
                                           {"city", ONCE, s_city},
                                           {"departments", ONCE, s_departments},
                                           {"categories", ONCE, s_categories},
                                           {"roster", ONCE, s_roster},
                                           {"gateway", ONCE, s_gateway},
                                           {NULL, ONCE, NULL}};
//  ... of the file "city" names (its own settings are checked, not used)
const gc_zpl_key_t gc_config_file_city[] = {{"gridcase", ONCE, s_settings},
                                            {"calendars", ONCE, s_calendars},
                                            {"rules", ONCE, s_rules},
                                            {"city", ONCE, s_city},
                                            {"departments", ONCE, s_departments},
                                            {"categories", ONCE, s_categories},
                                            {NULL, ONCE, NULL}};
//  ... of the file "roster" names
const gc_zpl_key_t gc_config_file_roster[] = {{"roster", ONCE, s_roster}, {NULL, ONCE, NULL}};
