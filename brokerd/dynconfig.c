/*
 * Broker config overrides made through the Kafka API (see dynconfig.h).
 *
 * The module keeps two private copies of the config struct: the static
 * layer (the file's values, replaced on SIGHUP) and the default layer.  A
 * change is checked on a scratch copy (static layer + the proposed
 * overrides, then sluice_config_finish's cross-key checks), journaled in
 * the catalog, and only then written into broker.cfg key by key, as
 * SIGHUP's reload does.
 *
 * Ownership: the copies are this module's; the overrides are the
 * catalog's.  Durable: the overrides, in the catalog (BROKER_CONFIG
 * records and snapshots).  Threading: event-loop thread only.
 */
#include "brokerd/dynconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "common/config.h"
#include "common/errors.h"
#include "common/log.h"

static struct broker_config *dyn_static;
static struct broker_config *dyn_default;

/* The slot of key p in a config struct. */
static void *dynconfig_slot(const struct config_param *p,
			    const struct broker_config *cfg)
{
	return (char *)cfg + p->offset;
}

/* Formats key p's value in cfg into buf (len bytes) as DescribeConfigs
 * shows it; returns buf. */
static const char *dynconfig_format(const struct config_param *p,
				    const struct broker_config *cfg, char *buf,
				    size_t len)
{
	const void *slot = dynconfig_slot(p, cfg);
	switch (p->type) {
	case CONFIG_STRING: {
		const char *s = *(char *const *)slot;
		snprintf(buf, len, "%s", s ? s : "");
		break;
	}
	case CONFIG_BOOL:
		snprintf(buf, len, "%s",
			 *(const int64_t *)slot ? "true" : "false");
		break;
	case CONFIG_INT:
		snprintf(buf, len, "%lld", (long long)*(const int64_t *)slot);
		break;
	}
	return buf;
}

/* Copies the value of key p from src to dst (strings duplicated).
 * Returns 0 or SL_ENOMEM. */
static int dynconfig_copy_key(const struct config_param *p,
			      struct broker_config *dst,
			      const struct broker_config *src)
{
	if (p->type != CONFIG_STRING) {
		*(int64_t *)dynconfig_slot(p, dst) =
			*(const int64_t *)dynconfig_slot(p, src);
		return 0;
	}
	const char *s = *(char *const *)dynconfig_slot(p, src);
	char *copy = strdup(s ? s : "");
	if (!copy)
		return SL_ENOMEM;
	char **slot = dynconfig_slot(p, dst);
	free(*slot);
	*slot = copy;
	return 0;
}

/* Frees a config copy (NULL is fine). */
static void dynconfig_free_copy(struct broker_config *cfg)
{
	if (!cfg)
		return;
	config_free(broker_config_table, broker_config_count, cfg);
	free(cfg);
}

/* A deep copy of src, or NULL without memory. */
static struct broker_config *dynconfig_copy(const struct broker_config *src)
{
	struct broker_config *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	for (size_t i = 0; i < broker_config_count; i++) {
		if (dynconfig_copy_key(&broker_config_table[i], c, src)) {
			dynconfig_free_copy(c);
			return NULL;
		}
	}
	return c;
}

/* The table's defaults with derived ones computed as for cfg (they
 * depend on data.dir and node.id), or NULL without memory. */
static struct broker_config *dynconfig_defaults(const struct broker_config *cfg)
{
	struct broker_config *d = calloc(1, sizeof *d);
	char err[256];
	if (!d)
		return NULL;
	if (config_set_defaults(broker_config_table, broker_config_count, d,
				err, sizeof err) < 0 ||
	    dynconfig_copy_key(config_find(broker_config_table,
					   broker_config_count, "data.dir"),
			       d, cfg) ||
	    dynconfig_copy_key(config_find(broker_config_table,
					   broker_config_count, "node.id"),
			       d, cfg)) {
		dynconfig_free_copy(d);
		return NULL;
	}
	/* cross-key checks of the defaults alone do not matter here */
	(void)sluice_config_finish(d, err, sizeof err);
	/* the two inputs are themselves at their table defaults */
	if (config_set(broker_config_table, broker_config_count, d, "data.dir",
		       config_find(broker_config_table, broker_config_count,
				   "data.dir")->default_value,
		       err, sizeof err) < 0 ||
	    config_set(broker_config_table, broker_config_count, d, "node.id",
		       config_find(broker_config_table, broker_config_count,
				   "node.id")->default_value,
		       err, sizeof err) < 0) {
		dynconfig_free_copy(d);
		return NULL;
	}
	return d;
}

/* Writes the catalog's overrides over cfg, checking the result with the
 * cross-key checks.  Returns 0, or -1 with err set (cfg then holds some
 * of them: callers work on a copy). */
