/*
 * The shared body of AlterConfigs and IncrementalAlterConfigs (see
 * config_alter.h).
 *
 * The whole request is read first, so that one that does not parse changes
 * nothing.  Each resource is then checked and applied on its own, in
 * request order, with Kafka's per-resource errors (ConfigAdminManager):
 * a resource named twice, a key named twice in one resource, a null value
 * for anything but DELETE, an unknown operation, another broker's id or an
 * unsupported resource type are INVALID_REQUEST; an unknown key, a value
 * its validator refuses, APPEND or SUBTRACT on a key that is not a LIST
 * are INVALID_CONFIG with the validator's message.  There are no
 * create/alter policies, so POLICY_VIOLATION never comes back.  With
 * ValidateOnly every check runs and nothing changes.
 *
 * A topic change is journaled by the catalog before the answer and applies
 * at once: everything that reads a topic config (retention, compaction,
 * produce) looks it up at use time.  A broker change applies at once too
 * and is kept in the catalog (see dynconfig.h).
 */
#include "brokerd/handlers/config_alter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/catalog/topic_config.h"
#include "brokerd/dynconfig.h"
#include "brokerd/handlers/config_resource.h"
#include "brokerd/server/request.h"
#include "brokerd/topics.h"
#include "common/errors.h"

/* Bounds on the request's arrays; more is malformed. */
#define CONFIG_ALTER_RESOURCES_MAX 10000
#define CONFIG_ALTER_CONFIGS_MAX 10000

/* IncrementalAlterConfigs' ConfigOperation (AlterConfigs sets). */
enum config_alter_op {
	CONFIG_OP_SET = 0,
	CONFIG_OP_DELETE = 1,
	CONFIG_OP_APPEND = 2,
	CONFIG_OP_SUBTRACT = 3,
};

static const char *const config_alter_op_names[] = {
	"SET", "DELETE", "APPEND", "SUBTRACT",
};

/* One AlterableConfig as read. */
struct alter_config {
	struct kslice name;   /* Name */
	int8_t op;            /* ConfigOperation (SET for AlterConfigs) */
	struct kslice value;  /* Value (len -1: null) */
};

/* One resource of the request and its outcome. */
struct alter_resource {
	int8_t type;                   /* ResourceType */
	struct kslice name;            /* ResourceName */
	struct alter_config *configs;  /* Configs */
	int32_t config_count;
	int16_t error;                 /* ErrorCode */
	char message[400];             /* ErrorMessage when error */
};

/* A resource's new set of explicit configs, built from copies. */
struct alter_set {
	struct topic_config_entry *e;
	size_t n, cap;
};

/* Sets a resource's error unless one is set already. */
static void config_alter_fail(struct alter_resource *res, int error,
			      const char *message)
{
	if (res->error)
		return;
	res->error = (int16_t)error;
	snprintf(res->message, sizeof res->message, "%s", message);
}

/* Whether two slices hold the same bytes. */
static int config_alter_same(struct kslice a, struct kslice b)
{
	return a.len == b.len && (a.len <= 0 || !memcmp(a.p, b.p, (size_t)a.len));
}

/* A NUL-terminated copy of a slice, or NULL (null slice, a NUL byte in
 * it, or no memory: *bad tells which). */
static char *config_alter_cstr(struct kslice s, int *bad)
{
	*bad = 0;
	if (s.len < 0)
		return NULL;
	if (memchr(s.p, 0, (size_t)s.len)) {
		*bad = 1;
		return NULL;
	}
	char *c = malloc((size_t)s.len + 1);
	if (!c) {
		*bad = 2;
		return NULL;
	}
	memcpy(c, s.p, (size_t)s.len);
	c[s.len] = '\0';
	return c;
}

/* Frees a set's copies. */
static void config_alter_set_free(struct alter_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->e[i].name);
		free(set->e[i].value);
	}
	free(set->e);
	memset(set, 0, sizeof *set);
}

/* Position of name in the set, or -1. */
static long config_alter_set_find(const struct alter_set *set,
				  const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->e[i].name, name))
			return (long)i;
	return -1;
}

