/*
 * The few bits of S3's XML that the object store reads (error bodies,
 * ListObjectsV2 pages, InitiateMultipartUpload, DeleteObjects results) and
 * writes (escaped text for request bodies).  A small strict parser, not a
 * general XML library: elements, attributes (skipped), text, the five
 * predefined entities and character references, CDATA, comments and
 * processing instructions; no DTDs.
 */
#ifndef SLUICE_S3_XML_H
#define SLUICE_S3_XML_H

#include <stddef.h>
#include <stdint.h>

struct objstore_buf;

/*
 * Called with the '/'-joined path of element names from the root (without
 * namespace prefixes), e.g. "ListBucketResult/Contents/Key": text for each
 * element without child elements (entity-decoded, NUL-terminated), end for
 * every element.  A non-zero return stops the walk and is returned.
 */
struct s3_xml_visitor {
	int (*text)(void *arg, const char *path, const char *text, size_t len);
	int (*end)(void *arg, const char *path);
};

/* Walks a document; returns 0, a visitor's non-zero value, SL_ECORRUPT
 * (malformed) or SL_ENOMEM. */
int s3_xml_walk(const char *xml, size_t len, const struct s3_xml_visitor *v,
		void *arg);

/* Copies the text of the first element at path into out (truncated to
 * fit).  Returns 0, SL_ENOENT (no such element) or SL_ECORRUPT. */
int s3_xml_text(const char *xml, size_t len, const char *path, char *out,
		size_t outlen);

/* If the document is an S3 <Error>, copies its Code and Message and returns
 * 0; else SL_ENOENT (or SL_ECORRUPT). */
int s3_xml_error(const char *xml, size_t len, char *code, size_t codelen,
		 char *msg, size_t msglen);

/* One <Contents> of a ListObjectsV2 page; a non-zero return stops. */
typedef int (*s3_xml_entry_cb)(void *arg, const char *key, size_t keylen,
			       uint64_t size, int64_t mtime_ms);

/*
 * Parses a ListObjectsV2 page: entries in document order, IsTruncated and
 * NextContinuationToken (malloc'd into *next_token, NULL if absent).
 * Returns 0, the callback's value, SL_ECORRUPT (malformed, or not a
 * ListBucketResult) or SL_ENOMEM.
 */
int s3_xml_list(const char *xml, size_t len, s3_xml_entry_cb cb, void *arg,
		int *truncated, char **next_token);

/* One <Error> of a DeleteObjects result. */
typedef void (*s3_xml_delete_cb)(void *arg, const char *key, const char *code,
				 const char *message);

/* Parses a DeleteResult, calling cb for each key not deleted.  Returns 0,
 * SL_ECORRUPT (malformed, or not a DeleteResult) or SL_ENOMEM. */
int s3_xml_delete_result(const char *xml, size_t len, s3_xml_delete_cb cb,
			 void *arg);

/* "2009-10-12T17:50:30.000Z" as milliseconds since the epoch; -1 if
 * malformed. */
int64_t s3_xml_time_ms(const char *iso);

/* Appends s with &, <, >, " and ' escaped. */
void s3_xml_escape(struct objstore_buf *out, const char *s);

#endif
