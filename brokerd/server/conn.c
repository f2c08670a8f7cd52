/*
 * Client connections (see conn.h).  Each connection owns a bufferevent and a
 * FIFO of requests; a response may complete out of order (a fetch waiting
 * while a later metadata request finishes) but is written only when every
 * earlier one has been.  A malformed frame closes only that connection;
 * requests it left deferred (a produce waiting for the WAL) are orphaned and
 * freed when they complete.
 */
#include "conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "brokerd/broker.h"
#include "brokerd/metrics/histogram.h"
#include "brokerd/server/dispatch.h"
#include "brokerd/server/request.h"
#include "brokerd/wal/wal.h"
#include "common/bytes.h"
#include "common/counters.h"
#include "common/log.h"

/* Output above this pauses reading; below the low mark reading resumes. */
#define CONN_OUTPUT_HIGH (64u << 20)
#define CONN_OUTPUT_LOW (16u << 20)
/* Bytes moved per read or write call on a socket. */
#define CONN_MAX_SINGLE_IO (1u << 20)

struct conn {
	LIST_ENTRY(conn) link;
	struct bufferevent *bev;
	TAILQ_HEAD(, request) queue;
	int queued;
	int read_paused;
	char peer[64];
};

static LIST_HEAD(, conn) conn_list = LIST_HEAD_INITIALIZER(conn_list);
static int conn_open;

static void conn_read_frames(struct conn *c);

/* Frees a request whose response is sent or dropped. */
static void request_free(struct request *req)
{
	if (req->ctx && req->ctx_free)
		req->ctx_free(req->ctx);
	if (req->body)
		evbuffer_free(req->body);
	free(req->frame);
	free(req);
}

/* Closes a connection now; deferred requests are left to complete alone. */
static void conn_close(struct conn *c)
{
	struct request *req, *next;
	for (req = TAILQ_FIRST(&c->queue); req; req = next) {
		next = TAILQ_NEXT(req, link);
		TAILQ_REMOVE(&c->queue, req, link);
		if (req->done)
			request_free(req);
		else
			req->conn = NULL; /* freed by request_complete */
	}
	LIST_REMOVE(c, link);
	bufferevent_free(c->bev);
	conn_open--;
	COUNTER_SET(connections_open, conn_open);
	free(c);
}

int request_conn_alive(const struct request *req)
{
	return req->conn != NULL;
}

const char *request_peer(const struct request *req)
{
	return req->conn ? req->conn->peer : "?";
}

/* Pauses or resumes reading according to the queue and output sizes. */
static void conn_update_flow(struct conn *c)
{
	if (broker.stopping)
		return; /* conn_stop_reading_all paused reading for good */
	size_t out = evbuffer_get_length(bufferevent_get_output(c->bev));
	int over = c->queued >= broker.cfg->queued_max_requests ||
		   out > CONN_OUTPUT_HIGH;
	if (over && !c->read_paused) {
		bufferevent_disable(c->bev, EV_READ);
		c->read_paused = 1;
	} else if (!over && c->read_paused && out <= CONN_OUTPUT_LOW) {
		c->read_paused = 0;
		bufferevent_enable(c->bev, EV_READ);
		/* frames may already be buffered: run them from the loop, not
		 * from inside whatever completed this request */
		bufferevent_trigger(c->bev, EV_READ,
				    BEV_TRIG_IGNORE_WATERMARKS |
					    BEV_TRIG_DEFER_CALLBACKS);
	}
}

void conn_flush_responses(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct request *req;
	while ((req = TAILQ_FIRST(&c->queue)) && req->done) {
		TAILQ_REMOVE(&c->queue, req, link);
		c->queued--;
		if (!req->no_response) {
			histogram_observe_request(req->api_key, req->start_us);
			size_t body = evbuffer_get_length(req->body);
			uint8_t hdr[9];
			size_t hlen = 8;
			be32_put(hdr + 4, (uint32_t)req->correlation_id);
			if (req->flexible_response_header)
				hdr[hlen++] = 0; /* empty tagged fields */
			be32_put(hdr, (uint32_t)(hlen - 4 + body));
			evbuffer_add(out, hdr, hlen);
			evbuffer_add_buffer(out, req->body);
		}
		request_free(req);
	}
	conn_update_flow(c);
}

void request_complete(struct request *req)
{
	SL_ASSERT(!req->done);
	req->done = 1;
	if (!req->conn) {
		request_free(req);
		return;
	}
	conn_flush_responses(req->conn);
}

/* Takes one complete frame off the input and runs it; returns 0 to go on,
 * -1 when the connection was closed. */
