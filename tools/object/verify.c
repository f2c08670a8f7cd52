/*
 * sluice-object verify: reads a whole object and runs object_verify (footer,
 * index, every block and batch CRC, offsets and counts against the index,
 * object CRC).  Prints one verdict per object.  Read-only.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/errors.h"
#include "common/object_format.h"
#include "tools/object/commands.h"
#include "tools/object/source.h"

/* Prints the verdict: err NULL when the object is intact. */
static void verify_report(const char *name, const struct command_opts *o,
			  const struct object_footer *f, const char *err)
{
	if (o->json) {
		json_t *j = json_object();
		json_object_set_new(j, "name", json_string(name));
		json_object_set_new(j, "ok", json_boolean(err == NULL));
		if (err) {
			json_object_set_new(j, "error", json_string(err));
		} else {
			json_object_set_new(j, "object_id",
					    json_integer((json_int_t)f->object_id));
			json_object_set_new(j, "blocks", json_integer(f->entry_count));
		}
		json_dumpf(j, stdout, JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
	} else if (err) {
		printf("%s: FAILED: %s\n", name, err);
	} else {
		printf("%s: ok (object %" PRIu64 ", %" PRIu32 " blocks, %"
		       PRIu64 " data bytes)\n", name, f->object_id,
		       f->entry_count, f->index_pos);
	}
}

int verify_object(struct source *src, const char *name,
		  const struct command_opts *o)
{
	char err[512] = "";
	uint8_t *obj;
	uint64_t size = source_size(src);
	struct object_footer f;
	if (size > SIZE_MAX) {
		verify_report(name, o, NULL, "too large to read into memory");
		return 1;
	}
	if (source_read(src, 0, (size_t)size, &obj, err, sizeof err)) {
		verify_report(name, o, NULL, err);
		return 1;
	}
	int rc = object_verify(obj, (size_t)size, err, sizeof err);
	if (rc == 0)
		rc = object_footer_parse(obj, (size_t)size, size, &f, err,
					 sizeof err);
	free(obj);
	if (rc && !err[0])
		snprintf(err, sizeof err, "%s", sl_error_name(rc));
	verify_report(name, o, &f, rc ? err : NULL);
	return rc ? 1 : 0;
}
