/*
 * Byte vectors for the tests that speak Kafka's wire format
 * (test_protocol.c, test_admin_apis.c, test_txn.c, test_groups.c), written
 * in a small notation (vec_add): hex digit pairs (spaces ignored); `text`
 * raw ASCII; s`text` a classic STRING (int16 length); c`text` a compact
 * STRING (uvarint length + 1); {name} the 16-byte TopicId the catalog gave
 * topic name (random, so substituted when the vector is built); s{name}
 * and c{name} a string remembered with vec_var_set (member ids are
 * random), as a STRING or a compact STRING.
 */
#ifndef SLUICE_TEST_BYTE_VEC_H
#define SLUICE_TEST_BYTE_VEC_H

#include <stddef.h>
#include <stdint.h>

struct vec {
	uint8_t *b;
	size_t len, cap;
};

void vec_put(struct vec *v, const void *p, size_t n);
void vec_u8(struct vec *v, uint8_t x);
void vec_uvarint(struct vec *v, uint64_t x);
/* Appends the bytes text describes (notation above). */
void vec_add(struct vec *v, const char *text);
void vec_free(struct vec *v);
/* Fails with the first differing position unless got equals want. */
void expect_bytes(const char *what, const uint8_t *got, size_t got_len,
		  const struct vec *want);

/* Remembers value as s{name} and c{name} (replacing an earlier value). */
void vec_var_set(const char *name, const char *value);
/* Forgets every remembered string (a test's teardown). */
void vec_vars_clear(void);

#endif
