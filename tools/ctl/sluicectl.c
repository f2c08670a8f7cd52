/*
 * sluicectl: inspect and steer a Sluice node.  Reads the same sluice.conf
 * as the daemons (for the control socket, the pidfiles and `config`), then
 * runs one subcommand from the table below; the table also makes --help
 * and is what the sluicectl(1) cross-check reads.  Human output by
 * default, JSON with -j.
 */
#include "autoconfig.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "tools/ctl/ctl.h"

#define CTL_DEFAULT_CONF SYSCONFDIR "/sluice/sluice.conf"

static const struct {
	const char *name;
	ctl_command_fn fn;
	const char *args;
	const char *doc;
} ctl_commands[] = {
	{"status", ctl_status_run, "",
	 "each daemon (running, pid), WAL use and trim, regions waiting, uploads, errors"},
	{"topics", ctl_inspect_topics, "[TOPIC]",
	 "partitions: log start, high watermark, bytes in the WAL and in S3"},
	{"groups", ctl_inspect_groups, "[GROUP]", "consumer groups: members, offsets, lag"},
	{"wal", ctl_inspect_wal, "", "the write-ahead log: offsets, records held, trim point"},
	{"objects", ctl_objects_run, "[-a] [TOPIC]",
	 "objects in the catalog with their per-stream offset ranges"},
	{"catalog", ctl_inspect_catalog, "", "summary of the catalog (the system of record)"},
	{"config", ctl_config_run, "[-d | -n] [-h] [KEY...]",
	 "effective configuration (-d defaults, -n changed keys, -h values only)"},
	{"upload-now", ctl_actions_upload_now, "[-w] [-t SECONDS]",
	 "seal the WAL's durable tail as a region for upload now (-w: wait for it)"},
	{"compact-now", ctl_actions_compact_now, "", "ask compactd to run now"},
};

#define CTL_COMMAND_COUNT (sizeof ctl_commands / sizeof ctl_commands[0])

/* Prints usage with the subcommand table. */
static void ctl_usage(FILE *out)
{
	fprintf(out,
		"usage: sluicectl [-c FILE] [-j] COMMAND [ARGS]\n"
		"       sluicectl -h | -V\n"
		"  -c FILE  configuration file (default %s)\n"
		"  -j       JSON output\n"
		"commands:\n",
		CTL_DEFAULT_CONF);
	for (size_t i = 0; i < CTL_COMMAND_COUNT; i++) {
		char head[64];
		snprintf(head, sizeof head, "%s %s", ctl_commands[i].name, ctl_commands[i].args);
		fprintf(out, "  %-32s %s\n", head, ctl_commands[i].doc);
	}
}

/* Loads the configuration the daemons use; 0, or 1 after printing why. */
static int ctl_load_config(struct ctl *ctl, const char *path)
{
	char err[1024];
	if (config_set_defaults(sluice_config_table, sluice_config_count, &ctl->cfg, err,
				sizeof err) < 0) {
		fprintf(stderr, "sluicectl: %s\n", err);
		return 1;
	}
	if (path) {
		ctl->conf_path = path;
		ctl->conf_exists = 1; /* asked for: it must load */
	} else if (access(CTL_DEFAULT_CONF, R_OK) == 0) {
		ctl->conf_path = CTL_DEFAULT_CONF;
		ctl->conf_exists = 1;
	}
	if ((ctl->conf_exists && config_load_file(sluice_config_table, sluice_config_count,
						  &ctl->cfg, ctl->conf_path, err, sizeof err) < 0) ||
	    sluice_config_finish(&ctl->cfg, err, sizeof err) < 0) {
		fprintf(stderr, "sluicectl: %s\n", err);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct ctl ctl;
	const char *path = NULL;
	int opt;
	/* "+": options after the command belong to it */
	while ((opt = getopt(argc, argv, "+c:jhV")) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'j': ctl.as_json = 1; break;
		case 'h': ctl_usage(stdout); return 0;
		case 'V': printf("sluicectl %s\n", PACKAGE_VERSION); return 0;
		default: ctl_usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		ctl_usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < CTL_COMMAND_COUNT; i++) {
		if (strcmp(argv[optind], ctl_commands[i].name))
			continue;
		if (ctl_load_config(&ctl, path))
			return 1;
		int rc = ctl_commands[i].fn(&ctl, argc - optind, argv + optind);
		config_free(sluice_config_table, sluice_config_count, &ctl.cfg);
		return rc;
	}
	fprintf(stderr, "sluicectl: unknown command '%s'\n", argv[optind]);
	ctl_usage(stderr);
	return 2;
}
