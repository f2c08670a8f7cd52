/*
 * Request dispatch: decodes the request header, checks the ApiKey and
 * version against the API table, and calls the handler.
 */
#ifndef SLUICE_DISPATCH_H
#define SLUICE_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

struct request;

struct api_entry {
	int16_t key;
	const char *name;
	int16_t min_version;
	int16_t max_version;
	int16_t first_flexible;
	int (*handler)(struct request *req);
};

/* The entry for an ApiKey, or NULL when brokerd does not have that API. */
const struct api_entry *api_lookup(int16_t key);

/* The table, in ApiKey order (for ApiVersions). */
extern const struct api_entry api_entries[];
extern const size_t api_entry_count;

/* Parses the header of frame (len bytes), fills req, runs the handler.
 * Returns a REQ_* state. */
int dispatch_request(struct request *req, const uint8_t *frame, size_t len);

#endif
