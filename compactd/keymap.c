/*
 * Key to latest offset (see keymap.h).  Slots hold a 64-bit hash, where
 * the key sits in one growing arena, and the offset; linear probing in a
 * power-of-two table kept at most half full.  Lives for one rewrite.
 */
#include "compactd/keymap.h"

#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

struct keymap_slot {
	uint64_t hash;   /* 0: empty (hashes are forced nonzero) */
	size_t key_pos;  /* in the arena */
	size_t key_len;
	int64_t offset;
};

struct keymap {
	struct keymap_slot *slots;
	size_t slot_count; /* a power of two */
	size_t count;
	uint8_t *arena;
	size_t arena_len, arena_cap;
};

/* FNV-1a over the key with a splitmix64 finaliser, never 0. */
static uint64_t keymap_hash(const uint8_t *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++) {
		h ^= key[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h ? h : 1;
}

struct keymap *keymap_new(void)
{
	struct keymap *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->slot_count = 1024;
	m->slots = calloc(m->slot_count, sizeof *m->slots);
	if (!m->slots) {
		free(m);
		return NULL;
	}
	return m;
}

/* The slot of the key, or the empty slot where it would go. */
static struct keymap_slot *keymap_find(const struct keymap *m, uint64_t h,
				       const uint8_t *key, size_t len)
{
	size_t mask = m->slot_count - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct keymap_slot *s = &m->slots[i];
		if (s->hash == 0)
			return s;
		if (s->hash == h && s->key_len == len &&
		    (len == 0 || !memcmp(m->arena + s->key_pos, key, len)))
			return s;
	}
}

/* Doubles the table. */
static int keymap_grow(struct keymap *m)
{
	size_t n = m->slot_count * 2;
	struct keymap_slot *old = m->slots, *slots = calloc(n, sizeof *slots);
	if (!slots)
		return SL_ENOMEM;
	size_t old_count = m->slot_count;
	m->slots = slots;
	m->slot_count = n;
	for (size_t i = 0; i < old_count; i++) {
		if (!old[i].hash)
			continue;
		size_t mask = n - 1, k = old[i].hash & mask;
		while (slots[k].hash)
			k = (k + 1) & mask;
		slots[k] = old[i];
	}
	free(old);
	return 0;
}

int keymap_put(struct keymap *m, const uint8_t *key, size_t len, int64_t offset)
{
	uint64_t h = keymap_hash(key, len);
	struct keymap_slot *s = keymap_find(m, h, key, len);
	if (s->hash) {
		if (offset > s->offset)
			s->offset = offset;
		return 0;
	}
	if (m->arena_len + len > m->arena_cap) {
		size_t cap = m->arena_cap ? m->arena_cap : 4096;
		while (cap < m->arena_len + len)
			cap *= 2;
		uint8_t *a = realloc(m->arena, cap);
		if (!a)
			return SL_ENOMEM;
		m->arena = a;
		m->arena_cap = cap;
	}
	if ((m->count + 1) * 2 > m->slot_count) {
		if (keymap_grow(m))
			return SL_ENOMEM;
		s = keymap_find(m, h, key, len);
	}
	if (len)
		memcpy(m->arena + m->arena_len, key, len);
	*s = (struct keymap_slot){h, m->arena_len, len, offset};
	m->arena_len += len;
	m->count++;
	return 0;
}

int keymap_get(const struct keymap *m, const uint8_t *key, size_t len,
	       int64_t *offset)
{
	const struct keymap_slot *s = keymap_find(m, keymap_hash(key, len), key, len);
	if (!s->hash)
		return 0;
	*offset = s->offset;
	return 1;
}

size_t keymap_count(const struct keymap *m)
{
	return m->count;
}

void keymap_free(struct keymap *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m->arena);
	free(m);
}
