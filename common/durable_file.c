/*
 * Atomic whole-file writes and whole-file reads (see durable_file.h).
 * Ownership: read returns a buffer the caller frees.  Threading: none of
 * its own; safe from any thread.  Durable: once write returns 0, the new
 * file survives a crash.
 */
#include "common/durable_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/errors.h"
#include "common/log.h"

/* Writes every iov piece in full; returns 0 or -1 with errno set. */
static int durable_file_write_all(int fd, const struct iovec *iov, int iovcnt)
{
	for (int i = 0; i < iovcnt; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t left = iov[i].iov_len;
		while (left > 0) {
			ssize_t w = write(fd, p, left);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -1;
			p += w;
			left -= (size_t)w;
		}
	}
	return 0;
}

int durable_file_write(int dir_fd, const char *path, const char *tmp_path,
		       const struct iovec *iov, int iovcnt)
{
	const char *step = "open";
	int fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		goto fail;
	step = "write";
	if (durable_file_write_all(fd, iov, iovcnt) < 0)
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
	/* without this the rename itself may not survive a crash */
	if (fsync(dir_fd) < 0) {
		log_error("fsync of the directory of %s: %s", path, strerror(errno));
		return SL_EIO;
	}
	return 0;
fail:
	log_error("%s %s: %s", step, tmp_path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp_path);
	return SL_EIO;
}

int durable_file_read(const char *path, uint8_t **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return SL_ENOENT;
	if (fd < 0) {
		log_error("open %s: %s", path, strerror(errno));
		return SL_EIO;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		log_error("stat %s: %s", path, strerror(errno));
		close(fd);
		return SL_EIO;
	}
	size_t size = (size_t)st.st_size, got = 0;
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf) {
		close(fd);
		return SL_ENOMEM;
	}
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			log_error("read %s: %s", path, strerror(errno));
			close(fd);
			free(buf);
			return SL_EIO;
		}
		if (r == 0)
			break; /* shorter than fstat said: take what is there */
		got += (size_t)r;
	}
	close(fd);
	*data = buf;
	*len = got;
	return 0;
}
