/*
 * Config file parsing against a daemon's parameter table.  Values are stored
 * at each parameter's offset in a struct the daemon owns.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

const struct config_param *config_find(const struct config_param *table,
				       size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i].name, key) == 0)
			return &table[i];
	return NULL;
}

int config_parse_int(const char *text, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno || end == text)
		return -1;
	int shift = 0;
	switch (toupper((unsigned char)*end)) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	}
	if (*end != '\0')
		return -1;
	if (shift && (v > (INT64_MAX >> shift) || v < (INT64_MIN >> shift)))
		return -1;
	*out = (int64_t)v * ((int64_t)1 << shift);
	return 0;
}

/* Converts and stores one value; on failure writes the reason to err. */
static int config_store(const struct config_param *p, void *values,
			const char *text, char *err, size_t errlen)
{
	char *slot = (char *)values + p->offset;
	int64_t v;
	switch (p->type) {
	case CONFIG_STRING: {
		char *copy = strdup(text);
		if (!copy) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		free(*(char **)slot);
		*(char **)slot = copy;
		return 0;
	}
	case CONFIG_INT:
		if (config_parse_int(text, &v) < 0) {
			snprintf(err, errlen, "%s: '%s' is not an integer",
				 p->name, text);
			return -1;
		}
		if (v < p->min || v > p->max) {
			snprintf(err, errlen,
				 "%s: %lld is out of range [%lld, %lld]",
				 p->name, (long long)v, (long long)p->min,
				 (long long)p->max);
			return -1;
		}
		*(int64_t *)slot = v;
		return 0;
	case CONFIG_BOOL:
		if (!strcasecmp(text, "true") || !strcmp(text, "1") ||
		    !strcasecmp(text, "yes"))
			v = 1;
		else if (!strcasecmp(text, "false") || !strcmp(text, "0") ||
			 !strcasecmp(text, "no"))
			v = 0;
		else {
			snprintf(err, errlen, "%s: '%s' is not true or false",
				 p->name, text);
			return -1;
		}
		*(int64_t *)slot = v;
		return 0;
	}
	snprintf(err, errlen, "%s: unknown type", p->name);
	return -1;
}

int config_set(const struct config_param *table, size_t n, void *values,
	       const char *key, const char *text, char *err, size_t errlen)
{
	const struct config_param *p = config_find(table, n, key);
	if (!p) {
		snprintf(err, errlen, "unknown key '%s'", key);
		return -1;
	}
	return config_store(p, values, text, err, errlen);
}

int config_set_defaults(const struct config_param *table, size_t n,
			void *values, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (config_store(&table[i], values, table[i].default_value, err,
				 errlen) < 0)
			return -1;
	return 0;
}

/* Strips leading and trailing white space in place. */
static char *config_trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int config_load_file(const struct config_param *table, size_t n, void *values,
		     const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char line[4096], why[512];
	int lineno = 0, rc = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path,
				 lineno);
			rc = -1;
			break;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = config_trim(line);
		if (*s == '\0')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected 'key = value'",
				 path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		char *key = config_trim(s), *val = config_trim(eq + 1);
		if (config_set(table, n, values, key, val, why, sizeof why) < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}

void config_format(const struct config_param *p, const void *values, char *buf,
		   size_t len)
{
	const char *slot = (const char *)values + p->offset;
	if (p->type == CONFIG_STRING)
		snprintf(buf, len, "%s",
			 *(char *const *)slot ? *(char *const *)slot : "");
	else if (p->type == CONFIG_BOOL)
		snprintf(buf, len, "%s", *(const int64_t *)slot ? "true" : "false");
	else
		snprintf(buf, len, "%lld", (long long)*(const int64_t *)slot);
}

void config_print(const struct config_param *table, size_t n,
		  const void *values, FILE *out)
{
	char buf[4096];
	for (size_t i = 0; i < n; i++) {
		config_format(&table[i], values, buf, sizeof buf);
		fprintf(out, "%s = %s\n", table[i].name, buf);
	}
}

int config_reload(const struct config_param *table, size_t n, void *running,
		  void *fresh, const char *who)
{
	int kept = 0;
	char was[4096], now[4096];
	for (size_t i = 0; i < n; i++) {
		const struct config_param *p = &table[i];
		char *cur = (char *)running + p->offset;
		char *nxt = (char *)fresh + p->offset;
		config_format(p, running, was, sizeof was);
		config_format(p, fresh, now, sizeof now);
		if (!strcmp(was, now))
			continue;
		if (strstr(p->name, "secret")) { /* never in a log */
			snprintf(was, sizeof was, "(hidden)");
			snprintf(now, sizeof now, "(changed)");
		}
		if (!p->reloadable) {
			log_warn("reload: %s changed ('%s' -> '%s') but is not reloadable: "
				 "restart %s to apply it", p->name, was, now, who);
			kept++;
			continue;
		}
		if (p->type == CONFIG_STRING) {
			/* swap: fresh is freed by the caller */
			char *tmp = *(char **)cur;
			*(char **)cur = *(char **)nxt;
			*(char **)nxt = tmp;
		} else {
			*(int64_t *)cur = *(int64_t *)nxt;
		}
		log_info("reload: %s = %s (was %s)", p->name, now, was);
	}
	if (kept)
		log_warn("reload: %d changed key%s not applied until %s restarts",
			 kept, kept == 1 ? "" : "s", who);
	return kept;
}

void config_free(const struct config_param *table, size_t n, void *values)
{
	for (size_t i = 0; i < n; i++)
		if (table[i].type == CONFIG_STRING) {
			char **slot = (char **)((char *)values + table[i].offset);
			free(*slot);
			*slot = NULL;
		}
}
