/*
 * Byte vectors in the notation of byte_vec.h, and the comparison the
 * golden-vector tests fail with.  Single-threaded, like Check's tests.
 */
#define _GNU_SOURCE
#include "tests/unit/byte_vec.h"

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"

/* Appends n bytes, growing the vector. */
void vec_put(struct vec *v, const void *p, size_t n)
{
	if (!v->b || v->len + n > v->cap) {
		size_t cap = v->cap ? v->cap : 256;
		while (cap < v->len + n)
			cap *= 2;
		v->b = realloc(v->b, cap);
		ck_assert_ptr_nonnull(v->b);
		v->cap = cap;
	}
	if (n)
		memcpy(v->b + v->len, p, n);
	v->len += n;
}

/* Appends one byte. */
void vec_u8(struct vec *v, uint8_t x)
{
	vec_put(v, &x, 1);
}

/* Appends an unsigned varint. */
void vec_uvarint(struct vec *v, uint64_t x)
{
	while (x >= 0x80) {
		vec_u8(v, (uint8_t)(x | 0x80));
		x >>= 7;
	}
	vec_u8(v, (uint8_t)x);
}

/* Strings remembered for s{name} and c{name}. */
static struct {
	char name[16];
	char *value;
} vars[16];

/* Remembers value under name. */
void vec_var_set(const char *name, const char *value)
{
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		if (!vars[i].value || !strcmp(vars[i].name, name)) {
			snprintf(vars[i].name, sizeof vars[i].name, "%s", name);
			free(vars[i].value);
			vars[i].value = strdup(value);
			return;
		}
	}
	ck_abort_msg("too many vars");
}

/* The string remembered under the len bytes of name. */
static const char *var_get(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		if (vars[i].value && strlen(vars[i].name) == len &&
		    !memcmp(vars[i].name, name, len))
			return vars[i].value;
	ck_abort_msg("no var %.*s", (int)len, name);
	return NULL;
}

/* Forgets every remembered string. */
void vec_vars_clear(void)
{
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		free(vars[i].value);
		vars[i].value = NULL;
	}
}

/* Appends a string as kind 0 (raw), 's' or 'c'. */
static void vec_str(struct vec *v, char kind, const char *s, size_t n)
{
	if (kind == 's') {
		vec_u8(v, (uint8_t)(n >> 8));
		vec_u8(v, (uint8_t)n);
	} else if (kind == 'c') {
		vec_uvarint(v, n + 1);
	}
	vec_put(v, s, n);
}

/* The value of a hex digit. */
static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

/* Appends the TopicId of the topic the len bytes of name name. */
static void vec_topic_id(struct vec *v, const char *name, size_t len)
{
	char topic[TOPIC_NAME_MAX + 1];
	snprintf(topic, sizeof topic, "%.*s", (int)len, name);
	const struct topic *t = catalog_topic_by_name(broker.catalog, topic);
	ck_assert_msg(t != NULL, "no topic %s for {%s}", topic, topic);
	vec_put(v, t->id, 16);
}

/* Appends the bytes text describes (notation in byte_vec.h).  A kind
 * letter is only one before ` or {, so hex digit pairs stay hex. */
void vec_add(struct vec *v, const char *text)
{
	const char *p = text;
	while (*p) {
		char kind = 0;
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		if ((*p == 's' || *p == 'c') && (p[1] == '`' || p[1] == '{'))
			kind = *p++;
		if (*p == '`') {
			const char *end = strchr(p + 1, '`');
			ck_assert_msg(end != NULL, "unterminated text in vector");
			vec_str(v, kind, p + 1, (size_t)(end - p - 1));
			p = end + 1;
		} else if (*p == '{') {
			const char *end = strchr(p, '}');
			ck_assert_msg(end != NULL, "unterminated {name}");
			size_t len = (size_t)(end - p - 1);
			if (kind) {
				const char *val = var_get(p + 1, len);
				vec_str(v, kind, val, strlen(val));
			} else {
				vec_topic_id(v, p + 1, len);
			}
			p = end + 1;
		} else {
			ck_assert_msg(isxdigit((unsigned char)p[0]) &&
					      isxdigit((unsigned char)p[1]),
				      "bad vector text at '%.10s'", p);
			vec_u8(v, (uint8_t)(hexval(p[0]) << 4 | hexval(p[1])));
			p += 2;
		}
	}
}

/* Frees the bytes and empties the vector. */
void vec_free(struct vec *v)
{
	free(v->b);
	memset(v, 0, sizeof *v);
}

/* Hex of up to 24 bytes, for failure messages. */
static const char *hex_of(const uint8_t *p, size_t n, char *buf)
{
	size_t k = n < 24 ? n : 24;
	for (size_t i = 0; i < k; i++)
		sprintf(buf + 2 * i, "%02x", p[i]);
	buf[2 * k] = '\0';
	return buf;
}

/* Fails with the first differing position unless got equals want. */
void expect_bytes(const char *what, const uint8_t *got, size_t got_len,
		  const struct vec *want)
{
	static const uint8_t none[1];
	if (!got)
		got = none; /* an empty evbuffer pulls up to NULL */
	size_t i = 0;
	while (i < got_len && i < want->len && got[i] == want->b[i])
		i++;
	char g[64], w[64];
	ck_assert_msg(i == got_len && i == want->len,
		      "%s: differs at byte %zu (got %zu bytes, want %zu): got %s... want %s...",
		      what, i, got_len, want->len,
		      hex_of(got + i, got_len - i, g),
		      hex_of(want->b + i, want->len - i, w));
}
