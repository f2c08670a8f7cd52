/*
 * `sluicectl config [-d | -n] [-h] [KEY...]`, after Postfix's postconf:
 * the effective value of every key (the file over the built-in defaults,
 * with derived defaults such as wal.path filled in), or the built-in
 * defaults (-d), or only the keys whose value differs from its default
 * (-n); -h prints values without names, for scripts (the init script reads
 * pidfile paths this way).  Everything comes from the one config table
 * (common/sluice_config.h); brokerd need not run.
 */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"


/* A value as JSON: numbers and booleans keep their type. */
static json_t *ctl_config_json_value(const struct config_param *p, const void *values)
{
	const char *slot = (const char *)values + p->offset;
	if (p->type == CONFIG_INT)
		return json_integer((json_int_t) * (const int64_t *)slot);
	if (p->type == CONFIG_BOOL)
		return json_boolean(*(const int64_t *)slot);
	return json_string(*(char *const *)slot ? *(char *const *)slot : "");
}

int ctl_config_run(struct ctl *ctl, int argc, char **argv)
{
	int defaults = 0, changed = 0, values_only = 0, opt;
	optind = 0; /* glibc: start a fresh scan of the subcommand's own argv */
	while ((opt = getopt(argc, argv, "dnh")) != -1) {
		switch (opt) {
		case 'd': defaults = 1; break;
		case 'n': changed = 1; break;
		case 'h': values_only = 1; break;
		default:
			fprintf(stderr, "usage: sluicectl config [-d | -n] [-h] [KEY...]\n");
			return 2;
		}
	}
	if (defaults && changed) {
		fprintf(stderr, "sluicectl: config: -d and -n exclude each other\n");
		return 2;
	}
	int nkeys = argc - optind;
	char **keys = argv + optind;
	for (int i = 0; i < nkeys; i++)
		if (!config_find(sluice_config_table, sluice_config_count, keys[i])) {
			fprintf(stderr, "sluicectl: config: unknown key '%s' (see sluice.conf(5))\n",
				keys[i]);
			return 1;
		}
	/* the built-in defaults, and for -n the file over them (raw, without
	 * derived values: those are not settings) */
	struct sluice_config dflt, raw;
	char err[1024];
	memset(&dflt, 0, sizeof dflt);
	memset(&raw, 0, sizeof raw);
	if (config_set_defaults(sluice_config_table, sluice_config_count, &dflt, err, sizeof err) < 0 ||
	    config_set_defaults(sluice_config_table, sluice_config_count, &raw, err, sizeof err) < 0 ||
	    (ctl->conf_exists && config_load_file(sluice_config_table, sluice_config_count, &raw,
						  ctl->conf_path, err, sizeof err) < 0)) {
		fprintf(stderr, "sluicectl: %s\n", err);
		return 1;
	}
	const void *shown = defaults ? (const void *)&dflt : (const void *)&ctl->cfg;
	json_t *out = ctl->as_json ? json_object() : NULL;
	char a[4096], b[4096];
	/* the keys asked for in their order, else the whole table */
	size_t count = nkeys ? (size_t)nkeys : sluice_config_count;
	for (size_t i = 0; i < count; i++) {
		const struct config_param *p =
			nkeys ? config_find(sluice_config_table, sluice_config_count, keys[i])
			      : &sluice_config_table[i];
		if (changed) {
			config_format(p, &raw, a, sizeof a);
			config_format(p, &dflt, b, sizeof b);
			if (!strcmp(a, b))
				continue;
		}
		if (out) {
			json_object_set_new(out, p->name, ctl_config_json_value(p, shown));
			continue;
		}
		config_format(p, shown, a, sizeof a);
		if (values_only)
			printf("%s\n", a);
		else
			printf("%s = %s\n", p->name, a);
	}
	if (out) {
		ctl_format_json(out);
		json_decref(out);
	}
	config_free(sluice_config_table, sluice_config_count, &dflt);
	config_free(sluice_config_table, sluice_config_count, &raw);
	return 0;
}
