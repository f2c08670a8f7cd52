/*
 * AWS Signature Version 4 with OpenSSL (HMAC-SHA256, SHA-256).
 *
 * Everything here is a pure function of its inputs (the caller supplies the
 * date), so the published AWS examples pin it down byte for byte.  Strings
 * are built in a small growable buffer that remembers an allocation failure
 * instead of checking after every append.
 *
 * Threading: any thread; no state.
 */
#include "autoconfig.h"

#include "common/sigv4.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/errors.h"

/* A growable string; oom is sticky so callers check once at the end. */
struct sigv4_str {
	char *p;
	size_t len, cap;
	int oom;
};

/* Makes room for n more bytes plus a NUL; returns 0 or -1 (oom set). */
static int sigv4_str_reserve(struct sigv4_str *s, size_t n)
{
	if (s->oom)
		return -1;
	if (s->len + n + 1 <= s->cap)
		return 0;
	size_t cap = s->cap ? s->cap : 256;
	while (cap < s->len + n + 1)
		cap *= 2;
	char *p = realloc(s->p, cap);
	if (!p) {
		s->oom = 1;
		return -1;
	}
	s->p = p;
	s->cap = cap;
	s->p[s->len] = '\0';
	return 0;
}

/* Appends n bytes of data. */
static void sigv4_str_add(struct sigv4_str *s, const char *data, size_t n)
{
	if (sigv4_str_reserve(s, n) < 0)
		return;
	memcpy(s->p + s->len, data, n);
	s->len += n;
	s->p[s->len] = '\0';
}

/* Appends a NUL-terminated string. */
static void sigv4_str_cat(struct sigv4_str *s, const char *str)
{
	sigv4_str_add(s, str, strlen(str));
}

/* Appends one character. */
static void sigv4_str_putc(struct sigv4_str *s, char c)
{
	sigv4_str_add(s, &c, 1);
}

/* Hands over the string (never NULL unless out of memory). */
static char *sigv4_str_take(struct sigv4_str *s)
{
	if (!s->oom && sigv4_str_reserve(s, 0) == 0)
		return s->p;
	free(s->p);
	return NULL;
}

/* Writes n bytes as lower-case hex into out (2n+1 bytes). */
static void sigv4_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* HMAC-SHA256 of msg under key into out (32 bytes). */
static void sigv4_hmac(const void *key, size_t keylen, const char *msg,
		       size_t msglen, uint8_t out[32])
{
	unsigned int outlen = 32;
	HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, msglen,
	     out, &outlen);
}

void sigv4_amz_date(time_t t, char out[SIGV4_DATE_SIZE])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, SIGV4_DATE_SIZE, "%Y%m%dT%H%M%SZ", &tm);
}

void sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_HEX_SIZE])
{
	uint8_t md[32];
	unsigned int mdlen = sizeof md;
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	sigv4_hex(md, sizeof md, out);
}

void sigv4_signing_key(const char *secret_key, const char *date8,
		       const char *region, const char *service, uint8_t key[32])
{
	/* "AWS4" + secret keys the first HMAC; a stack buffer would cap the
	 * secret's length, so build it on the heap only when it is long. */
	char small[128];
	size_t n = strlen(secret_key) + 4;
	char *k = n <= sizeof small ? small : malloc(n);
	uint8_t a[32], b[32];
	if (!k) {
		memset(key, 0, 32); /* a wrong key fails loudly at the server */
		return;
	}
	memcpy(k, "AWS4", 4);
	memcpy(k + 4, secret_key, n - 4);
	sigv4_hmac(k, n, date8, strlen(date8), a);
	if (k != small)
		free(k);
	sigv4_hmac(a, 32, region, strlen(region), b);
	sigv4_hmac(b, 32, service, strlen(service), a);
	sigv4_hmac(a, 32, "aws4_request", 12, key);
}

/* Whether c is one of RFC 3986's unreserved characters. */
static int sigv4_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

