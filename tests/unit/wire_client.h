/*
 * Clients of brokerd's real connections, for the tests that meet brokerd
 * the way a client does (test_groups.c, test_txn.c): each client is one
 * end of a socketpair whose other end is a brokerd connection
 * (conn_accept), requests are whole frames built from byte vectors
 * (tests/unit/byte_vec.h), and waiting for an answer runs brokerd's event
 * loop (broker.base), so deferred answers, timers and I/O threads take
 * part.  The test's fixture starts the modules and the loop.
 */
#ifndef SLUICE_TEST_WIRE_CLIENT_H
#define SLUICE_TEST_WIRE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "tests/unit/byte_vec.h"

/* How long client_recv waits for an answer before it fails the test. */
extern int client_answer_wait_ms;

/* The monotonic clock in milliseconds. */
int64_t now_ms(void);
/* Runs the event loop for ms milliseconds. */
void loop_for(int ms);

struct client {
	int fd;                 /* -1 once the test closed it */
	int32_t corr;           /* CorrelationId of the last request */
	int flexible_header;    /* of the response to the last request */
	struct vec in;          /* bytes read, not yet a whole answer */
};

/* A client on a new brokerd connection. */
struct client *client_new(void);
void client_free(struct client *c);

/* Sends body as request key/ver with the header the API's version calls
 * for (body as bytes, or as vector text). */
void client_send_vec(struct client *c, int16_t key, int16_t ver,
		     const struct vec *body);
void client_send(struct client *c, int16_t key, int16_t ver, const char *body);

/* Waits up to ms for the answer to the last request; returns 1 with its
 * body in *body (after the response header), 0 if none came. */
int client_poll(struct client *c, struct vec *body, int ms);
/* The answer to the last request, which must come within
 * client_answer_wait_ms. */
void client_recv(struct client *c, struct vec *body);
/* The answer must equal want (vector text, built now). */
void client_expect(struct client *c, const char *what, const char *want_text);
/* No answer may come within ms. */
void client_expect_none(struct client *c, int ms);
/* A request and its expected answer (vector text, built before the
 * request is sent). */
void client_call(struct client *c, int16_t key, int16_t ver, const char *body,
		 const char *want_text);

/* One row of a table of calls: a request and the answer it must get. */
struct wire_call {
	int16_t key;
	int16_t ver;
	const char *body;       /* vector text */
	const char *want;       /* vector text */
};

/* Makes the calls in order, as client_call does; a failure names the row. */
void client_call_rows(struct client *c, const struct wire_call *rows, size_t n);
#define CLIENT_CALL_TABLE(c, rows) \
	client_call_rows((c), (rows), sizeof(rows) / sizeof((rows)[0]))

#endif