static int dynconfig_overlay(struct broker_config *cfg,
			     const struct topic_config_entry *entries,
			     size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const struct config_param *p = config_find(
			broker_config_table, broker_config_count,
			entries[i].name);
		if (!p) {
			snprintf(err, errlen, "Unknown broker config: %s",
				 entries[i].name);
			return -1;
		}
		if (!p->reloadable) {
			snprintf(err, errlen,
				 "Cannot update these configs dynamically: %s",
				 p->name);
			return -1;
		}
		if (config_set(broker_config_table, broker_config_count, cfg,
			       p->name, entries[i].value, err, errlen) < 0)
			return -1;
	}
	return sluice_config_finish(cfg, err, errlen);
}

/* Sets the log level from log.level, as brokerd does at start. */
static void dynconfig_apply_log_level(const char *level)
{
	if (!strcmp(level, "debug"))
		log_set_level(LOG_LEVEL_DEBUG);
	else if (!strcmp(level, "warn"))
		log_set_level(LOG_LEVEL_WARN);
	else if (!strcmp(level, "error"))
		log_set_level(LOG_LEVEL_ERROR);
	else
		log_set_level(LOG_LEVEL_INFO);
}

/* Writes every reloadable key of eff into live that differs, logging
 * each.  Returns 0 or SL_ENOMEM (keys done so far stay). */
static int dynconfig_apply(struct broker_config *live,
			   const struct broker_config *eff)
{
	char a[4096], b[4096];
	for (size_t i = 0; i < broker_config_count; i++) {
		const struct config_param *p = &broker_config_table[i];
		if (!p->reloadable)
			continue;
		const char *now = dynconfig_format(p, live, a, sizeof a);
		const char *next = dynconfig_format(p, eff, b, sizeof b);
		if (!strcmp(now, next))
			continue;
		if (dynconfig_copy_key(p, live, eff))
			return SL_ENOMEM;
		log_info("dynconfig: %s = %s (was %s)", p->name,
			 dynconfig_sensitive(p) ? "(secret)" : next,
			 dynconfig_sensitive(p) ? "(secret)" : now);
	}
	dynconfig_apply_log_level(live->log_level);
	return 0;
}

/* The catalog's overrides as an array and count. */
static const struct topic_config_entry *dynconfig_overrides(size_t *n)
{
	*n = catalog_broker_config_count(broker.catalog);
	return *n ? catalog_broker_config_at(broker.catalog, 0) : NULL;
}

int dynconfig_start(struct broker_config *cfg)
{
	dynconfig_finish();
	dyn_static = dynconfig_copy(cfg);
	dyn_default = dynconfig_defaults(cfg);
	if (!dyn_static || !dyn_default) {
		dynconfig_finish();
		return SL_ENOMEM;
	}
	size_t n;
	const struct topic_config_entry *o = dynconfig_overrides(&n);
	if (!n)
		return 0;
	struct broker_config *eff = dynconfig_copy(dyn_static);
	char err[512];
	if (!eff)
		return SL_ENOMEM;
	if (dynconfig_overlay(eff, o, n, err, sizeof err) < 0) {
		log_warn("dynconfig: the broker config overrides in the catalog "
			 "do not fit sluice.conf (%s); the file's values apply "
			 "until AlterConfigs sets them again", err);
	} else {
		int rc = dynconfig_apply(cfg, eff);
		if (rc) {
			dynconfig_free_copy(eff);
			return rc;
		}
		log_info("dynconfig: %zu broker config overrides from the "
			 "catalog apply", n);
	}
	dynconfig_free_copy(eff);
	return 0;
}

void dynconfig_reload(struct broker_config *fresh)
{
	if (!dyn_static)
		return;
	/* The file's values become the static layer; derived defaults
	 * (empty in fresh) keep their values from start. */
	for (size_t i = 0; i < broker_config_count; i++) {
		const struct config_param *p = &broker_config_table[i];
		if (p->type == CONFIG_STRING) {
			const char *s = *(char **)dynconfig_slot(p, fresh);
			if (!s || !*s)
				continue;
		}
		if (dynconfig_copy_key(p, dyn_static, fresh)) {
			log_error("dynconfig: reload: out of memory");
			return;
		}
	}
	size_t n;
	const struct topic_config_entry *o = dynconfig_overrides(&n);
	if (!n)
		return;
	struct broker_config *eff = dynconfig_copy(dyn_static);
	char err[512];
	if (!eff) {
		log_error("dynconfig: reload: out of memory");
		return;
	}
	if (dynconfig_overlay(eff, o, n, err, sizeof err) < 0) {
		log_warn("dynconfig: reload: the broker config overrides do not "
			 "fit sluice.conf (%s); the file's values apply", err);
	} else {
		for (size_t i = 0; i < n; i++) {
			const struct config_param *p = config_find(
				broker_config_table, broker_config_count,
				o[i].name);
			if (dynconfig_copy_key(p, fresh, eff))
				log_error("dynconfig: reload: out of memory");
			else
				log_info("reload: %s keeps its AlterConfigs "
					 "value", p->name);
		}
	}
	dynconfig_free_copy(eff);
}

