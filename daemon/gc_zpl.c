/*  gc_zpl - config files read strictly. See gc_zpl.h. */
#include "gc_zpl.h"

//  The largest config file read: a city of a few thousand grids is well
//  under a megabyte
#define GC_ZPL_FILE_MAX (64 * 1024 * 1024)

//  One file: its tree and, for each item in file order, its line
typedef struct {
    char *path;
    zconfig_t *root;
    size_t count;
    zconfig_t **nodes;
    int *lines;
    char **texts; //  the line, without its indentation
} s_file_t;

struct _gc_zpl_t {
    zlistx_t *files;
    size_t errors;
};

static void
s_file_destroy (void **item_p)
{
    s_file_t *file = (s_file_t *)*item_p;
    if (file) {
        for (size_t i = 0; i < file->count; i++)
            free (file->texts[i]);
        free (file->texts);
        free (file->lines);
        free (file->nodes);
        zconfig_destroy (&file->root);
        free (file->path);
        free (file);
        *item_p = NULL;
    }
}

gc_zpl_t *
gc_zpl_new (void)
{
    gc_zpl_t *self = (gc_zpl_t *)zmalloc (sizeof (gc_zpl_t));
    self->files = zlistx_new ();
    zlistx_set_destructor (self->files, s_file_destroy);
    return self;
}

void
gc_zpl_destroy (gc_zpl_t **self_p)
{
    gc_zpl_t *self = *self_p;
    if (self) {
        zlistx_destroy (&self->files);
        free (self);
        *self_p = NULL;
    }
}

static void
s_report (gc_zpl_t *self, const char *path, int line, const char *text, const char *message)
{
    self->errors++;
    if (line > 0)
        zsys_error ("config %s:%d: %s: %s", path, line, message, text);
    else
        zsys_error ("config %s: %s", path, message);
}

static bool
s_name_char (char c)
{
    return isalnum ((unsigned char)c) || (c && strchr ("$-_@.&+/", c) != NULL);
}

//  The grammar zconfig reads, checked line by line so that a mistake names
//  its line: returns NULL or what is wrong with LINE (indented SPACES)
static const char *
s_line_fault (const char *line, size_t spaces, int level, int previous)
{
    if (spaces % 4)
        return "indent by four spaces at a time";
    if (level > previous + 1)
        return "indented deeper than the line above allows (four spaces under its section)";
    const char *p = line;
    while (s_name_char (*p))
        p++;
    if (p[-1] == '/' || *line == '/')
        return "a name neither starts nor ends with '/'";
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p || *p == '#')
        return NULL;
    if (*p != '=')
        return "expected 'name = value' or a section name alone";
    p++;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '"' || *p == '\'') {
        const char *end = strchr (p + 1, *p);
        if (!end)
            return "the quoted value has no closing quote";
        for (p = end + 1; *p == ' ' || *p == '\t'; p++)
            ;
        if (*p && *p != '#')
            return "text after the closing quote (a comment starts with '#')";
    }
    return NULL;
}

//  Reads the lines of FILE's text: each item's line and text, and checks
//  them. Returns the number of faults reported.
static size_t
s_scan (gc_zpl_t *self, s_file_t *file, char *data, size_t size)
{
    size_t faults = 0, capacity = 0;
    int lineno = 0, previous = -1;
    char *next = data;
    while (next && next < data + size) {
        char *line = next;
        char *eol = (char *)memchr (line, '\n', (size_t)(data + size - line));
        size_t length = eol ? (size_t)(eol - line) : (size_t)(data + size - line);
        next = eol ? eol + 1 : NULL;
        lineno++;
        char *text = strndup (line, length);
        size_t end = length;
        while (end && isspace ((unsigned char)text[end - 1]))
            text[--end] = 0;
        size_t spaces = strspn (text, " ");
        char *body = text + spaces;
        const char *fault = NULL;
        if (length > GC_ZPL_LINE_MAX)
            fault = "the line is longer than 1024 bytes, ZPL's limit (split a list over several "
                    "lines)";
        else if (*body == '\t' || (*body && *body != '#' && !s_name_char (*body)))
            fault = *body == '\t' ? "a tab: indent with spaces, four at a time"
                                  : "a line starts with a name, a '#' comment, or is blank";
        else if (!*body || *body == '#') {
            free (text);
            continue;
        }
        int level = (int)(spaces / 4);
        if (!fault)
            fault = s_line_fault (body, spaces, level, previous);
        if (fault) {
            s_report (self, file->path, lineno, body, fault);
            faults++;
            free (text);
            previous = level; //  one mistake, not one for each line below it
            continue;
        }
        previous = level;
        if (file->count == capacity) {
            capacity = capacity ? capacity * 2 : 256;
            file->lines = (int *)realloc (file->lines, capacity * sizeof (int));
            file->texts = (char **)realloc (file->texts, capacity * sizeof (char *));
        }
        memmove (text, body, strlen (body) + 1);
        file->lines[file->count] = lineno;
        file->texts[file->count++] = text;
    }
    return faults;
}

//  Every item of the tree under NODE, in file order (zconfig keeps it)
static void
s_collect (zconfig_t *node, zconfig_t **nodes, size_t count, size_t *at)
{
    for (zconfig_t *child = zconfig_child (node); child; child = zconfig_next (child)) {
        if (*at < count)
            nodes[*at] = child;
        (*at)++;
        s_collect (child, nodes, count, at);
    }
}

