/*
 * Signed HTTP exchanges with an S3 endpoint for objstore_s3.c: each request
 * is signed with SigV4 (sigv4.c), sent on libcurl's multi interface driven
 * by the store's libevent loop (curl says which sockets to watch and when
 * to time out; we tell curl when they fire), and retried as a unit with
 * exponential backoff and full jitter on 5xx, 429, 400 RequestTimeout,
 * connection failures, resets and timeouts.  Any other 4xx is final and
 * its text names S3's error code and message.  Each attempt is re-signed
 * (the date moves).  Connections are reused across requests by the multi
 * handle; TCP_NODELAY is set.
 *
 * Payloads above S3_HTTP_HASH_INLINE are hashed (x-amz-content-sha256) on
 * the store's worker pool: SHA-256 of a 16 MiB part takes ~15 ms even with
 * the CPU's SHA instructions (several times that without), time the loop
 * should not spend.
 *
 * Ownership: the client owns its requests and frees each one after its
 * done function returned.  Threading: loop thread, but for the hashing
 * jobs, which touch only their request's payload_hash.
 */
#include "autoconfig.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/s3_http.h"
#include "common/s3_xml.h"

#define S3_HTTP_HASH_INLINE (256u << 10) /* larger payloads hash on a worker */
#define S3_HTTP_CONNECT_TIMEOUT_MS 10000L
#define S3_HTTP_LOW_SPEED_BYTES 1024L /* slower than this ... */
#define S3_HTTP_LOW_SPEED_SECS 30L    /* ... for this long is a timeout */
#define S3_HTTP_MAX_CONNECTS 32L      /* idle connections kept for reuse */

/* A socket curl watches, with its event. */
struct s3_http_sock {
	struct event *ev;
	struct s3_http_sock *prev, *next;
};

static pthread_once_t s3_http_curl_once = PTHREAD_ONCE_INIT;
static CURLcode s3_http_curl_init_rc;

