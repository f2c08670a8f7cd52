/*
 * The S3 backend: libcurl's multi interface driven by the caller's libevent
 * loop (curl tells us which sockets to watch and when to time out; we tell
 * curl when they fire), so no call here ever blocks the loop.  Requests are
 * signed with SigV4 (sigv4.c), path-style or virtual-hosted.
 *
 * A request (struct s3_req) is one signed HTTP exchange retried as a unit:
 * exponential backoff with full jitter on 5xx, 429, 400 RequestTimeout,
 * connection failures, resets and timeouts; any other 4xx is final and its
 * text names S3's error code and message.  Each attempt is re-signed (the
 * date moves).  An operation is one request or a chain of them: multipart
 * upload (create, up to max_parallel_parts part PUTs, complete; abort on
 * failure), ListObjectsV2 pages, DeleteObjects batches of 1000.
 *
 * Payloads above S3_HASH_INLINE are hashed (x-amz-content-sha256) on the
 * store's worker pool: SHA-256 of a 16 MiB part takes ~15 ms even with the
 * CPU's SHA instructions (several times that without), time the loop
 * should not spend.
 *
 * Ownership: the backend owns its requests; a request never outlives its
 * operation (an operation finishes only after its last request).  PUT data
 * is the caller's until the callback.  Threading: loop thread, but for the
 * hashing jobs, which touch only their request's hash field.
 */
#include "autoconfig.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <openssl/evp.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/objstore_internal.h"
#include "common/s3_xml.h"
#include "common/sigv4.h"

#define S3_HASH_INLINE (256u << 10) /* larger payloads hash on a worker */
#define S3_WORKERS 2
#define S3_DELETE_BATCH 1000
#define S3_CONNECT_TIMEOUT_MS 10000L
#define S3_LOW_SPEED_BYTES 1024L /* slower than this ... */
#define S3_LOW_SPEED_SECS 30L    /* ... for this long is a timeout */
#define S3_MAX_QUERY 4

struct s3_sock;

struct s3 {
	struct objstore *os;
	CURLM *multi;
	struct event *timer;
	char *base_url;    /* scheme://host[:port] as requests are sent */
	char *host;        /* the Host header, signed */
	char *bucket_path; /* "/bucket" (path-style) or "" */
	struct sigv4_credentials cred;
	struct s3_req *reqs;   /* live requests */
	struct s3_sock *socks; /* sockets curl asked us to watch */
};

/* A socket curl watches, with its event. */
struct s3_sock {
	struct s3 *s3;
	curl_socket_t fd;
	struct event *ev;
	struct s3_sock *prev, *next;
};

struct s3_req;
typedef void (*s3_req_done_fn)(struct s3_req *req);

/* One signed HTTP exchange, retried as a unit. */
struct s3_req {
	struct s3 *s3;
	struct objstore_op *op;
	const char *method;
	char *path; /* raw */
	struct sigv4_pair query[S3_MAX_QUERY];
	char *qvalue[S3_MAX_QUERY];
	size_t nquery;
	const uint8_t *body;
	size_t body_len;
	struct objstore_buf own_body; /* XML bodies we build */
	char payload_hash[SIGV4_HEX_SIZE];
	char content_md5[32];
	const char *content_type;
	char range[64];
	int object_level;   /* GET/HEAD of an object: 404 means no such key */
	int body_may_error; /* CompleteMultipartUpload: 200 with <Error> */
	int part;           /* multipart part number, 0 otherwise */
	int attempts;

	CURL *easy;
	struct curl_slist *headers;
	size_t upload_pos;
	char curl_err[CURL_ERROR_SIZE];
	struct objstore_buf resp;
	char etag[256];
	int64_t content_length; /* -1 if absent */
	int64_t total_size;     /* from Content-Range, -1 if absent */
	long http_status;
	struct event *retry_ev;

	/* The outcome, for done. */
	int status;
	char error[400];
	s3_req_done_fn done;
	struct s3_req *prev, *next;
};

/* An operation's state across its requests (op->impl). */
struct s3_op {
	/* multipart */
	char *upload_id;
	char **etags;
	size_t nparts, next_part, parts_done;
	int inflight;
	int failed, fail_status, fail_http, fail_attempts;
	char fail_msg[400];
	/* list */
	char *token;
	char *list_prefix; /* store prefix + "/", stripped from keys */
	/* delete */
	size_t del_next, del_failed;
	struct objstore_buf del_errs;
};

static pthread_once_t s3_curl_once = PTHREAD_ONCE_INIT;
static CURLcode s3_curl_init_rc;

