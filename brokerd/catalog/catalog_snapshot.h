/*
 * The catalog snapshot file (<dir>/catalog.snapshot): the whole catalog
 * state as catalog records (a STATE record, the BROKER_CONFIG record if
 * there are overrides, one TOPIC_CREATE per topic, then the object
 * storage records), behind a header that makes a damaged or partial file
 * detectable.
 *
 * Header (CATALOG_SNAPSHOT_HEADER_BYTES, big-endian):
 *   magic u32, format version u16, reserved u16 (0), content length u64,
 *   content CRC-32C u32, header CRC-32C u32 (over the 20 bytes before it)
 * Version 2 adds object storage to the content (catalog_record.h), version
 * 3 per-partition stream ids and broker config overrides; version 1 and 2
 * files are still read.  The header and content together
 * are the snapshot's "image", the bytes copied to the bucket.
 */
#ifndef SLUICE_CATALOG_SNAPSHOT_H
#define SLUICE_CATALOG_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#define CATALOG_SNAPSHOT_MAGIC 0x534c4353u /* "SLCS" */
#define CATALOG_SNAPSHOT_VERSION 3u
#define CATALOG_SNAPSHOT_HEADER_BYTES 24u

/* Fills in the header of an image of len bytes whose content follows the
 * header room at its start. */
void catalog_snapshot_seal(uint8_t *image, size_t len);

/* Why an image does not check (header, version, length, CRCs), or NULL. */
const char *catalog_snapshot_check(const uint8_t *image, size_t len);

/* Writes the image to tmp_path, fsyncs it, renames it over path and fsyncs
 * dir_fd, so path holds either the old or the new snapshot whatever
 * happens.  Returns 0 or SL_EIO (logged, temp file removed). */
int catalog_snapshot_write(int dir_fd, const char *path, const char *tmp_path,
			   const uint8_t *image, size_t len);

/* Reads and checks path.  Returns 0 with *content (caller frees) and *len
 * set, SL_ENOENT if there is no file, SL_ECORRUPT (logged) if the header or
 * content does not check, or SL_EIO (logged). */
int catalog_snapshot_read(const char *path, uint8_t **content, size_t *len);

#endif