/* curl_global_init, once per process (it is not thread-safe). */
static void s3_http_curl_init(void)
{
	s3_http_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void s3_http_req_send(struct s3_http_req *req);

/* ---- requests ----------------------------------------------------------- */

/* Makes a request of op; NULL when out of memory. */
struct s3_http_req *s3_http_req_new(struct s3_http *http,
				    struct objstore_op *op, const char *method,
				    const char *path, s3_http_done_fn done)
{
	struct s3_http_req *req = calloc(1, sizeof *req);
	if (!req)
		return NULL;
	req->path = strdup(path);
	if (!req->path) {
		free(req);
		return NULL;
	}
	req->http = http;
	req->op = op;
	req->method = method;
	req->done = done;
	req->next = http->reqs;
	if (http->reqs)
		http->reqs->prev = req;
	http->reqs = req;
	return req;
}

/* Adds a query parameter (value copied); returns 0 or SL_ENOMEM. */
int s3_http_req_query(struct s3_http_req *req, const char *name,
		      const char *value)
{
	SL_ASSERT(req->nquery < S3_HTTP_MAX_QUERY);
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
static void s3_http_req_drop_easy(struct s3_http_req *req)
{
	if (req->easy) {
		curl_multi_remove_handle(req->http->multi, req->easy);
		curl_easy_cleanup(req->easy);
		req->easy = NULL;
	}
	curl_slist_free_all(req->headers);
	req->headers = NULL;
}

/* Frees a request (off the live list). */
void s3_http_req_free(struct s3_http_req *req)
{
	struct s3_http *http = req->http;
	s3_http_req_drop_easy(req);
	if (req->prev)
		req->prev->next = req->next;
	else
		http->reqs = req->next;
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
static void s3_http_req_end(struct s3_http_req *req)
{
	req->done(req);
	s3_http_req_free(req);
}

/* Ends the request with a failure that happened before any response. */
static void s3_http_req_end_error(struct s3_http_req *req, int status,
				  const char *msg)
{
	req->status = status;
	snprintf(req->error, sizeof req->error, "%s", msg);
	s3_http_req_end(req);
}

/* Worker: SHA-256 of a large payload. */
static void s3_http_req_hash_work(void *arg)
{
	struct s3_http_req *req = arg;
	sigv4_sha256_hex(req->body, req->body_len, req->payload_hash);
}

/* Loop: the hash is ready. */
static void s3_http_req_hash_done(void *arg)
{
	s3_http_req_send(arg);
}

/* Starts the request: hashes the payload (on a worker when large), then
 * sends the first attempt. */
void s3_http_req_start(struct s3_http_req *req)
{
	if (req->body_len > S3_HTTP_HASH_INLINE) {
		if (objstore_pool_submit(req->http->os->pool,
					 s3_http_req_hash_work,
					 s3_http_req_hash_done, req) == 0)
			return;
		/* No memory for the job: hash here rather than fail. */
	}
	sigv4_sha256_hex(req->body ? (const void *)req->body : "",
			 req->body_len, req->payload_hash);
	s3_http_req_send(req);
}

/* curl: upload bytes from the body. */
static size_t s3_http_read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct s3_http_req *req = arg;
	size_t n = size * nitems, left = req->body_len - req->upload_pos;
	if (n > left)
		n = left;
	if (n)
		memcpy(buf, req->body + req->upload_pos, n);
	req->upload_pos += n;
	return n;
}

/* curl: rewind the upload (redirects, connection retries). */
static int s3_http_seek_cb(void *arg, curl_off_t offset, int origin)
{
	struct s3_http_req *req = arg;
	if (origin != SEEK_SET || offset < 0 || (size_t)offset > req->body_len)
		return CURL_SEEKFUNC_FAIL;
	req->upload_pos = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

/* curl: response body bytes. */
static size_t s3_http_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct s3_http_req *req = arg;
	size_t n = size * nmemb;
	if (req->resp.len == 0 && req->content_length > 0 &&
	    req->content_length < (int64_t)1 << 32)
		objstore_buf_reserve(&req->resp, (size_t)req->content_length);
	objstore_buf_add(&req->resp, data, n);
	return req->resp.oom ? 0 : n; /* 0 makes curl fail the transfer */
}

/* Copies a header's value, trimmed, if line is "name: value". */
static int s3_http_header_value(const char *line, size_t len, const char *name,
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
static size_t s3_http_header_cb(char *line, size_t size, size_t nitems,
				void *arg)
{
	struct s3_http_req *req = arg;
	size_t len = size * nitems;
	char v[256];
	if (len >= 5 && !memcmp(line, "HTTP/", 5)) {
		/* A new response (after 100 Continue or a redirect). */
		req->etag[0] = '\0';
		req->content_length = -1;
		req->total_size = -1;
	} else if (s3_http_header_value(line, len, "ETag", v, sizeof v)) {
		snprintf(req->etag, sizeof req->etag, "%s", v);
	} else if (s3_http_header_value(line, len, "Content-Length", v,
					sizeof v)) {
		req->content_length = strtoll(v, NULL, 10);
	} else if (s3_http_header_value(line, len, "Content-Range", v,
					sizeof v)) {
		const char *slash = strchr(v, '/');
		if (slash && slash[1] != '*')
			req->total_size = strtoll(slash + 1, NULL, 10);
	}
	return len;
}

/* Builds the URL of the current attempt: base, encoded path, query in the
 * same encoding as signed.  NULL when out of memory. */
static char *s3_http_req_url(struct s3_http_req *req)
{
	struct objstore_buf url = { 0 };
	char *path = sigv4_uri_encode(req->path, 1);
	if (!path)
		return NULL;
	objstore_buf_cat(&url, req->http->base_url);
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
static int s3_http_req_header(struct s3_http_req *req, const char *name,
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
static int s3_http_req_sign(struct s3_http_req *req)
{
	struct s3_http *http = req->http;
	char date[SIGV4_DATE_SIZE];
	sigv4_amz_date(time(NULL), date);
	struct sigv4_pair h[6];
	size_t nh = 0;
	h[nh++] = (struct sigv4_pair){ "Host", http->host };
	h[nh++] = (struct sigv4_pair){ "x-amz-date", date };
	h[nh++] = (struct sigv4_pair){ "x-amz-content-sha256",
				       req->payload_hash };
	if (req->range[0])
		h[nh++] = (struct sigv4_pair){ "Range", req->range };
	if (req->content_md5[0])
		h[nh++] =
			(struct sigv4_pair){ "Content-MD5", req->content_md5 };
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
	int rc = sigv4_authorization(&http->cred, &sr, date, auth, sizeof auth);
	if (rc)
		return rc;
	for (size_t i = 0; i < nh; i++)
		if (s3_http_req_header(req, h[i].name, h[i].value) < 0)
			return SL_ENOMEM;
	/* No "Expect: 100-continue" round trip, no Accept header. */
	if (s3_http_req_header(req, "Authorization", auth) < 0 ||
	    s3_http_req_header(req, "Expect", "") < 0 ||
	    s3_http_req_header(req, "Accept", "") < 0)
		return SL_ENOMEM;
	return 0;
}

/* Sends one attempt of the request. */
static void s3_http_req_send(struct s3_http_req *req)
{
	struct s3_http *http = req->http;
	struct objstore *os = http->os;
	req->attempts++;
	os->stats.requests++;
	req->http_status = 0;
	req->curl_err[0] = '\0';
	req->etag[0] = '\0';
	req->content_length = req->total_size = -1;
	req->upload_pos = 0;
	req->resp.len = 0;
	char *url = s3_http_req_url(req);
	CURL *e = curl_easy_init();
	if (!url || !e || s3_http_req_sign(req) != 0) {
		free(url);
		if (e)
			curl_easy_cleanup(e);
		s3_http_req_end_error(req, SL_ENOMEM, "out of memory");
		return;
	}
	req->easy = e;
	curl_easy_setopt(e, CURLOPT_URL, url);
	free(url); /* curl keeps its own copy */
	curl_easy_setopt(e, CURLOPT_PRIVATE, req);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->curl_err);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s3_http_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, s3_http_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			 S3_HTTP_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, S3_HTTP_LOW_SPEED_BYTES);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, S3_HTTP_LOW_SPEED_SECS);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	if (req->max_recv_rate)
		curl_easy_setopt(e, CURLOPT_MAX_RECV_SPEED_LARGE,
				 (curl_off_t)req->max_recv_rate);
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
		curl_easy_setopt(e, CURLOPT_READFUNCTION, s3_http_read_cb);
		curl_easy_setopt(e, CURLOPT_READDATA, req);
		curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, s3_http_seek_cb);
		curl_easy_setopt(e, CURLOPT_SEEKDATA, req);
		if (req->max_send_rate)
			curl_easy_setopt(e, CURLOPT_MAX_SEND_SPEED_LARGE,
					 (curl_off_t)req->max_send_rate);
		if (strcmp(req->method, "PUT"))
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	}
	CURLMcode mc = curl_multi_add_handle(http->multi, e);
	if (mc != CURLM_OK) {
		char msg[160];
		snprintf(msg, sizeof msg, "curl_multi_add_handle: %s",
			 curl_multi_strerror(mc));
		s3_http_req_end_error(req, SL_EIO, msg);
	}
}

