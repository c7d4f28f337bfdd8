/*  libgridcase's JSON: any message of the protocol as JSON (jansson),
    driven by the message's protobuf-c descriptor, for the CLI and any other
    client that speaks JSON (a gateway, a dashboard):

    - field names as in proto/gridcase.proto (JournalEntry.case_id is
      "case");
    - enums by their short name: "at_grid", "red", "reported";
    - times (int64 milliseconds: fields named time, until, or ending in _at,
      _due, _until, _since) as ISO 8601 UTC, "2026-11-23T01:00:53.000Z", and "" when
      unset;
    - an Actor as "role:id"; bytes as lowercase hex; a repeated field as an
      array; of a oneof only the member that is set;
    - in Figures, a rate or time with nothing to compute it from (no cases)
      as null, never 0. */
#ifndef GRIDCASE_JSON_H_INCLUDED
#define GRIDCASE_JSON_H_INCLUDED

#include "gridcase.h"
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

//  A new JSON object for MESSAGE (json_decref it)
json_t *gridcase_json (const ProtobufCMessage *message);

//  MESSAGE as one line of compact JSON (free it)
char *gridcase_json_text (const ProtobufCMessage *message);

//  True when FIELD of F (a rate or a time) has nothing to be computed from:
//  no cases counted under it. JSON shows null, a table "-", CSV an empty cell
bool gridcase_figure_undefined (const Gridcase__Figures *f, const char *field);

//  Milliseconds since the epoch as ISO 8601 UTC with milliseconds, into
//  BUFFER (at least 32 bytes); "" for 0 or less
const char *gridcase_time_iso (int64_t ms, char *buffer, size_t size);

#ifdef __cplusplus
}
#endif

#endif
