/*
 * Where sluice-object reads an object from: a local file, or a key in an
 * object store named by URL (file:///dir/o/.. or s3://bucket/prefix/o/..).
 * Reads are ranged, so dump fetches the tail and then single blocks the
 * way brokerd does, and verify fetches the whole object.
 */
#ifndef SLUICE_TOOLS_OBJECT_SOURCE_H
#define SLUICE_TOOLS_OBJECT_SOURCE_H

#include <stddef.h>
#include <stdint.h>

struct sluice_config;
struct source;

/* Opens name: a path, or a URL when it starts with "file://" or "s3://";
 * cfg (may be NULL) supplies the s3.* settings.  Returns 0 with *out, or
 * an error (SL_ENOENT, SL_EIO, SL_EINVAL, SL_ENOMEM) with err set. */
int source_open(const char *name, const struct sluice_config *cfg,
		struct source **out, char *err, size_t errlen);

/* Size of the object in bytes. */
uint64_t source_size(const struct source *src);

/* Reads len bytes at off into a malloc'd *buf (the caller frees it).
 * Returns 0, or an error with err set (short object: SL_ECORRUPT). */
int source_read(struct source *src, uint64_t off, size_t len, uint8_t **buf,
		char *err, size_t errlen);

/* Closes the source. */
void source_close(struct source *src);

#endif