/* Retry timer: the next attempt. */
static void s3_http_req_retry_fire(evutil_socket_t fd, short what, void *arg)
{
	s3_http_req_send(arg);
}

/* Whether a transport failure is worth another attempt. */
static int s3_http_curl_retriable(CURLcode rc)
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
	case CURLE_HTTP2_STREAM: return 1;
	default: return 0;
	}
}

/* Whether an S3 error (status and code) is worth another attempt. */
static int s3_http_status_retriable(long http, const char *code)
{
	if (http >= 500 || http == 429)
		return 1;
	/* The server gave up waiting for our body: transient by definition. */
	return http == 400 && !strcmp(code, "RequestTimeout");
}

/* An attempt ended (curl rc); classifies it and retries or ends. */
static void s3_http_req_completed(struct s3_http_req *req, CURLcode rc)
{
	struct objstore *os = req->http->os;
	curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &req->http_status);
	s3_http_req_drop_easy(req);
	int retriable;
	char code[64] = "", msg[300] = "";
	long hs = req->http_status;
	if (rc != CURLE_OK) {
		retriable = s3_http_curl_retriable(rc);
		snprintf(req->error, sizeof req->error, "%s%s%s",
			 curl_easy_strerror(rc), req->curl_err[0] ? ": " : "",
			 req->curl_err);
		req->status = SL_EIO;
	} else {
		int has_error = 0;
		if (hs < 200 || hs >= 300 || req->body_may_error)
			has_error =
				s3_xml_error(req->resp.p, req->resp.len, code,
					     sizeof code, msg, sizeof msg) == 0;
		if (hs >= 200 && hs < 300 && !has_error) {
			req->status = 0;
			req->error[0] = '\0';
			if (!strcmp(req->method, "PUT"))
				os->stats.bytes_up += req->body_len;
			if (!strcmp(req->method, "GET"))
				os->stats.bytes_down += req->resp.len;
			s3_http_req_end(req);
			return;
		}
		if (hs >= 200 && hs < 300)
			hs = 500; /* an error inside a 200: a server fault */
		if (has_error)
			snprintf(req->error, sizeof req->error, "%s: %s", code,
				 msg);
		else
			snprintf(req->error, sizeof req->error, "HTTP %ld%s",
				 hs,
				 !strcmp(req->method, "HEAD")
					 ? " (HEAD responses carry no error "
					   "text)"
					 : "");
		retriable = s3_http_status_retriable(hs, code);
		req->status = req->object_level && hs == 404 &&
					      strcmp(code, "NoSuchBucket")
				      ? SL_ENOENT
				      : SL_EIO;
	}
	if (retriable && req->attempts < os->opt.max_attempts) {
		int ms = objstore_backoff_ms(os, req->attempts);
		os->stats.retries++;
		log_debug("objstore: %s %s: %s; retry %d in %d ms", req->method,
			  req->path, req->error, req->attempts, ms);
		if (!req->retry_ev)
			req->retry_ev = evtimer_new(
				os->base, s3_http_req_retry_fire, req);
		struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
		if (req->retry_ev && evtimer_add(req->retry_ev, &tv) == 0)
			return;
		/* No timer: give up now with what we know. */
	}
	s3_http_req_end(req);
}