/* Sets name to value in the set (copies).  Returns 0 or SL_ENOMEM. */
static int config_alter_set_put(struct alter_set *set, const char *name,
				const char *value)
{
	char *v = strdup(value);
	if (!v)
		return SL_ENOMEM;
	long i = config_alter_set_find(set, name);
	if (i >= 0) {
		free(set->e[i].value);
		set->e[i].value = v;
		return 0;
	}
	if (set->n == set->cap) {
		size_t cap = set->cap ? 2 * set->cap : 8;
		struct topic_config_entry *e = realloc(set->e, cap * sizeof *e);
		if (!e) {
			free(v);
			return SL_ENOMEM;
		}
		set->e = e;
		set->cap = cap;
	}
	set->e[set->n].name = strdup(name);
	if (!set->e[set->n].name) {
		free(v);
		return SL_ENOMEM;
	}
	set->e[set->n++].value = v;
	return 0;
}

/* Removes name from the set if it is there. */
static void config_alter_set_remove(struct alter_set *set, const char *name)
{
	long i = config_alter_set_find(set, name);
	if (i < 0)
		return;
	free(set->e[i].name);
	free(set->e[i].value);
	set->e[i] = set->e[--set->n];
}

/* Takes the next element of a comma-separated list at *p, without blanks:
 * returns its start and sets *len; moves *p past the comma, or to NULL
 * after the last. */
static const char *config_alter_list_next(const char **p, size_t *len)
{
	const char *s = *p;
	while (*s == ' ' || *s == '\t')
		s++;
	const char *comma = strchr(s, ',');
	size_t n = comma ? (size_t)(comma - s) : strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	*len = n;
	*p = comma ? comma + 1 : NULL;
	return s;
}

/* Whether list holds the element word (len bytes). */
static int config_alter_list_has(const char *list, const char *word,
				 size_t len)
{
	const char *p = list;
	while (p && *list) {
		size_t n;
		const char *w = config_alter_list_next(&p, &n);
		if (n == len && !memcmp(w, word, len))
			return 1;
	}
	return 0;
}

/* Appends word to the comma-separated list in out (room ensured). */
static void config_alter_list_add(char *out, const char *word, size_t len)
{
	size_t o = strlen(out);
	if (o)
		out[o++] = ',';
	memcpy(out + o, word, len);
	out[o + len] = '\0';
}

/* APPEND (Kafka: elements of items not already in base, in order) or
 * SUBTRACT (elements of base not in items).  Returns the new list (caller
 * frees) or NULL without memory. */
static char *config_alter_list_op(const char *base, const char *items,
				  int append)
{
	char *out = malloc(strlen(base) + strlen(items) + 2);
	if (!out)
		return NULL;
	out[0] = '\0';
	const char *p = *base ? base : NULL;
	while (p) {
		size_t n;
		const char *w = config_alter_list_next(&p, &n);
		if (n && (append || !config_alter_list_has(items, w, n)) &&
		    !config_alter_list_has(out, w, n))
			config_alter_list_add(out, w, n);
	}
	p = append && *items ? items : NULL;
	while (p) {
		size_t n;
		const char *w = config_alter_list_next(&p, &n);
		if (n && !config_alter_list_has(out, w, n))
			config_alter_list_add(out, w, n);
	}
	return out;
}

/* Reads one resource's Configs. */
static void config_alter_read_configs(struct kreader *r,
				      struct alter_resource *res,
				      int incremental)
{
	size_t min = r->flexible ? 3 : 4;
	res->config_count = kr_array(r, CONFIG_ALTER_CONFIGS_MAX,
				     min + (incremental ? 1 : 0));
	if (res->config_count < 0) {
		kreader_fail(r); /* not nullable */
		return;
	}
	if (!res->config_count)
		return;
	res->configs = calloc((size_t)res->config_count, sizeof *res->configs);
	if (!res->configs) {
		kreader_fail(r);
		return;
	}
	for (int32_t i = 0; i < res->config_count && !kreader_failed(r); i++) {
		struct alter_config *c = &res->configs[i];
		c->name = kr_string(r);                         /* Name */
		c->op = incremental ? kr_i8(r) : CONFIG_OP_SET; /* ConfigOperation */
		c->value = kr_nullable_string(r);               /* Value */
		kr_tags(r);
	}
}

/* The request-level checks of one resource (ConfigAdminManager's
 * preprocessing): a key twice, a null value, an unknown operation. */
