/*
 * Human output helpers for sluicectl: sizes, ages, times, and JSON fields
 * read without ceremony.
 */
#include "ctl.h"

#include <stdio.h>
#include <time.h>

const char *ctl_format_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)n;
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof unit / sizeof unit[0]) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

const char *ctl_format_age(int64_t at_ms, char *buf, size_t len)
{
	if (at_ms <= 0) {
		snprintf(buf, len, "never");
		return buf;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	double s = ((double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6 - (double)at_ms) / 1000;
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%.1f s ago", s);
	else if (s < 3600)
		snprintf(buf, len, "%.0f min ago", s / 60);
	else if (s < 86400)
		snprintf(buf, len, "%.1f h ago", s / 3600);
	else
		snprintf(buf, len, "%.1f days ago", s / 86400);
	return buf;
}

const char *ctl_format_time(int64_t at_ms, char *buf, size_t len)
{
	time_t t = (time_t)(at_ms / 1000);
	struct tm tm;
	if (at_ms <= 0 || !localtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "-");
	return buf;
}

long long ctl_format_int(json_t *obj, const char *key1, const char *key2, long long dflt)
{
	json_t *v = json_object_get(obj, key1);
	if (key2)
		v = json_object_get(v, key2);
	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

void ctl_format_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2));
	putchar('\n');
}