/* curl_global_init, once per process (it is not thread-safe). */
static void s3_curl_init(void)
{
	s3_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void s3_req_send(struct s3_req *req);
static void s3_check_multi(struct s3 *s3);

/* ---- requests ---------------------------------------------------------- */

/* Makes a request of op; NULL when out of memory. */
static struct s3_req *s3_req_new(struct s3 *s3, struct objstore_op *op,
				 const char *method, const char *path,
				 s3_req_done_fn done)
{
	struct s3_req *req = calloc(1, sizeof *req);
	if (!req)
		return NULL;
	req->path = strdup(path);
	if (!req->path) {
		free(req);
		return NULL;
	}
	req->s3 = s3;
	req->op = op;
	req->method = method;
	req->done = done;
	req->next = s3->reqs;
	if (s3->reqs)
		s3->reqs->prev = req;
	s3->reqs = req;
	return req;
}

/* Adds a query parameter (value copied); returns 0 or SL_ENOMEM. */
static int s3_req_query(struct s3_req *req, const char *name,
			const char *value)
{
	SL_ASSERT(req->nquery < S3_MAX_QUERY);
	char *v = strdup(value);
	if (!v)
		return SL_ENOMEM;
	req->qvalue[req->nquery] = v;
	req->query[req->nquery].name = name;
	req->query[req->nquery].value = v;
	req->nquery++;
	return 0;
}

/* Releases the curl handle of the current attempt. */
static void s3_req_drop_easy(struct s3_req *req)
{
	if (req->easy) {
		curl_multi_remove_handle(req->s3->multi, req->easy);
		curl_easy_cleanup(req->easy);
		req->easy = NULL;
	}
	curl_slist_free_all(req->headers);
	req->headers = NULL;
}

/* Frees a request (off the live list). */
static void s3_req_free(struct s3_req *req)
{
	struct s3 *s3 = req->s3;
	s3_req_drop_easy(req);
	if (req->prev)
		req->prev->next = req->next;
	else
		s3->reqs = req->next;
	if (req->next)
		req->next->prev = req->prev;
	if (req->retry_ev)
		event_free(req->retry_ev);
	for (size_t i = 0; i < req->nquery; i++)
		free(req->qvalue[i]);
	free(req->path);
	objstore_buf_free(&req->own_body);
	objstore_buf_free(&req->resp);
	free(req);
}

/* Ends the request with its outcome set: runs done, then frees it. */
static void s3_req_end(struct s3_req *req)
{
	req->done(req);
	s3_req_free(req);
}

/* Ends the request with a failure that happened before any response. */
static void s3_req_end_error(struct s3_req *req, int status, const char *msg)
{
	req->status = status;
	snprintf(req->error, sizeof req->error, "%s", msg);
	s3_req_end(req);
}

/* Worker: SHA-256 of a large payload. */
static void s3_req_hash_work(void *arg)
{
	struct s3_req *req = arg;
	sigv4_sha256_hex(req->body, req->body_len, req->payload_hash);
}

/* Loop: the hash is ready. */
static void s3_req_hash_done(void *arg)
{
	s3_req_send(arg);
}

/* Starts the request: hashes the payload (on a worker when large), then
 * sends the first attempt. */
static void s3_req_start(struct s3_req *req)
{
	if (req->body_len > S3_HASH_INLINE) {
		if (objstore_pool_submit(req->s3->os->pool, s3_req_hash_work,
					 s3_req_hash_done, req) == 0)
			return;
		/* No memory for the job: hash here rather than fail. */
	}
	sigv4_sha256_hex(req->body ? (const void *)req->body : "",
			 req->body_len, req->payload_hash);
	s3_req_send(req);
}

/* curl: upload bytes from the body. */
static size_t s3_read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct s3_req *req = arg;
	size_t n = size * nitems, left = req->body_len - req->upload_pos;
	if (n > left)
		n = left;
	if (n)
		memcpy(buf, req->body + req->upload_pos, n);
	req->upload_pos += n;
	return n;
}

/* curl: rewind the upload (redirects, connection retries). */
static int s3_seek_cb(void *arg, curl_off_t offset, int origin)
{
	struct s3_req *req = arg;
	if (origin != SEEK_SET || offset < 0 ||
	    (size_t)offset > req->body_len)
		return CURL_SEEKFUNC_FAIL;
	req->upload_pos = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

/* curl: response body bytes. */
static size_t s3_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct s3_req *req = arg;
	size_t n = size * nmemb;
	if (req->resp.len == 0 && req->content_length > 0 &&
	    req->content_length < (int64_t)1 << 32)
		objstore_buf_reserve(&req->resp, (size_t)req->content_length);
	objstore_buf_add(&req->resp, data, n);
	return req->resp.oom ? 0 : n; /* 0 makes curl fail the transfer */
}

/* Copies a header's value, trimmed, if line is "name: value". */
static int s3_header_value(const char *line, size_t len, const char *name,
			   char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	if (len <= nlen || strncasecmp(line, name, nlen) || line[nlen] != ':')
		return 0;
	const char *v = line + nlen + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
			   end[-1] == ' ' || end[-1] == '\t'))
		end--;
	size_t n = (size_t)(end - v);
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, v, n);
	out[n] = '\0';
	return 1;
}

/* curl: one response header line. */
static size_t s3_header_cb(char *line, size_t size, size_t nitems, void *arg)
{
	struct s3_req *req = arg;
	size_t len = size * nitems;
	char v[256];
	if (len >= 5 && !memcmp(line, "HTTP/", 5)) {
		/* A new response (after 100 Continue or a redirect). */
		req->etag[0] = '\0';
		req->content_length = -1;
		req->total_size = -1;
	} else if (s3_header_value(line, len, "ETag", v, sizeof v)) {
		snprintf(req->etag, sizeof req->etag, "%s", v);
	} else if (s3_header_value(line, len, "Content-Length", v, sizeof v)) {
		req->content_length = strtoll(v, NULL, 10);
	} else if (s3_header_value(line, len, "Content-Range", v, sizeof v)) {
		const char *slash = strchr(v, '/');
		if (slash && slash[1] != '*')
			req->total_size = strtoll(slash + 1, NULL, 10);
	}
	return len;
}

/* Builds the URL of the current attempt: base, encoded path, query in the
 * same encoding as signed.  NULL when out of memory. */
static char *s3_req_url(struct s3_req *req)
{
	struct objstore_buf url = { 0 };
	char *path = sigv4_uri_encode(req->path, 1);
	if (!path)
		return NULL;
	objstore_buf_cat(&url, req->s3->base_url);
	objstore_buf_cat(&url, path);
	free(path);
	for (size_t i = 0; i < req->nquery; i++) {
		char *n = sigv4_uri_encode(req->query[i].name, 0);
		char *v = sigv4_uri_encode(req->query[i].value, 0);
		if (n && v)
			objstore_buf_printf(&url, "%c%s%s%s", i ? '&' : '?', n,
					    *v ? "=" : "", v);
		else
			url.oom = 1;
		free(n);
		free(v);
	}
	if (url.oom) {
		objstore_buf_free(&url);
		return NULL;
	}
	return url.p;
}

