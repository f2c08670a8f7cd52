/*
 * The catalog journal file (<dir>/catalog.journal): catalog records
 * appended back to back, each made durable with fdatasync before the change
 * it carries is applied.  Format of a record: catalog_record.h.
 */
#ifndef SLUICE_CATALOG_JOURNAL_H
#define SLUICE_CATALOG_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "brokerd/catalog/catalog_record.h"

struct catalog_journal {
	char *path;
	int fd;
	uint64_t size;    /* end of the last valid record: appends go here */
	uint64_t records; /* valid records in the file */
	int failed;       /* a sync failed: the file's state is unknown */
};

/* Called for each valid record in file order.  rec->topic may be taken
 * (set to NULL); the rest is cleared after the call.  Returns 0, or an
 * error that stops the replay and is returned by catalog_journal_replay. */
typedef int (*catalog_journal_fn)(void *arg, struct catalog_record *rec,
				  uint64_t offset);

/* Opens or creates dir/catalog.journal and locks it against a second
 * writer; a new file is made durable with an fsync of dir_fd.  Returns 0 or
 * SL_EIO (logged; also when another process holds the lock). */
int catalog_journal_open(struct catalog_journal *journal, const char *dir,
			 int dir_fd);

/* Replays every valid record.  At the first torn or garbage frame it logs
 * the offset and reason, cuts the file there and syncs it.  Returns 0, the
 * callback's error, SL_ECORRUPT (logged) for a record whose CRCs hold but
 * whose content does not decode, or SL_EIO. */
int catalog_journal_replay(struct catalog_journal *journal,
			   catalog_journal_fn fn, void *arg);

/* Appends len bytes of encoded records and fdatasyncs them.  Returns 0, or
 * SL_EIO (logged) with the file cut back to its previous size when
 * possible; after a failed sync every later append fails too. */
int catalog_journal_append(struct catalog_journal *journal,
			   const uint8_t *data, size_t len, unsigned records);

/* Empties the file once a snapshot covers it.  Returns 0 or SL_EIO (logged);
 * a failure is harmless because replay skips what the snapshot covers. */
int catalog_journal_reset(struct catalog_journal *journal);

void catalog_journal_close(struct catalog_journal *journal);

#endif
