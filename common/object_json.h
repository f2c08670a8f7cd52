/*
 * An object's index as the control socket carries it: the "blocks" array
 * of commit_upload (uploaderd) and replace_objects (compactd), one
 * [stream, start, end, max_timestamp, records, position, size, crc] per
 * block, read back from the finished object itself so the catalog gets
 * exactly what the object says.
 */
#ifndef SLUICE_OBJECT_JSON_H
#define SLUICE_OBJECT_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* The blocks array of the whole object obj[0..len) (a new reference), or
 * NULL when the object does not parse (err says why) or memory ran out. */
json_t *object_json_blocks(const uint8_t *obj, size_t len, char *err,
			   size_t errlen);

#endif
