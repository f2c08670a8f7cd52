/*
 * Choosing what to delete from the bucket (see sweep.h).  Pure; the run
 * (run.c) does the deleting and the forget_objects proposal.
 */
#include "compactd/sweep.h"

#include <stdlib.h>

#include "common/errors.h"
#include "common/object_format.h"
#include "common/objstore.h"
#include "compactd/catalog_view.h"

int sweep_parse_list(const struct objstore_entry *e, size_t count,
		     struct sweep_listed **out, size_t *n)
{
	*n = 0;
	*out = malloc((count ? count : 1) * sizeof **out);
	if (!*out)
		return SL_ENOMEM;
	for (size_t i = 0; i < count; i++) {
		uint64_t id;
		if (object_key_parse(e[i].key, &id) == 0)
			(*out)[(*n)++] = (struct sweep_listed){id, e[i].last_modified_ms};
	}
	return 0;
}

int sweep_retired(const struct catalog_view *v, int64_t grace_ms,
		  uint64_t **ids, size_t *n)
{
	*n = 0;
	*ids = malloc((v->object_count ? v->object_count : 1) * sizeof **ids);
	if (!*ids)
		return SL_ENOMEM;
	for (size_t i = 0; i < v->object_count; i++) {
		const struct cv_object *o = &v->objects[i];
		if (o->retired_ms >= 0 && v->now_ms - o->retired_ms >= grace_ms)
			(*ids)[(*n)++] = o->id;
	}
	return 0;
}

int sweep_orphans(const struct catalog_view *v, const struct sweep_listed *l,
		  size_t count, int64_t grace_ms, int64_t now_ms, uint64_t **ids,
		  size_t *n)
{
	*n = 0;
	*ids = malloc((count ? count : 1) * sizeof **ids);
	if (!*ids)
		return SL_ENOMEM;
	for (size_t i = 0; i < count; i++)
		if (!catalog_view_object(v, l[i].id) && now_ms - l[i].modified_ms >= grace_ms)
			(*ids)[(*n)++] = l[i].id;
	return 0;
}
