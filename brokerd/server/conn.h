/*
 * A client connection: framing (4-byte size prefix checked against
 * socket.request.max.bytes before anything is allocated), the queue that
 * keeps responses in request order, and flow control (reading pauses while
 * too many requests are queued or the output buffer is above its high
 * watermark).  Event-loop thread only.
 */
#ifndef SLUICE_CONN_H
#define SLUICE_CONN_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct request;
struct conn;

/* Takes ownership of an accepted socket.  Returns 0 or -1 (socket closed). */
int conn_accept(struct event_base *base, int fd, const char *peer);

/* Sends every completed response at the head of the queue. */
void conn_flush_responses(struct conn *c);

/* Closes every open connection (shutdown). */
void conn_close_all(void);

/* Number of open connections. */
int conn_count(void);

/* Graceful stop: no connection reads another request; the ones already
 * read are still answered. */
void conn_stop_reading_all(void);

/* Bytes of responses queued on all connections and not yet written to
 * their sockets (a graceful stop waits for 0 before closing them). */
size_t conn_output_pending(void);

#endif
