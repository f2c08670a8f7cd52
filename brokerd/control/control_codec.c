/*
 * Object ids and block arrays on the control socket (see control_codec.h).
 * uploaderd and compactd build these arrays from object indexes; brokerd
 * checks the shape here and leaves the meaning (ranges, fencing) to the
 * catalog.  No state; any thread.
 */
#include "control_codec.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brokerd/catalog/catalog.h"

/* Strict: exactly 16 hex digits, no sign, no spaces. */
int control_codec_id_parse(json_t *v, uint64_t *id)
{
	const char *hex = json_string_value(v);
	if (!hex || json_string_length(v) != 16)
		return -1;
	uint64_t x = 0;
	for (int i = 0; i < 16; i++) {
		char c = hex[i];
		int d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		x = x << 4 | (uint64_t)d;
	}
	*id = x;
	return 0;
}

/* The inverse of control_codec_id_parse, lowercase. */
char *control_codec_id_format(uint64_t id, char buf[CONTROL_CODEC_ID_LEN])
{
	snprintf(buf, CONTROL_CODEC_ID_LEN, "%016" PRIx64, id);
	return buf;
}

/* Shape checks only; the catalog judges offsets and fencing. */
ssize_t control_codec_blocks_parse(json_t *arr, uint64_t object_id,
				   size_t max, struct catalog_block **out)
{
	size_t n = json_array_size(arr);
	if (!json_is_array(arr) || n > max)
		return -1;
	struct catalog_block *b = calloc(n ? n : 1, sizeof *b);
	if (!b)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(arr, i);
		json_int_t v[8];
		if (!json_is_array(e) || json_array_size(e) != 8)
			goto bad;
		for (size_t k = 0; k < 8; k++) {
			json_t *x = json_array_get(e, k);
			if (!json_is_integer(x))
				goto bad;
			v[k] = json_integer_value(x);
		}
		/* max_timestamp (v[3]) may be anything, -1 included */
		if (v[0] < 0 || v[1] < 0 || v[2] <= v[1] || v[4] <= 0 || v[5] < 0 ||
		    v[6] <= 0 || v[6] > UINT32_MAX || v[7] < 0 || v[7] > UINT32_MAX)
			goto bad;
		b[i] = (struct catalog_block){
			.stream_id = (uint64_t)v[0],
			.start_offset = v[1],
			.end_offset = v[2],
			.max_timestamp = v[3],
			.record_count = (uint64_t)v[4],
			.object_id = object_id,
			.position = (uint64_t)v[5],
			.size = (uint32_t)v[6],
			.crc = (uint32_t)v[7],
		};
	}
	*out = b;
	return (ssize_t)n;
bad:
	free(b);
	return -1;
}

/* The 8-integer array a block travels as. */
json_t *control_codec_block_json(const struct catalog_block *b)
{
	return json_pack("[I, I, I, I, I, I, I, I]", (json_int_t)b->stream_id,
			 (json_int_t)b->start_offset, (json_int_t)b->end_offset,
			 (json_int_t)b->max_timestamp,
			 (json_int_t)b->record_count, (json_int_t)b->position,
			 (json_int_t)b->size, (json_int_t)b->crc);
}
