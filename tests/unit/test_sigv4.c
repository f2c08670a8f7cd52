/*
 * Unit tests for common/sigv4.c against AWS's published values: the four
 * worked examples of the S3 API reference ("Authenticating Requests: Using
 * the Authorization Header (AWS Signature Version 4)": GET Object with
 * Range, PUT Object, GET Bucket Lifecycle, Get Bucket (List Objects); key
 * AKIAIOSFODNN7EXAMPLE, date 20130524, bucket examplebucket), the
 * aws-sig-v4-test-suite cases (AKIDEXAMPLE, 20150830T123600Z, service
 * "service"), the documented signing-key derivation, and the canonical
 * encoding and ordering rules with their edge cases.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/sigv4.h"
#include "tests/unit/unit_main.h"

#define S3_AK "AKIAIOSFODNN7EXAMPLE"
#define S3_SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define S3_HOST "examplebucket.s3.amazonaws.com"
#define S3_DATE "20130524T000000Z"
#define SUITE_AK "AKIDEXAMPLE"
#define SUITE_SK "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_DATE "20150830T123600Z"
#define PUT_BODY "Welcome to Amazon S3."
#define PUT_HASH                                                               \
	"44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"

/* One published signing example. */
struct vector {
	const char *name;
	const char *method;
	const char *path;
	struct sigv4_pair query[3];
	size_t nquery;
	struct sigv4_pair headers[6];
	size_t nheaders;
	const char *payload_hash;
	int s3; /* S3 example (else the generic test suite) */
	const char *signature;
};

