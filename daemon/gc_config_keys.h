/*  gc_config_keys - the keys each section of a config file may hold:
    anything else is a mistake the daemon stops on (gc_zpl_check). */
#ifndef GC_CONFIG_KEYS_H_INCLUDED
#define GC_CONFIG_KEYS_H_INCLUDED

#include "gc_zpl.h"

//  A file's top level: the daemon's settings, the city, the roster
extern const gc_zpl_key_t gc_config_file_all[];
//  ... of the file "city" names (its own settings are checked, not used)
extern const gc_zpl_key_t gc_config_file_city[];
//  ... of the file "roster" names
extern const gc_zpl_key_t gc_config_file_roster[];

#endif
