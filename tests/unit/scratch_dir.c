/*
 * Temporary directories and file helpers for the unit tests (see
 * scratch_dir.h).
 */
#define _GNU_SOURCE
#include "tests/unit/scratch_dir.h"

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Creates $TMPDIR/sluice-<name>-XXXXXX. */
void scratch_dir_make(char *dir, size_t size, const char *name)
{
	const char *base = getenv("TMPDIR");
	snprintf(dir, size, "%s/sluice-%s-XXXXXX", base && *base ? base : "/tmp",
		 name);
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* nftw callback: removes one entry of the directory. */
static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes dir, deepest entries first. */
void scratch_dir_remove(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The file's size, or -1. */
off_t file_size(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	return st.st_size;
}

/* Reads a whole file; *len gets its size. */
uint8_t *file_read(const char *path, size_t *len)
{
	off_t size = file_size(path);
	ck_assert_int_ge(size, 0);
	uint8_t *buf = malloc((size_t)size + 1);
	ck_assert_ptr_nonnull(buf);
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, buf, (size_t)size), size);
	close(fd);
	buf[size] = 0;
	*len = (size_t)size;
	return buf;
}

/* Creates or replaces the file with data. */
void file_write(const char *path, const uint8_t *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Appends data to an existing file. */
void file_append(const char *path, const uint8_t *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Cuts the file to len bytes. */
void file_truncate(const char *path, off_t len)
{
	ck_assert_int_eq(truncate(path, len), 0);
}

/* Flips the bits of one byte at off. */
void file_flip(const char *path, off_t off)
{
	int fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	uint8_t b;
	ck_assert_int_eq(pread(fd, &b, 1, off), 1);
	b ^= 0xff;
	ck_assert_int_eq(pwrite(fd, &b, 1, off), 1);
	close(fd);
}
