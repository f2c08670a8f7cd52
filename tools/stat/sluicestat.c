/*
 * sluicestat: brokerd's live counters from its shared-memory segment, like
 * varnishstat.  Reads the segment only (brokerd is never asked anything),
 * so it works when the control socket is busy and costs brokerd nothing.
 *   sluicestat          refreshing screen with rates per second
 *   sluicestat -1       every counter once: name, value, description
 *   sluicestat -j       the same as one JSON object
 * The segment's name comes from sluice.conf (shm.name, default
 * /sluice-<node.id>) or -n.
 */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/config.h"
#include "common/sluice_config.h"
#include "tools/stat/stat.h"

#define STAT_DEFAULT_CONF SYSCONFDIR "/sluice/sluice.conf"

/* Prints usage. */
static void stat_usage(FILE *out)
{
	fprintf(out,
		"usage: sluicestat [-c FILE] [-n SHM] [-f TEXT] [-1 | -j | -w SECONDS]\n"
		"  -c FILE     configuration file (default %s)\n"
		"  -n SHM      shared-memory segment (default: shm.name from the file)\n"
		"  -f TEXT     only counters whose name contains TEXT\n"
		"  -1          print every counter once and exit\n"
		"  -j          print every counter once as JSON and exit\n"
		"  -w SECONDS  refresh interval of the screen (default 1)\n"
		"  -V          version\n",
		STAT_DEFAULT_CONF);
}

/* The segment name from the configuration; NULL after printing why. */
static char *stat_shm_name(const char *path)
{
	struct sluice_config cfg;
	char err[1024];
	memset(&cfg, 0, sizeof cfg);
	if (!path && access(STAT_DEFAULT_CONF, R_OK) == 0)
		path = STAT_DEFAULT_CONF;
	if (config_set_defaults(sluice_config_table, sluice_config_count, &cfg, err, sizeof err) < 0 ||
	    (path && config_load_file(sluice_config_table, sluice_config_count, &cfg, path, err,
				      sizeof err) < 0) ||
	    sluice_config_finish(&cfg, err, sizeof err) < 0) {
		fprintf(stderr, "sluicestat: %s\n", err);
		config_free(sluice_config_table, sluice_config_count, &cfg);
		return NULL;
	}
	char *name = strdup(cfg.shm_name);
	config_free(sluice_config_table, sluice_config_count, &cfg);
	return name;
}

/* Whether the brokerd that wrote the segment still runs. */
static int stat_brokerd_alive(const struct stat_source *src)
{
	pid_t pid = (pid_t)src->map.hdr->brokerd_pid;
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* -1 and -j: one reading. */
static int stat_once(const struct stat_source *src, int as_json)
{
	struct stat_sample s = {0};
	if (stat_source_sample(src, &s) < 0) {
		fprintf(stderr, "sluicestat: out of memory\n");
		return 1;
	}
	const struct shm_header *h = src->map.hdr;
	int alive = stat_brokerd_alive(src);
	if (!alive)
		fprintf(stderr,
			"sluicestat: brokerd (pid %lld) is not running: these are the last values "
			"it left in %s\n",
			(long long)h->brokerd_pid, src->shm_name);
	if (as_json) {
		json_t *counters = json_object();
		for (size_t i = 0; i < src->count; i++)
			json_object_set_new(counters, src->counters[i].name,
					    json_pack("{s:I, s:s, s:s}", "value",
						      (json_int_t)s.values[i], "kind",
						      src->counters[i].is_counter ? "counter" : "gauge",
						      "description", src->counters[i].description));
		json_t *out = json_pack("{s:I, s:s, s:I, s:b, s:I, s:i, s:o}", "timestamp_ms",
					(json_int_t)time(NULL) * 1000, "shm", src->shm_name,
					"brokerd_pid", (json_int_t)h->brokerd_pid,
					"brokerd_running", alive, "generation",
					(json_int_t)h->generation, "node_id", (int)h->node_id,
					"counters", counters);
		json_dumpf(out, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(out);
	} else {
		for (size_t i = 0; i < src->count; i++)
			printf("%-28s %20llu  %s\n", src->counters[i].name,
			       (unsigned long long)s.values[i], src->counters[i].description);
	}
	free(s.values);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *shm = NULL, *filter = NULL;
	int once = 0, as_json = 0, opt;
	double interval = 1;
	while ((opt = getopt(argc, argv, "c:n:f:1jw:hV")) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'n': shm = optarg; break;
		case 'f': filter = optarg; break;
		case '1': once = 1; break;
		case 'j': as_json = 1; break;
		case 'w': interval = atof(optarg); break;
		case 'h': stat_usage(stdout); return 0;
		case 'V': printf("sluicestat %s\n", PACKAGE_VERSION); return 0;
		default: stat_usage(stderr); return 2;
		}
	}
	if (optind != argc || interval < 0.1) {
		stat_usage(stderr);
		return 2;
	}
	char *name = shm ? strdup(shm) : stat_shm_name(path);
	if (!name)
		return 1;
	struct stat_source src;
	char err[1024];
	if (stat_source_open(&src, name, filter, err, sizeof err) < 0) {
		fprintf(stderr, "sluicestat: %s\n", err);
		stat_source_close(&src);
		free(name);
		return 1;
	}
	free(name);
	int rc = once || as_json || !isatty(1) ? stat_once(&src, as_json)
					      : stat_screen_run(&src, filter, interval);
	stat_source_close(&src);
	return rc;
}
