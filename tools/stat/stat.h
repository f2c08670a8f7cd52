/*
 * sluicestat's shared pieces: the source (brokerd's shared-memory segment,
 * mapped read-only, remapped when brokerd restarts) and its counters as the
 * segment describes them (name, kind, description: the JSON the segment
 * carries, so sluicestat needs no rebuild when counters are added), and
 * the refreshing screen.
 */
#ifndef SLUICE_STAT_H
#define SLUICE_STAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/shm_map.h"

struct stat_counter {
	char *name;
	char *description;
	int is_counter; /* only grows (a rate makes sense); else a gauge */
	size_t index;   /* in the segment's counter array */
};

struct stat_source {
	char *shm_name;
	struct shm_map map;
	ino_t ino;       /* of the mapped segment: a new brokerd makes a new one */
	struct stat_counter *counters;
	size_t count;    /* after the -f filter */
};

/* One reading of every counter. */
struct stat_sample {
	double at;        /* monotonic seconds */
	uint64_t *values; /* source->count of them */
};

/* Maps shm_name and reads its counter description, keeping counters whose
 * name contains filter (NULL: all).  Returns 0, or -1 with err telling the
 * operator what to do ("brokerd is not running (no shared memory segment
 * at /sluice-1)"). */
int stat_source_open(struct stat_source *src, const char *shm_name, const char *filter,
		     char *err, size_t errlen);

/* Checks the segment is still the one mapped; remaps a new one.  Returns 0
 * unchanged, 1 remapped (rates restart), -1 gone (err set). */
int stat_source_refresh(struct stat_source *src, const char *filter, char *err,
			size_t errlen);

void stat_source_close(struct stat_source *src);

/* Reads every counter into s (allocating values on first use); 0 or -1. */
int stat_source_sample(const struct stat_source *src, struct stat_sample *s);

/* Runs the refreshing screen every interval seconds until 'q' or a signal.
 * Returns the exit status. */
int stat_screen_run(struct stat_source *src, const char *filter, double interval);

#endif
