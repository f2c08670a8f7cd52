/*
 * sluice-object: dumps and verifies Sluice objects (common/object_format.h)
 * from local files or an object store, and names the key of an object id.
 * Reads only; never writes to a file or a store.
 */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "common/object_format.h"
#include "common/sluice_config.h"
#include "tools/object/commands.h"
#include "tools/object/source.h"

#define EXIT_BAD_OBJECT 1
#define EXIT_USAGE 2

/* Prints the synopsis to out. */
static void main_usage(FILE *out)
{
	fprintf(out,
		"usage: sluice-object [-c CONF] [-j] [-b] dump OBJECT...\n"
		"       sluice-object [-c CONF] [-j] verify OBJECT...\n"
		"       sluice-object key ID...\n"
		"OBJECT is a file, file:///dir/o/xx/ID or s3://bucket/prefix/o/xx/ID\n"
		"  -c CONF  read s3.* settings from this sluice.conf\n"
		"  -j       JSON output, one document per object\n"
		"  -b       dump every batch of every block\n"
		"  -V       print the version\n");
}

/* Prints the key of each object id; returns the exit status. */
static int main_keys(int argc, char **argv)
{
	int status = 0;
	for (int i = 0; i < argc; i++) {
		char *end, key[OBJECT_KEY_MAX];
		errno = 0;
		unsigned long long id = strtoull(argv[i], &end, 0);
		if (errno || end == argv[i] || *end || argv[i][0] == '-') {
			fprintf(stderr, "sluice-object: '%s' is not an object id\n",
				argv[i]);
			status = EXIT_USAGE;
			continue;
		}
		object_key((uint64_t)id, key, sizeof key);
		printf("%s\n", key);
	}
	return status;
}

/* Reports an object that could not be opened, in the output's format. */
static void main_open_failed(const char *name, const char *err,
			     const struct command_opts *o)
{
	if (!o->json) {
		fprintf(stderr, "sluice-object: %s\n", err);
		return;
	}
	json_t *j = json_pack("{s:s, s:b, s:s}", "name", name, "ok", 0,
			      "error", err);
	json_dumpf(j, stdout, JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(j);
}

int main(int argc, char **argv)
{
	struct command_opts o = {0};
	const char *conf = NULL;
	int opt;
	log_open("sluice-object", 0); /* the object store logs its failures */
	while ((opt = getopt(argc, argv, "c:jbVh")) != -1) {
		switch (opt) {
		case 'c': conf = optarg; break;
		case 'j': o.json = 1; break;
		case 'b': o.batches = 1; break;
		case 'V': printf("sluice-object %s\n", PACKAGE_VERSION); return 0;
		case 'h': main_usage(stdout); return 0;
		default: main_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 >= argc) {
		main_usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[optind];
	int (*run)(struct source *, const char *, const struct command_opts *);
	if (strcmp(cmd, "dump") == 0) {
		run = dump_object;
	} else if (strcmp(cmd, "verify") == 0) {
		run = verify_object;
	} else if (strcmp(cmd, "key") == 0) {
		return main_keys(argc - optind - 1, argv + optind + 1);
	} else {
		fprintf(stderr, "sluice-object: unknown command '%s'\n", cmd);
		main_usage(stderr);
		return EXIT_USAGE;
	}

	/* Every daemon's key is valid in sluice.conf; only s3.* matter here,
	 * and defaults plus the AWS_* variables serve when there is no -c. */
	struct sluice_config cfg = {0};
	char err[1024];
	if (config_set_defaults(sluice_config_table, sluice_config_count, &cfg,
				err, sizeof err) < 0 ||
	    (conf && config_load_file(sluice_config_table, sluice_config_count,
				      &cfg, conf, err, sizeof err) < 0)) {
		fprintf(stderr, "sluice-object: %s\n", err);
		config_free(sluice_config_table, sluice_config_count, &cfg);
		return EXIT_USAGE;
	}

	int status = 0;
	for (int i = optind + 1; i < argc; i++) {
		struct source *src;
		if (source_open(argv[i], &cfg, &src, err, sizeof err)) {
			main_open_failed(argv[i], err, &o);
			status = EXIT_BAD_OBJECT;
			continue;
		}
		if (run(src, argv[i], &o))
			status = EXIT_BAD_OBJECT;
		source_close(src);
	}
	config_free(sluice_config_table, sluice_config_count, &cfg);
	return status;
}
