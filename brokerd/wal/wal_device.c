/*
 * The WAL's storage: a regular file, created under a temporary name,
 * preallocated with zeros (so fdatasync never has to convert unwritten
 * extents), given both header slots and renamed into place; or a block
 * device used as it is.  Writes go through an O_DIRECT descriptor with
 * aligned buffers, reads through an ordinary one so they need no alignment.
 *
 * Threading: the I/O thread calls wal_device_pwrite and wal_device_sync
 * concurrently with the loop thread; positional I/O on a shared descriptor
 * is safe.  Everything else runs on the loop thread.
 */
#include "autoconfig.h"

#include "brokerd/wal/wal_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "common/errors.h"
#include "common/log.h"

void *wal_device_alloc(size_t len)
{
	void *p;
	if (posix_memalign(&p, WAL_ALIGN, len))
		return NULL;
	return p;
}

/* Opens path for writing with O_DIRECT, or without it (*direct = 0) when
 * the filesystem refuses it.  Returns the descriptor or -1 (errno set). */
static int wal_device_open_write(const char *path, int flags, int *direct)
{
	int fd = open(path, flags | O_DIRECT | O_CLOEXEC, 0640);
	*direct = 1;
	if (fd < 0 && errno == EINVAL) {
		*direct = 0;
		fd = open(path, flags | O_CLOEXEC, 0640);
	}
	return fd;
}

/* Writes all of buf at off on fd; returns 0 or an errno. */
static int wal_device_pwrite_fd(int fd, const void *buf, size_t len,
				uint64_t off)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Makes a new entry in the directory holding path durable. */
static int wal_device_sync_dir(const char *path)
{
	char copy[PATH_MAX];
	snprintf(copy, sizeof copy, "%s", path);
	int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno;
	int err = fsync(dfd) ? errno : 0;
	close(dfd);
	return err;
}

int wal_device_create(const char *path, uint64_t capacity, uint32_t node_id,
		      uint64_t epoch, uint64_t trim)
{
	char tmp[PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
		log_error("wal: %s: path too long", path);
		return SL_EINVAL;
	}
	int direct;
	int fd = wal_device_open_write(tmp, O_WRONLY | O_CREAT | O_TRUNC,
				       &direct);
	if (fd < 0) {
		log_error("wal: create %s: %s", tmp, strerror(errno));
		return SL_EIO;
	}
	uint8_t *chunk = wal_device_alloc(WAL_SCAN_CHUNK);
	if (!chunk) {
		close(fd);
		unlink(tmp);
		return SL_ENOMEM;
	}
	/* The first chunk carries both slots: seq 0 in slot A, 1 in slot B. */
	memset(chunk, 0, WAL_SCAN_CHUNK);
	struct wal_header h = { .capacity = capacity, .trim = trim, .seq = 0,
				.node_id = node_id, .epoch = epoch };
	wal_format_header_put(chunk, &h);
	h.seq = 1;
	wal_format_header_put(chunk + WAL_HEADER_SLOT_BYTES, &h);
	int err = 0;
	for (uint64_t off = 0; off < capacity && !err;) {
		size_t n = capacity - off < WAL_SCAN_CHUNK ? (size_t)(capacity - off)
							   : WAL_SCAN_CHUNK;
		err = wal_device_pwrite_fd(fd, chunk, n, off);
		if (off == 0)
			memset(chunk, 0, WAL_DATA_START);
		off += n;
	}
	free(chunk);
	if (!err && fsync(fd))
		err = errno;
	if (close(fd) && !err)
		err = errno;
	if (!err && rename(tmp, path))
		err = errno;
	if (!err)
		err = wal_device_sync_dir(path);
	if (err) {
		log_error("wal: create %s (%llu bytes): %s", path,
			  (unsigned long long)capacity, strerror(err));
		unlink(tmp);
		return SL_EIO;
	}
	log_info("wal: created %s, %llu bytes%s", path,
		 (unsigned long long)capacity, direct ? "" : " (no O_DIRECT)");
	return 0;
}

int wal_device_open(struct wal *wal, uint64_t *size, int *is_blk)
{
	wal->fd_write = wal_device_open_write(wal->path, O_RDWR, &wal->direct);
	if (wal->fd_write < 0) {
		log_error("wal: open %s: %s", wal->path, strerror(errno));
		return SL_EIO;
	}
	if (!wal->direct)
		log_warn("wal: %s: the filesystem refuses O_DIRECT; using "
			 "buffered writes and fdatasync", wal->path);
	wal->fd_read = open(wal->path, O_RDONLY | O_CLOEXEC);
	if (wal->fd_read < 0) {
		log_error("wal: open %s: %s", wal->path, strerror(errno));
		return SL_EIO;
	}
	struct stat st;
	if (fstat(wal->fd_write, &st)) {
		log_error("wal: stat %s: %s", wal->path, strerror(errno));
		return SL_EIO;
	}
	if (S_ISBLK(st.st_mode)) {
		uint64_t bytes;
		if (ioctl(wal->fd_write, BLKGETSIZE64, &bytes)) {
			log_error("wal: %s: BLKGETSIZE64: %s", wal->path,
				  strerror(errno));
			return SL_EIO;
		}
		*size = bytes;
		*is_blk = 1;
	} else if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		*is_blk = 0;
	} else {
		log_error("wal: %s: neither a regular file nor a block device",
			  wal->path);
		return SL_EINVAL;
	}
	return 0;
}

int wal_device_pread(struct wal *wal, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = pread(wal->fd_read, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return EIO; /* the device is shorter than its header says */
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int wal_device_pwrite(struct wal *wal, const void *buf, size_t len,
		      uint64_t off)
{
	return wal_device_pwrite_fd(wal->fd_write, buf, len, off);
}

int wal_device_sync(struct wal *wal)
{
	while (fdatasync(wal->fd_write)) {
		if (errno != EINTR)
			return errno;
	}
	return 0;
}

int wal_device_header_write(struct wal *wal, uint64_t seq, uint64_t trim)
{
	uint8_t *slot = wal_device_alloc(WAL_HEADER_SLOT_BYTES);
	if (!slot)
		return SL_ENOMEM;
	struct wal_header h = { .capacity = wal->capacity, .trim = trim,
				.seq = seq, .node_id = wal->node_id,
				.epoch = wal->epoch };
	wal_format_header_put(slot, &h);
	int err = wal_device_pwrite(wal, slot, WAL_HEADER_SLOT_BYTES,
				    (seq % 2) * WAL_HEADER_SLOT_BYTES);
	if (!err)
		err = wal_device_sync(wal);
	free(slot);
	if (err) {
		log_error("wal: %s: write header slot %llu (seq %llu): %s",
			  wal->path, (unsigned long long)(seq % 2),
			  (unsigned long long)seq, strerror(err));
		return SL_EIO;
	}
	return 0;
}
