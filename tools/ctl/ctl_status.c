/*
 * `sluicectl status`: each daemon (running or not, pid), brokerd's view of
 * the pipeline (generation, WAL use and trim point, regions waiting, last
 * upload), what uploaderd and compactd last reported (errors, progress),
 * from brokerd's "status" op and the pidfiles.  Exit status 0 when brokerd
 * answered, 1 when it did not (the other daemons are shown either way).
 */
#include "ctl.h"

#include <stdio.h>
#include <string.h>

/* One daemon's liveness as JSON: {"running":bool,"pid":N,"pidfile":...}. */
static json_t *ctl_status_daemon(const struct ctl *ctl, const char *daemon)
{
	char path[4096];
	long pid;
	int up = ctl_daemons_running(ctl, daemon, &pid);
	ctl_daemons_pidfile(ctl, daemon, path, sizeof path);
	return json_pack("{s:b, s:I, s:s, s:b}", "running", up, "pid", (json_int_t)(up ? pid : 0),
			 "pidfile", path, "stale_pidfile", !up && pid > 0);
}

/* Prints one line per daemon that is not brokerd. */
static void ctl_status_print_helper(const char *daemon, json_t *live, json_t *rep)
{
	char age[64];
	if (json_is_true(json_object_get(live, "running")))
		printf("%-11s running, pid %lld", daemon, ctl_format_int(live, "pid", NULL, 0));
	else if (json_is_true(json_object_get(live, "stale_pidfile")))
		printf("%-11s not running (stale pidfile %s)", daemon,
		       json_string_value(json_object_get(live, "pidfile")));
	else
		printf("%-11s not running", daemon);
	if (rep)
		printf("; last report %s",
		       ctl_format_age(ctl_format_int(rep, "at_ms", NULL, 0), age, sizeof age));
	putchar('\n');
	const char *err = json_string_value(json_object_get(rep, "last_error"));
	if (err)
		printf("%11s last error: %s\n", "", err);
	const char *key;
	json_t *v;
	int first = 1;
	json_object_foreach(json_object_get(rep, "stats"), key, v) {
		if (!json_is_number(v))
			continue;
		printf("%s%s %g", first ? "            progress: " : ", ", key, json_number_value(v));
		first = 0;
	}
	if (!first)
		putchar('\n');
}

/* Prints brokerd's part of the status answer. */
static void ctl_status_print_brokerd(json_t *r)
{
	char a[32], b[32], c[64];
	long long ring = ctl_format_int(r, "wal", "ring_bytes", 0);
	long long head = ctl_format_int(r, "wal", "head", 0);
	long long trim = ctl_format_int(r, "wal", "trim", 0);
	long long durable = ctl_format_int(r, "wal", "durable", 0);
	long long used = head - trim;
	printf("brokerd     running, pid %lld, node %lld, generation %lld, %lld topics, %lld connections%s\n",
	       ctl_format_int(r, "pid", NULL, 0), ctl_format_int(r, "node_id", NULL, 0),
	       ctl_format_int(r, "generation", NULL, 0), ctl_format_int(r, "topics", NULL, 0),
	       ctl_format_int(r, "connections", NULL, 0),
	       json_is_true(json_object_get(r, "stopping")) ? " (stopping)" : "");
	printf("wal         %s of %s used (%.1f%%); trim %lld, durable %lld, head %lld\n",
	       ctl_format_bytes((uint64_t)used, a, sizeof a),
	       ctl_format_bytes((uint64_t)ring, b, sizeof b),
	       ring ? 100.0 * (double)used / (double)ring : 0.0, trim, durable, head);
	long long sealed = ctl_format_int(r, "regions", "sealed", 0);
	long long committed = ctl_format_int(r, "regions", "committed", 0);
	long long uploaded = ctl_format_int(r, "regions", "uploaded_end", 0);
	printf("regions     %lld waiting (%lld sealed, %lld committed); uploaded up to %lld, %s behind\n",
	       sealed - committed, sealed, committed, uploaded,
	       ctl_format_bytes(durable > uploaded ? (uint64_t)(durable - uploaded) : 0, a, sizeof a));
	json_t *u = json_object_get(r, "uploader");
	printf("uploads     %lld objects, %s, %lld failed attempts; last %s%s\n",
	       ctl_format_int(u, "objects", NULL, 0),
	       ctl_format_bytes((uint64_t)ctl_format_int(u, "bytes", NULL, 0), a, sizeof a),
	       ctl_format_int(u, "errors", NULL, 0),
	       ctl_format_age(ctl_format_int(u, "last_ok_ms", NULL, 0), c, sizeof c),
	       ctl_format_int(u, "attached", NULL, 0) ? "" : " (no uploaderd attached)");
	json_t *os = json_object_get(r, "objstore");
	if (os) {
		const char *err = json_string_value(json_object_get(os, "last_error"));
		printf("objects     %s (%s)%s%s\n", json_string_value(json_object_get(os, "url")),
		       json_string_value(json_object_get(os, "backend")),
		       err ? "; brokerd's last error: " : "", err ? err : "");
	}
}

int ctl_status_run(struct ctl *ctl, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "usage: sluicectl status\n");
		return 2;
	}
	json_t *r = ctl_client_request(ctl, json_pack("{s:s}", "op", "status"), 5000);
	json_t *out = json_object();
	json_t *reports = json_object_get(r, "reports");
	for (int i = 0; i < CTL_DAEMONS; i++) {
		const char *d = ctl_daemon_names[i];
		json_t *live = ctl_status_daemon(ctl, d);
		if (i == 0 && r)
			json_object_set(live, "status", r);
		else if (json_object_get(reports, d))
			json_object_set(live, "report", json_object_get(reports, d));
		json_object_set_new(out, d, live);
	}
	if (ctl->as_json) {
		ctl_format_json(out);
	} else {
		if (r)
			ctl_status_print_brokerd(r);
		else
			printf("brokerd     not running\n");
		for (int i = 1; i < CTL_DAEMONS; i++) {
			const char *d = ctl_daemon_names[i];
			ctl_status_print_helper(d, json_object_get(out, d),
						json_object_get(reports, d));
		}
	}
	int ok = r && json_is_true(json_object_get(r, "ok"));
	json_decref(out);
	json_decref(r);
	return ok ? 0 : 1;
}
