/*
 * Disk probe (see disk.h).  Runs on the calling thread, one write in flight
 * at a time (queue depth 1), so the figures are a floor for a WAL that keeps
 * several blocks in flight.  The probe file is temporary: it is unlinked as
 * soon as it is opened, so nothing stays behind even if the tool is killed.
 */
#include "autoconfig.h"

#include "tools/bench/disk.h"
#include "tools/bench/bench.h"
#include "common/errors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#define DISK_ALIGN 4096

/* Name of the filesystem type that statfs reports, for the report. */
static const char *disk_fs_name(long type)
{
	switch ((unsigned long)type) {
	case 0xEF53: return "ext4";
	case 0x58465342: return "xfs";
	case 0x9123683E: return "btrfs";
	case 0x01021994: return "tmpfs";
	case 0x794C7630: return "overlayfs";
	case 0x2FC12FC1: return "zfs";
	case 0xF2F52010: return "f2fs";
	default: return "other";
	}
}

/* Writes len bytes at off in full; returns 0 or -1 with errno set. */
static int disk_pwrite_all(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, buf, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* One sequential pass of bytes in 1 MiB writes then fdatasync; returns MB/s or -1. */
static double disk_pass(int fd, const uint8_t *buf, uint64_t bytes)
{
	uint64_t start = bench_now_ns();
	for (uint64_t off = 0; off < bytes; off += DISK_WRITE_SIZE)
		if (disk_pwrite_all(fd, buf, DISK_WRITE_SIZE, off) < 0)
			return -1;
	if (fdatasync(fd) < 0)
		return -1;
	double secs = (double)(bench_now_ns() - start) / 1e9;
	return (double)bytes / BENCH_MB / secs;
}

/* Times iters pwrite+fdatasync of size bytes, wrapping inside bytes_total. */
static int disk_sync_run(int fd, const uint8_t *buf, uint64_t bytes_total,
			 int iters, struct disk_sync *sync)
{
	uint64_t off = 0;
	hist_reset(&sync->lat);
	for (int i = 0; i < iters; i++) {
		if (off + sync->size > bytes_total)
			off = 0;
		uint64_t start = bench_now_ns();
		if (disk_pwrite_all(fd, buf, sync->size, off) < 0 || fdatasync(fd) < 0)
			return -1;
		hist_record(&sync->lat, bench_now_ns() - start);
		off += sync->size;
	}
	return 0;
}

int disk_probe(const char *dir, uint64_t bytes, int iters, struct disk_result *out)
{
	memset(out, 0, sizeof *out);
	out->iters = iters;
	out->sync[0].size = 4096;
	out->sync[1].size = 65536;
	/* Whole 1 MiB writes, and room for at least one 64 KiB sync write. */
	bytes = (bytes + DISK_WRITE_SIZE - 1) / DISK_WRITE_SIZE * DISK_WRITE_SIZE;
	if (bytes == 0)
		bytes = DISK_WRITE_SIZE;
	out->bytes = bytes;

	struct statfs sfs;
	if (statfs(dir, &sfs) < 0) {
		snprintf(out->error, sizeof out->error, "statfs %s: %s", dir, strerror(errno));
		return SL_EINVAL;
	}
	snprintf(out->fs, sizeof out->fs, "%s", disk_fs_name((long)sfs.f_type));

	char path[4096];
	snprintf(path, sizeof path, "%s/sluice-bench.XXXXXX", dir);
	int tmp = mkstemp(path);
	if (tmp < 0) {
		snprintf(out->error, sizeof out->error, "create in %s: %s", dir, strerror(errno));
		return SL_EIO;
	}
	int fd = open(path, O_WRONLY | O_DIRECT);
	int open_errno = errno;
	unlink(path);
	close(tmp);
	if (fd < 0) {
		snprintf(out->error, sizeof out->error, "open O_DIRECT in %s (%s): %s",
			 dir, out->fs, strerror(open_errno));
		return SL_EIO;
	}

	uint8_t *buf = NULL;
	if (posix_memalign((void **)&buf, DISK_ALIGN, DISK_WRITE_SIZE) != 0) {
		close(fd);
		snprintf(out->error, sizeof out->error, "out of memory");
		return SL_ENOMEM;
	}
	/* Incompressible bytes, in case the device compresses or dedups. */
	uint64_t x = 0x9E3779B97F4A7C15u;
	for (size_t i = 0; i < DISK_WRITE_SIZE; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)x;
	}

	int rc = 0, err = 0;
	const char *what = "sequential write";
	out->fresh_mbps = disk_pass(fd, buf, bytes);
	if (out->fresh_mbps >= 0)
		out->overwrite_mbps = disk_pass(fd, buf, bytes);
	if (out->fresh_mbps < 0 || out->overwrite_mbps < 0) {
		err = errno;
		rc = SL_EIO;
	}
	for (int i = 0; i < 2 && rc == 0; i++) {
		what = i == 0 ? "4 KiB pwrite+fdatasync" : "64 KiB pwrite+fdatasync";
		if (disk_sync_run(fd, buf, bytes, iters, &out->sync[i]) < 0) {
			err = errno;
			rc = SL_EIO;
		}
	}
	if (rc != 0)
		snprintf(out->error, sizeof out->error, "%s in %s (%s): %s", what, dir,
			 out->fs, strerror(err));
	free(buf);
	close(fd);
	return rc;
}
