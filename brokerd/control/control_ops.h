/*
 * The control socket's operations, written once as a table:
 * X("op", handler).  Handlers live with the module they serve.
 */
#ifndef SLUICE_CONTROL_OPS_H
#define SLUICE_CONTROL_OPS_H

#include "brokerd/control/control.h"

#define CONTROL_OPS(X)                                                         \
	X("hello", control_op_hello)                                           \
	X("status", control_op_status)                                         \
	X("subscribe", control_op_subscribe)                                   \
	X("report", control_op_report)                                         \
	X("commit_upload", upload_op_commit)                                   \
	X("topics", operator_op_topics)                                        \
	X("wal", operator_op_wal)                                              \
	X("catalog", operator_op_catalog)                                      \
	X("seal_now", operator_op_seal_now)                                    \
	X("groups", operator_op_groups)                                        \
	X("streams", compaction_op_streams)                                    \
	X("objects", compaction_op_objects)                                    \
	X("replace_objects", compaction_op_replace)                            \
	X("forget_objects", compaction_op_forget)                              \
	X("compact_now", compaction_op_compact_now)

#define CONTROL_OP_DECL(name, fn) json_t *fn(struct control_conn *cc, json_t *req);
CONTROL_OPS(CONTROL_OP_DECL)
#undef CONTROL_OP_DECL

/* The handler of an op, or NULL. */
control_op_fn control_ops_find(const char *op);

/* The helper daemons' last reports, {"uploaderd": {...}, ...} (a borrowed
 * reference; NULL before the first), for status and the metrics. */
json_t *control_ops_reports(void);

#endif
