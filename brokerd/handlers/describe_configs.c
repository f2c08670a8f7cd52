/*
 * DescribeConfigs v0-v4 for topics (resource type 2) and this broker (4).
 *
 * A topic lists every key of the topic config table with the value in
 * force: the topic's own (ConfigSource DYNAMIC_TOPIC_CONFIG) or the
 * default (DEFAULT_CONFIG).  One key defaults to a broker config, as in
 * Kafka: max.message.bytes falls back to the broker's message.max.bytes,
 * which is what Produce enforces, so it is reported with that key's value
 * and source.  The broker lists every key of brokerd's config table:
 * set through AlterConfigs (DYNAMIC_BROKER_CONFIG), in sluice.conf with a
 * value other than the default (STATIC_BROKER_CONFIG), or the default;
 * keys that cannot change at run time are ReadOnly, and s3.secret.key is
 * IsSensitive with a null value.  An empty broker name asks for the
 * cluster-wide dynamic defaults, of which there are none.
 *
 * Synonyms (v1+, when IncludeSynonyms) list every layer that has a value,
 * highest precedence first; Documentation (v3+) is sent when
 * IncludeDocumentation.  Unknown keys in ConfigurationKeys are left out.
 * Errors are per resource, with an empty Configs array.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/catalog/topic_config.h"
#include "brokerd/dynconfig.h"
#include "brokerd/handlers/config_resource.h"
#include "brokerd/server/request.h"
#include "common/errors.h"

/* Bounds on the request's arrays; more is malformed. */
#define DESCRIBE_CONFIGS_RESOURCES_MAX 10000
#define DESCRIBE_CONFIGS_KEYS_MAX 10000

/* Room for one formatted broker value. */
#define DESCRIBE_CONFIGS_VALUE_MAX 4096

/* One resource of the request. */
struct describe_resource {
	int8_t type;              /* ResourceType */
	struct kslice name;       /* ResourceName */
	struct kslice *keys;      /* ConfigurationKeys (NULL array: all) */
	int32_t key_count;        /* -1 for null */
};

/* What the response says about one key. */
struct describe_entry {
	const char *name;
	const char *value;        /* NULL: null (secret) */
	int read_only;
	int8_t source;
	int sensitive;
	int8_t type;
	const char *doc;
	/* Synonyms: at most dynamic, static, default, plus the topic's */
	struct {
		const char *name;
		const char *value;
		int8_t source;
	} syn[4];
	int syn_count;
	char buf[3][DESCRIBE_CONFIGS_VALUE_MAX]; /* formatted values */
};

/* The request's options. */
struct describe_opts {
	int16_t ver;
	int synonyms;
	int docs;
};

/* Whether key name was asked for (every key when the filter is null). */
static int describe_configs_wanted(const struct describe_resource *res,
				   const char *name)
{
	if (res->key_count < 0)
		return 1;
	size_t len = strlen(name);
	for (int32_t i = 0; i < res->key_count; i++)
		if ((size_t)res->keys[i].len == len &&
		    !memcmp(res->keys[i].p, name, len))
			return 1;
	return 0;
}

/* Appends a synonym to e. */
static void describe_configs_syn(struct describe_entry *e, const char *name,
				 const char *value, int8_t source)
{
	e->syn[e->syn_count].name = name;
	e->syn[e->syn_count].value = value;
	e->syn[e->syn_count].source = source;
	e->syn_count++;
}

/* Appends broker key p's layers to e's synonyms (dynamic, static when it
 * differs from the default, default), formatting into e->buf[1..3]. */
static void describe_configs_broker_syns(struct describe_entry *e,
					 const struct config_param *p)
{
	int secret = dynconfig_sensitive(p);
	const char *o = dynconfig_override(p);
	if (o)
		describe_configs_syn(e, p->name, secret ? NULL : o,
				     DYNCONFIG_DYNAMIC);
	const char *st = dynconfig_value(p, DYNCONFIG_FILE, e->buf[1],
					 sizeof e->buf[1]);
	const char *def = dynconfig_value(p, DYNCONFIG_TABLE, e->buf[2],
					  sizeof e->buf[2]);
	if (strcmp(st, def))
		describe_configs_syn(e, p->name, secret ? NULL : st,
				     DYNCONFIG_STATIC);
	describe_configs_syn(e, p->name, secret ? NULL : def,
			     DYNCONFIG_DEFAULT);
}

