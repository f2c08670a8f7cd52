/*
 * Whole files made durable atomically: written to a temp name, fsynced,
 * renamed over the real name, and the directory fsynced (Redis rdbSave),
 * so the path holds either the old or the new content whatever happens.
 * And the matching read of a whole file.  What the bytes mean (headers,
 * CRCs) is the caller's business.
 */
#ifndef SLUICE_DURABLE_FILE_H
#define SLUICE_DURABLE_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Writes the iov pieces to tmp_path, fsyncs, renames it to path and fsyncs
 * dir_fd (the directory of both).  Returns 0, or SL_EIO (logged with the
 * step that failed; the temp file is removed). */
int durable_file_write(int dir_fd, const char *path, const char *tmp_path,
		       const struct iovec *iov, int iovcnt);

/* Reads the whole file into a new buffer (*data, caller frees; never NULL
 * on success).  Returns 0, SL_ENOENT when there is no file, SL_ENOMEM, or
 * SL_EIO (logged). */
int durable_file_read(const char *path, uint8_t **data, size_t *len);

#endif
