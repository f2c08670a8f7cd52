/*
 * sluice-object end to end: objects made by the real builder are written
 * to a temp directory, the built binary is run on them, and its output and
 * exit status are checked (text and JSON, dump and verify, the tail read
 * that needs a second read of the index, config errors).
 */
#include "autoconfig.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/object_format.h"
#include "tests/unit/scratch_dir.h"
#include "tests/unit/unit_main.h"

/* Each test's own scratch directory, made by setup(). */
static char dir[256];
static char tool[4096];

/* Writes a valid RecordBatch of len bytes with count records from base. */
static void make_batch(uint8_t *p, size_t len, int64_t base, int32_t count,
		       int64_t ts, uint16_t codec)
{
	memset(p, 0, len);
	be64_put(p, (uint64_t)base);
	be32_put(p + 8, (uint32_t)(len - 12));
	p[16] = 2;
	be16_put(p + 21, codec);
	be32_put(p + 23, (uint32_t)(count - 1));
	be64_put(p + 27, (uint64_t)ts);
	be64_put(p + 35, (uint64_t)(ts + count - 1));
	be32_put(p + 57, (uint32_t)count);
	for (size_t i = 61; i < len; i++)
		p[i] = (uint8_t)(i * 13);
	be32_put(p + 17, crc32c(p + 21, len - 21));
}

/* Builds an object of nstreams streams, batches_per_stream batches each,
 * writes it to dir/name and returns its size. */
static size_t write_object(const char *name, uint64_t id, int nstreams,
			   int batches_per_stream)
{
	struct object_builder *b = object_builder_new(id, OBJECT_FLAG_STREAM_SET, 400);
	ck_assert_ptr_nonnull(b);
	uint8_t batch[150];
	for (int s = 0; s < nstreams; s++)
		for (int i = 0; i < batches_per_stream; i++) {
			make_batch(batch, sizeof batch, 10 * i, 10,
				   1700000000000 + i, (uint16_t)(i % 5));
			ck_assert_int_eq(object_builder_add(b, 100 + (uint64_t)s,
							    batch, sizeof batch), 0);
		}
	uint8_t *obj;
	size_t len;
	ck_assert_int_eq(object_builder_finish(b, &obj, &len), 0);
	object_builder_free(b);
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(obj, 1, len, f), len);
	fclose(f);
	free(obj);
	return len;
}

/* Flips one bit of dir/name at pos. */
static void flip(const char *name, long pos)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "r+b");
	ck_assert_ptr_nonnull(f);
	fseek(f, pos, SEEK_SET);
	int c = fgetc(f);
	fseek(f, pos, SEEK_SET);
	fputc(c ^ 0x10, f);
	fclose(f);
}

/* Runs a shell command in dir; returns its exit status. */
static int shell(const char *command)
{
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "cd %s && %s", dir, command);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Runs the tool with args (in dir); returns its exit status and its
 * stdout in *out (malloc'd). */
static int run(char **out, const char *args)
{
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "cd %s && %s %s 2>/dev/null", dir, tool, args);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	size_t cap = 1 << 16, len = 0, r;
	char *buf = malloc(cap);
	while ((r = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += r;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	int st = pclose(p);
	*out = buf;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_verify)
{
	char *out;
	write_object("good", 42, 2, 5);
	write_object("bad", 43, 2, 5);
	flip("bad", 200); /* inside the first block */
	ck_assert_int_eq(run(&out, "verify good"), 0);
	ck_assert_ptr_nonnull(strstr(out, "good: ok (object 42, "));
	free(out);
	ck_assert_int_eq(run(&out, "verify good bad"), 1);
	ck_assert_ptr_nonnull(strstr(out, "good: ok"));
	ck_assert_ptr_nonnull(strstr(out, "bad: FAILED: block 0 (stream 100, "
					  "offsets 0..20): block CRC mismatch"));
	free(out);

	/* JSON: one document per object, missing files included */
	ck_assert_int_eq(run(&out, "-j verify bad good missing"), 1);
	json_error_t jerr;
	json_t *j = json_loadb(out, strlen(out), JSON_DISABLE_EOF_CHECK, &jerr);
	ck_assert_ptr_nonnull(j);
	ck_assert(json_is_false(json_object_get(j, "ok")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "name")), "bad");
	json_decref(j);
	char *line2 = strchr(out, '\n') + 1;
	j = json_loads(strtok(line2, "\n"), 0, &jerr);
	ck_assert(json_is_true(json_object_get(j, "ok")));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "object_id")), 42);
	json_decref(j);
	j = json_loads(strtok(NULL, "\n"), 0, &jerr);
	ck_assert(json_is_false(json_object_get(j, "ok")));
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "error")),
				     "No such file"));
	json_decref(j);
	free(out);

	/* a truncated copy */
	ck_assert_int_eq(shell("head -c 300 good > short"), 0);
	ck_assert_int_eq(run(&out, "verify short"), 1);
	ck_assert_ptr_nonnull(strstr(out, "short: FAILED: footer: bad magic"));
	free(out);
}
END_TEST

