/*
 * The catalog journal: append with fdatasync, replay at open, cut of a torn
 * tail, reset after a snapshot.
 *
 * A torn tail is expected after a crash mid-append and is cut silently but
 * for one log line.  A bad frame with a valid record somewhere after it means
 * the middle of the file was damaged; replay still stops there (what follows
 * may depend on what was lost) and says so at error level.
 *
 * Ownership: the journal owns its fd and path.  Threading: the caller's (the
 * event loop).  Durable: the file itself; appends are synced before return.
 */
#include "brokerd/catalog/catalog_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "common/errors.h"
#include "common/log.h"

int catalog_journal_open(struct catalog_journal *journal, const char *dir,
			 int dir_fd)
{
	memset(journal, 0, sizeof *journal);
	journal->fd = -1;
	size_t n = strlen(dir) + sizeof "/catalog.journal";
	journal->path = malloc(n);
	if (!journal->path)
		return SL_ENOMEM;
	snprintf(journal->path, n, "%s/catalog.journal", dir);

	int created = 1;
	journal->fd = open(journal->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			   0640);
	if (journal->fd < 0 && errno == EEXIST) {
		created = 0;
		journal->fd = open(journal->path, O_RDWR | O_CLOEXEC);
	}
	if (journal->fd < 0) {
		log_error("catalog: open %s: %s", journal->path,
			  strerror(errno));
		return SL_EIO;
	}
	if (flock(journal->fd, LOCK_EX | LOCK_NB) < 0) {
		log_error("catalog: lock %s: %s%s", journal->path,
			  strerror(errno),
			  errno == EWOULDBLOCK ? " (another brokerd uses it)"
					       : "");
		return SL_EIO;
	}
	if (created && fsync(dir_fd) < 0) {
		log_error("catalog: fsync of directory %s: %s", dir,
			  strerror(errno));
		return SL_EIO;
	}
	return 0;
}

/* Reads the whole file into a new buffer; returns 0 or SL_EIO (logged). */
static int catalog_journal_read(struct catalog_journal *journal,
				uint8_t **data, size_t *len)
{
	struct stat st;
	if (fstat(journal->fd, &st) < 0) {
		log_error("catalog: stat %s: %s", journal->path,
			  strerror(errno));
		return SL_EIO;
	}
	size_t size = (size_t)st.st_size;
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return SL_ENOMEM;
	size_t got = 0;
	while (got < size) {
		ssize_t r = pread(journal->fd, buf + got, size - got,
				  (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			log_error("catalog: read %s at offset %zu: %s",
				  journal->path, got, strerror(errno));
			free(buf);
			return SL_EIO;
		}
		if (r == 0)
			break; /* shorter than fstat said: take what is there */
		got += (size_t)r;
	}
	*data = buf;
	*len = got;
	return 0;
}

/* Offset of the first valid record after off, or 0 if none: tells a torn
 * tail from damage in the middle of the file. */
static uint64_t catalog_journal_next_valid(const uint8_t *data, size_t len,
					   size_t off)
{
	for (size_t p = off + 1; p + CATALOG_RECORD_HEADER_BYTES <= len; p++) {
		struct catalog_record rec;
		size_t used;
		const char *why;
		if (catalog_record_parse(data + p, len - p, &rec, &used,
					 &why) == CATALOG_RECORD_OK) {
			catalog_record_clear(&rec);
			return p;
		}
	}
	return 0;
}

/* Cuts the file at off and syncs; returns 0 or SL_EIO (logged). */
static int catalog_journal_cut(struct catalog_journal *journal, uint64_t off)
{
	if (ftruncate(journal->fd, (off_t)off) < 0 ||
	    fdatasync(journal->fd) < 0) {
		log_error("catalog: cut %s at offset %llu: %s", journal->path,
			  (unsigned long long)off, strerror(errno));
		return SL_EIO;
	}
	return 0;
}

int catalog_journal_replay(struct catalog_journal *journal,
			   catalog_journal_fn fn, void *arg)
{
	uint8_t *data;
	size_t len;
	int rc = catalog_journal_read(journal, &data, &len);
	if (rc)
		return rc;

	size_t off = 0;
	uint64_t records = 0;
	while (off < len) {
		struct catalog_record rec;
		size_t used;
		const char *why;
		enum catalog_record_status st = catalog_record_parse(
			data + off, len - off, &rec, &used, &why);
		if (st == CATALOG_RECORD_BAD) {
			log_error("catalog: %s: record at offset %zu: %s; "
				  "refusing to guess what it meant",
				  journal->path, off, why);
			rc = SL_ECORRUPT;
			goto out;
		}
		if (st == CATALOG_RECORD_TORN) {
			uint64_t next = catalog_journal_next_valid(data, len,
								   off);
			if (next)
				log_error("catalog: %s: record at offset %zu: "
					  "%s, yet a valid record follows at "
					  "offset %llu: the journal is damaged;"
					  " dropping %zu bytes from offset %zu",
					  journal->path, off, why,
					  (unsigned long long)next, len - off,
					  off);
			else
				log_warn("catalog: %s: torn tail at offset "
					 "%zu: %s; dropping %zu bytes",
					 journal->path, off, why, len - off);
			rc = catalog_journal_cut(journal, off);
			goto out;
		}
		rc = fn(arg, &rec, off);
		catalog_record_clear(&rec);
		if (rc)
			goto out;
		off += used;
		records++;
	}
out:
	free(data);
	journal->size = off;
	journal->records = records;
	return rc;
}

int catalog_journal_append(struct catalog_journal *journal,
			   const uint8_t *data, size_t len, unsigned records)
{
	if (journal->failed)
		return SL_EIO;
	size_t done = 0;
	while (done < len) {
		ssize_t w = pwrite(journal->fd, data + done, len - done,
				   (off_t)(journal->size + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			log_error("catalog: write %s at offset %llu: %s",
				  journal->path,
				  (unsigned long long)(journal->size + done),
				  strerror(errno));
			goto fail;
		}
		done += (size_t)w;
	}
	if (fdatasync(journal->fd) < 0) {
		log_error("catalog: fdatasync %s: %s", journal->path,
			  strerror(errno));
		/* After a failed sync the kernel may have dropped the dirty
		 * pages: nothing later can be trusted to reach the disk. */
		journal->failed = 1;
		goto fail;
	}
	journal->size += len;
	journal->records += records;
	return 0;
fail:
	/* Leave no partial record for the next append to follow. */
	if (done && ftruncate(journal->fd, (off_t)journal->size) < 0) {
		log_error("catalog: cut %s back to %llu: %s; refusing further "
			  "changes", journal->path,
			  (unsigned long long)journal->size, strerror(errno));
		journal->failed = 1;
	}
	return SL_EIO;
}

int catalog_journal_reset(struct catalog_journal *journal)
{
	if (ftruncate(journal->fd, 0) < 0) {
		log_error("catalog: truncate %s: %s", journal->path,
			  strerror(errno));
		return SL_EIO;
	}
	journal->size = 0;
	journal->records = 0;
	if (fdatasync(journal->fd) < 0) {
		log_error("catalog: fdatasync %s after truncation: %s",
			  journal->path, strerror(errno));
		return SL_EIO;
	}
	return 0;
}

void catalog_journal_close(struct catalog_journal *journal)
{
	if (journal->fd >= 0)
		close(journal->fd);
	journal->fd = -1;
	free(journal->path);
	journal->path = NULL;
}
