/*
 * brokerd's control socket: a Unix stream socket speaking JSON lines.
 * uploaderd, compactd and sluicectl send one request object per line
 * ({"op": ...}) and get one reply object per line, in order; a client that
 * subscribed also receives event lines ({"event": ...}) between replies.
 * Event-loop thread only.
 */
#ifndef SLUICE_CONTROL_H
#define SLUICE_CONTROL_H

#include <jansson.h>

struct event_base;
struct control_conn;

struct control_reply_slot;

/* A request handler: returns the reply (a new reference), or NULL after
 * control_defer() when the answer comes later. */
typedef json_t *(*control_op_fn)(struct control_conn *cc, json_t *req);

/* Binds the socket path (replacing a stale socket file).  Returns 0 or -1. */
int control_start(struct event_base *base, const char *path);
void control_stop(void);

/* Sends an event line to every client subscribed to topic. */
void control_broadcast(const char *topic, json_t *event);

/* Number of clients subscribed to topic (an uploaderd is attached when
 * "regions" has one). */
int control_subscribers(const char *topic);

/* Subscribes a client to events of topic (e.g. "regions"). */
void control_subscribe(struct control_conn *cc, const char *topic);

/* Reserves the place of the current request's reply, for a handler that
 * answers later with control_complete (replies stay in request order). */
struct control_reply_slot *control_defer(struct control_conn *cc);

/* Sends a deferred reply (the reference is taken); drops it when the
 * client has gone. */
void control_complete(struct control_reply_slot *slot, json_t *reply);

/* Builds {"ok": false, "error": why}. */
json_t *control_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