static void config_alter_precheck(struct alter_resource *res)
{
	char msg[sizeof res->message];
	for (int32_t i = 0; i < res->config_count; i++) {
		const struct alter_config *c = &res->configs[i];
		for (int32_t j = 0; j < i; j++)
			if (config_alter_same(c->name, res->configs[j].name))
				config_alter_fail(res, KERR_INVALID_REQUEST,
						  "Error due to duplicate config keys");
		if (c->op < CONFIG_OP_SET || c->op > CONFIG_OP_SUBTRACT) {
			snprintf(msg, sizeof msg,
				 "Unknown ConfigOperation %d for config %.*s",
				 c->op, c->name.len > 200 ? 200 : (int)c->name.len,
				 (const char *)c->name.p);
			config_alter_fail(res, KERR_INVALID_REQUEST, msg);
		}
		if (c->value.len < 0 && c->op != CONFIG_OP_DELETE) {
			snprintf(msg, sizeof msg,
				 "Null value not supported for : %.*s",
				 c->name.len > 200 ? 200 : (int)c->name.len,
				 (const char *)c->name.p);
			config_alter_fail(res, KERR_INVALID_REQUEST, msg);
		}
	}
}

/* Checks that key is one the resource knows and, for APPEND and SUBTRACT,
 * a LIST; *def gets a topic key's table entry.  Returns 0 or
 * INVALID_CONFIG with msg set. */
static int config_alter_check_key(const struct config_target *target,
				  const char *key, int8_t op,
				  const struct topic_config_def **def,
				  char *msg, size_t msglen)
{
	int list = 0;
	*def = NULL;
	if (target->type == CONFIG_RESOURCE_TOPIC) {
		*def = topic_config_find(key);
		if (!*def) {
			snprintf(msg, msglen, "Unknown topic config name: %s",
				 key);
			return KERR_INVALID_CONFIG;
		}
		list = (*def)->type == TOPIC_CONFIG_LIST;
	} else if (!config_find(broker_config_table, broker_config_count,
				key)) {
		snprintf(msg, msglen, "Unknown broker config: %s", key);
		return KERR_INVALID_CONFIG;
	}
	if ((op == CONFIG_OP_APPEND || op == CONFIG_OP_SUBTRACT) && !list) {
		snprintf(msg, msglen,
			 "Can't %s to key %s because its type is not LIST.",
			 config_alter_op_names[op], key);
		return KERR_INVALID_CONFIG;
	}
	return 0;
}

/* The resource's current explicit configs (or none when replacing) as a
 * set.  Returns 0 or SL_ENOMEM. */
static int config_alter_base(const struct config_target *target,
			     int incremental, struct alter_set *set)
{
	if (!incremental)
		return 0;
	if (target->type == CONFIG_RESOURCE_TOPIC) {
		const struct topic *t = target->topic;
		for (size_t i = 0; i < t->config_count; i++)
			if (config_alter_set_put(set, t->configs[i].name,
						 t->configs[i].value))
				return SL_ENOMEM;
		return 0;
	}
	size_t n = catalog_broker_config_count(broker.catalog);
	for (size_t i = 0; i < n; i++) {
		const struct topic_config_entry *e =
			catalog_broker_config_at(broker.catalog, i);
		if (config_alter_set_put(set, e->name, e->value))
			return SL_ENOMEM;
	}
	return 0;
}

/* Applies one operation to the set.  Returns 0, a Kafka error with msg
 * set, or SL_ENOMEM. */
static int config_alter_op(const struct config_target *target,
			   struct alter_set *set, const struct alter_config *c,
			   char *msg, size_t msglen)
{
	int bad_key, bad_value;
	char *key = config_alter_cstr(c->name, &bad_key);
	char *value = config_alter_cstr(c->value, &bad_value);
	int rc = 0;
	const struct topic_config_def *def;
	if (!key || (c->value.len >= 0 && !value)) {
		rc = bad_key == 2 || bad_value == 2 ? SL_ENOMEM
						    : KERR_INVALID_REQUEST;
		snprintf(msg, msglen,
			 "Config names and values may not contain NUL bytes.");
		goto out;
	}
	rc = config_alter_check_key(target, key, c->op, &def, msg, msglen);
	if (rc)
		goto out;
	if (c->op == CONFIG_OP_SET) {
		rc = config_alter_set_put(set, key, value);
	} else if (c->op == CONFIG_OP_DELETE) {
		config_alter_set_remove(set, key);
	} else {
		/* Kafka: a key not set explicitly starts from its default */
		long i = config_alter_set_find(set, key);
		const char *base = i >= 0 ? set->e[i].value
					  : def->default_value;
		char *list = config_alter_list_op(base, value,
						  c->op == CONFIG_OP_APPEND);
		rc = list ? config_alter_set_put(set, key, list) : SL_ENOMEM;
		free(list);
	}
out:
	free(key);
	free(value);
	return rc;
}

