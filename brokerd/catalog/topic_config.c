/*
 * Topic configs: the table from topic_config.h, the validators behind
 * CreateTopics, and the effective value of a key on a topic (explicit value
 * or broker default).  Error messages follow Kafka's ConfigException wording
 * so clients show what Kafka would.
 *
 * Ownership: the table is static; returned strings point into it or into
 * the topic.  Threading: no state, any thread.  Nothing here is durable; the
 * catalog stores the explicit values.
 */
#include "brokerd/catalog/topic_config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "brokerd/catalog/catalog.h"
#include "common/errors.h"
#include "common/log.h"

static const struct topic_config_def topic_config_defs[] = {
#define TOPIC_CONFIG_DEF(key, type, def, min, max, allowed, doc)               \
	{ key, TOPIC_CONFIG_##type, def, min, max, allowed, doc },
	TOPIC_CONFIGS(TOPIC_CONFIG_DEF)
#undef TOPIC_CONFIG_DEF
};

#define TOPIC_CONFIG_N (sizeof topic_config_defs / sizeof topic_config_defs[0])

/* Longest value text the validators look at; Kafka values are short. */
#define TOPIC_CONFIG_VALUE_MAX 1024

size_t topic_config_def_count(void)
{
	return TOPIC_CONFIG_N;
}

const struct topic_config_def *topic_config_def_at(size_t i)
{
	return i < TOPIC_CONFIG_N ? &topic_config_defs[i] : NULL;
}

/* bsearch comparator: key string against a table entry. */
static int topic_config_cmp(const void *key, const void *entry)
{
	const struct topic_config_def *def = entry;
	return strcmp(key, def->name);
}

const struct topic_config_def *topic_config_find(const char *name)
{
	if (!name)
		return NULL;
	/* The table is written in name order (the unit test checks it). */
	return bsearch(name, topic_config_defs, TOPIC_CONFIG_N,
		       sizeof topic_config_defs[0], topic_config_cmp);
}

/* Copies value without leading and trailing blanks, as Kafka trims before
 * parsing; returns -1 if it does not fit. */
static int topic_config_trim(const char *value, char *buf, size_t buflen)
{
	while (isspace((unsigned char)*value))
		value++;
	size_t len = strlen(value);
	while (len > 0 && isspace((unsigned char)value[len - 1]))
		len--;
	if (len >= buflen)
		return -1;
	memcpy(buf, value, len);
	buf[len] = '\0';
	return 0;
}

/* Parses a decimal integer; returns -1 unless the whole text is one. */
static int topic_config_parse_int(const char *text, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno || end == text || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Parses a finite double; returns -1 unless the whole text is one. */
static int topic_config_parse_double(const char *text, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (errno || end == text || *end != '\0' || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/* Parses true/false in any case, as Kafka does; returns -1 otherwise. */
static int topic_config_parse_bool(const char *text, int64_t *out)
{
	if (!strcasecmp(text, "true"))
		*out = 1;
	else if (!strcasecmp(text, "false"))
		*out = 0;
	else
		return -1;
	return 0;
}

/* Whether word (len bytes) is one of the '|'-separated allowed values. */
static int topic_config_allowed(const char *allowed, const char *word,
				size_t len)
{
	const char *p = allowed;
	for (;;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == len && !memcmp(p, word, len))
			return 1;
		if (!bar)
			return 0;
		p = bar + 1;
	}
}

/* Writes "String must be one of: a, b, c" (Kafka's wording) to why and
 * returns it. */
static const char *topic_config_not_allowed(const char *allowed, char *why,
					    size_t whylen)
{
	static const char prefix[] = "String must be one of: ";
	size_t o = 0;
	for (const char *p = prefix; *p && o + 1 < whylen; p++)
		why[o++] = *p;
	for (const char *p = allowed; *p && o + 3 < whylen; p++) {
		if (*p == '|') {
			why[o++] = ',';
			why[o++] = ' ';
		} else {
			why[o++] = *p;
		}
	}
	why[o] = '\0';
	return why;
}

/* Takes the next comma-separated element at *p, without blanks: returns its
 * start and sets *len; moves *p past the comma, or to NULL after the last. */
static const char *topic_config_list_next(const char **p, size_t *len)
{
	const char *s = *p;
	while (isspace((unsigned char)*s))
		s++;
	const char *comma = strchr(s, ',');
	size_t n = comma ? (size_t)(comma - s) : strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	*len = n;
	*p = comma ? comma + 1 : NULL;
	return s;
}

/* Checks a comma-separated list: at least one element, each allowed, none
 * twice.  Returns NULL or the reason (possibly written to why). */
static const char *topic_config_check_list(const struct topic_config_def *def,
					   const char *text, char *why,
					   size_t whylen)
{
	const char *seen[16];
	size_t seen_len[16], nseen = 0;
	const char *p = text;
	while (p) {
		size_t n;
		const char *word = topic_config_list_next(&p, &n);
		if (n == 0) {
			snprintf(why, whylen, "Empty list element");
			return why;
		}
		if (def->allowed &&
		    !topic_config_allowed(def->allowed, word, n))
			return topic_config_not_allowed(def->allowed, why,
							whylen);
		for (size_t i = 0; i < nseen; i++)
			if (seen_len[i] == n && !memcmp(seen[i], word, n))
				return "Values must not be repeated";
		if (nseen == sizeof seen / sizeof seen[0])
			return "Too many values";
		seen[nseen] = word;
		seen_len[nseen++] = n;
	}
	return NULL;
}

/* Checks text against def; returns NULL if valid, else writes the reason
 * (without the "Invalid value" prefix) to why. */
static const char *topic_config_check(const struct topic_config_def *def,
				      const char *text, char *why,
				      size_t whylen)
{
	int64_t v;
	double d;

	switch (def->type) {
	case TOPIC_CONFIG_BOOLEAN:
		if (topic_config_parse_bool(text, &v) < 0)
			return "Expected value to be either true or false";
		return NULL;
	case TOPIC_CONFIG_INT:
	case TOPIC_CONFIG_LONG:
		if (topic_config_parse_int(text, &v) < 0 ||
		    (def->type == TOPIC_CONFIG_INT &&
		     (v < INT32_MIN || v > INT32_MAX)))
			return def->type == TOPIC_CONFIG_INT
				       ? "Not a number of type INT"
				       : "Not a number of type LONG";
		if (v < def->min) {
			snprintf(why, whylen, "Value must be at least %lld",
				 (long long)def->min);
			return why;
		}
		if (v > def->max) {
			snprintf(why, whylen, "Value must be no more than %lld",
				 (long long)def->max);
			return why;
		}
		return NULL;
	case TOPIC_CONFIG_DOUBLE:
		if (topic_config_parse_double(text, &d) < 0)
			return "Not a number of type DOUBLE";
		if (d < (double)def->min) {
			snprintf(why, whylen, "Value must be at least %lld",
				 (long long)def->min);
			return why;
		}
		if (d > (double)def->max) {
			snprintf(why, whylen, "Value must be no more than %lld",
				 (long long)def->max);
			return why;
		}
		return NULL;
	case TOPIC_CONFIG_STRING:
		if (!def->allowed ||
		    topic_config_allowed(def->allowed, text, strlen(text)))
			return NULL;
		return topic_config_not_allowed(def->allowed, why, whylen);
	case TOPIC_CONFIG_LIST:
		return topic_config_check_list(def, text, why, whylen);
	}
	return "unsupported type";
}

int topic_config_validate(const char *name, const char *value, char *err,
			  size_t errlen)
{
	const struct topic_config_def *def = topic_config_find(name);
	if (!def) {
		snprintf(err, errlen, "Unknown topic config name: %s",
			 name ? name : "(null)");
		return KERR_INVALID_CONFIG;
	}
	if (!value) {
		snprintf(err, errlen,
			 "Invalid value null for configuration %s", name);
		return KERR_INVALID_CONFIG;
	}
	char text[TOPIC_CONFIG_VALUE_MAX];
	char why[256];
	const char *reason;
	if (topic_config_trim(value, text, sizeof text) < 0)
		reason = "Value is too long";
	else
		reason = topic_config_check(def, text, why, sizeof why);
	if (!reason)
		return 0;
	snprintf(err, errlen, "Invalid value %.200s for configuration %s: %s",
		 value, name, reason);
	return KERR_INVALID_CONFIG;
}

const char *topic_config_default(const char *name)
{
	const struct topic_config_def *def = topic_config_find(name);
	return def ? def->default_value : NULL;
}

const char *topic_config_get(const struct topic *topic, const char *name)
{
	for (size_t i = 0; i < topic->config_count; i++)
		if (!strcmp(topic->configs[i].name, name))
			return topic->configs[i].value;
	return NULL;
}

const char *topic_config_effective(const struct topic *topic,
				   const char *name)
{
	const struct topic_config_def *def = topic_config_find(name);
	if (!def)
		return NULL;
	const char *v = topic ? topic_config_get(topic, name) : NULL;
	return v ? v : def->default_value;
}

/* The effective value of name, trimmed into buf; panics on an unknown key
 * or one not of the wanted type (callers name keys literally). */
static const struct topic_config_def *
topic_config_fetch(const struct topic *topic, const char *name, char *buf,
		   size_t buflen)
{
	const struct topic_config_def *def = topic_config_find(name);
	if (!def)
		log_panic("topic_config: unknown key %s", name);
	const char *v = topic_config_effective(topic, name);
	/* Stored values passed topic_config_validate at creation. */
	if (topic_config_trim(v, buf, buflen) < 0)
		log_panic("topic_config: %s: value too long", name);
	return def;
}

int64_t topic_config_int(const struct topic *topic, const char *name)
{
	char text[TOPIC_CONFIG_VALUE_MAX];
	const struct topic_config_def *def =
		topic_config_fetch(topic, name, text, sizeof text);
	int64_t v;
	int rc;
	switch (def->type) {
	case TOPIC_CONFIG_INT:
	case TOPIC_CONFIG_LONG:
		rc = topic_config_parse_int(text, &v);
		break;
	case TOPIC_CONFIG_BOOLEAN:
		rc = topic_config_parse_bool(text, &v);
		break;
	default:
		log_panic("topic_config: %s is not numeric", name);
	}
	if (rc < 0)
		log_panic("topic_config: %s: stored value '%s' does not parse",
			  name, text);
	return v;
}

double topic_config_double(const struct topic *topic, const char *name)
{
	char text[TOPIC_CONFIG_VALUE_MAX];
	const struct topic_config_def *def =
		topic_config_fetch(topic, name, text, sizeof text);
	double d;
	if (def->type != TOPIC_CONFIG_DOUBLE)
		log_panic("topic_config: %s is not a double", name);
	if (topic_config_parse_double(text, &d) < 0)
		log_panic("topic_config: %s: stored value '%s' does not parse",
			  name, text);
	return d;
}

int topic_config_list_contains(const struct topic *topic, const char *name,
			       const char *item)
{
	char text[TOPIC_CONFIG_VALUE_MAX];
	const struct topic_config_def *def =
		topic_config_fetch(topic, name, text, sizeof text);
	if (def->type != TOPIC_CONFIG_LIST)
		log_panic("topic_config: %s is not a list", name);
	size_t len = strlen(item);
	const char *p = text;
	while (p) {
		size_t n;
		const char *word = topic_config_list_next(&p, &n);
		if (n == len && !memcmp(word, item, len))
			return 1;
	}
	return 0;
}