static int conn_run_frame(struct conn *c, struct evbuffer *in, uint32_t size)
{
	struct request *req = calloc(1, sizeof *req);
	uint8_t *frame = malloc(size ? size : 1);
	struct evbuffer *body = evbuffer_new();
	if (!req || !frame || !body) {
		log_error("conn %s: out of memory for a %u-byte request", c->peer, size);
		free(req);
		free(frame);
		if (body)
			evbuffer_free(body);
		conn_close(c);
		return -1;
	}
	evbuffer_drain(in, 4);
	evbuffer_remove(in, frame, size);
	req->conn = c;
	req->start_us = histogram_now_us();
	req->frame = frame;
	req->body = body;
	req->w.buf = body;
	TAILQ_INSERT_TAIL(&c->queue, req, link);
	c->queued++;
	COUNTER_ADD(requests, 1);

	int state = dispatch_request(req, frame, size);
	switch (state) {
	case REQ_DONE:
		req->done = 1;
		break;
	case REQ_NO_RESPONSE:
		req->done = 1;
		req->no_response = 1;
		break;
	case REQ_DEFERRED:
		return 0;
	default:
		COUNTER_ADD(requests_bad, 1);
		log_warn("conn %s: malformed request (api %d v%d, correlation %d): closing",
			 c->peer, req->api_key, req->api_version, req->correlation_id);
		req->done = 1; /* nothing will complete it: conn_close frees it */
		conn_close(c);
		return -1;
	}
	conn_flush_responses(c);
	return 0;
}

/* Runs every complete frame in the input buffer, unless paused. */
static void conn_read_frames(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	while (!c->read_paused && !broker.stopping) {
		uint8_t sz[4];
		if (evbuffer_copyout(in, sz, 4) < 4)
			break;
		int32_t size = (int32_t)be32_get(sz);
		if (size < 8 || size > broker.cfg->socket_request_max_bytes) {
			COUNTER_ADD(requests_bad, 1);
			log_warn("conn %s: frame size %d outside [8, %lld]: closing",
				 c->peer, size,
				 (long long)broker.cfg->socket_request_max_bytes);
			conn_close(c);
			return;
		}
		if (evbuffer_get_length(in) < (size_t)size + 4) {
			/* wake up only when the whole frame is in */
			bufferevent_setwatermark(c->bev, EV_READ, (size_t)size + 4, 0);
			break;
		}
		bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
		if (conn_run_frame(c, in, (uint32_t)size) < 0)
			return;
	}
	/* group commit: everything appended from this burst goes to disk */
	if (broker.wal)
		wal_flush(broker.wal);
}

/* libevent: input arrived. */
static void conn_on_read(struct bufferevent *bev, void *arg)
{
	conn_read_frames(arg);
}

/* libevent: output drained below the write low watermark. */
static void conn_on_write(struct bufferevent *bev, void *arg)
{
	conn_update_flow(arg);
}

/* libevent: EOF or error. */
static void conn_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	if (what & BEV_EVENT_ERROR)
		log_debug("conn %s: %s", c->peer, strerror(EVUTIL_SOCKET_ERROR()));
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_close(c);
}

int conn_accept(struct event_base *base, int fd, const char *peer)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct conn *c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		return -1;
	}
	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		close(fd);
		free(c);
		return -1;
	}
	TAILQ_INIT(&c->queue);
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	bufferevent_setcb(c->bev, conn_on_read, conn_on_write, conn_on_event, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, CONN_OUTPUT_LOW, 0);
	/* libevent reads 16 KiB per callback by default: a 1 MiB produce
	 * request would cost 64 loop iterations (epoll, ioctl, readv each) */
	bufferevent_set_max_single_read(c->bev, CONN_MAX_SINGLE_IO);
	bufferevent_set_max_single_write(c->bev, CONN_MAX_SINGLE_IO);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	LIST_INSERT_HEAD(&conn_list, c, link);
	conn_open++;
	COUNTER_ADD(connections_accepted, 1);
	COUNTER_SET(connections_open, conn_open);
	return 0;
}

void conn_close_all(void)
{
	while (!LIST_EMPTY(&conn_list))
		conn_close(LIST_FIRST(&conn_list));
}

int conn_count(void)
{
	return conn_open;
}

void conn_stop_reading_all(void)
{
	struct conn *c;
	LIST_FOREACH(c, &conn_list, link) {
		bufferevent_disable(c->bev, EV_READ);
		c->read_paused = 1;
	}
}

size_t conn_output_pending(void)
{
	struct conn *c;
	size_t n = 0;
	LIST_FOREACH(c, &conn_list, link)
		n += evbuffer_get_length(bufferevent_get_output(c->bev));
	return n;
}
