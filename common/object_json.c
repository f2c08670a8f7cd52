/*
 * Object index to JSON for the control socket (see object_json.h).  Pure;
 * the caller owns the array it gets.
 */
#include "common/object_json.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/object_format.h"

json_t *object_json_blocks(const uint8_t *obj, size_t len, char *err,
			   size_t errlen)
{
	struct object_footer f;
	struct object_index_entry *e = NULL;
	size_t n = 0;
	if (err && errlen)
		snprintf(err, errlen, "out of memory");
	if (object_footer_parse(obj, len, len, &f, err, errlen) < 0 ||
	    object_index_parse(obj + f.index_pos, f.index_size, &f, &e, &n, err,
			       errlen) < 0)
		return NULL;
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		json_t *b = json_pack("[I,I,I,I,I,I,I,I]", (json_int_t)e[i].stream_id,
				      (json_int_t)e[i].start_offset,
				      (json_int_t)e[i].end_offset,
				      (json_int_t)e[i].max_timestamp,
				      (json_int_t)e[i].record_count,
				      (json_int_t)e[i].position, (json_int_t)e[i].size,
				      (json_int_t)e[i].block_crc);
		if (!b || json_array_append_new(arr, b) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	free(e);
	return arr;
}
