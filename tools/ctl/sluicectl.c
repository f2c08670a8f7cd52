/*
 * sluicectl: inspect and steer a running Sluice node through brokerd's
 * control socket (JSON lines).  Subcommands are a table; each prints a
 * human summary, or the raw JSON with -j.
 */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "common/config.h"
#include "common/sluice_config.h"

static struct sluice_config ctl_config;

/* Sends one request line and reads one reply line; NULL after printing
 * why (brokerd not running, socket closed). */
static json_t *ctl_request(const char *path, json_t *req)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		fprintf(stderr,
			"sluicectl: brokerd is not running (cannot connect to its control socket %s: %s)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	char *text = json_dumps(req, JSON_COMPACT);
	size_t len = strlen(text);
	text = realloc(text, len + 2);
	text[len] = '\n';
	if (write(fd, text, len + 1) != (ssize_t)(len + 1)) {
		fprintf(stderr, "sluicectl: write to %s: %s\n", path, strerror(errno));
		free(text);
		close(fd);
		return NULL;
	}
	free(text);
	FILE *in = fdopen(fd, "r");
	char *line = NULL;
	size_t cap = 0;
	json_t *reply = NULL;
	if (getline(&line, &cap, in) > 0) {
		json_error_t jerr;
		reply = json_loads(line, 0, &jerr);
	}
	if (!reply)
		fprintf(stderr, "sluicectl: no answer from brokerd on %s\n", path);
	free(line);
	fclose(in);
	return reply;
}

/* Integer field or 0. */
static long long ctl_int(json_t *obj, const char *path1, const char *path2)
{
	json_t *v = json_object_get(obj, path1);
	if (path2)
		v = json_object_get(v, path2);
	return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

/* `status`: daemons, WAL, regions, uploads, last errors. */
static int ctl_status(const char *sock, int as_json)
{
	json_t *r = ctl_request(sock, json_pack("{s:s}", "op", "status"));
	if (!r)
		return 1;
	if (as_json) {
		json_dumpf(r, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		long long ring = ctl_int(r, "wal", "ring_bytes");
		long long used = ctl_int(r, "wal", "head") - ctl_int(r, "wal", "trim");
		printf("brokerd      up, generation %lld, %lld topics\n",
		       ctl_int(r, "generation", NULL), ctl_int(r, "topics", NULL));
		printf("wal          %lld of %lld bytes used (%.1f%%), trim %lld, durable %lld\n",
		       used, ring, ring ? 100.0 * (double)used / (double)ring : 0.0,
		       ctl_int(r, "wal", "trim"), ctl_int(r, "wal", "durable"));
		long long sealed = ctl_int(r, "regions", "sealed");
		long long committed = ctl_int(r, "regions", "committed");
		printf("regions      %lld sealed, %lld committed, %lld waiting; uploaded up to %lld\n",
		       sealed, committed, sealed - committed,
		       ctl_int(r, "regions", "uploaded_end"));
		json_t *u = json_object_get(r, "uploader");
		printf("uploaderd    pid %lld, %lld objects (%lld bytes), %lld failed attempts\n",
		       ctl_int(u, "pid", NULL), ctl_int(u, "objects", NULL),
		       ctl_int(u, "bytes", NULL), ctl_int(u, "errors", NULL));
		const char *name;
		json_t *rep;
		json_object_foreach(json_object_get(r, "reports"), name, rep) {
			const char *err = json_string_value(json_object_get(rep, "last_error"));
			if (err)
				printf("%-12s last error: %s\n", name, err);
		}
	}
	int ok = json_is_true(json_object_get(r, "ok"));
	json_decref(r);
	return ok ? 0 : 1;
}

static const struct {
	const char *name;
	int (*fn)(const char *sock, int as_json);
	const char *doc;
} ctl_commands[] = {
	{"status", ctl_status, "daemons, WAL use, regions waiting, uploads, last errors"},
};

/* Prints usage with the subcommand table. */
static void ctl_usage(FILE *out)
{
	fprintf(out, "usage: sluicectl [-c FILE] [-j] COMMAND\n  -c FILE  configuration file (default %s)\n  -j       JSON output\ncommands:\n",
		SYSCONFDIR "/sluice/sluice.conf");
	for (size_t i = 0; i < sizeof ctl_commands / sizeof ctl_commands[0]; i++)
		fprintf(out, "  %-10s %s\n", ctl_commands[i].name, ctl_commands[i].doc);
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	int as_json = 0, opt;
	while ((opt = getopt(argc, argv, "c:jh")) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'j': as_json = 1; break;
		case 'h': ctl_usage(stdout); return 0;
		default: ctl_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		ctl_usage(stderr);
		return 2;
	}
	char err[1024];
	if (config_set_defaults(sluice_config_table, sluice_config_count, &ctl_config, err,
				sizeof err) < 0)
		return 2;
	if (!path && access(SYSCONFDIR "/sluice/sluice.conf", R_OK) == 0)
		path = SYSCONFDIR "/sluice/sluice.conf";
	if ((path && config_load_file(sluice_config_table, sluice_config_count, &ctl_config,
				      path, err, sizeof err) < 0) ||
	    sluice_config_finish(&ctl_config, err, sizeof err) < 0) {
		fprintf(stderr, "sluicectl: %s\n", err);
		return 2;
	}
	for (size_t i = 0; i < sizeof ctl_commands / sizeof ctl_commands[0]; i++)
		if (!strcmp(argv[optind], ctl_commands[i].name))
			return ctl_commands[i].fn(ctl_config.control_socket, as_json);
	fprintf(stderr, "sluicectl: unknown command '%s'\n", argv[optind]);
	ctl_usage(stderr);
	return 2;
}