/* Fills e for broker key p. */
static void describe_configs_broker_entry(struct describe_entry *e,
					  const struct config_param *p)
{
	memset(e, 0, offsetof(struct describe_entry, buf));
	e->name = p->name;
	e->sensitive = dynconfig_sensitive(p);
	e->value = e->sensitive ? NULL
				: dynconfig_value(p, DYNCONFIG_EFFECTIVE,
						  e->buf[0], sizeof e->buf[0]);
	e->read_only = !p->reloadable;
	e->source = (int8_t)dynconfig_source(p);
	e->type = config_resource_broker_type(p);
	e->doc = p->doc;
	describe_configs_broker_syns(e, p);
}

/* The broker key a topic key defaults to, or NULL. */
static const struct config_param *describe_configs_broker_synonym(
	const char *topic_key)
{
	if (strcmp(topic_key, "max.message.bytes"))
		return NULL;
	return config_find(broker_config_table, broker_config_count,
			   "message.max.bytes");
}

/* Fills e for topic config def on topic t. */
static void describe_configs_topic_entry(struct describe_entry *e,
					 const struct topic *t,
					 const struct topic_config_def *def)
{
	memset(e, 0, offsetof(struct describe_entry, buf));
	e->name = def->name;
	e->type = (int8_t)def->type;
	e->doc = def->doc;
	const char *explicit = topic_config_get(t, def->name);
	const struct config_param *bp =
		describe_configs_broker_synonym(def->name);
	if (explicit) {
		e->value = explicit;
		e->source = CONFIG_SOURCE_TOPIC;
		describe_configs_syn(e, def->name, explicit,
				     CONFIG_SOURCE_TOPIC);
	} else if (bp) {
		e->value = dynconfig_value(bp, DYNCONFIG_EFFECTIVE, e->buf[0],
					   sizeof e->buf[0]);
		e->source = (int8_t)dynconfig_source(bp);
	} else {
		e->value = def->default_value;
		e->source = CONFIG_SOURCE_DEFAULT;
	}
	if (bp)
		describe_configs_broker_syns(e, bp);
	else
		describe_configs_syn(e, def->name, def->default_value,
				     CONFIG_SOURCE_DEFAULT);
}

/* Writes one DescribeConfigsResourceResult. */
static void describe_configs_write_entry(struct kwriter *w,
					 const struct describe_opts *o,
					 const struct describe_entry *e)
{
	kw_string(w, e->name);                         /* Name */
	kw_string(w, e->value);                        /* Value */
	kw_bool(w, e->read_only);                      /* ReadOnly */
	if (o->ver == 0)
		kw_bool(w, e->source == CONFIG_SOURCE_DEFAULT); /* IsDefault */
	if (o->ver >= 1)
		kw_i8(w, e->source);                   /* ConfigSource */
	kw_bool(w, e->sensitive);                      /* IsSensitive */
	if (o->ver >= 1) {
		int n = o->synonyms ? e->syn_count : 0;
		kw_array(w, n);                        /* Synonyms */
		for (int i = 0; i < n; i++) {
			kw_string(w, e->syn[i].name);  /* Name */
			kw_string(w, e->syn[i].value); /* Value */
			kw_i8(w, e->syn[i].source);    /* Source */
			kw_tags(w);
		}
	}
	if (o->ver >= 3) {
		kw_i8(w, e->type);                     /* ConfigType */
		kw_string(w, o->docs ? e->doc : NULL); /* Documentation */
	}
	kw_tags(w);
}