zconfig_t *
gc_zpl_load (gc_zpl_t *self, const char *path)
{
    s_file_t *file = (s_file_t *)zmalloc (sizeof (s_file_t));
    file->path = strdup (path);
    zlistx_add_end (self->files, file);
    FILE *handle = fopen (path, "rb");
    if (!handle) {
        s_report (self, path, 0, "", strerror (errno));
        return NULL;
    }
    char *data = (char *)malloc (GC_ZPL_FILE_MAX + 1);
    size_t size = fread (data, 1, GC_ZPL_FILE_MAX + 1, handle);
    bool failed = ferror (handle) != 0;
    fclose (handle);
    if (failed || size > GC_ZPL_FILE_MAX) {
        s_report (self, path, 0, "",
                  failed ? "cannot read the file" : "the file is larger than 64 MiB");
        free (data);
        return NULL;
    }
    if (memchr (data, 0, size)) {
        s_report (self, path, 0, "", "the file holds a NUL byte: not a text file");
        free (data);
        return NULL;
    }
    size_t faults = s_scan (self, file, data, size);
    if (faults == 0) {
        zchunk_t *chunk = zchunk_new (data, size);
        file->root = zconfig_chunk_load (chunk);
        zchunk_destroy (&chunk);
        if (!file->root)
            s_report (self, path, 0, "", "cannot parse the file (ZPL)");
    }
    free (data);
    if (!file->root)
        return NULL;
    size_t at = 0;
    file->nodes = (zconfig_t **)calloc (file->count + 1, sizeof (zconfig_t *));
    s_collect (file->root, file->nodes, file->count, &at);
    if (at != file->count)
        file->count = 0; //  cannot happen: zconfig makes one item a line
    return file->root;
}

void
gc_zpl_error (gc_zpl_t *self, zconfig_t *node, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *message = zsys_vprintf (format, args);
    va_end (args);
    for (s_file_t *file = (s_file_t *)zlistx_first (self->files); file && node;
         file = (s_file_t *)zlistx_next (self->files)) {
        if (node == file->root) {
            s_report (self, file->path, 0, "", message);
            free (message);
            return;
        }
        for (size_t i = 0; i < file->count; i++)
            if (file->nodes[i] == node) {
                s_report (self, file->path, file->lines[i], file->texts[i], message);
                free (message);
                return;
            }
    }
    self->errors++;
    zsys_error ("config %s", message);
    free (message);
}

size_t
gc_zpl_errors (gc_zpl_t *self)
{
    return self->errors;
}

static const gc_zpl_key_t *
s_key (const gc_zpl_key_t *keys, const char *name)
{
    for (; keys && keys->name; keys++)
        if (streq (keys->name, name))
            return keys;
    return NULL;
}

//  "a, b or c" for messages
static char *
s_key_names (const gc_zpl_key_t *keys)
{
    size_t count = 0, size = 1;
    for (const gc_zpl_key_t *key = keys; key->name; key++, count++)
        size += strlen (key->name) + 4;
    char *names = (char *)zmalloc (size);
    for (size_t i = 0; i < count; i++) {
        if (i)
            strcat (names, i + 1 == count ? " or " : ", ");
        strcat (names, keys[i].name);
    }
    return names;
}

size_t
gc_zpl_check (gc_zpl_t *self, zconfig_t *section, const gc_zpl_key_t *keys)
{
    size_t mistakes = 0;
    //  "category 'garbage'", or "categories" for a section without a value
    const char *value = zconfig_value (section);
    char *where = value && *value ? zsys_sprintf ("%s '%s'", zconfig_name (section), value)
                                  : strdup (zconfig_name (section));
    for (zconfig_t *child = zconfig_child (section); child; child = zconfig_next (child)) {
        const char *name = zconfig_name (child);
        const gc_zpl_key_t *key = s_key (keys, name);
        if (!key) {
            char *names = keys ? s_key_names (keys) : NULL;
            if (names && *names)
                gc_zpl_error (self, child, "unknown key '%s' under %s (it may hold %s)", name,
                              where, names);
            else
                gc_zpl_error (self, child, "%s holds no indented lines", where);
            free (names);
            mistakes++;
            continue;
        }
        //  The siblings before this one: the same key again?
        for (zconfig_t *before = zconfig_child (section); before != child;
             before = zconfig_next (before)) {
            if (!streq (zconfig_name (before), name))
                continue;
            if (key->repeat == GC_ZPL_ONCE) {
                gc_zpl_error (self, child, "'%s' is given twice under %s", name, where);
                mistakes++;
                break;
            }
            if (key->repeat == GC_ZPL_IDS &&
                streq (zconfig_value (before), zconfig_value (child))) {
                gc_zpl_error (self, child, "%s '%s' is given twice under %s", name,
                              zconfig_value (child), where);
                mistakes++;
                break;
            }
        }
        mistakes += gc_zpl_check (self, child, key->children);
    }
    free (where);
    return mistakes;
}

zconfig_t *
gc_zpl_child (zconfig_t *section, const char *name)
{
    for (zconfig_t *child = section ? zconfig_child (section) : NULL; child;
         child = zconfig_next (child))
        if (streq (zconfig_name (child), name))
            return child;
    return NULL;
}

const char *
gc_zpl_get (zconfig_t *section, const char *name, const char *default_value)
{
    zconfig_t *child = gc_zpl_child (section, name);
    return child ? zconfig_value (child) : default_value;
}
