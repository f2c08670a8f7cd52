/*
 * The "groups" control operation (sluicectl groups): every consumer group
 * the coordinator holds, with its state, generation, protocol, members, and
 * each committed offset beside its partition's high watermark (the lag).
 * It only reads the coordinator's tables.  Event-loop thread only.
 */
#include <string.h>
#include <sys/queue.h>

#include "brokerd/broker.h"
#include "brokerd/control/control_ops.h"
#include "brokerd/groups/group.h"
#include "brokerd/groups/groups.h"
#include "brokerd/partition/partition.h"

/* One group as JSON (a new reference), its lag summed over partitions. */
static json_t *operator_group_json(const struct group *g)
{
	json_t *members = json_array();
	const struct group_member *m;
	TAILQ_FOREACH(m, &g->members, link)
		json_array_append_new(members,
				      json_pack("{s:s, s:s?, s:s?, s:s?, s:i, s:b}", "member_id",
						m->member_id, "instance_id", m->instance_id,
						"client_id", m->client_id, "client_host",
						m->client_host, "session_timeout_ms",
						(int)m->session_timeout_ms, "leader", m == g->leader));
	json_t *offsets = json_array();
	int64_t total = 0;
	for (size_t t = 0; t < g->offsets.count; t++) {
		const struct group_offset_topic *ot = &g->offsets.topics[t];
		for (size_t k = 0; k < ot->count; k++) {
			const struct group_offset *o = &ot->parts[k];
			struct partition *p =
				partition_by_name(broker.partitions, ot->name, o->partition);
			/* a partition that is gone (topic deleted) has no lag */
			int64_t hw = p ? p->high_watermark : -1;
			int64_t lag = p && hw > o->offset ? hw - o->offset : 0;
			total += lag;
			json_array_append_new(offsets,
					      json_pack("{s:s, s:i, s:I, s:I, s:I, s:I}", "topic",
							ot->name, "partition", (int)o->partition,
							"committed", (json_int_t)o->offset,
							"high_watermark", (json_int_t)hw, "lag",
							(json_int_t)lag, "commit_ms",
							(json_int_t)o->commit_ms));
		}
	}
	return json_pack("{s:s, s:s, s:i, s:s?, s:s?, s:o, s:o, s:I}", "group", g->id, "state",
			 group_state_name(g->state), "generation", (int)g->generation,
			 "protocol_type", g->protocol_type, "protocol", g->protocol_name,
			 "members", members, "offsets", offsets, "lag", (json_int_t)total);
}

/* {"op":"groups"[,"group":id]}: the coordinator's groups. */
json_t *operator_op_groups(struct control_conn *cc, json_t *req)
{
	const char *only = json_string_value(json_object_get(req, "group"));
	if (!groups_available())
		return control_error("groups: the group coordinator is not available");
	json_t *list = json_array();
	size_t n = groups_count();
	for (size_t i = 0; i < n; i++) {
		const struct group *g = groups_at(i);
		if (!only || !strcmp(only, g->id))
			json_array_append_new(list, operator_group_json(g));
	}
	if (only && json_array_size(list) == 0) {
		json_decref(list);
		return control_error("groups: no group '%s'", only);
	}
	return json_pack("{s:b, s:o}", "ok", 1, "groups", list);
}
