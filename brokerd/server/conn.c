/*
 * Client connections (see conn.h).  Each connection owns a bufferevent for
 * its output, its own read event, and a FIFO of requests; a response may
 * complete out of order (a fetch waiting while a later metadata request
 * finishes) but is written only when every earlier one has been.  A
 * malformed frame closes only that connection; requests it left deferred
 * (a produce waiting for the WAL) are orphaned and freed when they
 * complete.
 *
 * Input is read by this file rather than by the bufferevent so that a
 * large frame (a produce request of up to a MiB or more) is read from the
 * socket straight into the buffer its request keeps: the batches in it are
 * validated and patched in place there, so the only copies of produced
 * bytes are the kernel's and the WAL block's.  Small frames are read in
 * bulk into a per-connection buffer and copied out.
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
/* The buffer small frames are read into; a frame that does not fit in it
 * is read into its own buffer. */
#define CONN_RBUF_BYTES (64u << 10)

struct conn {
	LIST_ENTRY(conn) link;
	struct bufferevent *bev;     /* output, and write errors */
	struct event *rev;           /* the socket is readable */
	int fd;
	TAILQ_HEAD(, request) queue;
	int queued;
	int read_paused;
	uint8_t *rbuf;               /* CONN_RBUF_BYTES; unparsed bytes are */
	size_t rpos, rend;           /* rbuf[rpos, rend) */
	uint8_t *frame;              /* a large frame being read, or NULL */
	uint32_t frame_size, frame_have;
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
	event_free(c->rev);
	bufferevent_free(c->bev);
	free(c->rbuf);
	free(c->frame);
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
		event_del(c->rev);
		c->read_paused = 1;
	} else if (!over && c->read_paused && out <= CONN_OUTPUT_LOW) {
		c->read_paused = 0;
		event_add(c->rev, NULL);
		/* frames may already be buffered: run them from the loop, not
		 * from inside whatever completed this request */
		event_active(c->rev, EV_READ, 0);
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

/* Runs one complete frame (size bytes, malloc'ed; the request takes it);
 * returns 0 to go on, -1 when the connection was closed. */
static int conn_run_frame(struct conn *c, uint8_t *frame, uint32_t size)
{
	struct request *req = calloc(1, sizeof *req);
	struct evbuffer *body = evbuffer_new();
	if (!req || !body) {
		log_error("conn %s: out of memory for a %u-byte request", c->peer, size);
		free(req);
		free(frame);
		if (body)
			evbuffer_free(body);
		conn_close(c);
		return -1;
	}
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

/* Starts the frame whose 4-byte size prefix is at rbuf[rpos]: a frame
 * wholly in rbuf is copied out and run; a larger one gets its own buffer,
 * takes what rbuf holds of it and is finished by conn_read_socket.
 * Returns 1 to go on parsing, 0 to wait for more bytes, -1 when the
 * connection was closed. */
static int conn_start_frame(struct conn *c)
{
	size_t avail = c->rend - c->rpos;
	int32_t size = (int32_t)be32_get(c->rbuf + c->rpos);
	if (size < 8 || size > broker.cfg->socket_request_max_bytes) {
		COUNTER_ADD(requests_bad, 1);
		log_warn("conn %s: frame size %d outside [8, %lld]: closing",
			 c->peer, size,
			 (long long)broker.cfg->socket_request_max_bytes);
		conn_close(c);
		return -1;
	}
	if (avail < (size_t)size + 4 && (size_t)size + 4 <= CONN_RBUF_BYTES)
		return 0; /* fits rbuf: wait for the rest there */
	uint8_t *frame = malloc((size_t)size);
	if (!frame) {
		log_error("conn %s: out of memory for a %d-byte request", c->peer, size);
		conn_close(c);
		return -1;
	}
	size_t have = avail - 4 < (size_t)size ? avail - 4 : (size_t)size;
	memcpy(frame, c->rbuf + c->rpos + 4, have);
	c->rpos += 4 + have;
	if (have == (size_t)size)
		return conn_run_frame(c, frame, (uint32_t)size) < 0 ? -1 : 1;
	c->frame = frame;
	c->frame_size = (uint32_t)size;
	c->frame_have = (uint32_t)have;
	return 0;
}

/* Runs every complete frame buffered, unless paused, then lets the WAL
 * write what they appended. */
static void conn_read_frames(struct conn *c)
{
	if (c->frame && c->frame_have == c->frame_size) {
		uint8_t *frame = c->frame;
		c->frame = NULL;
		if (conn_run_frame(c, frame, c->frame_size) < 0)
			return;
	}
	while (!c->frame && !c->read_paused && !broker.stopping &&
	       c->rend - c->rpos >= 4) {
		int rc = conn_start_frame(c);
		if (rc < 0)
			return;
		if (rc == 0)
			break;
	}
	/* group commit: everything appended from this burst goes to disk */
	if (broker.wal)
		wal_flush(broker.wal);
}

/* Reads what the socket has: into the large frame being filled, else into
 * rbuf.  Returns 0, or -1 on end of stream or an error (the caller
 * closes). */
static int conn_read_socket(struct conn *c)
{
	uint8_t *dst;
	size_t room;
	if (c->frame) {
		dst = c->frame + c->frame_have;
		room = c->frame_size - c->frame_have;
	} else {
		size_t left = c->rend - c->rpos;
		if (left == 0) {
			c->rpos = c->rend = 0;
		} else if (c->rpos &&
			   (left < 4 || CONN_RBUF_BYTES - c->rpos <
						4 + (size_t)be32_get(c->rbuf + c->rpos))) {
			/* a partial frame that fits rbuf moves to its start */
			memmove(c->rbuf, c->rbuf + c->rpos, left);
			c->rend -= c->rpos;
			c->rpos = 0;
		}
		dst = c->rbuf + c->rend;
		room = CONN_RBUF_BYTES - c->rend;
	}
	if (room > CONN_MAX_SINGLE_IO)
		room = CONN_MAX_SINGLE_IO;
	if (room == 0)
		return 0; /* a full rbuf is parsed before reading again */
	ssize_t n = read(c->fd, dst, room);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		log_debug("conn %s: %s", c->peer, strerror(errno));
		return -1;
	}
	if (n == 0)
		return -1;
	if (c->frame)
		c->frame_have += (uint32_t)n;
	else
		c->rend += (size_t)n;
	return 0;
}

/* libevent: the socket is readable (or reading resumed after a pause). */
static void conn_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)fd;
	(void)what;
	if (c->read_paused || broker.stopping)
		return;
	if (conn_read_socket(c) < 0) {
		conn_close(c);
		return;
	}
	conn_read_frames(c);
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
	c->fd = fd;
	c->rbuf = malloc(CONN_RBUF_BYTES);
	c->rev = event_new(base, fd, EV_READ | EV_PERSIST, conn_on_read, c);
	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->rbuf || !c->rev || !c->bev || event_add(c->rev, NULL)) {
		if (c->bev)
			bufferevent_free(c->bev); /* closes fd */
		else
			close(fd);
		if (c->rev)
			event_free(c->rev);
		free(c->rbuf);
		free(c);
		return -1;
	}
	TAILQ_INIT(&c->queue);
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	bufferevent_setcb(c->bev, NULL, conn_on_write, conn_on_event, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, CONN_OUTPUT_LOW, 0);
	/* libevent writes 16 KiB per call by default: a 1 MiB fetch
	 * response would cost 64 loop iterations */
	bufferevent_set_max_single_write(c->bev, CONN_MAX_SINGLE_IO);
	bufferevent_enable(c->bev, EV_WRITE);
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
		event_del(c->rev);
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
