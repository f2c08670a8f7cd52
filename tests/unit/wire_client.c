/*
 * Clients of brokerd's real connections over socketpairs (see
 * wire_client.h).  Everything runs on the test's thread, which is also
 * the event loop's.
 */
#define _GNU_SOURCE
#include "tests/unit/wire_client.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "brokerd/broker.h"
#include "brokerd/protocol/api_table.h"
#include "brokerd/server/conn.h"
#include "brokerd/server/dispatch.h"
#include "common/bytes.h"

int client_answer_wait_ms = 3000;

/* The monotonic clock in milliseconds. */
int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the event loop for ms milliseconds. */
void loop_for(int ms)
{
	int64_t end = now_ms() + ms;
	do {
		event_base_loop(broker.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(500);
	} while (now_ms() < end);
}

/* A client on a new brokerd connection. */
struct client *client_new(void)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
				    0, sv), 0);
	ck_assert_int_eq(conn_accept(broker.base, sv[0], "127.0.0.1:40000"), 0);
	struct client *c = calloc(1, sizeof *c);
	ck_assert_ptr_nonnull(c);
	c->fd = sv[1];
	c->corr = 100;
	return c;
}

/* Closes the client's end (unless the test did) and frees it. */
void client_free(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	vec_free(&c->in);
	free(c);
}

/* Sends body as request key/ver with the header its version calls for. */
void client_send_vec(struct client *c, int16_t key, int16_t ver,
		     const struct vec *body)
{
	const struct api_entry *api = api_lookup(key);
	ck_assert_ptr_nonnull(api);
	int flexible = ver >= api->first_flexible;
	struct vec f = {0};
	uint8_t hdr[12];
	c->corr++;
	be16_put(hdr + 4, (uint16_t)key);
	be16_put(hdr + 6, (uint16_t)ver);
	be32_put(hdr + 8, (uint32_t)c->corr);
	vec_put(&f, hdr, sizeof hdr);
	vec_add(&f, "s`unit-test`");
	if (flexible)
		vec_add(&f, "00");
	vec_put(&f, body->b, body->len);
	be32_put(f.b, (uint32_t)(f.len - 4));
	size_t off = 0;
	while (off < f.len) {
		ssize_t n = write(c->fd, f.b + off, f.len - off);
		if (n < 0 && errno == EAGAIN) {
			event_base_loop(broker.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
			continue;
		}
		ck_assert_int_gt(n, 0);
		off += (size_t)n;
	}
	/* ApiVersions answers with the v0 header whatever the version */
	c->flexible_header = flexible && key != API_ApiVersions;
	vec_free(&f);
}

/* Sends body (vector text) as request key/ver. */
void client_send(struct client *c, int16_t key, int16_t ver, const char *body)
{
	struct vec b = {0};
	vec_add(&b, body);
	client_send_vec(c, key, ver, &b);
	vec_free(&b);
}

/* Waits up to ms for the answer to the last request: 1 with its body. */
int client_poll(struct client *c, struct vec *body, int ms)
{
	int64_t end = now_ms() + ms;
	for (;;) {
		event_base_loop(broker.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		uint8_t buf[65536];
		ssize_t n;
		while ((n = read(c->fd, buf, sizeof buf)) > 0)
			vec_put(&c->in, buf, (size_t)n);
		if (c->in.len >= 4) {
			size_t size = be32_get(c->in.b);
			if (c->in.len >= 4 + size) {
				ck_assert_uint_ge(size, 4);
				ck_assert_int_eq((int32_t)be32_get(c->in.b + 4), c->corr);
				size_t hdr = 8 + (c->flexible_header ? 1 : 0);
				memset(body, 0, sizeof *body);
				vec_put(body, c->in.b + hdr, 4 + size - hdr);
				memmove(c->in.b, c->in.b + 4 + size, c->in.len - 4 - size);
				c->in.len -= 4 + size;
				return 1;
			}
		}
		if (now_ms() >= end)
			return 0;
		struct pollfd pfd = {c->fd, POLLIN, 0};
		poll(&pfd, 1, 1);
	}
}

/* The answer to the last request, which must come in time. */
void client_recv(struct client *c, struct vec *body)
{
	ck_assert_msg(client_poll(c, body, client_answer_wait_ms),
		      "no response to correlation id %d", c->corr);
}

/* Compares the answer to the last request with want (vector text). */
static void client_expect_vec(struct client *c, const char *what,
			      const struct vec *want)
{
	struct vec got;
	client_recv(c, &got);
	expect_bytes(what, got.b, got.len, want);
	vec_free(&got);
}

/* The answer must equal want (vector text, built now). */
void client_expect(struct client *c, const char *what, const char *want_text)
{
	struct vec want = {0};
	vec_add(&want, want_text);
	client_expect_vec(c, what, &want);
	vec_free(&want);
}

/* No answer may come within ms. */
void client_expect_none(struct client *c, int ms)
{
	struct vec got;
	ck_assert_msg(!client_poll(c, &got, ms), "an answer came for correlation id %d",
		      c->corr);
}

/* A request and its expected answer (want built before the request);
 * what names the call in a failure. */
static void client_call_named(struct client *c, const char *what, int16_t key,
			      int16_t ver, const char *body, const char *want_text)
{
	struct vec want = {0};
	vec_add(&want, want_text);
	client_send(c, key, ver, body);
	client_expect_vec(c, what, &want);
	vec_free(&want);
}

/* A request and its expected answer (want built before the request). */
void client_call(struct client *c, int16_t key, int16_t ver, const char *body,
		 const char *want_text)
{
	char what[64];
	snprintf(what, sizeof what, "ApiKey %d v%d", key, ver);
	client_call_named(c, what, key, ver, body, want_text);
}

/* Each row's call in order. */
void client_call_rows(struct client *c, const struct wire_call *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char what[64];
		snprintf(what, sizeof what, "row %zu: ApiKey %d v%d", i, rows[i].key,
			 rows[i].ver);
		client_call_named(c, what, rows[i].key, rows[i].ver, rows[i].body,
				  rows[i].want);
	}
}
