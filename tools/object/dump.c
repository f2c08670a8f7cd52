/*
 * sluice-object dump: reads an object the way brokerd does (one tail read
 * for footer and index, a second read of the exact index range if the
 * guess was short, then one read per block with -b) and prints what it
 * holds, as text or one JSON document per object.  Read-only.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/object_format.h"
#include "tools/object/commands.h"
#include "tools/object/source.h"

/* First read from the end: the footer and an index of ~1100 blocks. */
#define DUMP_TAIL_GUESS (64 * 1024)

struct dump {
	struct source *src;
	const char *name;
	const struct command_opts *o;
	json_t *doc; /* -j */
	int failed;
};

/* Records a problem: in the JSON document at where, else on stderr. */
static void dump_fail(struct dump *d, json_t *where, const char *msg)
{
	d->failed = 1;
	if (d->o->json)
		json_object_set_new(where, "error", json_string(msg));
	else
		fprintf(stderr, "sluice-object: %s: %s\n", d->name, msg);
}

/* Name of a batch's compression codec. */
static const char *dump_codec_name(uint16_t attributes)
{
	static const char *const names[] = {"none", "gzip", "snappy", "lz4",
					     "zstd"};
	unsigned codec = attributes & 0x07;
	return codec < sizeof names / sizeof names[0] ? names[codec] : "unknown";
}

/* Reads footer and index; returns 0, or -1 after reporting. */
static int dump_read_index(struct dump *d, struct object_footer *f,
			   struct object_index_entry **entries, size_t *n)
{
	uint64_t size = source_size(d->src);
	char err[512];
	uint8_t *tail = NULL, *more = NULL;
	if (size < OBJECT_FOOTER_BYTES) {
		snprintf(err, sizeof err, "%" PRIu64 " bytes is shorter than "
			 "a footer", size);
		dump_fail(d, d->doc, err);
		return -1;
	}
	size_t tail_len = size < DUMP_TAIL_GUESS ? (size_t)size : DUMP_TAIL_GUESS;
	int rc = source_read(d->src, size - tail_len, tail_len, &tail, err,
			     sizeof err);
	if (rc == 0)
		rc = object_footer_parse(tail, tail_len, size, f, err, sizeof err);
	const uint8_t *index = NULL;
	if (rc == 0) {
		index = object_footer_index_in_tail(f, tail, tail_len);
		if (!index) {
			rc = source_read(d->src, f->index_pos, f->index_size,
					 &more, err, sizeof err);
			index = more;
		}
	}
	if (rc == 0)
		rc = object_index_parse(index, f->index_size, f, entries, n,
					err, sizeof err);
	free(tail);
	free(more);
	if (rc) {
		dump_fail(d, d->doc, err);
		return -1;
	}
	return 0;
}

/* Prints the footer. */
static void dump_footer(struct dump *d, const struct object_footer *f)
{
	char key[OBJECT_KEY_MAX];
	object_key(f->object_id, key, sizeof key);
	int stream_set = (f->flags & OBJECT_FLAG_STREAM_SET) != 0;
	if (d->o->json) {
		json_t *j = d->doc;
		json_object_set_new(j, "object_id", json_integer((json_int_t)f->object_id));
		json_object_set_new(j, "key", json_string(key));
		json_object_set_new(j, "version", json_integer(f->version));
		json_object_set_new(j, "flags", json_integer(f->flags));
		json_object_set_new(j, "stream_set", json_boolean(stream_set));
		json_object_set_new(j, "index_position", json_integer((json_int_t)f->index_pos));
		json_object_set_new(j, "index_size", json_integer(f->index_size));
		json_object_set_new(j, "entry_count", json_integer(f->entry_count));
		json_object_set_new(j, "index_crc", json_integer(f->index_crc));
		json_object_set_new(j, "object_crc", json_integer(f->object_crc));
		return;
	}
	printf("%s: object %" PRIu64 " (%s), %" PRIu64 " bytes, format %u, %s\n",
	       d->name, f->object_id, key, source_size(d->src), f->version,
	       stream_set ? "stream-set" : "per-stream");
	printf("  index at %" PRIu64 ": %" PRIu32 " bytes, %" PRIu32
	       " blocks, crc %08" PRIx32 "; object crc %08" PRIx32 "\n",
	       f->index_pos, f->index_size, f->entry_count, f->index_crc,
	       f->object_crc);
	printf("  %5s %10s %12s %12s %9s %7s %14s %10s %8s %8s\n", "block",
	       "stream", "start", "end", "records", "batches", "max_timestamp",
	       "position", "size", "crc");
}

