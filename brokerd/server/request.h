/*
 * One Kafka request in flight on a connection, and the handler contract.
 *
 * A handler reads the request body from req->r (fields in spec order, then
 * checks kreader_failed) and writes the response body to req->w.  It
 * returns REQ_DONE when the body is complete, REQ_DEFERRED when it will
 * finish later (produce waiting for the WAL, fetch long polling) and call
 * request_complete(), REQ_NO_RESPONSE (acks=0 produce), or REQ_MALFORMED to
 * close the connection.  Responses leave a connection in request order.
 */
#ifndef SLUICE_REQUEST_H
#define SLUICE_REQUEST_H

#include <stdint.h>
#include <sys/queue.h>

#include "brokerd/protocol/kreader.h"
#include "brokerd/protocol/kwriter.h"

struct conn;
struct evbuffer;

enum request_state { REQ_DONE, REQ_DEFERRED, REQ_NO_RESPONSE, REQ_MALFORMED };

struct request {
	TAILQ_ENTRY(request) link;  /* in the connection's order queue */
	struct conn *conn;          /* NULL once the connection has gone */
	int16_t api_key;
	int16_t api_version;
	int32_t correlation_id;
	struct kslice client_id;
	uint8_t *frame;             /* the request bytes (owned) */
	struct kreader r;           /* positioned at the body */
	struct kwriter w;           /* writes the response body */
	struct evbuffer *body;      /* response body (w.buf) */
	int flexible_response_header;
	int done;                   /* body complete, may be sent */
	int no_response;
	int64_t start_us;           /* when its frame was read (latency) */
	void *ctx;                  /* handler state while deferred */
	void (*ctx_free)(void *ctx);
};

/* Finishes a deferred request: queues its response (or drops it when the
 * connection has gone) and frees what must be freed.  Call exactly once. */
void request_complete(struct request *req);

/* Whether the connection that sent req is still open. */
int request_conn_alive(const struct request *req);

/* The client's address, "host:port" ("?" once the connection has gone). */
const char *request_peer(const struct request *req);

/* Handlers, one file each under brokerd/handlers/. */
#define API_HANDLER_DECL(key, name, min, max, flex, fn) int fn(struct request *req);
#include "brokerd/protocol/api_table.h"
KAFKA_APIS(API_HANDLER_DECL)
#undef API_HANDLER_DECL

#endif
