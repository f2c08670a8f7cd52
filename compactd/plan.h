/*
 * The compaction planner: a pure function from the catalog (streams and
 * objects, catalog_view.h) and the settings to the list of rewrites one run
 * performs.  Each rewrite names input objects that are replaced as a whole
 * by its outputs in one replace_objects proposal.
 *
 * Rules, in the order they claim objects (an object joins one rewrite):
 *
 *   expire       live objects whose every block is dead (deleted stream, or
 *                wholly below the log start) are replaced by nothing.
 *   stream set   stream-set objects are rewritten together, oldest first,
 *                when some are small (< small.object.bytes; at least two,
 *                or one with something else to do), when they hold a stream
 *                that must be split out, when a quarter of their bytes is
 *                dead, or when a compacted stream in them is due another
 *                pass (see clean).  A stream is split out into per-stream objects
 *                when it has split.bytes or more in stream-set objects, or
 *                sits in more than PLAN_SPLIT_OBJECTS of them that are not
 *                small (the bound on stream-set objects per partition under
 *                a trickle of small uploads: without it a partition with a
 *                tiny share of every upload would be spread over every
 *                object).  Small ones do not count: they merge in this run,
 *                and a stream split out of a run's few fresh uploads would
 *                get pieces a few hundred KB each, one PUT and, at the
 *                first merge, one GET and one DELETE apiece.  A rewrite
 *                also splits out every stream with a piece's worth
 *                (plan_piece_bytes) in its inputs: that piece is ready for
 *                the fill merges, and merging it into another stream-set
 *                object first would only write it once more.  The rest is
 *                merged into new stream-set objects.
 *   clean        a compacted stream's per-stream objects are rewritten
 *                together into one (keeping the latest record per key) when
 *                the ones after the first hold at least half as many bytes
 *                as the first, when there are more than PLAN_FANIN of them,
 *                or when records they hold were protected (delete.retention
 *                .ms, min.compaction.lag.ms) when written and no longer are.
 *                All of them or none: the clean holds the partition's
 *                compacted data in memory, beyond the per-rewrite cap.
 *   merge        per-stream objects below full size (target.bytes / 2)
 *                merge in two ways.  Pieces (at least full / PLAN_FILL_MAX:
 *                what a split of many partitions gives each) fill: a run
 *                of adjacent pieces merges into one object as soon as it
 *                holds full bytes (so the output is full, below target;
 *                that takes PLAN_FILL_MAX pieces at most).  A byte split
 *                out as a piece is rewritten once more, not once per tier.
 *                Fills are not urgent: a run spends at most a quarter of
 *                its budget on them (PLAN_FILL_SHARE), so partitions that
 *                come due together spread over several runs.
 *                Objects smaller than a piece merge by tiers: PLAN_FANIN
 *                adjacent objects of one tier (tiers are factors of four
 *                below the piece size) merge into one of the next, so a
 *                byte is rewritten about once per tier until it is in a
 *                piece.  A stream holds at most PLAN_NONFULL_MAX objects
 *                below full size (PLAN_FILL_MAX - 1 pieces, PLAN_FANIN - 1
 *                per tier); when runs broken by other sizes leave more,
 *                the lightest PLAN_FANIN adjacent ones merge.  An object a
 *                quarter dead is rewritten alone to reclaim the space.
 *
 * Pacing: the rewrites of one run read at most budget_bytes and take at
 * most max_objects inputs (the run's first input always fits, so a big
 * object cannot stall compaction); one rewrite reads at most
 * 2 * target.bytes (what the daemon holds in memory at once) unless a
 * single object is larger or it is a clean.  Expiry costs no reads and is
 * not budgeted.
 */
#ifndef SLUICE_COMPACTD_PLAN_H
#define SLUICE_COMPACTD_PLAN_H

#include <stddef.h>
#include <stdint.h>

struct catalog_view;

/* Objects of one tier that merge at once; tiers per stream. */
#define PLAN_FANIN 4
#define PLAN_TIERS 4
/* Stream-set objects (not small) a stream may sit in before it is split
 * out. */
#define PLAN_SPLIT_OBJECTS 8
/* Pieces (per-stream objects of at least full / PLAN_FILL_MAX bytes, full
 * being target.bytes / 2) one fill merge takes at most: it needs full
 * bytes. */
#define PLAN_FILL_MAX 32
/* A run's fills read at most its budget / PLAN_FILL_SHARE (one fill
 * always). */
#define PLAN_FILL_SHARE 4
/* Per-stream objects below full size one stream may hold before the
 * fallback merges the lightest PLAN_FANIN adjacent ones: the pieces of
 * an unfinished fill and PLAN_FANIN - 1 per tier below them. */
#define PLAN_NONFULL_MAX ((PLAN_FILL_MAX - 1) + (PLAN_FANIN - 1) * PLAN_TIERS)
/* Inputs of one expiry rewrite (keeps one proposal small). */
#define PLAN_EXPIRE_MAX 1000

struct plan_params {
	uint64_t target_bytes; /* compaction.target.bytes */
	uint64_t split_bytes;  /* compaction.split.bytes */
	uint64_t small_bytes;  /* compaction.small.object.bytes */
	uint64_t budget_bytes; /* input bytes one run may read */
	size_t max_objects;    /* input objects one run may take */
};

enum rewrite_kind {
	REWRITE_EXPIRE,     /* nothing live in the inputs: outputs [] */
	REWRITE_STREAM_SET, /* stream-set inputs; split streams, merge the rest */
	REWRITE_CLEAN,      /* every per-stream object of a compacted stream */
	REWRITE_MERGE,      /* adjacent per-stream objects of one stream */
};

struct rewrite {
	enum rewrite_kind kind;
	uint64_t *inputs;       /* object ids, oldest first */
	size_t input_count;
	uint64_t *split;        /* STREAM_SET: streams given per-stream objects
				   (ascending) */
	size_t split_count;
	uint64_t stream_id;     /* CLEAN, MERGE: the stream */
	uint64_t input_bytes;   /* bytes of live blocks the rewrite reads */
};

struct plan {
	struct rewrite *rewrites;
	size_t count;
};

/* Plans one run over v.  Returns 0 with out filled (possibly empty), or
 * SL_ENOMEM. */
int plan_build(const struct catalog_view *v, const struct plan_params *p,
	       struct plan *out);

/* The smallest per-stream object that is a piece: full / PLAN_FILL_MAX. */
uint64_t plan_piece_bytes(const struct plan_params *p);

/* Whether stream id gets per-stream objects in rewrite r: 1 or 0. */
int plan_rewrite_splits(const struct rewrite *r, uint64_t stream_id);

/* The name of a rewrite kind, for logs. */
const char *plan_kind_name(enum rewrite_kind kind);

/* Frees the rewrites of a plan and empties it. */
void plan_free(struct plan *p);

#endif
