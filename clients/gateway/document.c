/*  gridcase-gateway's replies as JSON (jansson) or XML (libxml2's
    xmlwriter), from one jansson document. See gateway.h. */
#include "gateway.h"
#include "gc_util.h"

#include <libxml/xmlwriter.h>
#include <string.h>

//  The element of one item of ROOT: services -> service; the spec's own
//  exceptions first
static void
s_singular (const char *root, char *out, size_t size)
{
    if (strcmp (root, "service_requests") == 0)
        snprintf (out, size, "request");
    else if (strcmp (root, "service_request_updates") == 0)
        snprintf (out, size, "request_update");
    else {
        size_t len = strlen (root);
        snprintf (out, size, "%.*s", (int)(len > 1 && root[len - 1] == 's' ? len - 1 : len), root);
    }
}

static void s_xml_value (xmlTextWriterPtr writer, const char *name, json_t *value);

static void
s_xml_fields (xmlTextWriterPtr writer, json_t *object)
{
    const char *key;
    json_t *value;
    json_object_foreach (object, key, value) s_xml_value (writer, key, value);
}

static void
s_xml_value (xmlTextWriterPtr writer, const char *name, json_t *value)
{
    xmlTextWriterStartElement (writer, BAD_CAST name);
    if (json_is_array (value)) {
        char item[64];
        s_singular (name, item, sizeof (item));
        size_t i;
        json_t *each;
        json_array_foreach (value, i, each) s_xml_value (writer, item, each);
    } else if (json_is_object (value))
        s_xml_fields (writer, value);
    else if (json_is_string (value))
        xmlTextWriterWriteString (writer, BAD_CAST json_string_value (value));
    else if (json_is_true (value) || json_is_false (value))
        xmlTextWriterWriteString (writer, BAD_CAST (json_is_true (value) ? "true" : "false"));
    else if (json_is_integer (value))
        xmlTextWriterWriteFormatString (writer, "%" JSON_INTEGER_FORMAT,
                                        json_integer_value (value));
    else if (json_is_real (value))
        xmlTextWriterWriteFormatString (writer, "%.7f", json_real_value (value));
    xmlTextWriterEndElement (writer);
}

void
gw_document (gw_reply_t *reply, unsigned status, gw_format_t format, const char *root,
             json_t *document)
{
    reply->status = status;
    if (format == GW_JSON) {
        reply->body = json_dumps (document, JSON_COMPACT);
        reply->size = reply->body ? strlen (reply->body) : 0;
        reply->type = "application/json; charset=utf-8";
    } else {
        xmlBufferPtr buffer = xmlBufferCreate ();
        xmlTextWriterPtr writer = xmlNewTextWriterMemory (buffer, 0);
        xmlTextWriterStartDocument (writer, "1.0", "utf-8", NULL);
        s_xml_value (writer, root, document);
        xmlTextWriterEndDocument (writer);
        xmlFreeTextWriter (writer);
        reply->size = (size_t)xmlBufferLength (buffer);
        reply->body = (char *)malloc (reply->size + 1);
        if (reply->body)
            memcpy (reply->body, xmlBufferContent (buffer), reply->size + 1);
        xmlBufferFree (buffer);
        reply->type = "text/xml; charset=utf-8";
    }
    json_decref (document);
}

void
gw_error (gw_reply_t *reply, unsigned status, gw_format_t format, const char *description)
{
    //  What the client sent may be in it: a text that is not UTF-8 is not
    //  echoed, and the error is still the spec's
    if (!gc_utf8_valid (description, strlen (description)))
        description = status == 404 ? "not found (and what was asked for is not UTF-8)"
                                    : "a bad request (and what was asked for is not UTF-8)";
    json_t *errors = json_array ();
    json_array_append_new (
        errors, json_pack ("{s:i, s:s}", "code", (int)status, "description", description));
    gw_document (reply, status, format, "errors", errors);
}

void
gw_unknown_service (gw_reply_t *reply, gw_format_t format, const char *code)
{
    char why[300];
    snprintf (why, sizeof (why), "no service '%.200s' (GET services lists them)", code);
    gw_error (reply, 404, format, why);
}
