/*
 * Writing and reading the catalog snapshot file: temp file, fsync, rename,
 * fsync of the directory (Redis rdbSave), and a CRC-checked header on read.
 * What the content means is catalog.c's business.
 *
 * Ownership: read returns a buffer the caller frees.  Threading: the
 * caller's.  Durable: the snapshot file; once rename and the directory fsync
 * returned, it survives a crash.
 */
#include "brokerd/catalog/catalog_snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/errors.h"
#include "common/log.h"

/* Writes all of len bytes; returns 0 or -1 with errno set. */
static int catalog_snapshot_write_all(int fd, const uint8_t *data, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

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
	const char *step = "open";
	int fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		goto fail;
	step = "write";
	if (catalog_snapshot_write_all(fd, image, len) < 0)
		goto fail;
	step = "fsync";
	if (fsync(fd) < 0)
		goto fail;
	step = "close";
	int rc = close(fd);
	fd = -1;
	if (rc < 0)
		goto fail;
	step = "rename";
	if (rename(tmp_path, path) < 0)
		goto fail;
	/* Without this the rename itself may not survive a crash. */
	if (fsync(dir_fd) < 0) {
		log_error("catalog: fsync of the directory of %s: %s", path,
			  strerror(errno));
		return SL_EIO;
	}
	return 0;
fail:
	log_error("catalog: %s %s: %s", step, tmp_path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp_path);
	return SL_EIO;
}

int catalog_snapshot_read(const char *path, uint8_t **content, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return SL_ENOENT;
	if (fd < 0) {
		log_error("catalog: open %s: %s", path, strerror(errno));
		return SL_EIO;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		log_error("catalog: stat %s: %s", path, strerror(errno));
		close(fd);
		return SL_EIO;
	}
	size_t size = (size_t)st.st_size;
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf) {
		close(fd);
		return SL_ENOMEM;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			log_error("catalog: read %s: %s", path,
				  strerror(errno));
			close(fd);
			free(buf);
			return SL_EIO;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);

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