void dynconfig_finish(void)
{
	dynconfig_free_copy(dyn_static);
	dynconfig_free_copy(dyn_default);
	dyn_static = dyn_default = NULL;
}

int dynconfig_sensitive(const struct config_param *p)
{
	return !strcmp(p->name, "s3.secret.key");
}

const char *dynconfig_override(const struct config_param *p)
{
	size_t n;
	const struct topic_config_entry *o = dynconfig_overrides(&n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(o[i].name, p->name))
			return o[i].value;
	return NULL;
}

const char *dynconfig_value(const struct config_param *p,
			    enum dynconfig_layer layer, char *buf, size_t len)
{
	const struct broker_config *cfg = broker.cfg;
	if (layer == DYNCONFIG_FILE && dyn_static)
		cfg = dyn_static;
	else if (layer == DYNCONFIG_TABLE && dyn_default)
		cfg = dyn_default;
	return dynconfig_format(p, cfg, buf, len);
}

enum dynconfig_source dynconfig_source(const struct config_param *p)
{
	if (dynconfig_override(p))
		return DYNCONFIG_DYNAMIC;
	char a[4096], b[4096];
	if (strcmp(dynconfig_value(p, DYNCONFIG_FILE, a, sizeof a),
		   dynconfig_value(p, DYNCONFIG_TABLE, b, sizeof b)))
		return DYNCONFIG_STATIC;
	return DYNCONFIG_DEFAULT;
}

/* Checks entries against the table and the static layer, and builds their
 * canonical form (value as DescribeConfigs shows it) into *canon.  Returns
 * 0, KERR_INVALID_CONFIG with err set, or SL_ENOMEM. */
static int dynconfig_check(const struct topic_config_entry *entries, size_t n,
			   struct topic_config_entry **canon,
			   struct broker_config **eff, char *err,
			   size_t errlen)
{
	*canon = NULL;
	*eff = dynconfig_copy(dyn_static);
	if (!*eff)
		return SL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!entries[i].value) {
			snprintf(err, errlen, "Null value not supported for : %s",
				 entries[i].name);
			return KERR_INVALID_CONFIG;
		}
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(entries[i].name, entries[j].name)) {
				snprintf(err, errlen,
					 "Duplicate config key: %s",
					 entries[i].name);
				return KERR_INVALID_CONFIG;
			}
		}
	}
	if (dynconfig_overlay(*eff, entries, n, err, errlen) < 0)
		return KERR_INVALID_CONFIG;
	if (!n)
		return 0;
	*canon = calloc(n, sizeof **canon);
	if (!*canon)
		return SL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct config_param *p = config_find(
			broker_config_table, broker_config_count,
			entries[i].name);
		char buf[4096];
		(*canon)[i].name = strdup(p->name);
		(*canon)[i].value = strdup(
			dynconfig_format(p, *eff, buf, sizeof buf));
		if (!(*canon)[i].name || !(*canon)[i].value)
			return SL_ENOMEM;
	}
	return 0;
}

/* Frees n entries and their array. */
static void dynconfig_entries_free(struct topic_config_entry *e, size_t n)
{
	for (size_t i = 0; e && i < n; i++) {
		free(e[i].name);
		free(e[i].value);
	}
	free(e);
}

int dynconfig_set(const struct topic_config_entry *entries, size_t n,
		  int validate_only, char *err, size_t errlen)
{
	SL_ASSERT(dyn_static != NULL);
	struct topic_config_entry *canon;
	struct broker_config *eff;
	int rc = dynconfig_check(entries, n, &canon, &eff, err, errlen);
	if (rc == SL_ENOMEM) {
		snprintf(err, errlen, "Out of memory");
		rc = KERR_UNKNOWN_SERVER_ERROR;
	}
	if (rc || validate_only)
		goto out;
	rc = catalog_broker_configs_set(broker.catalog, canon, n);
	if (rc) {
		snprintf(err, errlen, "Cannot record the broker configs: %s",
			 sl_error_name(rc));
		rc = KERR_KAFKA_STORAGE_ERROR;
		goto out;
	}
	/* Durable now; without memory to apply it all, the next start
	 * applies it from the catalog. */
	if (dynconfig_apply(broker.cfg, eff))
		log_panic("dynconfig: out of memory applying broker configs");
out:
	dynconfig_entries_free(canon, n);
	dynconfig_free_copy(eff);
	return rc;
}
