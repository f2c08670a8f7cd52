/*
 * Kafka listeners (see listener.h), with evconnlistener.
 */
#include "listener.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/listener.h>

#include "brokerd/broker.h"
#include "brokerd/server/conn.h"
#include "common/log.h"

#define LISTENER_MAX 8

struct listener {
	struct evconnlistener *ev[LISTENER_MAX];
	int count;
};

static char advertised_host[256] = "127.0.0.1";
static int advertised_port = 9092;

int listener_parse(const char *spec, char *host, size_t size, int *port)
{
	const char *p = spec;
	while (*p == ' ')
		p++;
	if (strncmp(p, "PLAINTEXT://", 12) != 0)
		return -1;
	p += 12;
	const char *end = p + strcspn(p, ",");
	const char *colon = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == ':')
			colon = q;
	if (!colon)
		return -1;
	const char *h = p, *he = colon;
	if (*h == '[' && he > h && he[-1] == ']') { /* [v6addr]:port */
		h++;
		he--;
	}
	if ((size_t)(he - h) >= size)
		return -1;
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';
	char *num_end;
	long v = strtol(colon + 1, &num_end, 10);
	if (num_end != end || v < 0 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

void listener_advertised(const char **host, int32_t *port)
{
	*host = advertised_host;
	*port = advertised_port;
}

/* libevent: a client connected. */
static void listener_on_accept(struct evconnlistener *ev, evutil_socket_t fd,
			       struct sockaddr *sa, int socklen, void *arg)
{
	char peer[64] = "?";
	char addr[INET6_ADDRSTRLEN];
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, addr, sizeof addr);
		snprintf(peer, sizeof peer, "%s:%d", addr, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof addr);
		snprintf(peer, sizeof peer, "[%s]:%d", addr, ntohs(in6->sin6_port));
	}
	conn_accept(evconnlistener_get_base(ev), fd, peer);
}

/* Binds one host:port. */
static struct evconnlistener *listener_bind(struct event_base *base,
					    const char *host, int port)
{
	struct addrinfo hints = {0}, *res;
	char portstr[16];
	snprintf(portstr, sizeof portstr, "%d", port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	int rc = getaddrinfo(*host ? host : NULL, portstr, &hints, &res);
	if (rc) {
		log_error("listener %s:%d: %s", host, port, gai_strerror(rc));
		return NULL;
	}
	struct evconnlistener *ev = evconnlistener_new_bind(
		base, listener_on_accept, NULL,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
		1024, res->ai_addr, (int)res->ai_addrlen);
	if (!ev)
		log_error("listener %s:%d: bind: %s", host, port,
			  evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	freeaddrinfo(res);
	return ev;
}

int listener_start(struct event_base *base, const char *listeners,
		   struct listener **out)
{
	struct listener *l = calloc(1, sizeof *l);
	if (!l)
		return -1;
	const char *p = listeners;
	while (*p) {
		char host[256];
		int port;
		if (listener_parse(p, host, sizeof host, &port) < 0) {
			log_error("listeners: cannot parse '%s'", p);
			listener_stop(l);
			return -1;
		}
		if (l->count == LISTENER_MAX) {
			log_error("listeners: more than %d", LISTENER_MAX);
			listener_stop(l);
			return -1;
		}
		struct evconnlistener *ev = listener_bind(base, host, port);
		if (!ev) {
			listener_stop(l);
			return -1;
		}
		l->ev[l->count++] = ev;
		log_info("listening on PLAINTEXT://%s:%d", host, port);
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	const char *adv = broker.cfg->advertised_listeners;
	if (!adv || !*adv)
		adv = listeners;
	if (listener_parse(adv, advertised_host, sizeof advertised_host,
			   &advertised_port) < 0) {
		log_error("advertised.listeners: cannot parse '%s'", adv);
		listener_stop(l);
		return -1;
	}
	if (!*advertised_host || !strcmp(advertised_host, "0.0.0.0"))
		snprintf(advertised_host, sizeof advertised_host, "127.0.0.1");
	*out = l;
	return 0;
}

void listener_stop(struct listener *l)
{
	if (!l)
		return;
	for (int i = 0; i < l->count; i++)
		evconnlistener_free(l->ev[i]);
	free(l);
}
