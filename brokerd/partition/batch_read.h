/*
 * Reads a stored batch's bytes back: from the shared-memory cache when they
 * are still there (the hot tail), otherwise from the WAL device.
 */
#ifndef SLUICE_BATCH_READ_H
#define SLUICE_BATCH_READ_H

#include <stdint.h>

struct batch_entry;

/* Copies the batch's bytes (e->len) into dst.  Returns 0 or SL_EIO. */
int batch_read(const struct batch_entry *e, uint8_t *dst);

#endif
