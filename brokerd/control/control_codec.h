/*
 * How catalog things travel on the control socket, written once for every
 * op that carries them (commit_upload, objects, replace_objects,
 * forget_objects): object ids as 16 lowercase hex digits, and blocks as
 * arrays [stream, start, end, max_timestamp, records, position, size, crc]
 * of JSON integers.  Pure functions; no state.
 */
#ifndef SLUICE_CONTROL_CODEC_H
#define SLUICE_CONTROL_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

struct catalog_block;

/* Most blocks one array may carry (one proposal, or one object). */
#define CONTROL_CODEC_MAX_BLOCKS 1000000

/* Buffer size for control_codec_id_format (16 digits and the NUL). */
#define CONTROL_CODEC_ID_LEN 17

/* Parses an object id: a JSON string of exactly 16 hex digits.  Returns 0
 * with *id set, or -1 when v is anything else. */
int control_codec_id_parse(json_t *v, uint64_t *id);

/* Writes id as 16 lowercase hex digits into buf; returns buf. */
char *control_codec_id_format(uint64_t id, char buf[CONTROL_CODEC_ID_LEN]);

/* Decodes a block array for object object_id: every entry an array of 8
 * integers with start < end, records > 0, 0 < size <= UINT32_MAX and crc
 * a u32; at most max entries.  Returns the count with *out set (the
 * caller frees it), or -1 when arr is malformed or memory runs out. */
ssize_t control_codec_blocks_parse(json_t *arr, uint64_t object_id,
				   size_t max, struct catalog_block **out);

/* The array form of one block (a new reference), or NULL without memory. */
json_t *control_codec_block_json(const struct catalog_block *b);

#endif
