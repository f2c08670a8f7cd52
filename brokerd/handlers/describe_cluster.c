/*
 * DescribeCluster v0-v1: the cluster is this broker, which is also the
 * controller.  Brokers carry the advertised listener, as in Metadata.
 *
 * ClusterAuthorizedOperations: when asked for, every operation Kafka
 * defines on the CLUSTER resource, which is what Kafka answers without an
 * authorizer (Sluice has no ACLs: every client may do everything);
 * otherwise INT32_MIN ("not provided").
 *
 * EndpointType (v1, KIP-919): a broker listener serves BROKER (1).  Asking
 * it for CONTROLLER (2) is MISMATCHED_ENDPOINT_TYPE and any other value
 * UNSUPPORTED_ENDPOINT_TYPE, with Kafka's messages; the error answer keeps
 * the schema defaults (EndpointType 1, ControllerId -1, no brokers).
 */
#include "brokerd/broker.h"
#include "brokerd/server/listener.h"
#include "brokerd/server/request.h"
#include "common/errors.h"

/* KIP-919 endpoint types. */
#define ENDPOINT_TYPE_BROKER 1
#define ENDPOINT_TYPE_CONTROLLER 2

/* Kafka's AclOperation codes that apply to the CLUSTER resource: CREATE
 * (5), ALTER (7), DESCRIBE (8), CLUSTER_ACTION (9), DESCRIBE_CONFIGS (10),
 * ALTER_CONFIGS (11), IDEMPOTENT_WRITE (12), as a bit field. */
#define DESCRIBE_CLUSTER_ALL_OPERATIONS                                        \
	((1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) |   \
	 (1 << 12))

/* Writes an error answer with the schema defaults. */
static void describe_cluster_error(struct kwriter *w, int16_t ver,
				   int16_t error, const char *message)
{
	kw_i32(w, 0);                       /* ThrottleTimeMs */
	kw_i16(w, error);                   /* ErrorCode */
	kw_string(w, message);              /* ErrorMessage */
	if (ver >= 1)
		kw_i8(w, ENDPOINT_TYPE_BROKER); /* EndpointType */
	kw_string(w, "");                   /* ClusterId */
	kw_i32(w, -1);                      /* ControllerId */
	kw_array(w, 0);                     /* Brokers */
	kw_i32(w, INT32_MIN);               /* ClusterAuthorizedOperations */
	kw_tags(w);
}

int handle_describe_cluster(struct request *req)
{
	struct kreader *r = &req->r;
	struct kwriter *w = &req->w;
	int16_t ver = req->api_version;

	int include_ops = kr_bool(r);   /* IncludeClusterAuthorizedOperations */
	int8_t endpoint_type = ENDPOINT_TYPE_BROKER;
	if (ver >= 1)
		endpoint_type = kr_i8(r);   /* EndpointType */
	kr_tags(r);
	if (kreader_failed(r))
		return REQ_MALFORMED;

	if (endpoint_type == ENDPOINT_TYPE_CONTROLLER) {
		describe_cluster_error(w, ver, KERR_MISMATCHED_ENDPOINT_TYPE,
				       "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER");
		return REQ_DONE;
	}
	if (endpoint_type != ENDPOINT_TYPE_BROKER) {
		describe_cluster_error(w, ver, KERR_UNSUPPORTED_ENDPOINT_TYPE,
				       NULL);
		return REQ_DONE;
	}

	int32_t node_id = (int32_t)broker.cfg->node_id;
	const char *host;
	int32_t port;
	listener_advertised(&host, &port);
	kw_i32(w, 0);                       /* ThrottleTimeMs */
	kw_i16(w, KERR_NONE);               /* ErrorCode */
	kw_string(w, NULL);                 /* ErrorMessage */
	if (ver >= 1)
		kw_i8(w, ENDPOINT_TYPE_BROKER); /* EndpointType */
	kw_string(w, broker.cfg->cluster_id); /* ClusterId */
	kw_i32(w, node_id);                 /* ControllerId */
	kw_array(w, 1);                     /* Brokers */
	kw_i32(w, node_id);                 /*   BrokerId */
	kw_string(w, host);                 /*   Host */
	kw_i32(w, port);                    /*   Port */
	kw_string(w, NULL);                 /*   Rack */
	kw_tags(w);
	kw_i32(w, include_ops ? DESCRIBE_CLUSTER_ALL_OPERATIONS
			      : INT32_MIN); /* ClusterAuthorizedOperations */
	kw_tags(w);
	return REQ_DONE;
}