/* Appends "name: value" to the header list; returns 0 or -1. */
static int s3_req_header(struct s3_req *req, const char *name,
			 const char *value)
{
	struct objstore_buf line = { 0 };
	objstore_buf_printf(&line, "%s:%s%s", name, *value ? " " : "", value);
	struct curl_slist *l =
		line.oom ? NULL : curl_slist_append(req->headers, line.p);
	objstore_buf_free(&line);
	if (!l)
		return -1;
	req->headers = l;
	return 0;
}

/* Signs the attempt and sets its headers; returns 0 or SL_ENOMEM. */
static int s3_req_sign(struct s3_req *req)
{
	struct s3 *s3 = req->s3;
	char date[SIGV4_DATE_SIZE];
	sigv4_amz_date(time(NULL), date);
	struct sigv4_pair h[6];
	size_t nh = 0;
	h[nh++] = (struct sigv4_pair){ "Host", s3->host };
	h[nh++] = (struct sigv4_pair){ "x-amz-date", date };
	h[nh++] = (struct sigv4_pair){ "x-amz-content-sha256",
				       req->payload_hash };
	if (req->range[0])
		h[nh++] = (struct sigv4_pair){ "Range", req->range };
	if (req->content_md5[0])
		h[nh++] = (struct sigv4_pair){ "Content-MD5",
					       req->content_md5 };
	if (req->content_type)
		h[nh++] = (struct sigv4_pair){ "Content-Type",
					       req->content_type };
	struct sigv4_request sr = {
		.method = req->method,
		.path = req->path,
		.query = req->query,
		.query_count = req->nquery,
		.headers = h,
		.header_count = nh,
		.payload_hash = req->payload_hash,
	};
	char auth[1024];
	int rc = sigv4_authorization(&s3->cred, &sr, date, auth, sizeof auth);
	if (rc)
		return rc;
	for (size_t i = 0; i < nh; i++)
		if (s3_req_header(req, h[i].name, h[i].value) < 0)
			return SL_ENOMEM;
	/* No "Expect: 100-continue" round trip, no Accept header. */
	if (s3_req_header(req, "Authorization", auth) < 0 ||
	    s3_req_header(req, "Expect", "") < 0 ||
	    s3_req_header(req, "Accept", "") < 0)
		return SL_ENOMEM;
	return 0;
}

/* Sends one attempt of the request. */
static void s3_req_send(struct s3_req *req)
{
	struct s3 *s3 = req->s3;
	struct objstore *os = s3->os;
	req->attempts++;
	os->stats.requests++;
	req->http_status = 0;
	req->curl_err[0] = '\0';
	req->etag[0] = '\0';
	req->content_length = req->total_size = -1;
	req->upload_pos = 0;
	req->resp.len = 0;
	char *url = s3_req_url(req);
	CURL *e = curl_easy_init();
	if (!url || !e || s3_req_sign(req) != 0) {
		free(url);
		if (e)
			curl_easy_cleanup(e);
		s3_req_end_error(req, SL_ENOMEM, "out of memory");
		return;
	}
	req->easy = e;
	curl_easy_setopt(e, CURLOPT_URL, url);
	free(url); /* curl keeps its own copy */
	curl_easy_setopt(e, CURLOPT_PRIVATE, req);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->curl_err);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s3_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, s3_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, S3_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, S3_LOW_SPEED_BYTES);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, S3_LOW_SPEED_SECS);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	if (!strcmp(req->method, "GET")) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else if (!strcmp(req->method, "HEAD")) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(req->method, "DELETE")) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
	} else {
		/* PUT, or POST with a body we stream the same way. */
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)req->body_len);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, s3_read_cb);
		curl_easy_setopt(e, CURLOPT_READDATA, req);
		curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, s3_seek_cb);
		curl_easy_setopt(e, CURLOPT_SEEKDATA, req);
		if (strcmp(req->method, "PUT"))
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	}
	CURLMcode mc = curl_multi_add_handle(s3->multi, e);
	if (mc != CURLM_OK) {
		char msg[160];
		snprintf(msg, sizeof msg, "curl_multi_add_handle: %s",
			 curl_multi_strerror(mc));
		s3_req_end_error(req, SL_EIO, msg);
	}
}

/* Retry timer: the next attempt. */
static void s3_req_retry_fire(evutil_socket_t fd, short what, void *arg)
{
	s3_req_send(arg);
}

/* Whether a transport failure is worth another attempt. */
static int s3_curl_retriable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* Whether an S3 error (status and code) is worth another attempt. */
static int s3_http_retriable(long http, const char *code)
{
	if (http >= 500 || http == 429)
		return 1;
	/* The server gave up waiting for our body: transient by definition. */
	return http == 400 && !strcmp(code, "RequestTimeout");
}

