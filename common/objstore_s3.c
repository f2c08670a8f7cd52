/*
 * The S3 backend's operations on top of s3_http.c's signed, retried
 * requests: PUT (multipart above the threshold: create, up to
 * max_parallel_parts part PUTs, complete; abort on failure), ranged GET,
 * HEAD, ListObjectsV2 page by page, DeleteObjects in batches of 1000 with
 * Content-MD5.  Path-style (endpoint/bucket/key) or virtual-hosted
 * (bucket.endpoint/key) addressing.
 *
 * Ownership: an operation's state (struct s3_op) lives in op->impl; its
 * requests never outlive it (an operation finishes only after its last
 * request).  PUT data is the caller's until the callback.  Threading: the
 * loop thread.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/objstore_internal.h"
#include "common/s3_http.h"
#include "common/s3_xml.h"

#define S3_WORKERS 2 /* payload hashing */
#define S3_DELETE_BATCH 1000

/* The backend (os->impl). */
struct s3 {
	struct s3_http http;
	char *bucket_path; /* "/bucket" (path-style) or "" */
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

/* Fails op with the request's outcome. */
static void s3_op_fail_from(struct objstore_op *op, struct s3_http_req *req,
			    const char *what)
{
	op->attempts = req->attempts;
	objstore_op_fail(op, req->status, (int)req->http_status, "%s%s",
			 req->error, what);
}

/* Fails op when req failed; otherwise op takes req's attempts and HTTP
 * status.  Returns nonzero when op failed. */
static int s3_op_req_failed(struct objstore_op *op, struct s3_http_req *req)
{
	if (req->status) {
		s3_op_fail_from(op, req, "");
		return 1;
	}
	op->attempts = req->attempts;
	op->res.http_status = (int)req->http_status;
	return 0;
}

/* Frees a request that could not be built and fails op for want of
 * memory. */
static void s3_op_req_oom(struct objstore_op *op, struct s3_http_req *req)
{
	s3_http_req_free(req);
	objstore_op_fail(op, SL_ENOMEM, 0, "out of memory");
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
static struct s3_http_req *s3_op_req_new(struct objstore_op *op,
					 const char *method, int bucket_level,
					 s3_http_done_fn done)
{
	struct s3 *s3 = op->os->impl;
	struct objstore_buf path = { 0 };
	if (bucket_level)
		objstore_buf_cat(&path,
				 s3->bucket_path[0] ? s3->bucket_path : "/");
	else
		s3_object_path(s3, op, &path);
	struct s3_http_req *req =
		path.oom ? NULL
			 : s3_http_req_new(&s3->http, op, method, path.p, done);
	objstore_buf_free(&path);
	return req;
}

/* As s3_op_req_new, but fails op when out of memory. */
static struct s3_http_req *s3_op_req(struct objstore_op *op, const char *method,
				     int bucket_level, s3_http_done_fn done)
{
	struct s3_http_req *req = s3_op_req_new(op, method, bucket_level, done);
	if (!req)
		objstore_op_fail(op, SL_ENOMEM, 0, "out of memory");
	return req;
}

/* PUT of a whole object ended (also the success of a multipart upload's
 * completion: the same result). */
static void s3_put_done(struct s3_http_req *req)
{
	struct objstore_op *op = req->op;
	if (s3_op_req_failed(op, req))
		return;
	op->res.object_size = op->len;
	objstore_op_finish(op);
}

static void s3_mpu_pump(struct objstore_op *op);

/* Remembers the first failure of a multipart upload. */
static void s3_mpu_failed(struct objstore_op *op, struct s3_http_req *req,
			  int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void s3_mpu_failed(struct objstore_op *op, struct s3_http_req *req,
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

/* Fails op with the first failure of its multipart upload. */
static void s3_mpu_report(struct objstore_op *op)
{
	struct s3_op *so = op->impl;
	op->attempts = so->fail_attempts;
	objstore_op_fail(op, so->fail_status, so->fail_http, "%s",
			 so->fail_msg);
}

/* The abort ended (either way): the upload's failure is reported. */
static void s3_mpu_aborted(struct s3_http_req *req)
{
	struct objstore_op *op = req->op;
	if (req->status)
		log_warn("objstore: abort of multipart upload of %s failed: "
			 "%s; its parts stay until the bucket's lifecycle "
			 "rules remove them",
			 op->key, req->error);
	s3_mpu_report(op);
}

/* Aborts the upload after a failure (if it was created). */
static void s3_mpu_abort(struct objstore_op *op)
{
	struct s3_op *so = op->impl;
	struct s3_http_req *req = NULL;
	if (so->upload_id) {
		req = s3_op_req_new(op, "DELETE", 0, s3_mpu_aborted);
		if (req && s3_http_req_query(req, "uploadId", so->upload_id)) {
			s3_http_req_free(req);
			req = NULL;
		}
	}
	if (req) {
		s3_http_req_start(req);
		return;
	}
	s3_mpu_report(op);
}

/* CompleteMultipartUpload ended. */
static void s3_mpu_completed(struct s3_http_req *req)
{
	struct objstore_op *op = req->op;
	if (req->status) {
		s3_mpu_failed(op, req, req->status,
			      "%s (completing the upload)", req->error);
		s3_mpu_abort(op);
		return;
	}
	s3_put_done(req);
}

/* Sends CompleteMultipartUpload with every part's ETag. */
static void s3_mpu_complete(struct objstore_op *op)
{
	struct s3_op *so = op->impl;
	struct s3_http_req *req = s3_op_req(op, "POST", 0, s3_mpu_completed);
	if (!req)
		return;
	struct objstore_buf *b = &req->own_body;
	objstore_buf_cat(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
			    "<CompleteMultipartUpload>");
	for (size_t i = 0; i < so->nparts; i++) {
		objstore_buf_printf(b,
				    "<Part><PartNumber>%zu</PartNumber>"
				    "<ETag>",
				    i + 1);
		s3_xml_escape(b, so->etags[i]);
		objstore_buf_cat(b, "</ETag></Part>");
	}
	objstore_buf_cat(b, "</CompleteMultipartUpload>");
	if (b->oom || s3_http_req_query(req, "uploadId", so->upload_id)) {
		s3_op_req_oom(op, req);
		return;
	}
	req->body = (const uint8_t *)b->p;
	req->body_len = b->len;
	req->content_type = "application/xml";
	req->body_may_error = 1;
	s3_http_req_start(req);
}

/* One part ended. */
static void s3_mpu_part_done(struct s3_http_req *req)
{
	struct objstore_op *op = req->op;
	struct s3_op *so = op->impl;
	so->inflight--;
	if (req->status) {
		s3_mpu_failed(op, req, req->status, "%s (part %d)", req->error,
			      req->part);
	} else if (!req->etag[0]) {
		s3_mpu_failed(op, req, SL_EIO,
			      "no ETag in the response to "
			      "part %d",
			      req->part);
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
		struct s3_http_req *req =
			s3_op_req_new(op, "PUT", 0, s3_mpu_part_done);
		char num[24];
		snprintf(num, sizeof num, "%zu", i + 1);
		if (req &&
		    (s3_http_req_query(req, "partNumber", num) ||
		     s3_http_req_query(req, "uploadId", so->upload_id))) {
			s3_http_req_free(req);
			req = NULL;
		}
		if (!req) {
			s3_mpu_failed(op, NULL, SL_ENOMEM, "out of memory");
			break;
		}
		req->part = (int)(i + 1);
		req->body = op->data + i * psize;
		req->body_len =
			i + 1 < so->nparts ? psize : op->len - i * psize;
		if (op->max_send_rate) /* the parts in flight share it */
			req->max_send_rate = op->max_send_rate /
					     (uint64_t)os->opt.max_parallel_parts + 1;
		so->next_part++;
		so->inflight++;
		s3_http_req_start(req);
	}
	if (so->inflight > 0)
		return;
	if (so->failed)
		s3_mpu_abort(op);
	else if (so->parts_done == so->nparts)
		s3_mpu_complete(op);
}

/* CreateMultipartUpload ended: start the parts. */
static void s3_mpu_created(struct s3_http_req *req)
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
		struct s3_http_req *req = s3_op_req(op, "PUT", 0, s3_put_done);
		if (!req)
			return;
		req->body = op->data;
		req->body_len = op->len;
		req->max_send_rate = op->max_send_rate;
		s3_http_req_start(req);
		return;
	}
	struct s3_http_req *req = s3_op_req(op, "POST", 0, s3_mpu_created);
	if (!req)
		return;
	if (s3_http_req_query(req, "uploads", "")) {
		s3_op_req_oom(op, req);
		return;
	}
	req->content_type = "application/octet-stream";
	s3_http_req_start(req);
}

/* GET ended: the body moves to the operation. */
static void s3_get_done(struct s3_http_req *req)
{
	struct objstore_op *op = req->op;
	if (s3_op_req_failed(op, req))
		return;
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
	struct s3_http_req *req = s3_op_req(op, "GET", 0, s3_get_done);
	if (!req)
		return;
	req->object_level = 1;
	req->max_recv_rate = op->max_recv_rate;
	if (op->range_len)
		snprintf(req->range, sizeof req->range, "bytes=%llu-%llu",
			 (unsigned long long)op->offset,
			 (unsigned long long)(op->offset + op->range_len - 1));
	else if (op->offset)
		snprintf(req->range, sizeof req->range, "bytes=%llu-",
			 (unsigned long long)op->offset);
	s3_http_req_start(req);
}

/* HEAD ended. */
static void s3_head_done(struct s3_http_req *req)
{
	struct objstore_op *op = req->op;
	if (s3_op_req_failed(op, req))
		return;
	op->res.object_size =
		req->content_length >= 0 ? (uint64_t)req->content_length : 0;
	objstore_op_finish(op);
}

/* HEAD of an object. */
static void s3_head_start(struct objstore_op *op)
{
	struct s3_http_req *req = s3_op_req(op, "HEAD", 0, s3_head_done);
	if (!req)
		return;
	req->object_level = 1;
	s3_http_req_start(req);
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
static void s3_list_done(struct s3_http_req *req)
{
	struct objstore_op *op = req->op;
	struct s3_op *so = op->impl;
	if (s3_op_req_failed(op, req))
		return;
	int truncated = 0;
	char *token = NULL;
	int rc = s3_xml_list(req->resp.p, req->resp.len, s3_list_entry, op,
			     &truncated, &token);
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
	if (truncated)
		s3_list_page(op);
	else
		objstore_op_finish(op);
}

/* Requests the next ListObjectsV2 page. */
static void s3_list_page(struct objstore_op *op)
{
	struct s3_op *so = op->impl;
	struct s3_http_req *req = s3_op_req(op, "GET", 1, s3_list_done);
	if (!req)
		return;
	char max[16];
	snprintf(max, sizeof max, "%d", op->os->opt.list_page_size);
	struct objstore_buf prefix = { 0 };
	objstore_buf_printf(&prefix, "%s%s", so->list_prefix, op->key);
	int rc = prefix.oom || s3_http_req_query(req, "list-type", "2") ||
		 s3_http_req_query(req, "prefix", prefix.p) ||
		 s3_http_req_query(req, "max-keys", max) ||
		 (so->token &&
		  s3_http_req_query(req, "continuation-token", so->token));
	objstore_buf_free(&prefix);
	if (rc) {
		s3_op_req_oom(op, req);
		return;
	}
	s3_http_req_start(req);
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
static void s3_delete_done(struct s3_http_req *req)
{
	struct objstore_op *op = req->op;
	struct s3_op *so = op->impl;
	if (s3_op_req_failed(op, req))
		return;
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
	struct s3_http_req *req = s3_op_req(op, "POST", 1, s3_delete_done);
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
	if (b->oom || s3_http_req_query(req, "delete", "")) {
		s3_op_req_oom(op, req);
		return;
	}
	so->del_next = end;
	req->body = (const uint8_t *)b->p;
	req->body_len = b->len;
	req->content_type = "application/xml";
	s3_content_md5(b->p, b->len, req->content_md5);
	s3_http_req_start(req);
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
	s3_http_close(&s3->http);
	free(s3->bucket_path);
	free(s3);
	os->impl = NULL;
}

/* Splits the endpoint into scheme and host[:port]; builds the base URL,
 * Host header and bucket path for the addressing style. */
static int s3_setup_endpoint(struct s3 *s3, struct objstore *os,
			     char **base_url, char **host_out, char *err,
			     size_t errlen)
{
	char def[256];
	const char *ep = os->opt.endpoint;
	if (!ep[0]) {
		snprintf(def, sizeof def, "https://s3.%s.amazonaws.com",
			 os->opt.region);
		ep = def;
	}
	const char *sep = strstr(ep, "://");
	if (!sep || (strncmp(ep, "http://", 7) && strncmp(ep, "https://", 8))) {
		snprintf(err, errlen,
			 "s3 endpoint %s: want http:// or https://", ep);
		return SL_EINVAL;
	}
	const char *hp = sep + 3;
	size_t hlen = strcspn(hp, "/");
	if (hlen == 0 || (hp[hlen] && strcmp(hp + hlen, "/"))) {
		snprintf(err, errlen,
			 "s3 endpoint %s: want scheme://host[:port] without a "
			 "path",
			 ep);
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
	*base_url = base.p;
	*host_out = host.p;
	s3->bucket_path = bp.p;
	return 0;
}

/* Checks the credentials, works out the addressing, opens the client. */
static int s3_open(struct objstore *os, char *err, size_t errlen)
{
	if (!os->opt.access_key[0] || !os->opt.secret_key[0]) {
		snprintf(err, errlen,
			 "no S3 credentials: set s3.access.key and "
			 "s3.secret.key, or AWS_ACCESS_KEY_ID and "
			 "AWS_SECRET_ACCESS_KEY");
		return SL_EINVAL;
	}
	struct s3 *s3 = calloc(1, sizeof *s3);
	if (!s3) {
		snprintf(err, errlen, "out of memory");
		return SL_ENOMEM;
	}
	os->impl = s3;
	char *base_url, *host;
	int rc = s3_setup_endpoint(s3, os, &base_url, &host, err, errlen);
	if (rc == 0)
		rc = s3_http_open(&s3->http, os, base_url, host, err, errlen);
	if (rc)
		s3_close(os);
	return rc;
}

const struct objstore_backend objstore_s3_backend = {
	.name = "s3",
	.workers = S3_WORKERS,
	.open = s3_open,
	.close = s3_close,
	.start = s3_start,
};
