/*
 * The latest offset of each record key of one compacted stream, for one
 * rewrite: an open-addressing hash table that keeps the key bytes
 * themselves (exact, no collisions that could drop a live record; Kafka's
 * cleaner keeps only an MD5 of each key).  Memory grows with the distinct
 * keys the rewrite reads.  Not thread-safe; one owner.
 */
#ifndef SLUICE_COMPACTD_KEYMAP_H
#define SLUICE_COMPACTD_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

struct keymap;

/* An empty map, or NULL when out of memory. */
struct keymap *keymap_new(void);

/* Records that key[0..len) occurs at offset; the map keeps the largest
 * offset per key.  Returns 0 or SL_ENOMEM. */
int keymap_put(struct keymap *m, const uint8_t *key, size_t len, int64_t offset);

/* The largest offset recorded for the key: 1 with *offset, or 0. */
int keymap_get(const struct keymap *m, const uint8_t *key, size_t len,
	       int64_t *offset);

/* Distinct keys held. */
size_t keymap_count(const struct keymap *m);

/* Frees the map (NULL is fine). */
void keymap_free(struct keymap *m);

#endif
