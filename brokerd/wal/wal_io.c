/*
 * The WAL's I/O thread and the delivery of its completions on the loop.
 *
 * The loop queues sealed blocks (wal_io_queue); the thread takes what is
 * queued, up to WAL_ROUND_BYTES, writes each block with one aligned pwrite,
 * makes the round durable with one fdatasync, moves the blocks to the done
 * list and signals an eventfd.  The loop's event handler delivers the done
 * blocks to the durable callback.  Both lists are FIFO and there is one
 * thread, so completions arrive in offset order.
 *
 * fdatasync rather than O_DSYNC: on /work (ext4, virtio) single writes cost
 * the same either way, and several blocks per round are cheaper with one
 * fdatasync than with a flush per pwrite.
 *
 * A failed write or sync is fatal: after a failed fdatasync the kernel may
 * have dropped the data, and nothing unsynced may be acknowledged.  The
 * process exits from the loop; a restart recovers from the device.
 */
#include "autoconfig.h"

#include "brokerd/wal/wal_internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <event2/event.h>

#include "common/errors.h"
#include "common/log.h"

/* Writes one round of blocks and syncs; sets blk->err on failure. */
static void wal_io_write_round(struct wal *wal, struct wal_block *first)
{
	int err = 0;
	for (struct wal_block *blk = first; blk && !err; blk = blk->next) {
		/* Blocks never cross the physical end and end on a boundary. */
		err = wal_device_pwrite(wal, blk->buf,
					(size_t)(blk->end - blk->start),
					wal_phys(wal, blk->start));
	}
	if (!err)
		err = wal_device_sync(wal);
	for (struct wal_block *blk = first; blk; blk = blk->next)
		blk->err = err;
}

/* The I/O thread: rounds until told to stop with nothing left queued. */
static void *wal_io_main(void *arg)
{
	struct wal *wal = arg;
	pthread_mutex_lock(&wal->mu);
	for (;;) {
		while (!wal->pending && !wal->stop)
			pthread_cond_wait(&wal->cond, &wal->mu);
		if (!wal->pending)
			break;
		struct wal_block *first = wal->pending, *last = first;
		uint64_t bytes = first->end - first->start;
		while (last->next &&
		       bytes + (last->next->end - last->next->start) <=
			       WAL_ROUND_BYTES) {
			last = last->next;
			bytes += last->end - last->start;
		}
		wal->pending = last->next;
		if (!wal->pending)
			wal->pending_tail = &wal->pending;
		last->next = NULL;
		pthread_mutex_unlock(&wal->mu);

		wal_io_write_round(wal, first);

		pthread_mutex_lock(&wal->mu);
		*wal->done_tail = first;
		wal->done_tail = &last->next;
		pthread_mutex_unlock(&wal->mu);
		uint64_t one = 1;
		/* Cannot fail short of an overflowing counter. */
		while (write(wal->efd, &one, sizeof one) < 0 && errno == EINTR)
			;
		pthread_mutex_lock(&wal->mu);
	}
	pthread_mutex_unlock(&wal->mu);
	return NULL;
}

/* Delivers every done block in order, then queues a waiting open block if
 * the thread has become idle. */
static void wal_io_deliver(struct wal *wal)
{
	pthread_mutex_lock(&wal->mu);
	struct wal_block *blk = wal->done;
	wal->done = NULL;
	wal->done_tail = &wal->done;
	pthread_mutex_unlock(&wal->mu);
	while (blk) {
		struct wal_block *next = blk->next;
		if (blk->err)
			log_fatal("wal: %s: write of [%llu, %llu) failed: %s",
				  wal->path, (unsigned long long)blk->start,
				  (unsigned long long)blk->end,
				  strerror(blk->err));
		SL_ASSERT(blk == wal->flight && blk->start == wal->durable);
		wal->flight = blk->lnext;
		if (!wal->flight)
			wal->flight_tail = &wal->flight;
		wal->durable = blk->end;
		wal->inflight--;
		if (wal->durable_fn)
			wal->durable_fn(wal->durable_arg, blk->start, blk->end,
					blk->buf);
		wal_block_release(wal, blk);
		blk = next;
	}
	/* Appends made while the disk was busy must not wait for a flush. */
	if (wal->inflight == 0 && wal->cur && !wal->stop)
		wal_block_seal(wal, wal_align_up(wal->head));
}

/* Loop event: the I/O thread finished a round. */
static void wal_io_on_wake(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	uint64_t n;
	while (read(fd, &n, sizeof n) < 0 && errno == EINTR)
		;
	wal_io_deliver(arg);
}

int wal_io_start(struct wal *wal)
{
	wal->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (wal->efd < 0) {
		log_error("wal: eventfd: %s", strerror(errno));
		return SL_EIO;
	}
	wal->wake = event_new(wal->base, wal->efd, EV_READ | EV_PERSIST,
			      wal_io_on_wake, wal);
	if (!wal->wake || event_add(wal->wake, NULL)) {
		log_error("wal: cannot register the completion event");
		goto fail;
	}
	int rc = pthread_create(&wal->thread, NULL, wal_io_main, wal);
	if (rc) {
		log_error("wal: start I/O thread: %s", strerror(rc));
		goto fail;
	}
	wal->thread_started = 1;
	return 0;
fail:
	if (wal->wake)
		event_free(wal->wake);
	wal->wake = NULL;
	close(wal->efd);
	wal->efd = -1;
	return SL_EIO;
}

void wal_io_queue(struct wal *wal, struct wal_block *blk)
{
	blk->next = NULL;
	blk->lnext = NULL;
	*wal->flight_tail = blk;
	wal->flight_tail = &blk->lnext;
	wal->inflight++;
	pthread_mutex_lock(&wal->mu);
	*wal->pending_tail = blk;
	wal->pending_tail = &blk->next;
	pthread_cond_signal(&wal->cond);
	pthread_mutex_unlock(&wal->mu);
}

void wal_io_stop(struct wal *wal)
{
	if (wal->thread_started) {
		pthread_mutex_lock(&wal->mu);
		wal->stop = 1;
		pthread_cond_signal(&wal->cond);
		pthread_mutex_unlock(&wal->mu);
		pthread_join(wal->thread, NULL);
		wal->thread_started = 0;
		wal_io_deliver(wal);
	}
	SL_ASSERT(wal->inflight == 0);
	if (wal->wake)
		event_free(wal->wake);
	wal->wake = NULL;
	if (wal->efd >= 0)
		close(wal->efd);
	wal->efd = -1;
	wal->base = NULL;
}
