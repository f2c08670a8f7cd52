/*
 * The control socket (see control.h): framing, dispatch by "op" through
 * the table in control_ops.c, and event broadcast.  A line longer than
 * CONTROL_LINE_MAX or that is not a JSON object closes that client only.
 */
#include "control.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "brokerd/control/control_ops.h"
#include "common/log.h"

#define CONTROL_LINE_MAX (64u << 20)
#define CONTROL_TOPICS_MAX 4

struct control_reply_slot {
	TAILQ_ENTRY(control_reply_slot) link;
	struct control_conn *cc; /* NULL once the client has gone */
	json_t *reply;           /* NULL until complete */
};

struct control_conn {
	LIST_ENTRY(control_conn) link;
	struct bufferevent *bev;
	char topics[CONTROL_TOPICS_MAX][16];
	TAILQ_HEAD(, control_reply_slot) replies; /* in request order */
};

static LIST_HEAD(, control_conn) control_conns = LIST_HEAD_INITIALIZER(control_conns);
static struct evconnlistener *control_listener;
static char *control_path;

json_t *control_error(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", buf);
}

/* Closes one client; deferred replies still pending are orphaned. */
static void control_conn_close(struct control_conn *cc)
{
	struct control_reply_slot *slot;
	while ((slot = TAILQ_FIRST(&cc->replies))) {
		TAILQ_REMOVE(&cc->replies, slot, link);
		if (slot->reply) {
			json_decref(slot->reply);
			free(slot);
		} else {
			slot->cc = NULL; /* freed by control_complete */
		}
	}
	LIST_REMOVE(cc, link);
	bufferevent_free(cc->bev);
	free(cc);
}

/* Writes one JSON object as a line. */
static void control_send(struct control_conn *cc, json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT);
	if (!text)
		return;
	struct evbuffer *out = bufferevent_get_output(cc->bev);
	evbuffer_add(out, text, strlen(text));
	evbuffer_add(out, "\n", 1);
	free(text);
}

/* Sends the completed replies at the head of the queue. */
static void control_flush_replies(struct control_conn *cc)
{
	struct control_reply_slot *slot;
	while ((slot = TAILQ_FIRST(&cc->replies)) && slot->reply) {
		TAILQ_REMOVE(&cc->replies, slot, link);
		control_send(cc, slot->reply);
		json_decref(slot->reply);
		free(slot);
	}
}

struct control_reply_slot *control_defer(struct control_conn *cc)
{
	struct control_reply_slot *slot = calloc(1, sizeof *slot);
	if (!slot)
		log_panic("control: out of memory");
	slot->cc = cc;
	TAILQ_INSERT_TAIL(&cc->replies, slot, link);
	return slot;
}

void control_complete(struct control_reply_slot *slot, json_t *reply)
{
	if (!slot->cc) {
		json_decref(reply);
		free(slot);
		return;
	}
	slot->reply = reply ? reply : json_pack("{s:b}", "ok", 0);
	control_flush_replies(slot->cc);
}

void control_subscribe(struct control_conn *cc, const char *topic)
{
	for (int i = 0; i < CONTROL_TOPICS_MAX; i++)
		if (!cc->topics[i][0] || !strcmp(cc->topics[i], topic)) {
			snprintf(cc->topics[i], sizeof cc->topics[i], "%s", topic);
			return;
		}
}

void control_broadcast(const char *topic, json_t *event)
{
	struct control_conn *cc;
	LIST_FOREACH(cc, &control_conns, link)
		for (int i = 0; i < CONTROL_TOPICS_MAX; i++)
			if (!strcmp(cc->topics[i], topic)) {
				control_send(cc, event);
				break;
			}
}

int control_subscribers(const char *topic)
{
	struct control_conn *cc;
	int n = 0;
	LIST_FOREACH(cc, &control_conns, link)
		for (int i = 0; i < CONTROL_TOPICS_MAX; i++)
			if (!strcmp(cc->topics[i], topic)) {
				n++;
				break;
			}
	return n;
}

/* Runs one request line; returns -1 when the client must be closed. */
static int control_run_line(struct control_conn *cc, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req = json_loadb(line, len, 0, &jerr);
	json_t *reply;
	if (!req || !json_is_object(req)) {
		log_warn("control: bad request line: %s", req ? "not an object" : jerr.text);
		json_decref(req);
		return -1;
	}
	const char *op = json_string_value(json_object_get(req, "op"));
	control_op_fn fn = op ? control_ops_find(op) : NULL;
	reply = fn ? fn(cc, req) : control_error("unknown op '%s'", op ? op : "");
	if (reply) { /* else the handler deferred it */
		control_complete(control_defer(cc), reply);
	}
	json_decref(req);
	return 0;
}

/* libevent: input from a client. */
static void control_on_read(struct bufferevent *bev, void *arg)
{
	struct control_conn *cc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	for (;;) {
		size_t len;
		char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
		if (!line) {
			if (evbuffer_get_length(in) > CONTROL_LINE_MAX) {
				log_warn("control: request line over %u bytes", CONTROL_LINE_MAX);
				control_conn_close(cc);
			}
			return;
		}
		int rc = control_run_line(cc, line, len);
		free(line);
		if (rc < 0) {
			control_conn_close(cc);
			return;
		}
	}
}

/* libevent: EOF or error. */
static void control_on_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		control_conn_close(arg);
}

/* libevent: a client connected. */
static void control_on_accept(struct evconnlistener *l, evutil_socket_t fd,
			      struct sockaddr *sa, int socklen, void *arg)
{
	struct control_conn *cc = calloc(1, sizeof *cc);
	if (!cc) {
		close(fd);
		return;
	}
	cc->bev = bufferevent_socket_new(evconnlistener_get_base(l), fd,
					 BEV_OPT_CLOSE_ON_FREE);
	if (!cc->bev) {
		close(fd);
		free(cc);
		return;
	}
	TAILQ_INIT(&cc->replies);
	bufferevent_setcb(cc->bev, control_on_read, NULL, control_on_event, cc);
	bufferevent_enable(cc->bev, EV_READ | EV_WRITE);
	LIST_INSERT_HEAD(&control_conns, cc, link);
}

int control_start(struct event_base *base, const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sun.sun_path) {
		log_error("control.socket %s: path too long", path);
		return -1;
	}
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	/* brokerd holds the pidfile lock, so a socket file here is stale */
	if (unlink(path) < 0 && errno != ENOENT) {
		log_error("control.socket %s: %s", path, strerror(errno));
		return -1;
	}
	control_listener = evconnlistener_new_bind(
		base, control_on_accept, NULL,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
		(struct sockaddr *)&sun, sizeof sun);
	if (!control_listener) {
		log_error("control.socket %s: bind: %s", path, strerror(errno));
		return -1;
	}
	chmod(path, 0660);
	control_path = strdup(path);
	log_info("control socket %s", path);
	return 0;
}

void control_stop(void)
{
	while (!LIST_EMPTY(&control_conns))
		control_conn_close(LIST_FIRST(&control_conns));
	if (control_listener)
		evconnlistener_free(control_listener);
	control_listener = NULL;
	if (control_path)
		unlink(control_path);
	free(control_path);
	control_path = NULL;
}