/* Checks and applies one resource, setting its error. */
static void config_alter_one(struct alter_resource *res, int incremental,
			     int validate_only)
{
	if (res->error)
		return;
	char msg[sizeof res->message];
	struct config_target target;
	int rc = config_resource_find(res->type, res->name, 0, &target, msg,
				      sizeof msg);
	if (rc == 0 && res->type == CONFIG_RESOURCE_BROKER &&
	    res->name.len == 0) {
		snprintf(msg, sizeof msg,
			 "Cluster-wide default broker configs are not supported; name broker %d",
			 (int)broker.cfg->node_id);
		rc = KERR_INVALID_REQUEST;
	}
	if (rc) {
		config_alter_fail(res, rc, msg);
		return;
	}
	struct alter_set set = { 0 };
	rc = config_alter_base(&target, incremental, &set);
	for (int32_t i = 0; i < res->config_count && !rc; i++)
		rc = config_alter_op(&target, &set, &res->configs[i], msg,
				     sizeof msg);
	if (!rc && target.type == CONFIG_RESOURCE_TOPIC)
		rc = topics_set_configs(target.topic, set.e, set.n,
					validate_only, msg, sizeof msg);
	else if (!rc)
		rc = dynconfig_set(set.e, set.n, validate_only, msg,
				   sizeof msg);
	if (rc == SL_ENOMEM) {
		snprintf(msg, sizeof msg, "Out of memory");
		rc = KERR_UNKNOWN_SERVER_ERROR;
	}
	if (rc)
		config_alter_fail(res, rc, msg);
	config_alter_set_free(&set);
}

/* Frees the resources' config arrays and the array. */
static void config_alter_free(struct alter_resource *res, int32_t n)
{
	for (int32_t i = 0; i < n; i++)
		free(res[i].configs);
	free(res);
}

int config_alter_handle(struct request *req, int incremental)
{
	struct kreader *r = &req->r;
	struct kwriter *w = &req->w;

	int32_t count;
	struct alter_resource *res = kr_array_calloc(
		r, CONFIG_ALTER_RESOURCES_MAX, r->flexible ? 4 : 7, sizeof *res,
		&count);                                       /* Resources */
	for (int32_t i = 0; i < count && !kreader_failed(r); i++) {
		res[i].type = kr_i8(r);                        /* ResourceType */
		res[i].name = kr_string(r);                    /* ResourceName */
		config_alter_read_configs(r, &res[i], incremental); /* Configs */
		kr_tags(r);
	}
	int validate_only = kr_bool(r);                        /* ValidateOnly */
	kr_tags(r);
	if (kreader_failed(r)) {
		config_alter_free(res, count);
		return REQ_MALFORMED;
	}

	for (int32_t i = 0; i < count; i++) {
		for (int32_t j = 0; j < count; j++)
			if (i != j && res[i].type == res[j].type &&
			    config_alter_same(res[i].name, res[j].name))
				config_alter_fail(&res[i], KERR_INVALID_REQUEST,
						  "Each resource must appear at most once.");
		config_alter_precheck(&res[i]);
	}
	for (int32_t i = 0; i < count; i++)
		config_alter_one(&res[i], incremental, validate_only);

	kw_i32(w, 0);                                          /* ThrottleTimeMs */
	kw_array(w, count);                                    /* Responses */
	for (int32_t i = 0; i < count; i++) {
		kw_i16(w, res[i].error);                       /* ErrorCode */
		kw_string(w, res[i].error ? res[i].message : NULL); /* ErrorMessage */
		kw_i8(w, res[i].type);                         /* ResourceType */
		kw_string_len(w, res[i].name.p, res[i].name.len); /* ResourceName */
		kw_tags(w);
	}
	kw_tags(w);
	config_alter_free(res, count);
	return REQ_DONE;
}
