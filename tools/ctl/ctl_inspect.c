/*
 * sluicectl's read-only views of brokerd: topics (each partition's offsets
 * and bytes in the WAL and in S3), groups (members and lag), wal (what the
 * log holds, its trim point, the regions) and catalog (a summary of the
 * system of record).  Each is one control op; -j prints its answer as is.
 */
#include "ctl.h"

#include <stdio.h>
#include <string.h>

/* The part every view shares: checks the arguments (at most one, named
 * arg_key in the request, when the view takes one), calls op, and prints
 * the answer as JSON when asked.  Returns -1 with the answer in *out when
 * the caller should print it for people, else the exit status. */
static int ctl_inspect_call(struct ctl *ctl, int argc, char **argv, const char *op,
			    const char *arg_key, const char *usage, json_t **out)
{
	if (argc > (arg_key ? 2 : 1)) {
		fprintf(stderr, "usage: sluicectl %s\n", usage);
		return 2;
	}
	json_t *req = json_pack("{s:s}", "op", op);
	if (argc == 2)
		json_object_set_new(req, arg_key, json_string(argv[1]));
	json_t *r = ctl_client_call(ctl, op, req);
	if (!r)
		return 1;
	if (ctl->as_json) {
		ctl_format_json(r);
		json_decref(r);
		return 0;
	}
	*out = r;
	return -1;
}

int ctl_inspect_topics(struct ctl *ctl, int argc, char **argv)
{
	json_t *r;
	int rc = ctl_inspect_call(ctl, argc, argv, "topics", "topic", "topics [TOPIC]", &r);
	if (rc >= 0)
		return rc;
	size_t i, k;
	json_t *t, *p;
	printf("%-24s %5s %12s %14s %10s %10s %10s  %s\n", "TOPIC", "PART", "LOG-START",
	       "HIGH-WATERMARK", "IN-WAL", "IN-S3", "S3-BLOCKS", "S3-OFFSETS");
	json_array_foreach(json_object_get(r, "topics"), i, t) {
		const char *name = json_string_value(json_object_get(t, "name"));
		json_array_foreach(json_object_get(t, "partitions"), k, p) {
			char wal[32], s3[32], range[64];
			long long first = ctl_format_int(p, "s3", "first_offset", -1);
			if (first < 0)
				snprintf(range, sizeof range, "-");
			else
				snprintf(range, sizeof range, "[%lld, %lld)", first,
					 ctl_format_int(p, "s3", "end_offset", 0));
			printf("%-24s %5lld %12lld %14lld %10s %10s %10lld  %s\n", name,
			       ctl_format_int(p, "partition", NULL, 0),
			       ctl_format_int(p, "log_start", NULL, 0),
			       ctl_format_int(p, "high_watermark", NULL, 0),
			       ctl_format_bytes((uint64_t)ctl_format_int(p, "wal", "bytes", 0), wal,
						sizeof wal),
			       ctl_format_bytes((uint64_t)ctl_format_int(p, "s3", "bytes", 0), s3,
						sizeof s3),
			       ctl_format_int(p, "s3", "blocks", 0), range);
		}
	}
	json_decref(r);
	return 0;
}

int ctl_inspect_groups(struct ctl *ctl, int argc, char **argv)
{
	json_t *r;
	int rc = ctl_inspect_call(ctl, argc, argv, "groups", "group", "groups [GROUP]", &r);
	if (rc >= 0)
		return rc;
	size_t i, k;
	json_t *g, *v;
	json_array_foreach(json_object_get(r, "groups"), i, g) {
		printf("group %s: %s, generation %lld, protocol %s, %zu members, lag %lld\n",
		       json_string_value(json_object_get(g, "group")),
		       json_string_value(json_object_get(g, "state")),
		       ctl_format_int(g, "generation", NULL, -1),
		       json_string_value(json_object_get(g, "protocol"))
			       ? json_string_value(json_object_get(g, "protocol"))
			       : "-",
		       json_array_size(json_object_get(g, "members")),
		       ctl_format_int(g, "lag", NULL, 0));
		json_array_foreach(json_object_get(g, "members"), k, v)
			printf("  member %s  client %s  host %s\n",
			       json_string_value(json_object_get(v, "member_id")),
			       json_string_value(json_object_get(v, "client_id")),
			       json_string_value(json_object_get(v, "client_host")));
		json_array_foreach(json_object_get(g, "offsets"), k, v)
			printf("  %-24s %5lld  committed %lld  high watermark %lld  lag %lld\n",
			       json_string_value(json_object_get(v, "topic")),
			       ctl_format_int(v, "partition", NULL, 0),
			       ctl_format_int(v, "committed", NULL, 0),
			       ctl_format_int(v, "high_watermark", NULL, 0),
			       ctl_format_int(v, "lag", NULL, 0));
	}
	if (json_array_size(json_object_get(r, "groups")) == 0)
		printf("no groups\n");
	json_decref(r);
	return 0;
}