/* An attempt ended (curl rc); classifies it and retries or ends. */
static void s3_req_completed(struct s3_req *req, CURLcode rc)
{
	struct s3 *s3 = req->s3;
	struct objstore *os = s3->os;
	curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &req->http_status);
	s3_req_drop_easy(req);
	int retriable;
	char code[64] = "", msg[300] = "";
	long http = req->http_status;
	if (rc != CURLE_OK) {
		retriable = s3_curl_retriable(rc);
		snprintf(req->error, sizeof req->error, "%s%s%s",
			 curl_easy_strerror(rc), req->curl_err[0] ? ": " : "",
			 req->curl_err);
		req->status = SL_EIO;
	} else {
		int has_error = 0;
		if (http < 200 || http >= 300 || req->body_may_error)
			has_error = s3_xml_error(req->resp.p, req->resp.len,
						 code, sizeof code, msg,
						 sizeof msg) == 0;
		if (http >= 200 && http < 300 && !has_error) {
			req->status = 0;
			req->error[0] = '\0';
			if (!strcmp(req->method, "PUT"))
				os->stats.bytes_up += req->body_len;
			if (!strcmp(req->method, "GET"))
				os->stats.bytes_down += req->resp.len;
			s3_req_end(req);
			return;
		}
		if (http >= 200 && http < 300)
			http = 500; /* an error inside a 200: a server fault */
		if (has_error)
			snprintf(req->error, sizeof req->error, "%s: %s", code,
				 msg);
		else
			snprintf(req->error, sizeof req->error,
				 "HTTP %ld%s", http,
				 !strcmp(req->method, "HEAD")
					 ? " (HEAD responses carry no error text)"
					 : "");
		retriable = s3_http_retriable(http, code);
		req->status = req->object_level && http == 404 &&
					      strcmp(code, "NoSuchBucket")
				      ? SL_ENOENT
				      : SL_EIO;
	}
	if (retriable && req->attempts < os->opt.max_attempts) {
		int ms = objstore_backoff_ms(os, req->attempts);
		os->stats.retries++;
		log_debug("objstore: %s %s: %s; retry %d in %d ms",
			  req->method, req->path, req->error, req->attempts,
			  ms);
		if (!req->retry_ev)
			req->retry_ev = evtimer_new(os->base, s3_req_retry_fire,
						    req);
		struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
		if (req->retry_ev && evtimer_add(req->retry_ev, &tv) == 0)
			return;
		/* No timer: give up now with what we know. */
	}
	s3_req_end(req);
}

/* Fails op with the request's outcome. */
static void s3_op_fail_from(struct objstore_op *op, struct s3_req *req,
			    const char *what)
{
	op->attempts = req->attempts;
	objstore_op_fail(op, req->status, (int)req->http_status, "%s%s",
			 req->error, what);
}

/* ---- curl multi on libevent --------------------------------------------- */

/* Hands finished transfers to their requests. */
static void s3_check_multi(struct s3 *s3)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(s3->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct s3_req *req = NULL;
		CURLcode rc = msg->data.result; /* msg dies with the handle */
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &req);
		s3_req_completed(req, rc);
	}
}

/* A watched socket is ready. */
static void s3_on_socket(evutil_socket_t fd, short what, void *arg)
{
	struct s3 *s3 = arg;
	int flags = (what & EV_READ ? CURL_CSELECT_IN : 0) |
		    (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
	int running;
	curl_multi_socket_action(s3->multi, fd, flags, &running);
	s3_check_multi(s3);
}

/* curl's timeout expired. */
static void s3_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct s3 *s3 = arg;
	int running;
	curl_multi_socket_action(s3->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	s3_check_multi(s3);
}

/* curl: watch (or stop watching) a socket. */
static int s3_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
			void *socketp)
{
	struct s3 *s3 = userp;
	struct s3_sock *sock = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (sock) {
			event_free(sock->ev);
			if (sock->prev)
				sock->prev->next = sock->next;
			else
				s3->socks = sock->next;
			if (sock->next)
				sock->next->prev = sock->prev;
			free(sock);
		}
		return 0;
	}
	short kind = EV_PERSIST | (what & CURL_POLL_IN ? EV_READ : 0) |
		     (what & CURL_POLL_OUT ? EV_WRITE : 0);
	if (!sock) {
		sock = calloc(1, sizeof *sock);
		if (!sock)
			return -1;
		sock->s3 = s3;
		sock->fd = fd;
		sock->ev = event_new(s3->os->base, fd, kind, s3_on_socket, s3);
		if (!sock->ev) {
			free(sock);
			return -1;
		}
		sock->next = s3->socks;
		if (s3->socks)
			s3->socks->prev = sock;
		s3->socks = sock;
		curl_multi_assign(s3->multi, fd, sock);
	} else {
		event_del(sock->ev);
		event_assign(sock->ev, s3->os->base, fd, kind, s3_on_socket,
			     s3);
	}
	return event_add(sock->ev, NULL) == 0 ? 0 : -1;
}

/* curl: (re)arm or disarm the single timeout. */
static int s3_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct s3 *s3 = userp;
	if (timeout_ms < 0) {
		evtimer_del(s3->timer);
		return 0;
	}
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	return evtimer_add(s3->timer, &tv) == 0 ? 0 : -1;
}

/* ---- operations ---------------------------------------------------------- */

/* Frees the operation's S3 state (touches nothing but op). */
static void s3_op_free(struct objstore_op *op)
{
	struct s3_op *so = op->impl;
	if (!so)
		return;
	free(so->upload_id);
	for (size_t i = 0; so->etags && i < so->nparts; i++)
		free(so->etags[i]);
	free(so->etags);
	free(so->token);
	free(so->list_prefix);
	objstore_buf_free(&so->del_errs);
	free(so);
	op->impl = NULL;
}

/* The raw path of op's object. */
static void s3_object_path(struct s3 *s3, struct objstore_op *op,
			   struct objstore_buf *out)
{
	objstore_buf_printf(out, "%s/%s", s3->bucket_path, op->full_key);
}

/* Makes a request on op's object (or the bucket when bucket_level);
 * NULL when out of memory. */
static struct s3_req *s3_op_req_new(struct objstore_op *op,
				    const char *method, int bucket_level,
				    s3_req_done_fn done)
{
	struct s3 *s3 = op->os->impl;
	struct objstore_buf path = { 0 };
	if (bucket_level)
		objstore_buf_cat(&path, s3->bucket_path[0] ? s3->bucket_path
							    : "/");
	else
		s3_object_path(s3, op, &path);
	struct s3_req *req = path.oom ? NULL
				      : s3_req_new(s3, op, method, path.p, done);
	objstore_buf_free(&path);
	return req;
}