/* Prints one index entry; returns its JSON object (-j) or NULL. */
static json_t *dump_entry(struct dump *d, size_t i,
			  const struct object_index_entry *e)
{
	if (!d->o->json) {
		printf("  %5zu %10" PRIu64 " %12" PRId64 " %12" PRId64 " %9"
		       PRIu32 " %7" PRIu32 " %14" PRId64 " %10" PRIu64 " %8"
		       PRIu32 " %08" PRIx32 "\n", i, e->stream_id,
		       e->start_offset, e->end_offset, e->record_count,
		       e->batch_count, e->max_timestamp, e->position, e->size,
		       e->block_crc);
		return NULL;
	}
	json_t *j = json_object();
	json_object_set_new(j, "stream_id", json_integer((json_int_t)e->stream_id));
	json_object_set_new(j, "start_offset", json_integer(e->start_offset));
	json_object_set_new(j, "end_offset", json_integer(e->end_offset));
	json_object_set_new(j, "record_count", json_integer(e->record_count));
	json_object_set_new(j, "batch_count", json_integer(e->batch_count));
	json_object_set_new(j, "max_timestamp", json_integer(e->max_timestamp));
	json_object_set_new(j, "position", json_integer((json_int_t)e->position));
	json_object_set_new(j, "size", json_integer(e->size));
	json_object_set_new(j, "crc", json_integer(e->block_crc));
	json_array_append_new(json_object_get(d->doc, "blocks"), j);
	return j;
}

/* Prints one batch of a block. */
static void dump_batch(struct dump *d, json_t *jblock, uint32_t at,
		       const struct object_batch *b)
{
	int crc_ok = object_batch_crc_ok(b);
	int64_t last = b->base_offset + b->last_offset_delta;
	if (!d->o->json) {
		printf("        +%-8" PRIu32 " offsets %" PRId64 "..%" PRId64
		       ", %" PRId32 " records, codec %s, timestamps %" PRId64
		       "..%" PRId64 ", %zu bytes, crc %08" PRIx32 " %s\n", at,
		       b->base_offset, last, b->record_count,
		       dump_codec_name(b->attributes), b->base_timestamp,
		       b->max_timestamp, b->len, b->crc, crc_ok ? "ok" : "BAD");
		return;
	}
	json_t *j = json_object();
	json_object_set_new(j, "position", json_integer(at));
	json_object_set_new(j, "base_offset", json_integer(b->base_offset));
	json_object_set_new(j, "last_offset", json_integer(last));
	json_object_set_new(j, "record_count", json_integer(b->record_count));
	json_object_set_new(j, "codec", json_string(dump_codec_name(b->attributes)));
	json_object_set_new(j, "attributes", json_integer(b->attributes));
	json_object_set_new(j, "base_timestamp", json_integer(b->base_timestamp));
	json_object_set_new(j, "max_timestamp", json_integer(b->max_timestamp));
	json_object_set_new(j, "size", json_integer((json_int_t)b->len));
	json_object_set_new(j, "crc", json_integer(b->crc));
	json_object_set_new(j, "crc_ok", json_boolean(crc_ok));
	json_array_append_new(json_object_get(jblock, "batches"), j);
}

/* Reads one block and prints its batches, reporting what fails. */
static void dump_block(struct dump *d, size_t i,
		       const struct object_index_entry *e, json_t *jblock)
{
	char err[512], why[400];
	uint8_t *block;
	if (source_read(d->src, e->position, e->size, &block, err, sizeof err)) {
		dump_fail(d, jblock, err);
		return;
	}
	if (jblock)
		json_object_set_new(jblock, "batches", json_array());
	struct object_batch_iter it;
	struct object_batch b;
	int rc;
	object_batch_iter_init(&it, block, e->size);
	while ((rc = object_batch_iter_next(&it, &b)) == 1)
		dump_batch(d, jblock, (uint32_t)(b.data - block), &b);
	if (object_block_verify(e, block, e->size, why, sizeof why)) {
		snprintf(err, sizeof err, "block %zu: %s", i, why);
		dump_fail(d, jblock, err);
	}
	free(block);
}

int dump_object(struct source *src, const char *name,
		const struct command_opts *o)
{
	struct dump d = {.src = src, .name = name, .o = o};
	struct object_footer f;
	struct object_index_entry *e = NULL;
	size_t n = 0;
	if (o->json) {
		d.doc = json_object();
		json_object_set_new(d.doc, "name", json_string(name));
		json_object_set_new(d.doc, "size",
				    json_integer((json_int_t)source_size(src)));
	}
	if (dump_read_index(&d, &f, &e, &n) == 0) {
		dump_footer(&d, &f);
		if (o->json)
			json_object_set_new(d.doc, "blocks", json_array());
		for (size_t i = 0; i < n; i++) {
			json_t *jblock = dump_entry(&d, i, &e[i]);
			if (o->batches)
				dump_block(&d, i, &e[i], jblock);
		}
	}
	if (o->json) {
		json_object_set_new(d.doc, "ok", json_boolean(!d.failed));
		json_dumpf(d.doc, stdout, JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(d.doc);
	}
	free(e);
	return d.failed;
}