static const struct vector vectors[] = {
	{ "s3 GET Object with Range",
	  "GET",
	  "/test.txt",
	  { { 0 } },
	  0,
	  { { "Host", S3_HOST },
	    { "Range", "bytes=0-9" },
	    { "x-amz-content-sha256", SIGV4_EMPTY_SHA256 },
	    { "x-amz-date", S3_DATE } },
	  4,
	  SIGV4_EMPTY_SHA256,
	  1,
	  "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41" },
	{ "s3 PUT Object",
	  "PUT",
	  "/test$file.text",
	  { { 0 } },
	  0,
	  { { "Host", S3_HOST },
	    { "Date", "Fri, 24 May 2013 00:00:00 GMT" },
	    { "x-amz-date", S3_DATE },
	    { "x-amz-storage-class", "REDUCED_REDUNDANCY" },
	    { "x-amz-content-sha256", PUT_HASH } },
	  5,
	  PUT_HASH,
	  1,
	  "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd" },
	{ "s3 GET Bucket Lifecycle",
	  "GET",
	  "/",
	  { { "lifecycle", "" } },
	  1,
	  { { "Host", S3_HOST },
	    { "x-amz-date", S3_DATE },
	    { "x-amz-content-sha256", SIGV4_EMPTY_SHA256 } },
	  3,
	  SIGV4_EMPTY_SHA256,
	  1,
	  "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543" },
	{ "s3 Get Bucket (List Objects)",
	  "GET",
	  "/",
	  { { "prefix", "J" }, { "max-keys", "2" } },
	  2,
	  { { "Host", S3_HOST },
	    { "x-amz-date", S3_DATE },
	    { "x-amz-content-sha256", SIGV4_EMPTY_SHA256 } },
	  3,
	  SIGV4_EMPTY_SHA256,
	  1,
	  "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7" },
#define SUITE_HEADERS                                                          \
	{ { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } }, 2
	{ "get-vanilla",
	  "GET",
	  "/",
	  { { 0 } },
	  0,
	  SUITE_HEADERS,
	  SIGV4_EMPTY_SHA256,
	  0,
	  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
	{ "get-vanilla-query-order-key-case",
	  "GET",
	  "/",
	  { { "Param2", "value2" }, { "Param1", "value1" } },
	  2,
	  SUITE_HEADERS,
	  SIGV4_EMPTY_SHA256,
	  0,
	  "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
	{ "get-vanilla-query-order-value",
	  "GET",
	  "/",
	  { { "Param1", "value2" }, { "Param1", "value1" } },
	  2,
	  SUITE_HEADERS,
	  SIGV4_EMPTY_SHA256,
	  0,
	  "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694" },
	{ "get-vanilla-query-unreserved",
	  "GET",
	  "/",
	  { { "-._~"
	      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
	      "-._~"
	      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxy"
	      "z" } },
	  1,
	  SUITE_HEADERS,
	  SIGV4_EMPTY_SHA256,
	  0,
	  "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197" },
	{ "get-vanilla-utf8-query",
	  "GET",
	  "/",
	  { { "\xe1\x88\xb4", "bar" } },
	  1,
	  SUITE_HEADERS,
	  SIGV4_EMPTY_SHA256,
	  0,
	  "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04" },
	{ "get-utf8",
	  "GET",
	  "/\xe1\x88\xb4",
	  { { 0 } },
	  0,
	  SUITE_HEADERS,
	  SIGV4_EMPTY_SHA256,
	  0,
	  "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85" },
	{ "get-space",
	  "GET",
	  "/example space/",
	  { { 0 } },
	  0,
	  SUITE_HEADERS,
	  SIGV4_EMPTY_SHA256,
	  0,
	  "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741" },
	/* S3 keeps "//" (no normalisation): the "unnormalized" vector. */
	{ "get-slashes-unnormalized",
	  "GET",
	  "//example//",
	  { { 0 } },
	  0,
	  SUITE_HEADERS,
	  SIGV4_EMPTY_SHA256,
	  0,
	  "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5" },
	{ "post-vanilla",
	  "POST",
	  "/",
	  { { 0 } },
	  0,
	  SUITE_HEADERS,
	  SIGV4_EMPTY_SHA256,
	  0,
	  "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
	{ "post-vanilla-query",
	  "POST",
	  "/",
	  { { "Param1", "value1" } },
	  1,
	  SUITE_HEADERS,
	  SIGV4_EMPTY_SHA256,
	  0,
	  "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },
};

/* Signs vector v; returns the Authorization value (static buffer). */
static const char *sign_vector(const struct vector *v)
{
	static char auth[1024];
	struct sigv4_credentials cred = {
		.access_key = v->s3 ? S3_AK : SUITE_AK,
		.secret_key = v->s3 ? S3_SK : SUITE_SK,
		.region = "us-east-1",
		.service = v->s3 ? "s3" : "service",
	};
	struct sigv4_request req = {
		.method = v->method,
		.path = v->path,
		.query = v->query,
		.query_count = v->nquery,
		.headers = v->headers,
		.header_count = v->nheaders,
		.payload_hash = v->payload_hash,
	};
	int rc = sigv4_authorization(&cred, &req, v->s3 ? S3_DATE : SUITE_DATE,
				     auth, sizeof auth);
	ck_assert_msg(rc == 0, "%s: rc %d", v->name, rc);
	return auth;
}

START_TEST(test_published_vectors)
{
	const struct vector *v = &vectors[_i];
	const char *auth = sign_vector(v);
	const char *sig = strstr(auth, "Signature=");
	ck_assert_msg(sig, "%s: %s", v->name, auth);
	ck_assert_msg(!strcmp(sig + 10, v->signature), "%s: got %s want %s",
		      v->name, sig + 10, v->signature);
}
END_TEST

START_TEST(test_s3_authorization_header)
{
	/* The whole header of the GET Object example, as the doc shows it
	 * (with ", " between the parts). */
	ck_assert_str_eq(
		sign_vector(&vectors[0]),
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/"
		"us-east-1/s3/aws4_request, "
		"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
		"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91"
		"039c6036bdb41");
	ck_assert(strstr(sign_vector(&vectors[1]),
			 "SignedHeaders=date;host;x-amz-content-sha256;"
			 "x-amz-date;x-amz-storage-class, "));
}
END_TEST

/* The canonical request of vector v (freed by the caller). */
static char *canonical_of(const struct vector *v, char **signed_headers)
{
	struct sigv4_request req = {
		.method = v->method,
		.path = v->path,
		.query = v->query,
		.query_count = v->nquery,
		.headers = v->headers,
		.header_count = v->nheaders,
		.payload_hash = v->payload_hash,
	};
	char *creq = sigv4_canonical_request(&req, signed_headers);
	ck_assert_ptr_nonnull(creq);
	return creq;
}

START_TEST(test_s3_canonical_requests)
{
	char *sh;
	char *creq = canonical_of(&vectors[0], &sh);
	ck_assert_str_eq(creq, "GET\n/test.txt\n\n"
			       "host:examplebucket.s3.amazonaws.com\n"
			       "range:bytes=0-9\n"
			       "x-amz-content-sha256:" SIGV4_EMPTY_SHA256 "\n"
			       "x-amz-date:20130524T000000Z\n\n"
			       "host;range;x-amz-content-sha256;x-amz-"
			       "date\n" SIGV4_EMPTY_SHA256);
	ck_assert_str_eq(sh, "host;range;x-amz-content-sha256;x-amz-date");
	free(creq);
	free(sh);

	/* '$' encoded once in the path: %24, not %2524. */
	creq = canonical_of(&vectors[1], &sh);
	ck_assert_str_eq(creq, "PUT\n/test%24file.text\n\n"
			       "date:Fri, 24 May 2013 00:00:00 GMT\n"
			       "host:examplebucket.s3.amazonaws.com\n"
			       "x-amz-content-sha256:" PUT_HASH "\n"
			       "x-amz-date:20130524T000000Z\n"
			       "x-amz-storage-class:REDUCED_REDUNDANCY\n\n"
			       "date;host;x-amz-content-sha256;x-amz-date;"
			       "x-amz-storage-class\n" PUT_HASH);
	char hash[SIGV4_HEX_SIZE];
	sigv4_sha256_hex(creq, strlen(creq), hash);
	ck_assert_str_eq(hash, "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7"
			       "f6a76b4158342019d");
	free(creq);
	free(sh);

	/* A parameter without a value is "lifecycle=". */
	creq = canonical_of(&vectors[2], &sh);
	ck_assert(strstr(creq, "GET\n/\nlifecycle=\nhost:") == creq);
	sigv4_sha256_hex(creq, strlen(creq), hash);
	ck_assert_str_eq(hash, "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f"
			       "94eaebf79c77395ca");
	free(creq);
	free(sh);

	creq = canonical_of(&vectors[3], &sh);
	ck_assert(strstr(creq, "GET\n/\nmax-keys=2&prefix=J\nhost:") == creq);
	free(creq);
	free(sh);
}
END_TEST

START_TEST(test_payload_hash_and_date)
{
	char hex[SIGV4_HEX_SIZE];
	sigv4_sha256_hex(PUT_BODY, strlen(PUT_BODY), hex);
	ck_assert_str_eq(hex, PUT_HASH);
	sigv4_sha256_hex("", 0, hex);
	ck_assert_str_eq(hex, SIGV4_EMPTY_SHA256);
	char date[SIGV4_DATE_SIZE];
	sigv4_amz_date(1369353600, date);
	ck_assert_str_eq(date, S3_DATE);
	sigv4_amz_date(1440938160, date);
	ck_assert_str_eq(date, SUITE_DATE);
}
END_TEST

START_TEST(test_signing_key)
{
	/* The derivation example of the SigV4 documentation (IAM). */
	uint8_t key[32];
	char hex[65];
	sigv4_signing_key(SUITE_SK, "20150830", "us-east-1", "iam", key);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	ck_assert_str_eq(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e"
			      "86da6ed3c154a4b9");
}
END_TEST

/* One encoding case. */
struct enc_case {
	const char *in;
	int keep_slash;
	const char *out;
};

static const struct enc_case enc_cases[] = {
	{ "a b", 0, "a%20b" }, /* space is %20, never '+' */
	{ "a+b", 0, "a%2Bb" },
	{ "a/b", 0, "a%2Fb" },	       /* in query values */
	{ "a/b", 1, "a/b" },	       /* in paths */
	{ "A-z_0.9~", 0, "A-z_0.9~" }, /* unreserved stay */
	{ "=&?#%", 0, "%3D%26%3F%23%25" },
	{ "!'()*", 1, "%21%27%28%29%2A" }, /* what encodeURIComponent keeps */
	{ "\xd0\xba\xd0\xbb", 1, "%D0%BA%D0%BB" }, /* UTF-8, upper-case hex */
	{ "o/ab/123", 1, "o/ab/123" },
	{ "", 0, "" },
};

START_TEST(test_uri_encode)
{
	const struct enc_case *c = &enc_cases[_i];
	char *out = sigv4_uri_encode(c->in, c->keep_slash);
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(!strcmp(out, c->out),
		      "encode(\"%s\", %d) = \"%s\", want \"%s\"", c->in,
		      c->keep_slash, out, c->out);
	free(out);
}
END_TEST

START_TEST(test_canonical_query)
{
	/* Sorted by encoded name (bytes: upper case first), then value;
	 * '/' and '=' in values encoded. */
	struct sigv4_pair q[] = {
		{ "prefix", "o/ab/" },
		{ "list-type", "2" },
		{ "continuation-token", "1/a+b==" },
		{ "a", "2" },
		{ "a", "10" },
		{ "B", "" },
		{ "uploads", NULL },
	};
	char *s = sigv4_canonical_query(q, sizeof q / sizeof q[0]);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "B=&a=10&a=2&continuation-token=1%2Fa%2Bb%3D%3D&"
			    "list-type=2&prefix=o%2Fab%2F&uploads=");
	free(s);
	/* Sorting happens after encoding: "%" (0x25) sorts before "a". */
	struct sigv4_pair r[] = { { "a", "1" }, { " b", "2" } };
	s = sigv4_canonical_query(r, 2);
	ck_assert_str_eq(s, "%20b=2&a=1");
	free(s);
	s = sigv4_canonical_query(NULL, 0);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(test_header_trim_and_case)
{
	/* get-header-value-trim's rule: trim, fold inner runs of blanks (also
	 * inside quotes); names lower-cased and sorted; a repeated header's
	 * values joined with ',' in order. */
	struct sigv4_pair h[] = {
		{ "My-Header2", "\"a   b   c\"" },
		{ "X-Amz-Date", SUITE_DATE },
		{ "Host", "example.amazonaws.com" },
		{ "My-Header1", "  value1 \t" },
		{ "my-header3", "z" },
		{ "My-Header3", "a" },
	};
	struct sigv4_request req = {
		.method = "GET",
		.path = "/",
		.headers = h,
		.header_count = 6,
		.payload_hash = SIGV4_EMPTY_SHA256,
	};
	char *sh;
	char *creq = sigv4_canonical_request(&req, &sh);
	ck_assert_str_eq(creq, "GET\n/\n\n"
			       "host:example.amazonaws.com\n"
			       "my-header1:value1\n"
			       "my-header2:\"a b c\"\n"
			       "my-header3:z,a\n"
			       "x-amz-date:20150830T123600Z\n\n"
			       "host;my-header1;my-header2;my-header3;x-amz-"
			       "date\n" SIGV4_EMPTY_SHA256);
	free(creq);
	free(sh);
}
END_TEST

START_TEST(test_bad_input)
{
	struct sigv4_credentials cred = { S3_AK, S3_SK, "us-east-1", "s3" };
	struct sigv4_request req = { .method = "GET",
				     .path = "/",
				     .payload_hash = SIGV4_EMPTY_SHA256 };
	char out[512];
	ck_assert_int_eq(
		sigv4_authorization(&cred, &req, "2013-05-24", out, sizeof out),
		SL_EINVAL);
	ck_assert_int_eq(sigv4_authorization(&cred, &req, S3_DATE, out, 20),
			 SL_EINVAL);
	/* Another secret, region or date gives another signature. */
	char a[512], b[512];
	ck_assert_int_eq(sigv4_authorization(&cred, &req, S3_DATE, a, sizeof a),
			 0);
	cred.region = "eu-west-1";
	ck_assert_int_eq(sigv4_authorization(&cred, &req, S3_DATE, b, sizeof b),
			 0);
	ck_assert_str_ne(a, b);
	ck_assert(strstr(b, "/20130524/eu-west-1/s3/aws4_request, "));
}
END_TEST

/* The suite. */
Suite *unit_suite(void)
{
	Suite *s = suite_create("sigv4");
	TCase *tc = tcase_create("sigv4");
	tcase_add_loop_test(tc, test_published_vectors, 0,
			    sizeof vectors / sizeof vectors[0]);
	tcase_add_test(tc, test_s3_authorization_header);
	tcase_add_test(tc, test_s3_canonical_requests);
	tcase_add_test(tc, test_payload_hash_and_date);
	tcase_add_test(tc, test_signing_key);
	tcase_add_loop_test(tc, test_uri_encode, 0,
			    sizeof enc_cases / sizeof enc_cases[0]);
	tcase_add_test(tc, test_canonical_query);
	tcase_add_test(tc, test_header_trim_and_case);
	tcase_add_test(tc, test_bad_input);
	suite_add_tcase(s, tc);
	return s;
}