/* As s3_op_req_new, but fails op when out of memory. */
static struct s3_req *s3_op_req(struct objstore_op *op, const char *method,
				int bucket_level, s3_req_done_fn done)
{
	struct s3_req *req = s3_op_req_new(op, method, bucket_level, done);
	if (!req)
		objstore_op_fail(op, SL_ENOMEM, 0, "out of memory");
	return req;
}

/* PUT of a whole object ended. */
static void s3_put_done(struct s3_req *req)
{
	struct objstore_op *op = req->op;
	if (req->status) {
		s3_op_fail_from(op, req, "");
		return;
	}
	op->attempts = req->attempts;
	op->res.http_status = (int)req->http_status;
	op->res.object_size = op->len;
	objstore_op_finish(op);
}

static void s3_mpu_pump(struct objstore_op *op);

/* Remembers the first failure of a multipart upload. */
static void s3_mpu_failed(struct objstore_op *op, struct s3_req *req,
			  int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void s3_mpu_failed(struct objstore_op *op, struct s3_req *req,
			  int status, const char *fmt, ...)
{
	struct s3_op *so = op->impl;
	if (so->failed)
		return;
	so->failed = 1;
	so->fail_status = status;
	so->fail_http = req ? (int)req->http_status : 0;
	so->fail_attempts = req ? req->attempts : 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(so->fail_msg, sizeof so->fail_msg, fmt, ap);
	va_end(ap);
}

/* The abort ended (either way): the upload's failure is reported. */
static void s3_mpu_aborted(struct s3_req *req)
{
	struct objstore_op *op = req->op;
	struct s3_op *so = op->impl;
	if (req->status)
		log_warn("objstore: abort of multipart upload of %s failed: "
			 "%s; its parts stay until the bucket's lifecycle "
			 "rules remove them", op->key, req->error);
	op->attempts = so->fail_attempts;
	objstore_op_fail(op, so->fail_status, so->fail_http, "%s",
			 so->fail_msg);
}

/* Aborts the upload after a failure (if it was created). */
static void s3_mpu_abort(struct objstore_op *op)
{
	struct s3_op *so = op->impl;
	struct s3_req *req = NULL;
	if (so->upload_id) {
		req = s3_op_req_new(op, "DELETE", 0, s3_mpu_aborted);
		if (req && s3_req_query(req, "uploadId", so->upload_id)) {
			s3_req_free(req);
			req = NULL;
		}
	}
	if (req) {
		s3_req_start(req);
		return;
	}
	op->attempts = so->fail_attempts;
	objstore_op_fail(op, so->fail_status, so->fail_http, "%s",
			 so->fail_msg);
}

/* CompleteMultipartUpload ended. */
static void s3_mpu_completed(struct s3_req *req)
{
	struct objstore_op *op = req->op;
	if (req->status) {
		s3_mpu_failed(op, req, req->status, "%s (completing the upload)",
			      req->error);
		s3_mpu_abort(op);
		return;
	}
	op->attempts = req->attempts;
	op->res.http_status = (int)req->http_status;
	op->res.object_size = op->len;
	objstore_op_finish(op);
}

/* Sends CompleteMultipartUpload with every part's ETag. */
static void s3_mpu_complete(struct objstore_op *op)
{
	struct s3_op *so = op->impl;
	struct s3_req *req = s3_op_req(op, "POST", 0, s3_mpu_completed);
	if (!req)
		return;
	struct objstore_buf *b = &req->own_body;
	objstore_buf_cat(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
			    "<CompleteMultipartUpload>");
	for (size_t i = 0; i < so->nparts; i++) {
		objstore_buf_printf(b, "<Part><PartNumber>%zu</PartNumber>"
				       "<ETag>", i + 1);
		s3_xml_escape(b, so->etags[i]);
		objstore_buf_cat(b, "</ETag></Part>");
	}
	objstore_buf_cat(b, "</CompleteMultipartUpload>");
	if (b->oom || s3_req_query(req, "uploadId", so->upload_id)) {
		s3_req_free(req);
		objstore_op_fail(op, SL_ENOMEM, 0, "out of memory");
		return;
	}
	req->body = (const uint8_t *)b->p;
	req->body_len = b->len;
	req->content_type = "application/xml";
	req->body_may_error = 1;
	s3_req_start(req);
}

/* One part ended. */
static void s3_mpu_part_done(struct s3_req *req)
{
	struct objstore_op *op = req->op;
	struct s3_op *so = op->impl;
	so->inflight--;
	if (req->status) {
		s3_mpu_failed(op, req, req->status, "%s (part %d)", req->error,
			      req->part);
	} else if (!req->etag[0]) {
		s3_mpu_failed(op, req, SL_EIO, "no ETag in the response to "
					       "part %d", req->part);
	} else {
		so->etags[req->part - 1] = strdup(req->etag);
		if (!so->etags[req->part - 1])
			s3_mpu_failed(op, NULL, SL_ENOMEM, "out of memory");
		so->parts_done++;
		op->os->stats.multipart_parts++;
	}
	s3_mpu_pump(op);
}

/* Keeps up to max_parallel_parts parts in flight; completes or aborts when
 * none is left. */
static void s3_mpu_pump(struct objstore_op *op)
{
	struct s3_op *so = op->impl;
	struct objstore *os = op->os;
	size_t psize = os->opt.part_size;
	while (!so->failed && so->inflight < os->opt.max_parallel_parts &&
	       so->next_part < so->nparts) {
		size_t i = so->next_part;
		struct s3_req *req =
			s3_op_req_new(op, "PUT", 0, s3_mpu_part_done);
		char num[24];
		snprintf(num, sizeof num, "%zu", i + 1);
		if (req && (s3_req_query(req, "partNumber", num) ||
			    s3_req_query(req, "uploadId", so->upload_id))) {
			s3_req_free(req);
			req = NULL;
		}
		if (!req) {
			s3_mpu_failed(op, NULL, SL_ENOMEM, "out of memory");
			break;
		}
		req->part = (int)(i + 1);
		req->body = op->data + i * psize;
		req->body_len = i + 1 < so->nparts ? psize
						   : op->len - i * psize;
		so->next_part++;
		so->inflight++;
		s3_req_start(req);
	}
	if (so->inflight > 0)
		return;
	if (so->failed)
		s3_mpu_abort(op);
	else if (so->parts_done == so->nparts)
		s3_mpu_complete(op);
}

/* CreateMultipartUpload ended: start the parts. */
static void s3_mpu_created(struct s3_req *req)
{
	struct objstore_op *op = req->op;
	struct s3_op *so = op->impl;
	char id[1024];
	if (req->status) {
		s3_op_fail_from(op, req, " (creating a multipart upload)");
		return;
	}
	if (s3_xml_text(req->resp.p, req->resp.len,
			"InitiateMultipartUploadResult/UploadId", id,
			sizeof id) != 0 ||
	    !id[0]) {
		op->attempts = req->attempts;
		objstore_op_fail(op, SL_EIO, (int)req->http_status,
				 "no UploadId in the response to "
				 "CreateMultipartUpload");
		return;
	}
	size_t psize = op->os->opt.part_size;
	so->nparts = (op->len + psize - 1) / psize;
	so->upload_id = strdup(id);
	so->etags = calloc(so->nparts, sizeof *so->etags);
	if (!so->upload_id || !so->etags) {
		s3_mpu_failed(op, NULL, SL_ENOMEM, "out of memory");
		s3_mpu_abort(op);
		return;
	}
	s3_mpu_pump(op);
}

/* PUT: one request, or a multipart upload above the threshold. */
static void s3_put_start(struct objstore_op *op)
{
	if (op->len <= op->os->opt.multipart_threshold) {
		struct s3_req *req = s3_op_req(op, "PUT", 0, s3_put_done);
		if (!req)
			return;
		req->body = op->data;
		req->body_len = op->len;
		s3_req_start(req);
		return;
	}
	struct s3_req *req = s3_op_req(op, "POST", 0, s3_mpu_created);
	if (!req)
		return;
	if (s3_req_query(req, "uploads", "")) {
		s3_req_free(req);
		objstore_op_fail(op, SL_ENOMEM, 0, "out of memory");
		return;
	}
	req->content_type = "application/octet-stream";
	s3_req_start(req);
}

/* GET ended: the body moves to the operation. */
static void s3_get_done(struct s3_req *req)
{
	struct objstore_op *op = req->op;
	if (req->status) {
		s3_op_fail_from(op, req, "");
		return;
	}
	op->attempts = req->attempts;
	op->res.http_status = (int)req->http_status;
	op->body = req->resp;
	memset(&req->resp, 0, sizeof req->resp);
	if (req->total_size >= 0)
		op->res.object_size = (uint64_t)req->total_size;
	else
		op->res.object_size = op->body.len;
	if (req->http_status == 200 && req->range[0]) {
		/* The server ignored Range: cut the range out ourselves. */
		uint64_t size = op->body.len;
		if (op->offset >= size) {
			objstore_op_fail(op, SL_EIO, 200,
					 "InvalidRange: offset %llu past the "
					 "end (%llu bytes)",
					 (unsigned long long)op->offset,
					 (unsigned long long)size);
			return;
		}
		uint64_t n = size - op->offset;
		if (op->range_len && op->range_len < n)
			n = op->range_len;
		memmove(op->body.p, op->body.p + op->offset, n);
		op->body.len = n;
	}
	objstore_op_finish(op);
}

/* GET, with a Range header when a range is asked for. */
static void s3_get_start(struct objstore_op *op)
{
	struct s3_req *req = s3_op_req(op, "GET", 0, s3_get_done);
	if (!req)
		return;
	req->object_level = 1;
	if (op->range_len)
		snprintf(req->range, sizeof req->range, "bytes=%llu-%llu",
			 (unsigned long long)op->offset,
			 (unsigned long long)(op->offset + op->range_len - 1));
	else if (op->offset)
		snprintf(req->range, sizeof req->range, "bytes=%llu-",
			 (unsigned long long)op->offset);
	s3_req_start(req);
}

/* HEAD ended. */
static void s3_head_done(struct s3_req *req)
{
	struct objstore_op *op = req->op;
	if (req->status) {
		s3_op_fail_from(op, req, "");
		return;
	}
	op->attempts = req->attempts;
	op->res.http_status = (int)req->http_status;
	op->res.object_size =
		req->content_length >= 0 ? (uint64_t)req->content_length : 0;
	objstore_op_finish(op);
}

/* HEAD of an object. */
static void s3_head_start(struct objstore_op *op)
{
	struct s3_req *req = s3_op_req(op, "HEAD", 0, s3_head_done);
	if (!req)
		return;
	req->object_level = 1;
	s3_req_start(req);
}

static void s3_list_page(struct objstore_op *op);

/* One listed key: strip the store's prefix and keep it. */
static int s3_list_entry(void *arg, const char *key, size_t keylen,
			 uint64_t size, int64_t mtime_ms)
{
	struct objstore_op *op = arg;
	struct s3_op *so = op->impl;
	struct objstore *os = op->os;
	size_t plen = os->prefix[0] ? strlen(os->prefix) + 1 : 0;
	if (keylen < plen || memcmp(key, so->list_prefix, plen))
		return 0; /* not under our prefix: a server bug, skip it */
	return objstore_op_list_add(op, key + plen, keylen - plen, size,
				    mtime_ms);
}

/* A ListObjectsV2 page ended: keep its keys, fetch the next page. */
static void s3_list_done(struct s3_req *req)
{
	struct objstore_op *op = req->op;
	struct s3_op *so = op->impl;
	if (req->status) {
		s3_op_fail_from(op, req, "");
		return;
	}
	int truncated = 0;
	char *token = NULL;
	int rc = s3_xml_list(req->resp.p, req->resp.len, s3_list_entry, op,
			     &truncated, &token);
	op->attempts = req->attempts;
	if (rc) {
		objstore_op_fail(op, rc == SL_ENOMEM ? SL_ENOMEM : SL_EIO,
				 (int)req->http_status,
				 "%s ListObjectsV2 response",
				 rc == SL_ENOMEM ? "out of memory for the"
						 : "malformed");
		return;
	}
	free(so->token);
	so->token = token;
	if (truncated && !token) {
		objstore_op_fail(op, SL_EIO, (int)req->http_status,
				 "truncated ListObjectsV2 page without "
				 "NextContinuationToken");
		return;
	}
	if (truncated) {
		s3_list_page(op);
		return;
	}
	op->res.http_status = (int)req->http_status;
	objstore_op_finish(op);
}

/* Requests the next ListObjectsV2 page. */
static void s3_list_page(struct objstore_op *op)
{
	struct s3_op *so = op->impl;
	struct s3_req *req = s3_op_req(op, "GET", 1, s3_list_done);
	if (!req)
		return;
	char max[16];
	snprintf(max, sizeof max, "%d", op->os->opt.list_page_size);
	struct objstore_buf prefix = { 0 };
	objstore_buf_printf(&prefix, "%s%s", so->list_prefix, op->key);
	int rc = prefix.oom || s3_req_query(req, "list-type", "2") ||
		 s3_req_query(req, "prefix", prefix.p) ||
		 s3_req_query(req, "max-keys", max) ||
		 (so->token &&
		  s3_req_query(req, "continuation-token", so->token));
	objstore_buf_free(&prefix);
	if (rc) {
		s3_req_free(req);
		objstore_op_fail(op, SL_ENOMEM, 0, "out of memory");
		return;
	}
	s3_req_start(req);
}

/* LIST: pages until IsTruncated is false. */
static void s3_list_start(struct objstore_op *op)
{
	struct s3_op *so = op->impl;
	const char *prefix = op->os->prefix;
	struct objstore_buf lp = { 0 };
	if (prefix[0])
		objstore_buf_printf(&lp, "%s/", prefix);
	else
		objstore_buf_reserve(&lp, 0);
	if (lp.oom) {
		objstore_op_fail(op, SL_ENOMEM, 0, "out of memory");
		return;
	}
	so->list_prefix = lp.p;
	s3_list_page(op);
}

static void s3_delete_batch(struct objstore_op *op);

/* One key S3 could not delete. */
static void s3_delete_error(void *arg, const char *key, const char *code,
			    const char *message)
{
	struct objstore_op *op = arg;
	struct s3_op *so = op->impl;
	size_t plen = op->os->prefix[0] ? strlen(op->os->prefix) + 1 : 0;
	if (strlen(key) >= plen)
		key += plen;
	if (so->del_failed++ < 5)
		objstore_buf_printf(&so->del_errs, "%s%s: %s: %s",
				    so->del_failed > 1 ? "; " : "", key, code,
				    message);
}

/* A DeleteObjects batch ended. */
static void s3_delete_done(struct s3_req *req)
{
	struct objstore_op *op = req->op;
	struct s3_op *so = op->impl;
	if (req->status) {
		s3_op_fail_from(op, req, "");
		return;
	}
	op->attempts = req->attempts;
	if (s3_xml_delete_result(req->resp.p, req->resp.len, s3_delete_error,
				 op) != 0) {
		objstore_op_fail(op, SL_EIO, (int)req->http_status,
				 "malformed DeleteObjects response");
		return;
	}
	if (so->del_next < op->nkeys) {
		s3_delete_batch(op);
		return;
	}
	op->res.http_status = (int)req->http_status;
	if (so->del_failed)
		objstore_op_fail(op, SL_EIO, (int)req->http_status,
				 "%zu of %zu keys not deleted: %s",
				 so->del_failed, op->nkeys,
				 so->del_errs.p ? so->del_errs.p : "");
	else
		objstore_op_finish(op);
}

/* Base64 of the MD5 of data (Content-MD5) into out (25 bytes). */
static void s3_content_md5(const void *data, size_t len, char out[32])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_Digest(data, len, md, &mdlen, EVP_md5(), NULL);
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
}

