/*
 * Broker configs changed at run time through the Kafka API (AlterConfigs
 * and IncrementalAlterConfigs on a BROKER resource), in Kafka's layers:
 *   dynamic   overrides set through the API, kept in the catalog (durable:
 *             they survive a restart and win over the file, as Kafka's
 *             dynamic broker configs do)
 *   static    the values of sluice.conf (what SIGHUP rereads)
 *   default   the table's defaults (derived ones computed from data.dir
 *             and node.id as at start)
 * broker.cfg holds the effective values: static with the dynamic layer
 * written over it.  Only keys the table marks reloadable may be
 * overridden; they are read at use time, so a change applies at once.
 *
 * Threading: event-loop thread only.
 */
#ifndef SLUICE_DYNCONFIG_H
#define SLUICE_DYNCONFIG_H

#include <stddef.h>

#include "brokerd/broker_config.h"
#include "brokerd/catalog/catalog.h"

/* Where a broker config's value comes from (Kafka's ConfigSource codes). */
enum dynconfig_source {
	DYNCONFIG_DYNAMIC = 2, /* DYNAMIC_BROKER_CONFIG */
	DYNCONFIG_STATIC = 4,  /* STATIC_BROKER_CONFIG */
	DYNCONFIG_DEFAULT = 5, /* DEFAULT_CONFIG */
};

/* Takes cfg (the file's values, derived defaults filled in) as the static
 * layer and writes the catalog's overrides over it.  Call once at start,
 * after the catalog is open.  An override that no longer fits (the file
 * changed meanwhile) is logged and left out.  Returns 0 or SL_ENOMEM. */
int dynconfig_start(struct broker_config *cfg);

/* SIGHUP: fresh holds the file's values as just reread (derived defaults
 * still empty).  Takes them as the static layer and writes the overrides
 * over fresh, so that applying fresh keeps what was set through the API. */
void dynconfig_reload(struct broker_config *fresh);

void dynconfig_finish(void);

/* Whether a key's value is a secret that is never shown (s3.secret.key). */
int dynconfig_sensitive(const struct config_param *p);

/* The source of key p's effective value. */
enum dynconfig_source dynconfig_source(const struct config_param *p);

/* The override of key p, or NULL. */
const char *dynconfig_override(const struct config_param *p);

/* Formats key p's value in one layer into buf (len bytes): effective
 * (broker.cfg), static or default.  Returns buf. */
enum dynconfig_layer { DYNCONFIG_EFFECTIVE, DYNCONFIG_FILE, DYNCONFIG_TABLE };
const char *dynconfig_value(const struct config_param *p,
			    enum dynconfig_layer layer, char *buf, size_t len);

/* Replaces the whole set of overrides with entries (n of them; 0 removes
 * them all).  Checks that every key is known and reloadable, that every
 * value parses within bounds and that the effective config passes the
 * cross-key checks; with validate_only it stops there.  Otherwise it
 * journals the set (values in canonical form) in the catalog, then applies
 * it to broker.cfg.  Returns 0, or a Kafka error with err set:
 * INVALID_CONFIG, or KAFKA_STORAGE_ERROR when the catalog cannot journal
 * it. */
int dynconfig_set(const struct topic_config_entry *entries, size_t n,
		  int validate_only, char *err, size_t errlen);

#endif
