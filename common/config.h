/*
 * Table-driven configuration files: "key = value" lines, '#' comments.
 * Each daemon describes its keys once in a table (name, type, default,
 * bounds, reloadable, documentation); loading, checking (-t), printing
 * (sluicectl config) and the sluice.conf(5) cross-check all use that table.
 */
#ifndef SLUICE_CONFIG_H
#define SLUICE_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum config_type {
	CONFIG_STRING, /* char *, owned by the values struct */
	CONFIG_INT,    /* int64_t, checked against min and max */
	CONFIG_BOOL,   /* int64_t 0 or 1; true/false */
};

struct config_param {
	const char *name;
	enum config_type type;
	const char *default_value;
	int64_t min, max;
	int reloadable;
	size_t offset; /* where the value lives in the daemon's values struct */
	const char *doc;
};

/* Fills values with every parameter's default; returns 0, or -1 on a bad
 * default (a programming error) with err set. */
int config_set_defaults(const struct config_param *table, size_t n,
			void *values, char *err, size_t errlen);

/* Reads path over the defaults.  Returns 0, or -1 with err set to
 * "file:line: message" for an unknown key, a bad value or a syntax error. */
int config_load_file(const struct config_param *table, size_t n, void *values,
		     const char *path, char *err, size_t errlen);

/* Sets one key from text; returns 0 or -1 with err set (no file:line). */
int config_set(const struct config_param *table, size_t n, void *values,
	       const char *key, const char *text, char *err, size_t errlen);

/* Finds a parameter by name, or NULL. */
const struct config_param *config_find(const struct config_param *table,
				       size_t n, const char *key);

/* Prints "key = value" for every parameter. */
void config_print(const struct config_param *table, size_t n,
		  const void *values, FILE *out);

/* Formats one value as text ("true"/"false" for booleans) into buf. */
void config_format(const struct config_param *p, const void *values, char *buf,
		   size_t len);

/* SIGHUP: compares the running values with fresh ones (loaded and checked)
 * and moves each changed reloadable value into running; logs every change
 * ("reload: region.ms 5000 -> 200") and every changed key that needs a
 * restart of who.  Returns the number of changed keys not applied. */
int config_reload(const struct config_param *table, size_t n, void *running,
		  void *fresh, const char *who);

/* Frees strings held by values. */
void config_free(const struct config_param *table, size_t n, void *values);

/* Parses an integer with an optional K/M/G/T (binary) suffix; 0 or -1. */
int config_parse_int(const char *text, int64_t *out);

#endif
