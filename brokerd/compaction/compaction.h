/*
 * brokerd's side of compaction.  compactd reads the catalog and proposes
 * rewrites over the control socket (compaction_ops.c: the ops streams,
 * objects, replace_objects, forget_objects and compact_now); brokerd alone
 * decides where each partition's log starts (retention.c, DeleteRecords)
 * and nudges compactd when there is something to drop.
 * Event-loop thread only.
 */
#ifndef SLUICE_COMPACTION_H
#define SLUICE_COMPACTION_H

/* Tells the control clients subscribed to "compaction" that a run would be
 * useful soon: the event line {"event":"compact","reason":reason}.  A hint:
 * when nobody listens, compactd's own timer finds the work later. */
void compaction_nudge(const char *reason);

#endif
