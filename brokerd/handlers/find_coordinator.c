/*
 * FindCoordinator v0-v4.  This broker coordinates every group (KeyType 0)
 * and every transactional id (KeyType 1), so either key is answered with
 * this broker's advertised listener, or COORDINATOR_NOT_AVAILABLE (which
 * clients retry) while that coordinator cannot serve (its store failed).
 * Other key types are INVALID_REQUEST.  v4 batches keys
 * (CoordinatorKeys), each answered in its own Coordinators entry.
 */
#include "brokerd/broker.h"
#include "brokerd/groups/groups.h"
#include "brokerd/server/listener.h"
#include "brokerd/server/request.h"
#include "brokerd/txn/txn_coordinator.h"
#include "common/errors.h"

/* Keys one v4 request may name; more is malformed. */
#define FIND_COORDINATOR_KEYS_MAX 100000

#define FIND_COORDINATOR_GROUP 0
#define FIND_COORDINATOR_TRANSACTION 1

/* The answer for one key. */
struct find_coordinator_answer {
	int16_t error;
	const char *message; /* ErrorMessage, NULL without an error */
	int32_t node_id;
	const char *host;
	int32_t port;
};

/* Decides the answer for a key of key_type. */
static struct find_coordinator_answer find_coordinator_lookup(int8_t key_type)
{
	struct find_coordinator_answer a = {KERR_NONE, NULL, -1, "", -1};
	if ((key_type == FIND_COORDINATOR_GROUP && groups_available()) ||
	    (key_type == FIND_COORDINATOR_TRANSACTION && txn_available())) {
		a.node_id = (int32_t)broker.cfg->node_id;
		listener_advertised(&a.host, &a.port);
		return a;
	}
	if (key_type == FIND_COORDINATOR_GROUP ||
	    key_type == FIND_COORDINATOR_TRANSACTION) {
		a.error = KERR_COORDINATOR_NOT_AVAILABLE;
		a.message = "The coordinator is not available.";
	} else {
		a.error = KERR_INVALID_REQUEST;
		a.message = "Unknown coordinator type.";
	}
	return a;
}

int handle_find_coordinator(struct request *req)
{
	struct kreader *r = &req->r;
	struct kwriter *w = &req->w;
	int16_t ver = req->api_version;

	struct kslice key = {NULL, -1};
	if (ver <= 3)
		key = kr_string(r);                        /* Key */
	int8_t key_type = FIND_COORDINATOR_GROUP;
	if (ver >= 1)
		key_type = kr_i8(r);                       /* KeyType */
	if (ver <= 3) {
		kr_tags(r);
		if (kreader_failed(r))
			return REQ_MALFORMED;
		struct find_coordinator_answer a = find_coordinator_lookup(key_type);
		if (ver >= 1)
			kw_i32(w, 0);                      /* ThrottleTimeMs */
		kw_i16(w, a.error);                        /* ErrorCode */
		if (ver >= 1)
			kw_string(w, a.message);           /* ErrorMessage */
		kw_i32(w, a.node_id);                      /* NodeId */
		kw_string(w, a.host);                      /* Host */
		kw_i32(w, a.port);                         /* Port */
		kw_tags(w);
		return REQ_DONE;
	}

	int32_t count = kr_array(r, FIND_COORDINATOR_KEYS_MAX, 1); /* CoordinatorKeys */
	if (count < 0)
		kreader_fail(r);
	kw_i32(w, 0);                                      /* ThrottleTimeMs */
	kw_array(w, count);                                /* Coordinators */
	struct find_coordinator_answer a = find_coordinator_lookup(key_type);
	for (int32_t i = 0; i < count && !kreader_failed(r); i++) {
		key = kr_string(r);                        /* CoordinatorKeys[i] */
		kw_string_len(w, key.p, key.len);          /* Key */
		kw_i32(w, a.node_id);                      /* NodeId */
		kw_string(w, a.host);                      /* Host */
		kw_i32(w, a.port);                         /* Port */
		kw_i16(w, a.error);                        /* ErrorCode */
		kw_string(w, a.message);                   /* ErrorMessage */
		kw_tags(w);
	}
	kr_tags(r);
	kw_tags(w);
	return kreader_failed(r) ? REQ_MALFORMED : REQ_DONE;
}
