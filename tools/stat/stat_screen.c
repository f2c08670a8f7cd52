/*
 * sluicestat's refreshing screen, after varnishstat: every interval the
 * counters are read again and shown with their change per second since
 * the last reading and their average rate since sluicestat started (gauges
 * show their value only).  Plain ANSI escapes, no curses.  Keys (when
 * stdin is a terminal): q quits, j/k or the arrows scroll, space pages,
 * g goes to the top.  When brokerd restarts, the new segment is mapped and
 * the rates start again; while it is down the screen says so and waits.
 */
#include "stat.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* Rows the header takes. */
#define STAT_SCREEN_HEADER 3

static volatile sig_atomic_t stat_screen_stop;
static struct termios stat_screen_saved;
static int stat_screen_raw;

/* SIGINT/SIGTERM: leave the loop (the terminal is restored there). */
static void stat_screen_on_signal(int sig)
{
	stat_screen_stop = 1;
}

/* SIGWINCH: nothing to do but interrupt poll, which redraws. */
static void stat_screen_on_winch(int sig)
{
}

/* Puts the terminal in non-canonical mode without echo, so single keys
 * arrive at once. */
static void stat_screen_raw_on(void)
{
	struct termios t;
	if (!isatty(0) || tcgetattr(0, &stat_screen_saved) < 0)
		return;
	t = stat_screen_saved;
	t.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(0, TCSANOW, &t) == 0)
		stat_screen_raw = 1;
}

/* Restores the terminal and the cursor. */
static void stat_screen_raw_off(void)
{
	if (stat_screen_raw)
		tcsetattr(0, TCSANOW, &stat_screen_saved);
	stat_screen_raw = 0;
	printf("\033[?25h");
	fflush(stdout);
}

/* The terminal's rows and columns (24x80 when it will not say). */
static void stat_screen_size(int *rows, int *cols)
{
	struct winsize ws;
	*rows = 24;
	*cols = 80;
	if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
}

/* Draws the header and the visible counter rows. */
static void stat_screen_draw(const struct stat_source *src, const struct stat_sample *first,
			     const struct stat_sample *prev, const struct stat_sample *cur,
			     size_t top, double interval)
{
	int rows, cols;
	stat_screen_size(&rows, &cols);
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	const struct shm_header *h = src->map.hdr;
	int alive = kill((pid_t)h->brokerd_pid, 0) == 0 || errno == EPERM;
	printf("\033[Hsluicestat  %s  brokerd pid %lld%s  generation %llu  node %u  %s\033[K\n",
	       src->shm_name, (long long)h->brokerd_pid, alive ? "" : " (not running: last values)",
	       (unsigned long long)h->generation, h->node_id, when);
	printf("every %.1f s; q quits, j/k scroll%s\033[K\n", interval,
	       src->count + STAT_SCREEN_HEADER > (size_t)rows ? " (more below)" : "");
	printf("%-28s %16s %12s %12s  %s\033[K\n", "NAME", "CURRENT", "CHANGE/s", "AVG/s",
	       "DESCRIPTION");
	double dt = cur->at - prev->at, total = cur->at - first->at;
	int shown = 0;
	for (size_t i = top; i < src->count && shown < rows - STAT_SCREEN_HEADER - 1; i++) {
		const struct stat_counter *c = &src->counters[i];
		char rate[24] = "", avg[24] = "";
		if (c->is_counter && dt > 0)
			snprintf(rate, sizeof rate, "%.1f",
				 (double)(cur->values[i] - prev->values[i]) / dt);
		if (c->is_counter && total > 0)
			snprintf(avg, sizeof avg, "%.1f",
				 (double)(cur->values[i] - first->values[i]) / total);
		char line[1024];
		snprintf(line, sizeof line, "%-28s %16llu %12s %12s  %s", c->name,
			 (unsigned long long)cur->values[i], rate, avg, c->description);
		printf("%.*s\033[K\n", cols, line);
		shown++;
	}
	printf("\033[J");
	fflush(stdout);
}

/* Shows that brokerd is down. */
static void stat_screen_down(const char *why)
{
	printf("\033[H\033[Jsluicestat: %s; waiting for it (q quits)\n", why);
	fflush(stdout);
}

/* Frees a sample's values. */
static void stat_screen_forget(struct stat_sample *s)
{
	free(s->values);
	memset(s, 0, sizeof *s);
}

/* Reads one key; returns the scroll change, or -1000000 to quit. */
static long stat_screen_key(int page)
{
	char k[8];
	ssize_t n = read(0, k, sizeof k);
	if (n <= 0)
		return -1000000; /* stdin closed: nothing more will come */
	if (k[0] == 'q')
		return -1000000;
	if (k[0] == 'j' || (n >= 3 && k[0] == 27 && k[2] == 'B'))
		return 1;
	if (k[0] == 'k' || (n >= 3 && k[0] == 27 && k[2] == 'A'))
		return -1;
	if (k[0] == ' ')
		return page;
	if (k[0] == 'g')
		return -100000;
	return 0;
}

int stat_screen_run(struct stat_source *src, const char *filter, double interval)
{
	struct sigaction sa = {.sa_handler = stat_screen_on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = stat_screen_on_winch;
	sigaction(SIGWINCH, &sa, NULL);
	stat_screen_raw_on();
	printf("\033[?25l\033[H\033[J");
	struct stat_sample first = {0}, prev = {0}, cur = {0};
	long top = 0;
	int up = stat_source_sample(src, &first) == 0 && stat_source_sample(src, &prev) == 0 &&
		 stat_source_sample(src, &cur) == 0;
	char err[512] = "";
	while (!stat_screen_stop) {
		if (up)
			stat_screen_draw(src, &first, &prev, &cur, (size_t)top, interval);
		else
			stat_screen_down(err);
		struct pollfd p = {stat_screen_raw ? 0 : -1, POLLIN, 0};
		int rc = poll(&p, 1, (int)(interval * 1000));
		if (rc > 0) {
			int rows, cols;
			stat_screen_size(&rows, &cols);
			long d = stat_screen_key(rows - STAT_SCREEN_HEADER - 1);
			if (d == -1000000)
				break;
			top += d;
			if (top > (long)src->count - 1)
				top = (long)src->count - 1;
			if (top < 0)
				top = 0;
			continue;
		}
		if (rc < 0 && errno == EINTR)
			continue;
		int changed = stat_source_refresh(src, filter, err, sizeof err);
		if (changed != 0) {
			/* another brokerd (or none): rates start over */
			stat_screen_forget(&first);
			stat_screen_forget(&prev);
			stat_screen_forget(&cur);
			up = changed > 0 && stat_source_sample(src, &first) == 0 &&
			     stat_source_sample(src, &prev) == 0 &&
			     stat_source_sample(src, &cur) == 0;
			top = 0;
			continue;
		}
		uint64_t *old = prev.values;
		prev = cur;
		cur.values = old;
		if (stat_source_sample(src, &cur) < 0)
			break;
	}
	stat_screen_raw_off();
	stat_screen_forget(&first);
	stat_screen_forget(&prev);
	stat_screen_forget(&cur);
	putchar('\n');
	return 0;
}
