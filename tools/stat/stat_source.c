/*
 * sluicestat's view of brokerd's segment (see stat.h).  Read-only, never
 * locking: a counter word is read with one relaxed atomic load.  brokerd
 * replaces its segment at every start (a new inode under the same name),
 * so each refresh compares inodes and remaps when they differ.
 */
#include "stat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/errors.h"

/* The inode of the segment now under name; 0 with errno set if none. */
static ino_t stat_source_ino(const char *name)
{
	int fd = shm_open(name, O_RDONLY, 0);
	if (fd < 0)
		return 0;
	struct stat st;
	ino_t ino = fstat(fd, &st) == 0 ? st.st_ino : 0;
	close(fd);
	return ino;
}

/* Frees the counter list. */
static void stat_source_free_counters(struct stat_source *src)
{
	for (size_t i = 0; i < src->count; i++) {
		free(src->counters[i].name);
		free(src->counters[i].description);
	}
	free(src->counters);
	src->counters = NULL;
	src->count = 0;
}

/* Parses the segment's JSON description of its counters. */
static int stat_source_parse(struct stat_source *src, const char *filter, char *err,
			     size_t errlen)
{
	const struct shm_header *h = src->map.hdr;
	if (h->counter_json_off + h->counter_json_len > h->segment_size ||
	    h->counters_off + h->counter_count * sizeof(uint64_t) > h->segment_size) {
		snprintf(err, errlen, "%s: counter section out of bounds", src->shm_name);
		return -1;
	}
	json_error_t jerr;
	json_t *desc = json_loadb((const char *)src->map.base + h->counter_json_off,
				  h->counter_json_len, 0, &jerr);
	if (!json_is_array(desc)) {
		snprintf(err, errlen, "%s: bad counter description: %s", src->shm_name, jerr.text);
		json_decref(desc);
		return -1;
	}
	src->counters = calloc(json_array_size(desc) + 1, sizeof *src->counters);
	size_t i;
	json_t *c;
	json_array_foreach(desc, i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *d = json_string_value(json_object_get(c, "description"));
		const char *kind = json_string_value(json_object_get(c, "kind"));
		/* the description ends with an empty object; and a counter the
		 * array does not hold cannot be shown */
		if (!src->counters || !name || i >= h->counter_count ||
		    (filter && !strstr(name, filter)))
			continue;
		struct stat_counter *sc = &src->counters[src->count++];
		sc->name = strdup(name);
		sc->description = strdup(d ? d : "");
		sc->is_counter = kind && !strcmp(kind, "counter");
		sc->index = i;
	}
	json_decref(desc);
	if (!src->counters) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Unmaps the segment and forgets its counters (the name stays). */
static void stat_source_unmap(struct stat_source *src)
{
	stat_source_free_counters(src);
	shm_map_close(&src->map);
	src->ino = 0;
}

/* Maps the segment named in src and reads its counters. */
static int stat_source_map(struct stat_source *src, const char *filter, char *err,
			   size_t errlen)
{
	char why[512];
	int rc = shm_map_open(src->shm_name, 0, &src->map, why, sizeof why);
	if (rc == SL_ENOENT) {
		snprintf(err, errlen, "brokerd is not running (no shared memory segment at %s)",
			 src->shm_name);
		return -1;
	}
	if (rc) {
		snprintf(err, errlen, "%s (is shm.name right? sluicectl config shm.name)", why);
		return -1;
	}
	src->ino = stat_source_ino(src->shm_name);
	if (stat_source_parse(src, filter, err, errlen) < 0) {
		stat_source_unmap(src);
		return -1;
	}
	return 0;
}

int stat_source_open(struct stat_source *src, const char *shm_name, const char *filter,
		     char *err, size_t errlen)
{
	memset(src, 0, sizeof *src);
	src->shm_name = strdup(shm_name);
	if (!src->shm_name) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return stat_source_map(src, filter, err, errlen);
}

int stat_source_refresh(struct stat_source *src, const char *filter, char *err,
			size_t errlen)
{
	ino_t now = stat_source_ino(src->shm_name);
	if (now && now == src->ino && src->map.base)
		return 0;
	stat_source_unmap(src);
	return stat_source_map(src, filter, err, errlen) < 0 ? -1 : 1;
}

void stat_source_close(struct stat_source *src)
{
	stat_source_unmap(src);
	free(src->shm_name);
	src->shm_name = NULL;
}

int stat_source_sample(const struct stat_source *src, struct stat_sample *s)
{
	struct timespec ts;
	if (!s->values && !(s->values = calloc(src->count + 1, sizeof *s->values)))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->at = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	for (size_t i = 0; i < src->count; i++)
		s->values[i] = __atomic_load_n(&src->map.counters[src->counters[i].index],
					       __ATOMIC_RELAXED);
	return 0;
}