/* Appends s percent-encoded to out. */
static void sigv4_encode_into(struct sigv4_str *out, const char *s,
			      int keep_slash)
{
	static const char digits[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (sigv4_unreserved(*p) || (keep_slash && *p == '/')) {
			sigv4_str_putc(out, (char)*p);
		} else {
			char esc[3] = { '%', digits[*p >> 4], digits[*p & 15] };
			sigv4_str_add(out, esc, 3);
		}
	}
}

char *sigv4_uri_encode(const char *s, int keep_slash)
{
	struct sigv4_str out = { 0 };
	sigv4_str_reserve(&out, strlen(s));
	sigv4_encode_into(&out, s, keep_slash);
	return sigv4_str_take(&out);
}

/* One encoded query parameter, for sorting. */
struct sigv4_qp {
	char *name, *value;
};

/* Orders parameters by encoded name, then encoded value (byte order). */
static int sigv4_qp_cmp(const void *a, const void *b)
{
	const struct sigv4_qp *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

char *sigv4_canonical_query(const struct sigv4_pair *query, size_t count)
{
	struct sigv4_qp *qp = calloc(count ? count : 1, sizeof *qp);
	struct sigv4_str out = { 0 };
	if (!qp)
		return NULL;
	int oom = 0;
	for (size_t i = 0; i < count; i++) {
		qp[i].name = sigv4_uri_encode(query[i].name, 0);
		qp[i].value = sigv4_uri_encode(
			query[i].value ? query[i].value : "", 0);
		if (!qp[i].name || !qp[i].value)
			oom = 1;
	}
	if (!oom) {
		qsort(qp, count, sizeof *qp, sigv4_qp_cmp);
		sigv4_str_reserve(&out, 0);
		for (size_t i = 0; i < count; i++) {
			if (i)
				sigv4_str_putc(&out, '&');
			sigv4_str_cat(&out, qp[i].name);
			sigv4_str_putc(&out, '=');
			sigv4_str_cat(&out, qp[i].value);
		}
	}
	for (size_t i = 0; i < count; i++) {
		free(qp[i].name);
		free(qp[i].value);
	}
	free(qp);
	if (oom) {
		free(out.p);
		return NULL;
	}
	return sigv4_str_take(&out);
}

/* A header as signed: lower-case name, trimmed value with runs of spaces
 * folded to one. */
struct sigv4_hdr {
	char *name, *value;
};

/* Lower-cases a copy of name. */
static char *sigv4_lower(const char *name)
{
	char *s = strdup(name);
	if (s)
		for (char *p = s; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return s;
}

/* Copies value without leading and trailing blanks, folding inner runs of
 * blanks to one space (AWS's "trimall"). */
static char *sigv4_trimall(const char *value)
{
	char *s = malloc(strlen(value) + 1), *o = s;
	if (!s)
		return NULL;
	const char *p = value;
	while (*p == ' ' || *p == '\t')
		p++;
	while (*p) {
		if (*p == ' ' || *p == '\t') {
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p)
				*o++ = ' ';
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return s;
}

char *sigv4_canonical_request(const struct sigv4_request *req,
			      char **signed_headers)
{
	size_t n = req->header_count;
	struct sigv4_hdr *h = calloc(n ? n : 1, sizeof *h);
	struct sigv4_str out = { 0 }, sh = { 0 };
	char *query = NULL;
	int oom = !h;
	*signed_headers = NULL;
	for (size_t i = 0; !oom && i < n; i++) {
		h[i].name = sigv4_lower(req->headers[i].name);
		h[i].value = sigv4_trimall(req->headers[i].value);
		if (!h[i].name || !h[i].value)
			oom = 1;
	}
	if (!oom) {
		/* Insertion sort: stable, so repeated headers keep their
		 * order when their values are joined below; n is small. */
		for (size_t i = 1; i < n; i++) {
			struct sigv4_hdr t = h[i];
			size_t j = i;
			for (; j > 0 && strcmp(h[j - 1].name, t.name) > 0; j--)
				h[j] = h[j - 1];
			h[j] = t;
		}
		query = sigv4_canonical_query(req->query, req->query_count);
		oom = !query;
	}
	if (!oom) {
		sigv4_str_cat(&out, req->method);
		sigv4_str_putc(&out, '\n');
		if (!req->path || !req->path[0])
			sigv4_str_putc(&out, '/');
		else
			sigv4_encode_into(&out, req->path, 1);
		sigv4_str_putc(&out, '\n');
		sigv4_str_cat(&out, query);
		sigv4_str_putc(&out, '\n');
		sigv4_str_reserve(&sh, 0);
		for (size_t i = 0; i < n; i++) {
			int repeat = i > 0 && !strcmp(h[i - 1].name, h[i].name);
			if (repeat) {
				sigv4_str_putc(&out, ',');
			} else {
				if (i > 0) {
					sigv4_str_putc(&out, '\n');
					sigv4_str_putc(&sh, ';');
				}
				sigv4_str_cat(&out, h[i].name);
				sigv4_str_putc(&out, ':');
				sigv4_str_cat(&sh, h[i].name);
			}
			sigv4_str_cat(&out, h[i].value);
		}
		if (n)
			sigv4_str_putc(&out, '\n');
		sigv4_str_putc(&out, '\n');
		sigv4_str_cat(&out, sh.p ? sh.p : "");
		sigv4_str_putc(&out, '\n');
		sigv4_str_cat(&out, req->payload_hash);
	}
	for (size_t i = 0; h && i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
	free(query);
	char *text = oom ? NULL : sigv4_str_take(&out);
	char *names = oom ? NULL : sigv4_str_take(&sh);
	if (!text || !names) {
		if (oom) {
			free(out.p);
			free(sh.p);
		}
		free(text);
		free(names);
		return NULL;
	}
	*signed_headers = names;
	return text;
}

/* Whether d looks like "YYYYMMDDTHHMMSSZ". */
static int sigv4_date_valid(const char *d)
{
	if (strlen(d) != SIGV4_DATE_SIZE - 1 || d[8] != 'T' || d[15] != 'Z')
		return 0;
	for (int i = 0; i < 15; i++)
		if (i != 8 && !isdigit((unsigned char)d[i]))
			return 0;
	return 1;
}

int sigv4_authorization(const struct sigv4_credentials *cred,
			const struct sigv4_request *req, const char *amz_date,
			char *out, size_t outlen)
{
	if (!sigv4_date_valid(amz_date))
		return SL_EINVAL;
	char date8[9];
	memcpy(date8, amz_date, 8);
	date8[8] = '\0';

	char *signed_headers;
	char *creq = sigv4_canonical_request(req, &signed_headers);
	if (!creq)
		return SL_ENOMEM;
	char creq_hash[SIGV4_HEX_SIZE];
	sigv4_sha256_hex(creq, strlen(creq), creq_hash);
	free(creq);

	struct sigv4_str sts = { 0 };
	sigv4_str_cat(&sts, "AWS4-HMAC-SHA256\n");
	sigv4_str_cat(&sts, amz_date);
	sigv4_str_putc(&sts, '\n');
	sigv4_str_cat(&sts, date8);
	sigv4_str_putc(&sts, '/');
	sigv4_str_cat(&sts, cred->region);
	sigv4_str_putc(&sts, '/');
	sigv4_str_cat(&sts, cred->service);
	sigv4_str_cat(&sts, "/aws4_request\n");
	sigv4_str_cat(&sts, creq_hash);
	char *string_to_sign = sigv4_str_take(&sts);
	if (!string_to_sign) {
		free(signed_headers);
		return SL_ENOMEM;
	}

	uint8_t key[32], sig[32];
	char sig_hex[SIGV4_HEX_SIZE];
	sigv4_signing_key(cred->secret_key, date8, cred->region, cred->service,
			  key);
	sigv4_hmac(key, sizeof key, string_to_sign, strlen(string_to_sign),
		   sig);
	sigv4_hex(sig, sizeof sig, sig_hex);
	free(string_to_sign);

	int n = snprintf(
		out, outlen,
		"AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, "
		"SignedHeaders=%s, Signature=%s",
		cred->access_key, date8, cred->region, cred->service,
		signed_headers, sig_hex);
	free(signed_headers);
	if (n < 0 || (size_t)n >= outlen)
		return SL_EINVAL;
	return 0;
}
