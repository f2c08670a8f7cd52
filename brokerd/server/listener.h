/*
 * Kafka listeners: binds every PLAINTEXT://host:port in `listeners` and
 * hands accepted sockets to conn.c.  Also parses `advertised.listeners`
 * (or, when empty, `listeners`) for Metadata.
 */
#ifndef SLUICE_LISTENER_H
#define SLUICE_LISTENER_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct listener;

/* Binds all listeners.  Returns 0, or -1 after logging (address in use). */
int listener_start(struct event_base *base, const char *listeners,
		   struct listener **out);

/* Stops accepting (connections already open stay). */
void listener_stop(struct listener *l);

/* Host and port clients should use to reach this broker (the first
 * advertised listener).  The host string is owned by the module. */
void listener_advertised(const char **host, int32_t *port);

/* Parses "PLAINTEXT://host:port" (first entry of a comma list) into host
 * (NUL-terminated, at most size bytes) and port.  Returns 0 or -1. */
int listener_parse(const char *spec, char *host, size_t size, int *port);

#endif