START_TEST(test_dump)
{
	char *out;
	write_object("obj", 7, 3, 4);
	ck_assert_int_eq(run(&out, "dump obj"), 0);
	ck_assert_ptr_nonnull(strstr(out, "obj: object 7 (o/14/0000000000000007)"));
	ck_assert_ptr_nonnull(strstr(out, "stream-set"));
	free(out);

	ck_assert_int_eq(run(&out, "-j dump -b obj"), 0);
	json_error_t jerr;
	json_t *j = json_loads(out, 0, &jerr);
	ck_assert_msg(j != NULL, "%s", jerr.text);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "object_id")), 7);
	ck_assert(json_is_true(json_object_get(j, "ok")));
	json_t *blocks = json_object_get(j, "blocks");
	/* 150-byte batches, target 400: two per block, two blocks a stream */
	ck_assert_uint_eq(json_array_size(blocks), 6);
	int64_t records = 0, batches = 0;
	for (size_t i = 0; i < json_array_size(blocks); i++) {
		json_t *blk = json_array_get(blocks, i);
		ck_assert_int_eq(json_integer_value(json_object_get(blk, "stream_id")),
				 100 + (int)i / 2);
		json_t *bs = json_object_get(blk, "batches");
		ck_assert_uint_eq(json_array_size(bs), 2);
		for (size_t k = 0; k < json_array_size(bs); k++) {
			json_t *bt = json_array_get(bs, k);
			ck_assert(json_is_true(json_object_get(bt, "crc_ok")));
			records += json_integer_value(json_object_get(bt, "record_count"));
			batches++;
		}
		ck_assert_int_eq(json_integer_value(json_object_get(
					 json_array_get(bs, 1), "last_offset")),
				 (i % 2) * 20 + 19);
	}
	ck_assert_int_eq(batches, 12);
	ck_assert_int_eq(records, 120);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
				 json_object_get(json_array_get(blocks, 0), "batches"), 1),
				 "codec")), "gzip");
	json_decref(j);
	free(out);

	/* a damaged batch is flagged in the dump, which then fails */
	flip("obj", 100);
	ck_assert_int_eq(run(&out, "dump -b obj"), 1);
	ck_assert_ptr_nonnull(strstr(out, "BAD"));
	free(out);
}
END_TEST

START_TEST(test_dump_large_index)
{
	/* 1500 streams: an index of 84000 bytes, more than the first tail
	 * read, so dump has to read the index range a second time */
	char *out;
	write_object("big", 9, 1500, 1);
	ck_assert_int_eq(run(&out, "-j dump big"), 0);
	json_t *j = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "entry_count")), 1500);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "index_size")),
			 1500 * OBJECT_INDEX_ENTRY_BYTES);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "blocks")), 1500);
	json_decref(j);
	free(out);
}
END_TEST

START_TEST(test_file_url)
{
	/* the local object store's layout: <root>/<key> */
	char *out, args[8192];
	ck_assert_int_eq(shell("mkdir -p store/pre/o/22"), 0);
	write_object("store/pre/o/22/000000000000002a", 42, 2, 3);
	snprintf(args, sizeof args, "-j dump -b file://%s/store/pre/o/22/"
		 "000000000000002a", dir);
	ck_assert_int_eq(run(&out, args), 0);
	json_t *j = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "object_id")), 42);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "blocks")), 4);
	json_decref(j);
	free(out);
	snprintf(args, sizeof args, "-j verify file://%s/store/pre/o/22/"
		 "000000000000002a file://%s/store/pre/o/22/000000000000002b "
		 "file://%s/store/", dir, dir, dir);
	ck_assert_int_eq(run(&out, args), 1);
	ck_assert_ptr_nonnull(strstr(out, "\"ok\": true, \"object_id\": 42"));
	ck_assert_ptr_nonnull(strstr(out, "002b: no such object"));
	ck_assert_ptr_nonnull(strstr(out, "no object key in the URL"));
	free(out);
}
END_TEST

START_TEST(test_usage_and_config)
{
	char *out;
	ck_assert_int_eq(run(&out, "key 42 1"), 0);
	ck_assert_str_eq(out, "o/22/000000000000002a\no/e5/0000000000000001\n");
	free(out);
	ck_assert_int_eq(run(&out, "key nope"), 2);
	free(out);
	ck_assert_int_eq(run(&out, ""), 2);
	free(out);
	ck_assert_int_eq(run(&out, "frob obj"), 2);
	free(out);
	write_object("obj", 7, 1, 1);
	ck_assert_int_eq(shell("printf 's3.region = eu-west-1\\nnum.partitions = 3\\n'"
			       " > good.conf && printf 'no.such.key = 1\\n' > bad.conf"), 0);
	ck_assert_int_eq(run(&out, "-c good.conf verify obj"), 0);
	free(out);
	ck_assert_int_eq(run(&out, "-c bad.conf verify obj"), 2);
	free(out);
	ck_assert_int_eq(run(&out, "-c missing.conf verify obj"), 2);
	free(out);
}
END_TEST

/* Finds the tool and makes this test's scratch directory. */
static void setup(void)
{
	const char *top = getenv("top_builddir");
	char cwd[2048];
	if (!top)
		top = getcwd(cwd, sizeof cwd);
	snprintf(tool, sizeof tool, "%s/tools/object/sluice-object", top);
	ck_assert_int_eq(access(tool, X_OK), 0);
	scratch_dir_make(dir, sizeof dir, "object");
}

/* Removes the scratch directory (the shared main() has no after-all hook). */
static void teardown(void)
{
	scratch_dir_remove(dir);
}

Suite *unit_suite(void)
{
	Suite *s = suite_create("sluice-object");
	TCase *tc = tcase_create("tool");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_verify);
	tcase_add_test(tc, test_dump);
	tcase_add_test(tc, test_dump_large_index);
	tcase_add_test(tc, test_file_url);
	tcase_add_test(tc, test_usage_and_config);
	suite_add_tcase(s, tc);
	return s;
}