/* Sends the next batch of up to 1000 keys (quiet mode: errors only). */
static void s3_delete_batch(struct objstore_op *op)
{
	struct s3_op *so = op->impl;
	struct s3_req *req = s3_op_req(op, "POST", 1, s3_delete_done);
	if (!req)
		return;
	struct objstore_buf *b = &req->own_body;
	const char *prefix = op->os->prefix;
	objstore_buf_cat(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
			    "<Delete><Quiet>true</Quiet>");
	size_t end = so->del_next + S3_DELETE_BATCH;
	if (end > op->nkeys)
		end = op->nkeys;
	for (size_t i = so->del_next; i < end; i++) {
		objstore_buf_cat(b, "<Object><Key>");
		if (prefix[0]) {
			s3_xml_escape(b, prefix);
			objstore_buf_cat(b, "/");
		}
		s3_xml_escape(b, op->keys[i]);
		objstore_buf_cat(b, "</Key></Object>");
	}
	objstore_buf_cat(b, "</Delete>");
	if (b->oom || s3_req_query(req, "delete", "")) {
		s3_req_free(req);
		objstore_op_fail(op, SL_ENOMEM, 0, "out of memory");
		return;
	}
	so->del_next = end;
	req->body = (const uint8_t *)b->p;
	req->body_len = b->len;
	req->content_type = "application/xml";
	s3_content_md5(b->p, b->len, req->content_md5);
	s3_req_start(req);
}

