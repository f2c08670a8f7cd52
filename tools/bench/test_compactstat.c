/*
 * Tests for compactstat.c: brokerd's status answer gives compactd's
 * counters and the object store counters of compactd, uploaderd and
 * brokerd (missing ones read 0, a failed answer is refused); a read over
 * a Unix socket sends the status request, skips event lines and fails
 * on silence, junk and a missing socket; the run and work predicates;
 * counters summed over compactd processes.
 */
#include "autoconfig.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tools/bench/compactstat.h"
#include "common/errors.h"
#include "tests/unit/unit_main.h"

static const char status_json[] =
	"{\"ok\":true,\"generation\":7,\"objstore\":{\"s3\":{\"gets\":11,\"puts\":3}},"
	"\"reports\":{\"compactd\":{\"daemon\":\"compactd\",\"pid\":4242,\"at_ms\":1700000000000,"
	"\"last_error\":null,\"stats\":{\"runs\":5,\"runs_failed\":1,\"bytes_read\":1000,"
	"\"bytes_written\":900,\"objects_written\":4,\"rewrites_committed\":2,"
	"\"retired_deleted\":6,\"s3_requests\":99},"
	"\"s3\":{\"puts\":4,\"gets\":20,\"lists\":2,\"deletes\":1,\"requests\":30,"
	"\"multipart_parts\":0}},"
	"\"uploaderd\":{\"s3\":{\"puts\":8,\"requests\":40}}}}";

START_TEST(test_parse)
{
	json_error_t jerr;
	json_t *st = json_loads(status_json, 0, &jerr);
	ck_assert_ptr_nonnull(st);
	struct compactstat_sample s;
	ck_assert_int_eq(compactstat_parse(st, &s), 0);
	ck_assert_uint_eq(s.generation, 7);
	ck_assert(s.reported);
	ck_assert_int_eq(s.compactd_pid, 4242);
	ck_assert_int_eq(s.at_ms, 1700000000000LL);
	ck_assert_uint_eq(s.runs, 5);
	ck_assert_uint_eq(s.runs_failed, 1);
	ck_assert_uint_eq(s.bytes_read, 1000);
	ck_assert_uint_eq(s.bytes_written, 900);
	ck_assert_uint_eq(s.objects_written, 4);
	ck_assert_uint_eq(s.rewrites_committed, 2);
	ck_assert_uint_eq(s.retired_deleted, 6);
	ck_assert_uint_eq(s.objects_expired, 0);
	ck_assert_uint_eq(s.s3[COMPACTSTAT_COMPACTD].puts, 4);
	ck_assert_uint_eq(s.s3[COMPACTSTAT_COMPACTD].gets, 20);
	ck_assert_uint_eq(s.s3[COMPACTSTAT_COMPACTD].lists, 2);
	ck_assert_uint_eq(s.s3[COMPACTSTAT_COMPACTD].deletes, 1);
	ck_assert_uint_eq(s.s3[COMPACTSTAT_COMPACTD].requests, 30);
	ck_assert_uint_eq(s.s3[COMPACTSTAT_UPLOADERD].puts, 8);
	ck_assert_uint_eq(s.s3[COMPACTSTAT_UPLOADERD].requests, 40);
	ck_assert_uint_eq(s.s3[COMPACTSTAT_BROKERD].gets, 11);
	ck_assert_uint_eq(s.s3[COMPACTSTAT_BROKERD].puts, 3);
	json_decref(st);

	/* no compactd report yet */
	st = json_loads("{\"ok\":true,\"generation\":1,\"reports\":{}}", 0, &jerr);
	ck_assert_int_eq(compactstat_parse(st, &s), 0);
	ck_assert(!s.reported);
	ck_assert_uint_eq(s.bytes_written, 0);
	json_decref(st);
	st = json_loads("{\"ok\":false,\"error\":\"x\"}", 0, &jerr);
	ck_assert_int_eq(compactstat_parse(st, &s), SL_EINVAL);
	json_decref(st);
	ck_assert_str_eq(compactstat_daemon_name(COMPACTSTAT_UPLOADERD), "uploaderd");
	ck_assert_str_eq(compactstat_daemon_name(9), "?");
}
END_TEST

START_TEST(test_predicates)
{
	struct compactstat_sample a, b;
	memset(&a, 0, sizeof a);
	a.runs = 3;
	a.bytes_written = 10;
	b = a;
	ck_assert(!compactstat_runs_ended(&a, &b) && !compactstat_worked(&a, &b));
	b.runs_failed = 1;
	ck_assert(compactstat_runs_ended(&a, &b));
	b = a;
	b.runs = 4;
	ck_assert(compactstat_runs_ended(&a, &b) && !compactstat_worked(&a, &b));
	b.retired_deleted = 2;
	ck_assert(compactstat_worked(&a, &b));
	b = a;
	b.bytes_written = 11;
	ck_assert(compactstat_worked(&a, &b));
	b = a;
	b.objects_expired = 1;
	ck_assert(compactstat_worked(&a, &b));
}
END_TEST

