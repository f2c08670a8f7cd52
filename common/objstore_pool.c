/*
 * The object store's worker pool: a few threads that run blocking or
 * CPU-heavy work (local file I/O, SHA-256 of large payloads) off the loop,
 * and hand each finished job back to the loop through an eventfd, where its
 * done function runs.
 *
 * The eventfd, not event_active() from a worker, wakes the loop, so the
 * caller's event_base needs no libevent threading setup.
 *
 * Ownership: the pool owns its jobs; a job's arg belongs to the caller.
 * Threading: submit and free on the loop thread; work on the workers.
 */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <event2/event.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/objstore_internal.h"

#define OBJSTORE_POOL_MAX_THREADS 16

struct objstore_pool_job {
	void (*work)(void *arg);
	void (*done)(void *arg);
	void *arg;
	struct objstore_pool_job *next;
};

/* A FIFO of jobs. */
struct objstore_pool_queue {
	struct objstore_pool_job *head, *tail;
};

struct objstore_pool {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct objstore_pool_queue todo; /* waiting for a worker */
	struct objstore_pool_queue done; /* waiting for the loop */
	int stopping;
	int efd;
	struct event *ev;
	pthread_t threads[OBJSTORE_POOL_MAX_THREADS];
	int nthreads;
};

/* Appends job to q. */
static void objstore_pool_push(struct objstore_pool_queue *q,
			       struct objstore_pool_job *job)
{
	job->next = NULL;
	if (q->tail)
		q->tail->next = job;
	else
		q->head = job;
	q->tail = job;
}

/* Removes and returns the first job of q, or NULL. */
static struct objstore_pool_job *
objstore_pool_pop(struct objstore_pool_queue *q)
{
	struct objstore_pool_job *job = q->head;
	if (job) {
		q->head = job->next;
		if (!q->head)
			q->tail = NULL;
	}
	return job;
}

/* A worker: runs jobs until the pool stops. */
static void *objstore_pool_main(void *arg)
{
	struct objstore_pool *pool = arg;
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (!pool->stopping && !pool->todo.head)
			pthread_cond_wait(&pool->wake, &pool->lock);
		if (pool->stopping)
			break;
		struct objstore_pool_job *job = objstore_pool_pop(&pool->todo);
		pthread_mutex_unlock(&pool->lock);
		job->work(job->arg);
		pthread_mutex_lock(&pool->lock);
		int was_empty = pool->done.head == NULL;
		objstore_pool_push(&pool->done, job);
		if (was_empty) {
			/* One wake-up per batch; the loop drains them all. */
			uint64_t one = 1;
			ssize_t n = write(pool->efd, &one, sizeof one);
			(void)n; /* only fails if the counter overflows */
		}
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

/* The eventfd became readable: runs the done functions on the loop. */
static void objstore_pool_drain(evutil_socket_t fd, short what, void *arg)
{
	struct objstore_pool *pool = arg;
	uint64_t v;
	ssize_t n = read(pool->efd, &v, sizeof v);
	(void)n; /* EAGAIN: a batch already drained */
	pthread_mutex_lock(&pool->lock);
	struct objstore_pool_queue batch = pool->done;
	pool->done.head = pool->done.tail = NULL;
	pthread_mutex_unlock(&pool->lock);
	struct objstore_pool_job *job;
	while ((job = objstore_pool_pop(&batch))) {
		void (*done)(void *) = job->done;
		void *jarg = job->arg;
		free(job);
		done(jarg);
	}
}

struct objstore_pool *objstore_pool_new(struct event_base *base, int threads,
					char *err, size_t errlen)
{
	struct objstore_pool *pool = calloc(1, sizeof *pool);
	if (!pool) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (threads < 1)
		threads = 1;
	if (threads > OBJSTORE_POOL_MAX_THREADS)
		threads = OBJSTORE_POOL_MAX_THREADS;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->wake, NULL);
	pool->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pool->efd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	pool->ev = event_new(base, pool->efd, EV_READ | EV_PERSIST,
			     objstore_pool_drain, pool);
	if (!pool->ev || event_add(pool->ev, NULL) < 0) {
		snprintf(err, errlen, "cannot add the worker pool's event");
		goto fail;
	}
	for (int i = 0; i < threads; i++) {
		int rc = pthread_create(&pool->threads[i], NULL,
					objstore_pool_main, pool);
		if (rc != 0) {
			snprintf(err, errlen, "pthread_create: %s",
				 strerror(rc));
			goto fail;
		}
		pool->nthreads++;
	}
	return pool;
fail:
	objstore_pool_free(pool);
	return NULL;
}

int objstore_pool_submit(struct objstore_pool *pool, void (*work)(void *arg),
			 void (*done)(void *arg), void *arg)
{
	struct objstore_pool_job *job = malloc(sizeof *job);
	if (!job)
		return SL_ENOMEM;
	job->work = work;
	job->done = done;
	job->arg = arg;
	pthread_mutex_lock(&pool->lock);
	objstore_pool_push(&pool->todo, job);
	pthread_cond_signal(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	return 0;
}

void objstore_pool_free(struct objstore_pool *pool)
{
	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = 1;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	for (int i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	struct objstore_pool_job *job;
	while ((job = objstore_pool_pop(&pool->todo)))
		free(job);
	while ((job = objstore_pool_pop(&pool->done)))
		free(job);
	if (pool->ev)
		event_free(pool->ev);
	if (pool->efd >= 0)
		close(pool->efd);
	pthread_cond_destroy(&pool->wake);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}
