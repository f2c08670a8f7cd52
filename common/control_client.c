/*
 * Control socket client (see control_client.h).
 */
#include "control_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common/log.h"

struct pending_reply {
	struct pending_reply *next;
	control_reply_fn fn;
	void *arg;
};

struct control_client {
	struct event_base *base;
	char *path;
	int retry_ms;
	struct control_client_callbacks cb;
	struct bufferevent *bev;
	int up;
	struct event *retry;
	struct pending_reply *head, **tail;
};

static void control_client_connect(struct control_client *cc);

/* Fails every pending request and schedules a reconnect. */
static void control_client_lost(struct control_client *cc)
{
	if (cc->bev)
		bufferevent_free(cc->bev);
	cc->bev = NULL;
	int was_up = cc->up;
	cc->up = 0;
	struct pending_reply *p = cc->head;
	cc->head = NULL;
	cc->tail = &cc->head;
	while (p) {
		struct pending_reply *next = p->next;
		p->fn(p->arg, NULL);
		free(p);
		p = next;
	}
	if (was_up && cc->cb.connected)
		cc->cb.connected(cc->cb.arg, 0);
	struct timeval tv = {cc->retry_ms / 1000, (cc->retry_ms % 1000) * 1000};
	evtimer_add(cc->retry, &tv);
}

/* libevent: reply or event lines. */
static void control_client_on_read(struct bufferevent *bev, void *arg)
{
	struct control_client *cc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t len;
	while (cc->bev && (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF))) {
		json_error_t jerr;
		json_t *msg = json_loadb(line, len, 0, &jerr);
		free(line);
		if (!json_is_object(msg)) {
			log_warn("control: bad line from brokerd: %s", jerr.text);
			json_decref(msg);
			control_client_lost(cc);
			return;
		}
		if (json_object_get(msg, "event")) {
			if (cc->cb.event)
				cc->cb.event(cc->cb.arg, msg);
		} else if (cc->head) {
			struct pending_reply *p = cc->head;
			cc->head = p->next;
			if (!cc->head)
				cc->tail = &cc->head;
			p->fn(p->arg, msg);
			free(p);
		}
		json_decref(msg);
	}
}

/* libevent: connected, EOF or error. */
static void control_client_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct control_client *cc = arg;
	if (what & BEV_EVENT_CONNECTED) {
		cc->up = 1;
		if (cc->cb.connected)
			cc->cb.connected(cc->cb.arg, 1);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		control_client_lost(cc);
}

/* Starts a connection attempt. */
static void control_client_connect(struct control_client *cc)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", cc->path);
	cc->bev = bufferevent_socket_new(cc->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!cc->bev) {
		control_client_lost(cc);
		return;
	}
	bufferevent_setcb(cc->bev, control_client_on_read, NULL,
			  control_client_on_event, cc);
	bufferevent_enable(cc->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(cc->bev, (struct sockaddr *)&sun, sizeof sun) < 0)
		control_client_lost(cc);
}

/* libevent: time to retry. */
static void control_client_on_retry(evutil_socket_t fd, short what, void *arg)
{
	control_client_connect(arg);
}

struct control_client *control_client_new(struct event_base *base, const char *path,
					  int retry_ms,
					  const struct control_client_callbacks *cb)
{
	struct control_client *cc = calloc(1, sizeof *cc);
	if (!cc || !(cc->path = strdup(path))) {
		free(cc);
		return NULL;
	}
	cc->base = base;
	cc->retry_ms = retry_ms > 0 ? retry_ms : 500;
	cc->cb = *cb;
	cc->tail = &cc->head;
	cc->retry = evtimer_new(base, control_client_on_retry, cc);
	struct timeval now = {0, 0};
	evtimer_add(cc->retry, &now);
	return cc;
}

void control_client_free(struct control_client *cc)
{
	if (!cc)
		return;
	cc->cb.connected = NULL;
	cc->up = 0;
	if (cc->bev)
		bufferevent_free(cc->bev);
	cc->bev = NULL;
	struct pending_reply *p = cc->head;
	while (p) {
		struct pending_reply *next = p->next;
		p->fn(p->arg, NULL);
		free(p);
		p = next;
	}
	event_free(cc->retry);
	free(cc->path);
	free(cc);
}

int control_client_request(struct control_client *cc, json_t *req,
			   control_reply_fn fn, void *arg)
{
	char *text = cc->up ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	struct pending_reply *p = text ? malloc(sizeof *p) : NULL;
	if (!p) {
		free(text);
		return -1;
	}
	struct evbuffer *out = bufferevent_get_output(cc->bev);
	evbuffer_add(out, text, strlen(text));
	evbuffer_add(out, "\n", 1);
	free(text);
	p->next = NULL;
	p->fn = fn;
	p->arg = arg;
	*cc->tail = p;
	cc->tail = &p->next;
	return 0;
}

int control_client_connected(const struct control_client *cc)
{
	return cc->up;
}