/* Starts an operation. */
static void s3_start(struct objstore_op *op)
{
	struct s3_op *so = calloc(1, sizeof *so);
	if (!so) {
		objstore_op_fail(op, SL_ENOMEM, 0, "out of memory");
		return;
	}
	op->impl = so;
	op->impl_free = s3_op_free;
	switch (op->kind) {
	case OBJSTORE_PUT: s3_put_start(op); break;
	case OBJSTORE_GET: s3_get_start(op); break;
	case OBJSTORE_HEAD: s3_head_start(op); break;
	case OBJSTORE_LIST: s3_list_start(op); break;
	case OBJSTORE_DELETE: s3_delete_batch(op); break;
	}
}

/* ---- open and close ------------------------------------------------------ */

/* Frees the backend; requests still live are dropped unfinished. */
static void s3_close(struct objstore *os)
{
	struct s3 *s3 = os->impl;
	if (!s3)
		return;
	while (s3->reqs)
		s3_req_free(s3->reqs);
	if (s3->multi)
		curl_multi_cleanup(s3->multi); /* may still call s3_socket_cb */
	while (s3->socks) {
		struct s3_sock *sock = s3->socks;
		s3->socks = sock->next;
		event_free(sock->ev);
		free(sock);
	}
	if (s3->timer)
		event_free(s3->timer);
	free(s3->base_url);
	free(s3->host);
	free(s3->bucket_path);
	free(s3);
	os->impl = NULL;
}

