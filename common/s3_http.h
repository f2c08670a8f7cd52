/*
 * Signed, retried HTTP exchanges with an S3 endpoint on libcurl's multi
 * interface and the store's libevent loop: the transport under
 * objstore_s3.c.  Not for use outside common/objstore*.
 */
#ifndef SLUICE_S3_HTTP_H
#define SLUICE_S3_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "common/objstore_internal.h"
#include "common/sigv4.h"

#define S3_HTTP_MAX_QUERY 4

struct event;
struct s3_http_sock;
struct s3_http_req;

/* A client: one multi handle (and its connection cache) on the loop. */
struct s3_http {
	struct objstore *os; /* loop, options, counters, worker pool */
	CURLM *multi;
	struct event *timer;
	char *base_url; /* scheme://host[:port] as requests are sent */
	char *host;	/* the Host header, signed */
	struct sigv4_credentials cred;
	struct s3_http_req *reqs;   /* live requests */
	struct s3_http_sock *socks; /* sockets curl asked us to watch */
};

/* Called once per request, when it succeeded or was given up. */
typedef void (*s3_http_done_fn)(struct s3_http_req *req);

/* One signed HTTP exchange, retried as a unit.  The caller fills the
 * "request" fields after s3_http_req_new, reads the "outcome" fields in
 * done. */
struct s3_http_req {
	struct s3_http *http;
	struct objstore_op *op;

	/* request */
	const char *method;
	char *path; /* raw, e.g. "/bucket/o/ab/1" */
	struct sigv4_pair query[S3_HTTP_MAX_QUERY];
	char *qvalue[S3_HTTP_MAX_QUERY];
	size_t nquery;
	const uint8_t *body; /* not copied */
	size_t body_len;
	uint64_t max_send_rate; /* body bytes per second, 0 = no limit */
	uint64_t max_recv_rate; /* response bytes per second, 0 = no limit */
	struct objstore_buf own_body; /* a body the caller built, freed here */
	char content_md5[32];
	const char *content_type;
	char range[64];	    /* a Range header value, or "" */
	int object_level;   /* GET/HEAD of an object: 404 means no such key */
	int body_may_error; /* CompleteMultipartUpload: 200 with <Error> */
	int part;	    /* multipart part number, 0 otherwise */

	/* outcome */
	int status;	 /* 0, SL_ENOENT, SL_EIO, SL_ENOMEM */
	char error[400]; /* "Code: Message" or the transport's error */
	long http_status;
	int attempts;
	struct objstore_buf resp; /* response body */
	char etag[256];
	int64_t content_length; /* -1 if absent */
	int64_t total_size;	/* from Content-Range, -1 if absent */

	/* private */
	char payload_hash[SIGV4_HEX_SIZE];
	CURL *easy;
	struct curl_slist *headers;
	size_t upload_pos;
	char curl_err[CURL_ERROR_SIZE];
	struct event *retry_ev;
	s3_http_done_fn done;
	struct s3_http_req *prev, *next;
};

/*
 * Sets http up on os's loop; takes over base_url and host (malloc'd).
 * Returns 0, or SL_EIO with err filled; s3_http_close frees either way.
 */
int s3_http_open(struct s3_http *http, struct objstore *os, char *base_url,
		 char *host, char *err, size_t errlen);

/* Drops every live request unfinished (no done runs) and frees the rest. */
void s3_http_close(struct s3_http *http);

/* Makes a request of op; NULL when out of memory.  done runs once, then
 * the request is freed. */
struct s3_http_req *s3_http_req_new(struct s3_http *http,
				    struct objstore_op *op, const char *method,
				    const char *path, s3_http_done_fn done);

/* Adds a query parameter (value copied); returns 0 or SL_ENOMEM. */
int s3_http_req_query(struct s3_http_req *req, const char *name,
		      const char *value);

/* Hashes the payload (on a worker when large) and sends the request. */
void s3_http_req_start(struct s3_http_req *req);

/* Frees a request that was never started. */
void s3_http_req_free(struct s3_http_req *req);

#endif
