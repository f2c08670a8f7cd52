/*
 * The dispatch table (from protocol/api_table.h) and request header decoding.
 * Request header v1 (non-flexible): ApiKey, ApiVersion, CorrelationId,
 * ClientId (always a non-compact nullable string); v2 (flexible) adds tagged
 * fields.  Response header v0 is CorrelationId; v1 adds tagged fields, except
 * that ApiVersions always answers with v0 so that any client can read it.
 */
#include "dispatch.h"

#include "brokerd/handlers/api_versions.h"
#include "brokerd/protocol/api_table.h"
#include "brokerd/server/request.h"
#include "common/log.h"

const struct api_entry api_entries[] = {
#define API_ENTRY(key, name, min, max, flex, fn) {key, #name, min, max, flex, fn},
	KAFKA_APIS(API_ENTRY)
#undef API_ENTRY
};

const size_t api_entry_count = sizeof api_entries / sizeof api_entries[0];

const struct api_entry *api_lookup(int16_t key)
{
	for (size_t i = 0; i < api_entry_count; i++)
		if (api_entries[i].key == key)
			return &api_entries[i];
	return NULL;
}

int dispatch_request(struct request *req, const uint8_t *frame, size_t len)
{
	struct kreader hdr;
	kreader_init(&hdr, frame, len, 0);
	req->api_key = kr_i16(&hdr);
	req->api_version = kr_i16(&hdr);
	req->correlation_id = kr_i32(&hdr);
	if (kreader_failed(&hdr))
		return REQ_MALFORMED;

	const struct api_entry *api = api_lookup(req->api_key);
	if (!api) {
		log_warn("unknown ApiKey %d", req->api_key);
		return REQ_MALFORMED;
	}
	if (req->api_version > api->max_version &&
	    req->api_key == API_ApiVersions) {
		/* KIP-511: answer in the v0 layout so the client retries lower */
		return api_versions_unsupported(req);
	}
	if (req->api_version < api->min_version ||
	    req->api_version > api->max_version) {
		log_warn("%s v%d is not supported (v%d-v%d)", api->name,
			 req->api_version, api->min_version, api->max_version);
		return REQ_MALFORMED;
	}
	int flexible = req->api_version >= api->first_flexible;
	req->client_id = kr_legacy_nullable_string(&hdr);
	hdr.flexible = flexible;
	kr_tags(&hdr);
	if (kreader_failed(&hdr))
		return REQ_MALFORMED;
	req->r = hdr; /* body follows the header */
	req->w.flexible = flexible;
	req->flexible_response_header = flexible && req->api_key != API_ApiVersions;
	return api->handler(req);
}
