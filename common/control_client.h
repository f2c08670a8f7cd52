/*
 * Client side of brokerd's control socket (JSON lines), for uploaderd,
 * compactd and sluicectl: requests are answered in order; event lines
 * ({"event": ...}) go to the event callback.  The client reconnects by
 * itself after brokerd restarts; pending requests then get a NULL reply.
 * Event-loop thread only.
 */
#ifndef SLUICE_CONTROL_CLIENT_H
#define SLUICE_CONTROL_CLIENT_H

#include <jansson.h>

struct event_base;
struct control_client;

/* reply is NULL when the connection was lost before the answer. */
typedef void (*control_reply_fn)(void *arg, json_t *reply);

struct control_client_callbacks {
	void (*connected)(void *arg, int up); /* 1 after connecting, 0 after losing it */
	void (*event)(void *arg, json_t *event);
	void *arg;
};

/* Starts connecting to path (retrying every retry_ms while it fails). */
struct control_client *control_client_new(struct event_base *base, const char *path,
					  int retry_ms,
					  const struct control_client_callbacks *cb);
void control_client_free(struct control_client *cc);

/* Sends req (the reference is taken) and calls fn with the reply.
 * Returns 0, or -1 when not connected (fn is not called). */
int control_client_request(struct control_client *cc, json_t *req,
			   control_reply_fn fn, void *arg);

int control_client_connected(const struct control_client *cc);

#endif
