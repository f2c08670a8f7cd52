/*
 * The "objects" listing's index (see object_index.h).
 *
 * Built in two passes over the given streams' blocks: the first counts each
 * object's blocks (an object is found by binary search in the sorted ids),
 * the second places them.  Streams are passed in id order and each stream's
 * blocks are in offset order, so each object's refs come out in stream and
 * offset order, as the listing has always given them.  Memory: one id and
 * one count per object, one ref per block, held until the catalog changes
 * or the listing ends.
 */
#include "brokerd/compaction/object_index.h"

#include <stdlib.h>

#include "brokerd/catalog/catalog.h"

/* Built when refs is set: a build that fails leaves none. */
static struct object_index index_now;

static int object_index_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Position of id among the index's ids, or count when absent. */
static size_t object_index_find(const struct object_index *ix, uint64_t id)
{
	const uint64_t *hit = bsearch(&id, ix->ids, ix->count, sizeof id,
				      object_index_u64_cmp);
	return hit ? (size_t)(hit - ix->ids) : ix->count;
}

/* One pass over the streams' blocks: without fill, counts each object's
 * blocks into first[i + 1]; with it, places each block's ref at fill[i]
 * (advancing it).  Returns the blocks of known objects. */
static size_t object_index_pass(struct object_index *ix,
				const uint64_t *stream_ids, size_t n,
				size_t *fill)
{
	size_t total = 0;
	for (size_t s = 0; s < n; s++) {
		size_t nb;
		const struct catalog_block *b =
			catalog_stream_blocks(ix->cat, stream_ids[s], &nb);
		for (size_t k = 0; k < nb; k++) {
			size_t i = object_index_find(ix, b[k].object_id);
			if (i == ix->count)
				continue;
			total++;
			if (fill)
				ix->refs[fill[i]++] =
					(struct object_index_ref){stream_ids[s], k};
			else
				ix->first[i + 1]++;
		}
	}
	return total;
}

void object_index_drop(void)
{
	free(index_now.ids);
	free(index_now.first);
	free(index_now.refs);
	index_now = (struct object_index){0};
}

const struct object_index *object_index_current(const struct catalog *cat)
{
	if (!index_now.refs || index_now.cat != cat ||
	    index_now.seq != catalog_seq(cat))
		return NULL;
	return &index_now;
}

const struct object_index *object_index_build(const struct catalog *cat,
					      const uint64_t *stream_ids,
					      size_t n)
{
	object_index_drop();
	struct object_index *ix = &index_now;
	ix->cat = cat;
	ix->seq = catalog_seq(cat);
	size_t count = catalog_object_count(cat);
	ix->ids = malloc((count ? count : 1) * sizeof *ix->ids);
	ix->first = calloc(count + 1, sizeof *ix->first);
	if (!ix->ids || !ix->first)
		goto oom;
	for (size_t i = 0; i < count; i++)
		ix->ids[i] = catalog_object_at(cat, i)->id;
	ix->count = count;
	qsort(ix->ids, count, sizeof *ix->ids, object_index_u64_cmp);

	/* first[i + 1] counts object i's blocks, then becomes its end */
	size_t total = object_index_pass(ix, stream_ids, n, NULL);
	for (size_t i = 0; i < count; i++)
		ix->first[i + 1] += ix->first[i];
	ix->refs = malloc((total ? total : 1) * sizeof *ix->refs);
	size_t *fill = malloc((count ? count : 1) * sizeof *fill);
	if (!ix->refs || !fill) {
		free(fill);
		goto oom;
	}
	for (size_t i = 0; i < count; i++)
		fill[i] = ix->first[i];
	object_index_pass(ix, stream_ids, n, fill);
	free(fill);
	return ix;
oom:
	object_index_drop();
	return NULL;
}

size_t object_index_after(const struct object_index *ix, int from_start,
			  uint64_t after)
{
	if (from_start)
		return 0;
	size_t lo = 0, hi = ix->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->ids[mid] <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct catalog_block *object_index_block(const struct object_index *ix,
					       size_t i, size_t r)
{
	const struct object_index_ref *ref = &ix->refs[ix->first[i] + r];
	size_t nb;
	const struct catalog_block *b =
		catalog_stream_blocks(ix->cat, ref->stream_id, &nb);
	if (!b || ref->pos >= nb || b[ref->pos].object_id != ix->ids[i])
		return NULL;
	return &b[ref->pos];
}
