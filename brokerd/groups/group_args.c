/*
 * Request-field helpers of the group handlers (see group_args.h).
 * Ownership: returned strings belong to the caller.  No state.
 */
#include "brokerd/groups/group_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brokerd/server/request.h"

char *group_args_str(struct kslice s, int *bad)
{
	if (s.len < 0)
		return NULL;
	if (memchr(s.p, 0, (size_t)s.len)) {
		*bad = 1;
		return NULL;
	}
	char *c = malloc((size_t)s.len + 1);
	if (!c) {
		*bad = 1;
		return NULL;
	}
	if (s.len)
		memcpy(c, s.p, (size_t)s.len);
	c[s.len] = '\0';
	return c;
}

char *group_args_str_or_empty(struct kslice s, int *bad)
{
	if (s.len < 0) {
		s.p = (const uint8_t *)"";
		s.len = 0;
	}
	return group_args_str(s, bad);
}

char *group_args_client_id(const struct request *req, int *bad)
{
	return group_args_str_or_empty(req->client_id, bad);
}

const char *group_args_client_host(const struct request *req, char *buf,
				   size_t size)
{
	/* the peer is "host:port" or "[v6]:port"; Kafka shows "/host" */
	const char *peer = request_peer(req);
	const char *colon = strrchr(peer, ':');
	size_t len = colon ? (size_t)(colon - peer) : strlen(peer);
	if (len >= 2 && peer[0] == '[' && peer[len - 1] == ']') {
		peer++;
		len -= 2;
	}
	snprintf(buf, size, "/%.*s", (int)len, peer);
	return buf;
}