int ctl_inspect_wal(struct ctl *ctl, int argc, char **argv)
{
	json_t *r;
	int rc = ctl_inspect_call(ctl, argc, argv, "wal", NULL, "wal", &r);
	if (rc >= 0)
		return rc;
	char a[32], b[32];
	long long ring = ctl_format_int(r, "ring_bytes", NULL, 0);
	long long used = ctl_format_int(r, "used", NULL, 0);
	long long durable = ctl_format_int(r, "durable", NULL, 0);
	long long uploaded = ctl_format_int(r, "uploaded_end", NULL, 0);
	printf("path        %s\n", json_string_value(json_object_get(r, "path")));
	printf("size        %s ring, %s used (%.1f%%)\n", ctl_format_bytes((uint64_t)ring, a, sizeof a),
	       ctl_format_bytes((uint64_t)used, b, sizeof b),
	       ring ? 100.0 * (double)used / (double)ring : 0.0);
	printf("offsets     trim %lld, durable %lld, head %lld\n", ctl_format_int(r, "trim", NULL, 0),
	       durable, ctl_format_int(r, "head", NULL, 0));
	printf("holds       %lld records in %lld batches (%s) of %lld partitions\n",
	       ctl_format_int(r, "records", NULL, 0), ctl_format_int(r, "batches", NULL, 0),
	       ctl_format_bytes((uint64_t)ctl_format_int(r, "batch_bytes", NULL, 0), a, sizeof a),
	       ctl_format_int(r, "partitions", NULL, 0));
	printf("uploaded    up to %lld; %s durable but not uploaded\n", uploaded,
	       ctl_format_bytes(durable > uploaded ? (uint64_t)(durable - uploaded) : 0, a, sizeof a));
	printf("regions     %lld sealed, %lld committed\n",
	       ctl_format_int(r, "regions", "sealed", 0), ctl_format_int(r, "regions", "committed", 0));
	printf("shm cache   [%lld, %lld)\n", ctl_format_int(r, "cache", "low", 0),
	       ctl_format_int(r, "cache", "high", 0));
	printf("max batch   %s\n",
	       ctl_format_bytes((uint64_t)ctl_format_int(r, "max_batch_bytes", NULL, 0), a, sizeof a));
	json_decref(r);
	return 0;
}

int ctl_inspect_catalog(struct ctl *ctl, int argc, char **argv)
{
	json_t *r;
	int rc = ctl_inspect_call(ctl, argc, argv, "catalog", NULL, "catalog", &r);
	if (rc >= 0)
		return rc;
	char a[32], b[32];
	printf("generation  %lld (journal sequence %lld)\n", ctl_format_int(r, "generation", NULL, 0),
	       ctl_format_int(r, "seq", NULL, 0));
	printf("topics      %lld topics, %lld partitions\n", ctl_format_int(r, "topics", NULL, 0),
	       ctl_format_int(r, "partitions", NULL, 0));
	printf("objects     %lld live (%s; %lld stream-set, %lld single-stream), %lld retired (%s)\n",
	       ctl_format_int(r, "objects", "live", 0),
	       ctl_format_bytes((uint64_t)ctl_format_int(r, "objects", "live_bytes", 0), a, sizeof a),
	       ctl_format_int(r, "objects", "stream_set", 0),
	       ctl_format_int(r, "objects", "single_stream", 0),
	       ctl_format_int(r, "objects", "retired", 0),
	       ctl_format_bytes((uint64_t)ctl_format_int(r, "objects", "retired_bytes", 0), b,
				sizeof b));
	printf("blocks      %lld live (%s)\n", ctl_format_int(r, "blocks", "live", 0),
	       ctl_format_bytes((uint64_t)ctl_format_int(r, "blocks", "bytes", 0), a, sizeof a));
	printf("deleted     %lld streams of deleted topics still hold blocks\n",
	       ctl_format_int(r, "deleted_streams_with_blocks", NULL, 0));
	printf("uploaded    WAL up to %lld\n", ctl_format_int(r, "uploaded_end", NULL, 0));
	printf("bucket copy %lld changes not yet copied\n", ctl_format_int(r, "mirror_pending", NULL, 0));
	json_decref(r);
	return 0;
}
