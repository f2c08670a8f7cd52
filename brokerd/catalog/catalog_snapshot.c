/*
 * The catalog snapshot file: its CRC-checked header, sealed on write and
 * checked on read.  The file itself is written and read whole by
 * common/durable_file.c (temp file, fsync, rename, fsync of the directory).
 * What the content means is catalog.c's business.
 *
 * Ownership: read returns a buffer the caller frees.  Threading: the
 * caller's.  Durable: the snapshot file; once write returned 0, it survives
 * a crash.
 */
#include "brokerd/catalog/catalog_snapshot.h"

#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/durable_file.h"
#include "common/errors.h"
#include "common/log.h"

void catalog_snapshot_seal(uint8_t *image, size_t len)
{
	SL_ASSERT(len >= CATALOG_SNAPSHOT_HEADER_BYTES);
	size_t content_len = len - CATALOG_SNAPSHOT_HEADER_BYTES;
	be32_put(image, CATALOG_SNAPSHOT_MAGIC);
	be16_put(image + 4, CATALOG_SNAPSHOT_VERSION);
	be16_put(image + 6, 0);
	be64_put(image + 8, content_len);
	be32_put(image + 16, crc32c(image + CATALOG_SNAPSHOT_HEADER_BYTES,
				    content_len));
	be32_put(image + 20, crc32c(image, 20));
}

const char *catalog_snapshot_check(const uint8_t *image, size_t len)
{
	if (len < CATALOG_SNAPSHOT_HEADER_BYTES)
		return "shorter than its header";
	if (be32_get(image) != CATALOG_SNAPSHOT_MAGIC)
		return "bad magic";
	if (be32_get(image + 20) != crc32c(image, 20))
		return "bad header CRC";
	uint16_t version = be16_get(image + 4);
	if (version < 1 || version > CATALOG_SNAPSHOT_VERSION)
		return "unsupported format version";
	if (be64_get(image + 8) != len - CATALOG_SNAPSHOT_HEADER_BYTES)
		return "length does not match the file size";
	if (be32_get(image + 16) !=
	    crc32c(image + CATALOG_SNAPSHOT_HEADER_BYTES,
		   len - CATALOG_SNAPSHOT_HEADER_BYTES))
		return "bad content CRC";
	return NULL;
}

int catalog_snapshot_write(int dir_fd, const char *path, const char *tmp_path,
			   const uint8_t *image, size_t len)
{
	struct iovec v = { .iov_base = (void *)image, .iov_len = len };
	return durable_file_write(dir_fd, path, tmp_path, &v, 1);
}

int catalog_snapshot_read(const char *path, uint8_t **content, size_t *len)
{
	uint8_t *buf;
	size_t got;
	int rc = durable_file_read(path, &buf, &got);
	if (rc)
		return rc;

	const char *why = catalog_snapshot_check(buf, got);
	if (why) {
		log_error("catalog: snapshot %s: %s; refusing to start from an "
			  "empty catalog (restore it or move it away)", path,
			  why);
		free(buf);
		return SL_ECORRUPT;
	}
	*len = got - CATALOG_SNAPSHOT_HEADER_BYTES;
	memmove(buf, buf + CATALOG_SNAPSHOT_HEADER_BYTES, *len);
	*content = buf;
	return 0;
}
