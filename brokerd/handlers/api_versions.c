/*
 * ApiVersions v0-v3.  The ApiKeys array comes from the dispatch table, so
 * an API is advertised exactly when it has a handler.
 */
#include "api_versions.h"

#include "brokerd/server/dispatch.h"
#include "brokerd/server/request.h"
#include "common/errors.h"

/* Writes ErrorCode and the ApiKeys array in the request's encoding. */
static void api_versions_write_keys(struct kwriter *w, int16_t error)
{
	kw_i16(w, error);
	kw_array(w, (int32_t)api_entry_count);
	for (size_t i = 0; i < api_entry_count; i++) {
		kw_i16(w, api_entries[i].key);
		kw_i16(w, api_entries[i].min_version);
		kw_i16(w, api_entries[i].max_version);
		kw_tags(w);
	}
}

int api_versions_unsupported(struct request *req)
{
	req->w.flexible = 0;
	req->flexible_response_header = 0;
	api_versions_write_keys(&req->w, KERR_UNSUPPORTED_VERSION);
	return REQ_DONE;
}

int handle_api_versions(struct request *req)
{
	struct kreader *r = &req->r;
	int16_t ver = req->api_version;
	if (ver >= 3) {
		(void)kr_string(r); /* ClientSoftwareName */
		(void)kr_string(r); /* ClientSoftwareVersion */
		kr_tags(r);
	}
	if (kreader_failed(r)) {
		/* KIP-511: a v3 request that does not parse gets INVALID_REQUEST */
		api_versions_write_keys(&req->w, KERR_INVALID_REQUEST);
		if (ver >= 1)
			kw_i32(&req->w, 0);
		kw_tags(&req->w);
		return REQ_DONE;
	}
	api_versions_write_keys(&req->w, KERR_NONE);
	if (ver >= 1)
		kw_i32(&req->w, 0); /* ThrottleTimeMs */
	kw_tags(&req->w);          /* v3: SupportedFeatures etc. are tagged */
	return REQ_DONE;
}