/* ---- curl multi on libevent --------------------------------------------- */

/* Hands finished transfers to their requests. */
static void s3_http_check_multi(struct s3_http *http)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(http->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct s3_http_req *req = NULL;
		CURLcode rc = msg->data.result; /* msg dies with the handle */
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &req);
		s3_http_req_completed(req, rc);
	}
}

/* A watched socket is ready. */
static void s3_http_on_socket(evutil_socket_t fd, short what, void *arg)
{
	struct s3_http *http = arg;
	int flags = (what & EV_READ ? CURL_CSELECT_IN : 0) |
		    (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
	int running;
	curl_multi_socket_action(http->multi, fd, flags, &running);
	s3_http_check_multi(http);
}

/* curl's timeout expired. */
static void s3_http_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct s3_http *http = arg;
	int running;
	curl_multi_socket_action(http->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	s3_http_check_multi(http);
}

/* curl: watch (or stop watching) a socket. */
static int s3_http_socket_cb(CURL *easy, curl_socket_t fd, int what,
			     void *userp, void *socketp)
{
	struct s3_http *http = userp;
	struct s3_http_sock *sock = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (sock) {
			event_free(sock->ev);
			if (sock->prev)
				sock->prev->next = sock->next;
			else
				http->socks = sock->next;
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
		sock->ev = event_new(http->os->base, fd, kind,
				     s3_http_on_socket, http);
		if (!sock->ev) {
			free(sock);
			return -1;
		}
		sock->next = http->socks;
		if (http->socks)
			http->socks->prev = sock;
		http->socks = sock;
		curl_multi_assign(http->multi, fd, sock);
	} else {
		event_del(sock->ev);
		event_assign(sock->ev, http->os->base, fd, kind,
			     s3_http_on_socket, http);
	}
	return event_add(sock->ev, NULL) == 0 ? 0 : -1;
}

/* curl: (re)arm or disarm the single timeout. */
static int s3_http_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct s3_http *http = userp;
	if (timeout_ms < 0) {
		evtimer_del(http->timer);
		return 0;
	}
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	return evtimer_add(http->timer, &tv) == 0 ? 0 : -1;
}

/* ---- open and close ------------------------------------------------------ */

int s3_http_open(struct s3_http *http, struct objstore *os, char *base_url,
		 char *host, char *err, size_t errlen)
{
	memset(http, 0, sizeof *http);
	http->os = os;
	http->base_url = base_url;
	http->host = host;
	http->cred.access_key = os->opt.access_key;
	http->cred.secret_key = os->opt.secret_key;
	http->cred.region = os->opt.region;
	http->cred.service = "s3";
	pthread_once(&s3_http_curl_once, s3_http_curl_init);
	if (s3_http_curl_init_rc != CURLE_OK) {
		snprintf(err, errlen, "curl_global_init: %s",
			 curl_easy_strerror(s3_http_curl_init_rc));
		return SL_EIO;
	}
	http->timer = evtimer_new(os->base, s3_http_on_timer, http);
	http->multi = curl_multi_init();
	if (!http->timer || !http->multi) {
		snprintf(err, errlen, "cannot set up libcurl's multi handle");
		return SL_EIO;
	}
	curl_multi_setopt(http->multi, CURLMOPT_SOCKETFUNCTION,
			  s3_http_socket_cb);
	curl_multi_setopt(http->multi, CURLMOPT_SOCKETDATA, http);
	curl_multi_setopt(http->multi, CURLMOPT_TIMERFUNCTION,
			  s3_http_timer_cb);
	curl_multi_setopt(http->multi, CURLMOPT_TIMERDATA, http);
	curl_multi_setopt(http->multi, CURLMOPT_MAXCONNECTS,
			  S3_HTTP_MAX_CONNECTS);
	return 0;
}

void s3_http_close(struct s3_http *http)
{
	while (http->reqs)
		s3_http_req_free(http->reqs);
	if (http->multi)
		curl_multi_cleanup(
			http->multi); /* may call s3_http_socket_cb */
	while (http->socks) {
		struct s3_http_sock *sock = http->socks;
		http->socks = sock->next;
		event_free(sock->ev);
		free(sock);
	}
	if (http->timer)
		event_free(http->timer);
	free(http->base_url);
	free(http->host);
	memset(http, 0, sizeof *http);
}
