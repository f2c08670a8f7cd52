/*
 * AWS Signature Version 4 (AWS4-HMAC-SHA256) for S3 requests: canonical
 * request, string to sign, signing key and the Authorization header value.
 *
 * Paths, query names and values are given raw (not percent-encoded); the
 * signer encodes them the one way AWS specifies, and the caller must put the
 * same encoded forms on the wire (sigv4_uri_encode, sigv4_canonical_query).
 * Paths are encoded once and not normalised, as S3 requires (no double
 * encoding, no removal of "." or "//").
 */
#ifndef SLUICE_SIGV4_H
#define SLUICE_SIGV4_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Hex SHA-256 of the empty string: the payload hash of a bodiless request. */
#define SIGV4_EMPTY_SHA256                                                     \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Sizes of the text forms, with the terminating NUL. */
#define SIGV4_HEX_SIZE 65
#define SIGV4_DATE_SIZE 17 /* "20130524T000000Z" */

/* One query parameter or header, raw. */
struct sigv4_pair {
	const char *name;
	const char *value;
};

struct sigv4_request {
	const char *method;
	const char *path; /* raw absolute path, e.g. "/bucket/o/ab/1" */
	const struct sigv4_pair *query;
	size_t query_count;
	/* Every header to sign, any case and order: at least host, x-amz-date
	 * and x-amz-content-sha256 for S3. */
	const struct sigv4_pair *headers;
	size_t header_count;
	const char *payload_hash; /* hex SHA-256 of the body */
};

struct sigv4_credentials {
	const char *access_key;
	const char *secret_key;
	const char *region;
	const char *service; /* "s3" */
};

/* Writes t (UTC) as "YYYYMMDDTHHMMSSZ" into out. */
void sigv4_amz_date(time_t t, char out[SIGV4_DATE_SIZE]);

/* Writes the lower-case hex SHA-256 of data into out. */
void sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_HEX_SIZE]);

/* Derives the signing key for date8 ("YYYYMMDD"), region and service. */
void sigv4_signing_key(const char *secret_key, const char *date8,
		       const char *region, const char *service,
		       uint8_t key[32]);

/*
 * Percent-encodes s the SigV4 way: A-Z a-z 0-9 - . _ ~ stay, every other
 * byte becomes %XX (upper-case hex); '/' stays when keep_slash (paths).
 * Returns a malloc'd string, or NULL when out of memory.
 */
char *sigv4_uri_encode(const char *s, int keep_slash);

/*
 * The canonical query string: each name and value encoded, pairs sorted by
 * encoded name then encoded value, joined with '&'; a parameter without a
 * value is "name=".  Returns a malloc'd string ("" for none), or NULL when
 * out of memory.
 */
char *sigv4_canonical_query(const struct sigv4_pair *query, size_t count);

/*
 * The canonical request text, and in *signed_headers (malloc'd) the
 * semicolon-separated sorted lower-case header names.  Returns a malloc'd
 * string, or NULL when out of memory.
 */
char *sigv4_canonical_request(const struct sigv4_request *req,
			      char **signed_headers);

/*
 * Signs req as of amz_date ("YYYYMMDDTHHMMSSZ", the value also sent in
 * x-amz-date) and writes the Authorization header value into out.  Returns
 * 0, SL_ENOMEM, or SL_EINVAL when amz_date is malformed or out too small.
 */
int sigv4_authorization(const struct sigv4_credentials *cred,
			const struct sigv4_request *req, const char *amz_date,
			char *out, size_t outlen);

#endif
