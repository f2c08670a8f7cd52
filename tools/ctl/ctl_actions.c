/*
 * sluicectl's actions: `upload-now [-w] [-t SECONDS]` seals what the WAL
 * holds durably as a region now (control op "seal_now"), so uploaderd
 * takes it without waiting for region.bytes or region.ms, and with -w
 * waits until the catalog has it; `compact-now` asks compactd for a run
 * now (control op "compact_now").  Both are hints that only move work
 * earlier: nothing is lost if they are never used.
 */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Monotonic seconds. */
static double ctl_actions_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Polls brokerd's status until uploads reach until; 0, or 1 on timeout. */
static int ctl_actions_wait_uploaded(struct ctl *ctl, long long until, double timeout)
{
	double deadline = ctl_actions_now() + timeout;
	long long at = -1;
	while (ctl_actions_now() < deadline) {
		json_t *r = ctl_client_call(ctl, "upload-now", json_pack("{s:s}", "op", "status"));
		if (!r)
			return 1;
		at = ctl_format_int(r, "regions", "uploaded_end", -1);
		json_decref(r);
		if (at >= until)
			return 0;
		usleep(100000);
	}
	fprintf(stderr,
		"sluicectl: upload-now: uploads reached WAL offset %lld, not %lld, within %.0f s "
		"(is uploaderd running? see `sluicectl status`)\n",
		at, until, timeout);
	return 1;
}

int ctl_actions_upload_now(struct ctl *ctl, int argc, char **argv)
{
	int wait = 0, opt;
	double timeout = 60;
	optind = 0; /* glibc: start a fresh scan of the subcommand's own argv */
	while ((opt = getopt(argc, argv, "wt:")) != -1) {
		switch (opt) {
		case 'w': wait = 1; break;
		case 't': timeout = atof(optarg); break;
		default:
			fprintf(stderr, "usage: sluicectl upload-now [-w] [-t SECONDS]\n");
			return 2;
		}
	}
	if (optind != argc || timeout <= 0) {
		fprintf(stderr, "usage: sluicectl upload-now [-w] [-t SECONDS]\n");
		return 2;
	}
	json_t *r = ctl_client_call(ctl, "upload-now", json_pack("{s:s}", "op", "seal_now"));
	if (!r)
		return 1;
	long long until = ctl_format_int(r, "until", NULL, 0);
	long long uploaded = ctl_format_int(r, "uploaded_end", NULL, 0);
	int attached = (int)ctl_format_int(r, "uploader_attached", NULL, 0);
	int rc = 0;
	if (ctl->as_json)
		ctl_format_json(r);
	else if (json_is_true(json_object_get(r, "sealed")))
		printf("sealed region %lld: the WAL up to %lld goes to object storage next\n",
		       ctl_format_int(r, "regions_sealed", NULL, 0), until);
	else if (uploaded >= until)
		printf("nothing to seal: everything durable (up to %lld) is uploaded\n", until);
	else
		printf("nothing new to seal: the WAL up to %lld is already in sealed regions\n",
		       until);
	if (!attached && uploaded < until)
		fprintf(stderr, "sluicectl: upload-now: no uploaderd is attached to brokerd; "
				"the regions wait until one starts\n");
	if (wait && uploaded < until) {
		rc = ctl_actions_wait_uploaded(ctl, until, timeout);
		if (!rc && !ctl->as_json)
			printf("uploaded: the catalog has the WAL up to %lld\n", until);
	}
	json_decref(r);
	return rc;
}

int ctl_actions_compact_now(struct ctl *ctl, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "usage: sluicectl compact-now\n");
		return 2;
	}
	json_t *r = ctl_client_call(ctl, "compact-now", json_pack("{s:s}", "op", "compact_now"));
	if (!r)
		return 1;
	json_t *st = ctl_client_request(ctl, json_pack("{s:s}", "op", "status"), 5000);
	long long attached = ctl_format_int(st, "compactd", "attached", 0);
	if (ctl->as_json)
		ctl_format_json(r);
	else
		printf("compaction requested%s\n",
		       attached ? ""
				 : "; but no compactd is attached to brokerd to hear it "
				   "(a compactd started later runs on its own timer)");
	json_decref(st);
	json_decref(r);
	return 0;
}
