/*
 * Layout of brokerd's shared-memory segment (ARCHITECTURE.md section 4),
 * shared by brokerd (the only writer) and the read-only tools and helper
 * daemons.  All fields are native-endian: the segment never leaves the host.
 *
 *   [0, 4096)            struct shm_header
 *   counters_off         u64[counter_count], then the JSON description
 *                        (counter_json_off, counter_json_len)
 *   regions_off          struct shm_region_ring: sealed WAL regions for
 *                        uploaderd, and uploaderd's cursor words
 *   cache_off            the cache: a byte ring of cache_size bytes holding
 *                        WAL logical offsets [cache_low, cache_high); byte
 *                        at logical offset L is at cache_off + L % cache_size
 *
 * Every word has one writer (brokerd).  Readers never lock: they read
 * cache_low after copying and discard the copy if it was overwritten.
 */
#ifndef SLUICE_SHM_LAYOUT_H
#define SLUICE_SHM_LAYOUT_H

#include <stdint.h>

#define SHM_MAGIC 0x534c5553484d3031ull /* "SLUSHM01" */
#define SHM_LAYOUT_VERSION 2u
#define SHM_REGION_SLOTS 256u

struct shm_header {
	uint64_t magic;
	uint32_t layout_version;
	uint32_t header_size;
	uint64_t segment_size;
	int64_t brokerd_pid;
	uint64_t generation;     /* bumped on every brokerd start */
	uint32_t node_id;
	uint32_t counter_count;
	uint64_t counters_off;
	uint64_t counter_json_off;
	uint64_t counter_json_len;
	uint64_t cache_off;
	uint64_t cache_size;
	/* written by brokerd with release stores, read with acquire loads */
	uint64_t cache_low;
	uint64_t cache_high;
	uint64_t regions_off;
};

/* One sealed region: WAL logical range [wal_start, wal_end).  Region n
 * (counted from 0 in each generation) lives in slots[n % SHM_REGION_SLOTS];
 * brokerd writes the fields, then seq = n + 1 with a release store.  A
 * reader loads seq (acquire), copies, and reloads seq to check. */
struct shm_region_slot {
	uint64_t seq;
	uint64_t wal_start;
	uint64_t wal_end;
	int64_t sealed_ms;
	uint64_t pad[4];
};

struct shm_region_ring {
	/* written by brokerd */
	uint64_t sealed;      /* regions published so far in this generation */
	uint64_t committed;   /* regions whose object the catalog has committed */
	uint64_t uploaded_end; /* WAL offset up to which regions are committed */
	uint64_t pad0[5];
	/* written by uploaderd only (its cursor words) */
	int64_t uploader_pid;
	uint64_t uploader_generation; /* the brokerd generation it works for */
	uint64_t uploader_region;     /* region number it is uploading */
	uint64_t uploader_objects;    /* objects uploaded and committed */
	uint64_t uploader_bytes;      /* object bytes uploaded */
	uint64_t uploader_errors;     /* failed attempts (S3 or commit) */
	int64_t uploader_last_ok_ms;  /* wall clock of the last commit */
	uint64_t pad1;
	struct shm_region_slot slots[SHM_REGION_SLOTS];
};

/* Default name: "/sluice-<node.id>" unless shm.name is set. */
#define SHM_NAME_FORMAT "/sluice-%u"

#endif
