/*
 * `sluicectl objects [-a] [TOPIC]`: the objects the catalog knows, each
 * with the offset ranges it holds per stream (topic/partition), from the
 * control ops "objects" (paged, in id order) and "streams" (which topic a
 * stream belongs to).  Live objects only, unless -a adds the retired ones
 * that compactd has not yet deleted.
 */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define CTL_OBJECTS_PAGE 1000

/* "topic/partition" of a stream, from the streams answer, into buf. */
static const char *ctl_objects_stream_name(json_t *streams, long long id, char *buf,
					   size_t len)
{
	size_t i;
	json_t *s;
	json_array_foreach(streams, i, s) {
		if (ctl_format_int(s, "stream", NULL, -1) != id)
			continue;
		const char *topic = json_string_value(json_object_get(s, "topic"));
		if (topic)
			snprintf(buf, len, "%s/%lld", topic, ctl_format_int(s, "partition", NULL, 0));
		else
			snprintf(buf, len, "(deleted topic, stream %lld)", id);
		return buf;
	}
	snprintf(buf, len, "stream %lld", id);
	return buf;
}

/* Whether the object holds a block of topic (NULL: any). */
static int ctl_objects_holds(json_t *obj, json_t *streams, const char *topic)
{
	if (!topic)
		return 1;
	size_t i;
	json_t *b;
	char name[512];
	size_t tl = strlen(topic);
	json_array_foreach(json_object_get(obj, "blocks"), i, b) {
		ctl_objects_stream_name(streams, (long long)json_integer_value(json_array_get(b, 0)),
					name, sizeof name);
		if (!strncmp(name, topic, tl) && name[tl] == '/')
			return 1;
	}
	return 0;
}

/* Prints one object and its per-stream ranges (blocks are sorted by
 * stream, then offset). */
static void ctl_objects_print(json_t *obj, json_t *streams)
{
	char size[32], created[32], name[512];
	json_t *retired = json_object_get(obj, "retired_ms");
	long long flags = ctl_format_int(obj, "flags", NULL, 0);
	long long ws = ctl_format_int(obj, "wal_start", NULL, 0);
	long long we = ctl_format_int(obj, "wal_end", NULL, 0);
	char wal[64] = "-";
	if (we > ws)
		snprintf(wal, sizeof wal, "[%lld, %lld)", ws, we);
	printf("%-16s %10s  %-13s %-8s %-19s  WAL %s\n",
	       json_string_value(json_object_get(obj, "id")),
	       ctl_format_bytes((uint64_t)ctl_format_int(obj, "size", NULL, 0), size, sizeof size),
	       flags & 1 ? "stream-set" : "single-stream", json_is_integer(retired) ? "retired" : "live",
	       ctl_format_time(ctl_format_int(obj, "created_ms", NULL, 0), created, sizeof created),
	       wal);
	json_t *blocks = json_object_get(obj, "blocks");
	size_t n = json_array_size(blocks);
	for (size_t i = 0; i < n;) {
		json_t *b = json_array_get(blocks, i);
		long long stream = (long long)json_integer_value(json_array_get(b, 0));
		long long start = (long long)json_integer_value(json_array_get(b, 1));
		long long end = 0, records = 0, bytes = 0;
		size_t k = i;
		for (; k < n; k++) {
			json_t *c = json_array_get(blocks, k);
			if ((long long)json_integer_value(json_array_get(c, 0)) != stream)
				break;
			end = (long long)json_integer_value(json_array_get(c, 2));
			records += (long long)json_integer_value(json_array_get(c, 4));
			bytes += (long long)json_integer_value(json_array_get(c, 6));
		}
		printf("    %-32s offsets [%lld, %lld)  %lld records in %zu blocks, %s\n",
		       ctl_objects_stream_name(streams, stream, name, sizeof name), start, end,
		       records, k - i, ctl_format_bytes((uint64_t)bytes, size, sizeof size));
		i = k;
	}
}

int ctl_objects_run(struct ctl *ctl, int argc, char **argv)
{
	int all = 0, opt;
	optind = 0; /* glibc: start a fresh scan of the subcommand's own argv */
	while ((opt = getopt(argc, argv, "a")) != -1) {
		if (opt != 'a') {
			fprintf(stderr, "usage: sluicectl objects [-a] [TOPIC]\n");
			return 2;
		}
		all = 1;
	}
	if (argc - optind > 1) {
		fprintf(stderr, "usage: sluicectl objects [-a] [TOPIC]\n");
		return 2;
	}
	const char *topic = optind < argc ? argv[optind] : NULL;
	json_t *sr = ctl_client_call(ctl, "objects", json_pack("{s:s}", "op", "streams"));
	if (!sr)
		return 1;
	json_t *streams = json_object_get(sr, "streams");
	json_t *list = json_array();
	json_t *after = json_null();
	size_t count = 0;
	for (;;) {
		json_t *r = ctl_client_call(ctl, "objects",
					    json_pack("{s:s, s:O, s:i}", "op", "objects", "after",
						      after, "limit", CTL_OBJECTS_PAGE));
		if (!r) {
			json_decref(after);
			json_decref(list);
			json_decref(sr);
			return 1;
		}
		size_t i;
		json_t *obj;
		json_array_foreach(json_object_get(r, "objects"), i, obj) {
			if ((!all && json_is_integer(json_object_get(obj, "retired_ms"))) ||
			    !ctl_objects_holds(obj, streams, topic))
				continue;
			count++;
			if (ctl->as_json)
				json_array_append(list, obj);
			else
				ctl_objects_print(obj, streams);
		}
		json_decref(after);
		after = json_incref(json_object_get(r, "next"));
		json_decref(r);
		if (!after || !json_is_string(after))
			break;
	}
	json_decref(after);
	if (ctl->as_json) {
		json_t *out = json_pack("{s:O, s:O}", "objects", list, "streams", streams);
		ctl_format_json(out);
		json_decref(out);
	} else if (!count) {
		printf("no %sobjects%s%s\n", all ? "" : "live ", topic ? " hold " : "",
		       topic ? topic : "");
	}
	json_decref(list);
	json_decref(sr);
	return 0;
}
