/*
 * Samples of brokerd's shared-memory counters (see shmstat.h).  Read-only
 * and lock-free: every word has one writer (brokerd, or uploaderd for its
 * cursor words), read here with relaxed atomic loads; a sample is not a
 * consistent snapshot across words, which the callers' deltas tolerate.
 * Counters are looked up by name in the segment's own description, never
 * by this build's enum, because the list grows between versions.
 */
#include "autoconfig.h"

#include "tools/bench/shmstat.h"
#include "tools/bench/bench.h"
#include "common/errors.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

/* The counters a sample holds: brokerd's name and the field it fills. */
static const struct {
	const char *name;
	size_t field;
} shmstat_counters[SHMSTAT_COUNTERS] = {
	{ "produce_bytes", offsetof(struct shmstat_sample, produce_bytes) },
	{ "fetch_bytes", offsetof(struct shmstat_sample, fetch_bytes) },
	{ "fetch_cache_hits", offsetof(struct shmstat_sample, fetch_cache_hits) },
	{ "fetch_wal_reads", offsetof(struct shmstat_sample, fetch_wal_reads) },
	{ "cold_read_gets", offsetof(struct shmstat_sample, cold_read_gets) },
	{ "cold_read_bytes", offsetof(struct shmstat_sample, cold_read_bytes) },
	{ "cold_read_errors", offsetof(struct shmstat_sample, cold_read_errors) },
	{ "cold_cache_hits", offsetof(struct shmstat_sample, cold_cache_hits) },
	{ "uploads_committed", offsetof(struct shmstat_sample, uploads_committed) },
	{ "wal_durable", offsetof(struct shmstat_sample, wal_durable) },
};

/* Resolves every counter's slot from the description; 0 or SL_ECORRUPT. */
static int shmstat_resolve(struct shmstat *s, const char *name, char *err, size_t errlen)
{
	const struct shm_header *h = s->map.hdr;
	if (h->counter_json_off + h->counter_json_len > s->map.size ||
	    h->counters_off + (uint64_t)h->counter_count * 8 > s->map.size) {
		snprintf(err, errlen, "%s: counter section out of bounds", name);
		return SL_ECORRUPT;
	}
	json_error_t jerr;
	json_t *desc = json_loadb((const char *)s->map.base + h->counter_json_off,
				  (size_t)h->counter_json_len, 0, &jerr);
	if (!json_is_array(desc)) {
		snprintf(err, errlen, "%s: counter description: %s", name, jerr.text);
		json_decref(desc);
		return SL_ECORRUPT;
	}
	int rc = 0;
	for (size_t c = 0; c < SHMSTAT_COUNTERS && rc == 0; c++) {
		size_t i, n = json_array_size(desc);
		for (i = 0; i < n && i < h->counter_count; i++) {
			const char *cn = json_string_value(
				json_object_get(json_array_get(desc, i), "name"));
			if (cn != NULL && strcmp(cn, shmstat_counters[c].name) == 0)
				break;
		}
		if (i == n || i == h->counter_count) {
			snprintf(err, errlen, "%s: brokerd has no counter %s", name,
				 shmstat_counters[c].name);
			rc = SL_ECORRUPT;
		}
		s->index[c] = (uint32_t)i;
	}
	json_decref(desc);
	return rc;
}

int shmstat_open(struct shmstat *s, const char *name, char *err, size_t errlen)
{
	int rc = shm_map_open(name, 0, &s->map, err, errlen);
	if (rc != 0)
		return rc;
	rc = shmstat_resolve(s, name, err, errlen);
	if (rc != 0)
		shm_map_close(&s->map);
	return rc;
}

void shmstat_close(struct shmstat *s)
{
	shm_map_close(&s->map);
}

/* One word of the segment. */
static uint64_t shmstat_word(const uint64_t *w)
{
	return __atomic_load_n(w, __ATOMIC_RELAXED);
}

void shmstat_sample(const struct shmstat *s, struct shmstat_sample *out)
{
	const struct shm_region_ring *r = s->map.ring;
	out->generation = shmstat_word(&s->map.hdr->generation);
	for (size_t c = 0; c < SHMSTAT_COUNTERS; c++)
		*(uint64_t *)((char *)out + shmstat_counters[c].field) =
			shmstat_word(&s->map.counters[s->index[c]]);
	out->uploaded_end = shmstat_word(&r->uploaded_end);
	out->uploader_objects = shmstat_word(&r->uploader_objects);
	out->uploader_bytes = shmstat_word(&r->uploader_bytes);
	out->uploader_errors = shmstat_word(&r->uploader_errors);
}

int shmstat_drained(const struct shmstat_sample *x)
{
	return x->uploaded_end >= x->wal_durable;
}

int shmstat_wait_drained(const struct shmstat *s, double timeout_s, struct shmstat_sample *out)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)(timeout_s * 1e9);
	for (;;) {
		shmstat_sample(s, out);
		if (shmstat_drained(out))
			return 0;
		if (bench_now_ns() >= deadline)
			return SL_EIO;
		struct timespec ts = { 0, 50 * 1000000 };
		nanosleep(&ts, NULL);
	}
}
