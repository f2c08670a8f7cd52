/*
 * A temporary directory per test, and the file helpers the tests that
 * damage files use (test_catalog.c, test_catalog_objects.c, test_groups.c,
 * test_txn.c, the handler harness).  The directory lives under $TMPDIR
 * (/tmp when unset); every helper fails the test rather than return an
 * error, except file_size, whose -1 tests compare against.
 */
#ifndef SLUICE_TEST_SCRATCH_DIR_H
#define SLUICE_TEST_SCRATCH_DIR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Creates $TMPDIR/sluice-<name>-XXXXXX and writes its path to dir. */
void scratch_dir_make(char *dir, size_t size, const char *name);
/* Removes dir and everything below it. */
void scratch_dir_remove(const char *dir);

/* The file's size, or -1 if it does not exist. */
off_t file_size(const char *path);
/* Reads a whole file, NUL-terminated (caller frees); *len gets its size. */
uint8_t *file_read(const char *path, size_t *len);
/* Creates or replaces the file with len bytes of data. */
void file_write(const char *path, const uint8_t *data, size_t len);
/* Appends len bytes of data to an existing file. */
void file_append(const char *path, const uint8_t *data, size_t len);
void file_truncate(const char *path, off_t len);
/* Flips the bits of one byte at off. */
void file_flip(const char *path, off_t off);

#endif