/* Writes the Configs array of a found resource. */
static void describe_configs_write_configs(struct kwriter *w,
					   const struct describe_opts *o,
					   const struct describe_resource *res,
					   const struct config_target *target)
{
	struct describe_entry entry, *e = &entry;
	int32_t n = 0;
	if (target->cluster_default) {
		kw_array(w, 0); /* no cluster-wide dynamic defaults */
		return;
	}
	if (target->type == CONFIG_RESOURCE_TOPIC) {
		size_t count = topic_config_def_count();
		for (size_t i = 0; i < count; i++)
			n += describe_configs_wanted(res,
						     topic_config_def_at(i)->name);
		kw_array(w, n);
		for (size_t i = 0; i < count; i++) {
			const struct topic_config_def *def =
				topic_config_def_at(i);
			if (!describe_configs_wanted(res, def->name))
				continue;
			describe_configs_topic_entry(e, target->topic, def);
			describe_configs_write_entry(w, o, e);
		}
	} else {
		for (size_t i = 0; i < broker_config_count; i++)
			n += describe_configs_wanted(
				res, broker_config_table[i].name);
		kw_array(w, n);
		for (size_t i = 0; i < broker_config_count; i++) {
			const struct config_param *p = &broker_config_table[i];
			if (!describe_configs_wanted(res, p->name))
				continue;
			describe_configs_broker_entry(e, p);
			describe_configs_write_entry(w, o, e);
		}
	}
}

/* Frees the resources' key arrays and the array. */
static void describe_configs_free(struct describe_resource *res, int32_t n)
{
	for (int32_t i = 0; i < n; i++)
		free(res[i].keys);
	free(res);
}

int handle_describe_configs(struct request *req)
{
	struct kreader *r = &req->r;
	struct kwriter *w = &req->w;
	struct describe_opts o = { .ver = req->api_version };

	int32_t count;
	struct describe_resource *res = kr_array_calloc(
		r, DESCRIBE_CONFIGS_RESOURCES_MAX, r->flexible ? 4 : 7,
		sizeof *res, &count);                          /* Resources */
	for (int32_t i = 0; i < count && !kreader_failed(r); i++) {
		res[i].type = kr_i8(r);                        /* ResourceType */
		res[i].name = kr_string(r);                    /* ResourceName */
		res[i].key_count = kr_array(r, DESCRIBE_CONFIGS_KEYS_MAX,
					    r->flexible ? 1 : 2); /* ConfigurationKeys */
		if (res[i].key_count > 0) {
			res[i].keys = calloc((size_t)res[i].key_count,
					     sizeof *res[i].keys);
			if (!res[i].keys)
				kreader_fail(r);
		}
		for (int32_t k = 0; k < res[i].key_count && !kreader_failed(r); k++)
			res[i].keys[k] = kr_string(r);
		kr_tags(r);
	}
	if (o.ver >= 1)
		o.synonyms = kr_bool(r);                       /* IncludeSynonyms */
	if (o.ver >= 3)
		o.docs = kr_bool(r);                   /* IncludeDocumentation */
	kr_tags(r);
	if (kreader_failed(r)) {
		describe_configs_free(res, count);
		return REQ_MALFORMED;
	}

	kw_i32(w, 0);                                          /* ThrottleTimeMs */
	kw_array(w, count);                                    /* Results */
	for (int32_t i = 0; i < count; i++) {
		struct config_target target;
		char err[300];
		int rc = config_resource_find(res[i].type, res[i].name, 1,
					      &target, err, sizeof err);
		kw_i16(w, (int16_t)rc);                        /* ErrorCode */
		kw_string(w, rc ? err : NULL);                 /* ErrorMessage */
		kw_i8(w, res[i].type);                         /* ResourceType */
		kw_string_len(w, res[i].name.p, res[i].name.len); /* ResourceName */
		if (rc)
			kw_array(w, 0);                        /* Configs */
		else
			describe_configs_write_configs(w, &o, &res[i], &target);
		kw_tags(w);
	}
	kw_tags(w);
	describe_configs_free(res, count);
	return REQ_DONE;
}