/* A raw sample of process pid with bytes_written w and puts p. */
static struct compactstat_sample raw_sample(int64_t pid, uint64_t w, uint64_t p)
{
	struct compactstat_sample s;
	memset(&s, 0, sizeof s);
	s.reported = pid != 0;
	s.compactd_pid = pid;
	s.bytes_written = w;
	s.runs = w / 10;
	s.s3[COMPACTSTAT_COMPACTD].puts = p;
	s.s3[COMPACTSTAT_UPLOADERD].puts = 1000 + p;
	return s;
}

START_TEST(test_accumulate)
{
	struct compactstat_accum acc;
	memset(&acc, 0, sizeof acc);
	struct compactstat_sample raw, out;
	/* before any report, then process 100 counting up */
	static const struct { int64_t pid; uint64_t w, p, want_w, want_p; } steps[] = {
		{ 0, 0, 0, 0, 0 },
		{ 100, 50, 2, 50, 2 },
		{ 100, 80, 3, 80, 3 },
		{ 100, 80, 3, 80, 3 },   /* stopped: its last report stays */
		{ 200, 0, 0, 80, 3 },    /* a new process starts from zero */
		{ 200, 40, 5, 120, 8 },
		{ 300, 10, 1, 130, 9 },  /* another restart between two samples */
		{ 300, 10, 1, 130, 9 },
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		raw = raw_sample(steps[i].pid, steps[i].w, steps[i].p);
		compactstat_accumulate(&acc, &raw, &out);
		ck_assert_msg(out.bytes_written == steps[i].want_w, "step %zu: %llu", i,
			      (unsigned long long)out.bytes_written);
		ck_assert_uint_eq(out.runs, steps[i].want_w / 10);
		ck_assert_uint_eq(out.s3[COMPACTSTAT_COMPACTD].puts, steps[i].want_p);
		/* other daemons' counters pass through */
		ck_assert_uint_eq(out.s3[COMPACTSTAT_UPLOADERD].puts, 1000 + steps[i].p);
	}
}
END_TEST

/* A one-connection server: reads the request line, writes reply (may be
 * NULL: closes without answering). */
struct server {
	int lfd;
	const char *reply;
	char request[256];
};

static void *server_main(void *arg)
{
	struct server *sv = arg;
	int fd = accept(sv->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	size_t len = 0;
	while (len < sizeof sv->request - 1) {
		ssize_t n = read(fd, sv->request + len, 1);
		if (n <= 0 || sv->request[len] == '\n')
			break;
		len += (size_t)n;
	}
	sv->request[len] = '\0';
	if (sv->reply != NULL) {
		size_t off = 0, rl = strlen(sv->reply);
		while (off < rl) {
			ssize_t n = write(fd, sv->reply + off, rl - off);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
	}
	close(fd);
	return NULL;
}

/* Serves one connection at path with reply; returns compactstat_read's
 * answer and the request it sent. */
static int serve_once(const char *reply, struct compactstat_sample *s, char *request,
		      char *err, size_t errlen)
{
	char dir[] = "/tmp/test_compactstat.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[sizeof ((struct sockaddr_un *)0)->sun_path];
	snprintf(path, sizeof path, "%s/control.sock", dir);
	struct server sv = { .reply = reply };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	sv.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(sv.lfd, 0);
	ck_assert_int_eq(bind(sv.lfd, (struct sockaddr *)&sun, sizeof sun), 0);
	ck_assert_int_eq(listen(sv.lfd, 1), 0);
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, server_main, &sv), 0);
	int rc = compactstat_read(path, 500, s, err, errlen);
	/* a silent server is still waiting for our close */
	pthread_join(th, NULL);
	close(sv.lfd);
	unlink(path);
	rmdir(dir);
	snprintf(request, 256, "%s", sv.request);
	return rc;
}

START_TEST(test_read)
{
	struct compactstat_sample s;
	char err[512], request[256];
	char *reply = malloc(strlen(status_json) + 64);
	sprintf(reply, "{\"event\":\"compact\",\"reason\":\"x\"}\n%s\n", status_json);
	ck_assert_int_eq(serve_once(reply, &s, request, err, sizeof err), 0);
	ck_assert_str_eq(request, "{\"op\":\"status\"}");
	ck_assert_uint_eq(s.bytes_written, 900);
	ck_assert_uint_eq(s.s3[COMPACTSTAT_COMPACTD].deletes, 1);
	free(reply);

	ck_assert_int_eq(serve_once("not json\n", &s, request, err, sizeof err), SL_EIO);
	ck_assert_msg(strstr(err, "not JSON") != NULL, "%s", err);
	ck_assert_int_eq(serve_once("{\"ok\":false}\n", &s, request, err, sizeof err), SL_EIO);
	ck_assert_msg(strstr(err, "not ok") != NULL, "%s", err);
	ck_assert_int_eq(serve_once(NULL, &s, request, err, sizeof err), SL_EIO);
	ck_assert_msg(strstr(err, "closed") != NULL, "%s", err);
	ck_assert_int_eq(compactstat_read("/nonexistent/control.sock", 500, &s, err, sizeof err),
			 SL_EIO);
	ck_assert_msg(strstr(err, "connect") != NULL, "%s", err);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("compactstat");
	TCase *tc = tcase_create("compactstat");
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_predicates);
	tcase_add_test(tc, test_accumulate);
	tcase_add_test(tc, test_read);
	suite_add_tcase(s, tc);
	return s;
}