/* Splits the endpoint into scheme and host[:port]; builds the base URL,
 * Host header and bucket path for the addressing style. */
static int s3_setup_endpoint(struct s3 *s3, char *err, size_t errlen)
{
	struct objstore *os = s3->os;
	char def[256];
	const char *ep = os->opt.endpoint;
	if (!ep[0]) {
		snprintf(def, sizeof def, "https://s3.%s.amazonaws.com",
			 os->opt.region);
		ep = def;
	}
	const char *sep = strstr(ep, "://");
	if (!sep || (strncmp(ep, "http://", 7) && strncmp(ep, "https://", 8))) {
		snprintf(err, errlen, "s3 endpoint %s: want http:// or https://",
			 ep);
		return SL_EINVAL;
	}
	const char *hp = sep + 3;
	size_t hlen = strcspn(hp, "/");
	if (hlen == 0 || (hp[hlen] && strcmp(hp + hlen, "/"))) {
		snprintf(err, errlen,
			 "s3 endpoint %s: want scheme://host[:port] without a "
			 "path", ep);
		return SL_EINVAL;
	}
	struct objstore_buf base = { 0 }, host = { 0 }, bp = { 0 };
	if (os->opt.path_style) {
		objstore_buf_add(&host, hp, hlen);
		objstore_buf_printf(&bp, "/%s", os->bucket);
	} else {
		objstore_buf_printf(&host, "%s.%.*s", os->bucket, (int)hlen,
				    hp);
		objstore_buf_reserve(&bp, 0);
	}
	objstore_buf_printf(&base, "%.*s%s", (int)(hp - ep), ep,
			    host.p ? host.p : "");
	if (base.oom || host.oom || bp.oom) {
		objstore_buf_free(&base);
		objstore_buf_free(&host);
		objstore_buf_free(&bp);
		snprintf(err, errlen, "out of memory");
		return SL_ENOMEM;
	}
	s3->base_url = base.p;
	s3->host = host.p;
	s3->bucket_path = bp.p;
	return 0;
}

/* Sets up curl's multi handle on the store's loop. */
static int s3_open(struct objstore *os, char *err, size_t errlen)
{
	if (!os->opt.access_key[0] || !os->opt.secret_key[0]) {
		snprintf(err, errlen,
			 "no S3 credentials: set s3.access.key and "
			 "s3.secret.key, or AWS_ACCESS_KEY_ID and "
			 "AWS_SECRET_ACCESS_KEY");
		return SL_EINVAL;
	}
	pthread_once(&s3_curl_once, s3_curl_init);
	if (s3_curl_init_rc != CURLE_OK) {
		snprintf(err, errlen, "curl_global_init: %s",
			 curl_easy_strerror(s3_curl_init_rc));
		return SL_EIO;
	}
	struct s3 *s3 = calloc(1, sizeof *s3);
	if (!s3) {
		snprintf(err, errlen, "out of memory");
		return SL_ENOMEM;
	}
	os->impl = s3;
	s3->os = os;
	s3->cred.access_key = os->opt.access_key;
	s3->cred.secret_key = os->opt.secret_key;
	s3->cred.region = os->opt.region;
	s3->cred.service = "s3";
	int rc = s3_setup_endpoint(s3, err, errlen);
	if (rc) {
		s3_close(os);
		return rc;
	}
	s3->timer = evtimer_new(os->base, s3_on_timer, s3);
	s3->multi = curl_multi_init();
	if (!s3->timer || !s3->multi) {
		s3_close(os);
		snprintf(err, errlen, "cannot set up libcurl's multi handle");
		return SL_EIO;
	}
	curl_multi_setopt(s3->multi, CURLMOPT_SOCKETFUNCTION, s3_socket_cb);
	curl_multi_setopt(s3->multi, CURLMOPT_SOCKETDATA, s3);
	curl_multi_setopt(s3->multi, CURLMOPT_TIMERFUNCTION, s3_timer_cb);
	curl_multi_setopt(s3->multi, CURLMOPT_TIMERDATA, s3);
	/* Keep enough idle connections for parallel parts and reads. */
	curl_multi_setopt(s3->multi, CURLMOPT_MAXCONNECTS, 32L);
	return 0;
}

const struct objstore_backend objstore_s3_backend = {
	.name = "s3",
	.workers = S3_WORKERS,
	.open = s3_open,
	.close = s3_close,
	.start = s3_start,
};
