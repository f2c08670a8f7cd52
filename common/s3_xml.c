/*
 * A small strict XML reader for S3 responses, and the escaping of text put
 * into request bodies.  See s3_xml.h for what it accepts.
 *
 * No new dependency: S3's responses are small, flat and machine-written,
 * so a walker that yields (path, text) pairs covers every element the
 * object store reads, and rejects anything it does not understand rather
 * than guessing.  Bounds: depth 32, path 1 KiB.
 *
 * Threading: any thread; no state.
 */
#include "autoconfig.h"

#include "common/s3_xml.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/errors.h"
#include "common/objstore_internal.h"

#define S3_XML_MAX_DEPTH 32
#define S3_XML_MAX_PATH 1024

/* The walker's state: the element path and the current text. */
struct s3_xml_walker {
	char path[S3_XML_MAX_PATH];
	size_t plen;
	size_t stack[S3_XML_MAX_DEPTH]; /* path length before each element */
	int has_child[S3_XML_MAX_DEPTH];
	int depth;
	struct objstore_buf text;
};

/* Finds needle in [p, end); returns its position or NULL. */
static const char *s3_xml_find(const char *p, const char *end,
			       const char *needle)
{
	size_t n = strlen(needle);
	for (; p + n <= end; p++)
		if (!memcmp(p, needle, n))
			return p;
	return NULL;
}

/* Whether c may appear in an element name. */
static int s3_xml_name_char(char c)
{
	return c && !strchr(" \t\r\n/>=\"'<&", c);
}

/* Appends the UTF-8 encoding of code point cp. */
static int s3_xml_utf8(struct objstore_buf *b, unsigned long cp)
{
	char u[4];
	size_t n;
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	objstore_buf_add(b, u, n);
	return 0;
}

/* Appends character data [p, end) with entities decoded. */
static int s3_xml_chardata(struct objstore_buf *b, const char *p,
			   const char *end)
{
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		if (!amp) {
			objstore_buf_add(b, p, (size_t)(end - p));
			break;
		}
		objstore_buf_add(b, p, (size_t)(amp - p));
		const char *semi = memchr(amp, ';', (size_t)(end - amp));
		if (!semi || semi - amp > 12)
			return SL_ECORRUPT;
		size_t n = (size_t)(semi - amp - 1);
		const char *e = amp + 1;
		static const struct {
			const char *name;
			char c;
		} named[] = { { "lt", '<' },
			      { "gt", '>' },
			      { "amp", '&' },
			      { "quot", '"' },
			      { "apos", '\'' } };
		int ok = 0;
		for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
			if (strlen(named[i].name) == n &&
			    !memcmp(e, named[i].name, n)) {
				objstore_buf_add(b, &named[i].c, 1);
				ok = 1;
			}
		}
		if (!ok && n >= 2 && e[0] == '#') {
			char num[12];
			int hex = e[1] == 'x';
			size_t dn = n - 1 - (size_t)hex;
			if (dn == 0 || dn >= sizeof num)
				return SL_ECORRUPT;
			memcpy(num, e + 1 + hex, dn);
			num[dn] = '\0';
			char *stop;
			unsigned long cp = strtoul(num, &stop, hex ? 16 : 10);
			if (*stop || s3_xml_utf8(b, cp) < 0)
				return SL_ECORRUPT;
			ok = 1;
		}
		if (!ok)
			return SL_ECORRUPT;
		p = semi + 1;
	}
	return b->oom ? SL_ENOMEM : 0;
}

/* Handles "<name ...>" or "<name .../>" at p; *next is set past it. */
static int s3_xml_start_tag(struct s3_xml_walker *w, const char *p,
			    const char *end, const struct s3_xml_visitor *v,
			    void *arg, const char **next)
{
	const char *name = p + 1, *q = name;
	while (q < end && s3_xml_name_char(*q))
		q++;
	if (q == name)
		return SL_ECORRUPT;
	const char *colon = memchr(name, ':', (size_t)(q - name));
	if (colon)
		name = colon + 1;
	/* Skip attributes, honouring quotes. */
	const char *t = q;
	char quote = 0;
	while (t < end && (quote || (*t != '>'))) {
		if (quote && *t == quote)
			quote = 0;
		else if (!quote && (*t == '"' || *t == '\''))
			quote = *t;
		t++;
	}
	if (t >= end)
		return SL_ECORRUPT;
	int empty = t > q && t[-1] == '/';
	size_t nlen = (size_t)(q - name);
	if (w->depth >= S3_XML_MAX_DEPTH || w->plen + nlen + 2 > sizeof w->path)
		return SL_ECORRUPT;
	if (w->depth > 0)
		w->has_child[w->depth - 1] = 1;
	w->stack[w->depth] = w->plen;
	w->has_child[w->depth] = 0;
	w->depth++;
	if (w->plen)
		w->path[w->plen++] = '/';
	memcpy(w->path + w->plen, name, nlen);
	w->plen += nlen;
	w->path[w->plen] = '\0';
	w->text.len = 0;
	*next = t + 1;
	if (!empty)
		return 0;
	int rc = v->text ? v->text(arg, w->path, "", 0) : 0;
	if (!rc && v->end)
		rc = v->end(arg, w->path);
	w->depth--;
	w->plen = w->stack[w->depth];
	w->path[w->plen] = '\0';
	return rc;
}

/* Handles "</name>" at p. */
static int s3_xml_end_tag(struct s3_xml_walker *w, const char *p,
			  const char *end, const struct s3_xml_visitor *v,
			  void *arg, const char **next)
{
	const char *name = p + 2, *q = name;
	while (q < end && s3_xml_name_char(*q))
		q++;
	const char *colon = memchr(name, ':', (size_t)(q - name));
	if (colon)
		name = colon + 1;
	while (q < end && strchr(" \t\r\n", *q))
		q++;
	if (q >= end || *q != '>' || w->depth == 0)
		return SL_ECORRUPT;
	size_t nlen = (size_t)(q - name);
	while (nlen && strchr(" \t\r\n", name[nlen - 1]))
		nlen--;
	size_t at = w->stack[w->depth - 1] + (w->depth > 1 ? 1 : 0);
	if (w->plen - at != nlen || memcmp(w->path + at, name, nlen))
		return SL_ECORRUPT;
	int rc = 0;
	if (!w->has_child[w->depth - 1] && v->text) {
		if (objstore_buf_reserve(&w->text, 0) < 0)
			return SL_ENOMEM;
		rc = v->text(arg, w->path, w->text.p, w->text.len);
	}
	if (!rc && v->end)
		rc = v->end(arg, w->path);
	w->depth--;
	w->plen = w->stack[w->depth];
	w->path[w->plen] = '\0';
	w->text.len = 0;
	*next = q + 1;
	return rc;
}

int s3_xml_walk(const char *xml, size_t len, const struct s3_xml_visitor *v,
		void *arg)
{
	struct s3_xml_walker w;
	memset(&w, 0, sizeof w);
	const char *p = xml, *end = xml + len;
	int rc = 0, seen_root = 0;
	while (!rc && p < end) {
		if (*p != '<') {
			const char *lt = memchr(p, '<', (size_t)(end - p));
			if (!lt)
				lt = end;
			if (w.depth == 0) {
				/* Only blanks may stand outside the root. */
				for (; p < lt; p++)
					if (!strchr(" \t\r\n", *p))
						rc = SL_ECORRUPT;
			} else {
				rc = s3_xml_chardata(&w.text, p, lt);
			}
			p = lt;
		} else if (end - p >= 2 && p[1] == '?') {
			const char *q = s3_xml_find(p, end, "?>");
			rc = q ? 0 : SL_ECORRUPT;
			p = q ? q + 2 : end;
		} else if (end - p >= 4 && !memcmp(p, "<!--", 4)) {
			const char *q = s3_xml_find(p + 4, end, "-->");
			rc = q ? 0 : SL_ECORRUPT;
			p = q ? q + 3 : end;
		} else if (end - p >= 9 && !memcmp(p, "<![CDATA[", 9)) {
			const char *q = s3_xml_find(p + 9, end, "]]>");
			if (!q || w.depth == 0) {
				rc = SL_ECORRUPT;
				break;
			}
			objstore_buf_add(&w.text, p + 9, (size_t)(q - p - 9));
			rc = w.text.oom ? SL_ENOMEM : 0;
			p = q + 3;
		} else if (end - p >= 2 && p[1] == '!') {
			rc = SL_ECORRUPT; /* DOCTYPE and friends: not from S3 */
		} else if (end - p >= 2 && p[1] == '/') {
			rc = s3_xml_end_tag(&w, p, end, v, arg, &p);
		} else {
			if (w.depth == 0 && seen_root)
				rc = SL_ECORRUPT; /* a second root */
			seen_root = 1;
			rc = rc ? rc : s3_xml_start_tag(&w, p, end, v, arg, &p);
		}
	}
	if (!rc && (w.depth != 0 || !seen_root))
		rc = SL_ECORRUPT;
	objstore_buf_free(&w.text);
	return rc;
}

/* Search state of s3_xml_text. */
struct s3_xml_find_state {
	const char *path;
	char *out;
	size_t outlen;
};

/* Copies the text at the wanted path and stops. */
static int s3_xml_find_text(void *arg, const char *path, const char *text,
			    size_t len)
{
	struct s3_xml_find_state *st = arg;
	if (strcmp(path, st->path))
		return 0;
	size_t n = len < st->outlen - 1 ? len : st->outlen - 1;
	memcpy(st->out, text, n);
	st->out[n] = '\0';
	return 1;
}

int s3_xml_text(const char *xml, size_t len, const char *path, char *out,
		size_t outlen)
{
	struct s3_xml_find_state st = { path, out, outlen };
	struct s3_xml_visitor v = { s3_xml_find_text, NULL };
	if (outlen == 0)
		return SL_EINVAL;
	out[0] = '\0';
	int rc = s3_xml_walk(xml, len, &v, &st);
	if (rc == 1)
		return 0;
	return rc ? rc : SL_ENOENT;
}

/* Collects Code and Message of an Error document. */
struct s3_xml_error_state {
	char *code, *msg;
	size_t codelen, msglen;
	int found; /* 2 once Error/Code was seen */
};

/* Copies at most outlen-1 bytes of text. */
static void s3_xml_copy(char *out, size_t outlen, const char *text, size_t len)
{
	size_t n = len < outlen - 1 ? len : outlen - 1;
	memcpy(out, text, n);
	out[n] = '\0';
}

/* Takes Error/Code and Error/Message. */
static int s3_xml_error_text(void *arg, const char *path, const char *text,
			     size_t len)
{
	struct s3_xml_error_state *st = arg;
	if (!strcmp(path, "Error/Code")) {
		s3_xml_copy(st->code, st->codelen, text, len);
		st->found = 2;
	} else if (!strcmp(path, "Error/Message")) {
		s3_xml_copy(st->msg, st->msglen, text, len);
	}
	return 0;
}

int s3_xml_error(const char *xml, size_t len, char *code, size_t codelen,
		 char *msg, size_t msglen)
{
	struct s3_xml_error_state st = { code, msg, codelen, msglen, 0 };
	struct s3_xml_visitor v = { s3_xml_error_text, NULL };
	code[0] = msg[0] = '\0';
	int rc = s3_xml_walk(xml, len, &v, &st);
	if (rc)
		return rc;
	return st.found == 2 ? 0 : SL_ENOENT;
}

/* State of one ListObjectsV2 page. */
struct s3_xml_list_state {
	s3_xml_entry_cb cb;
	void *arg;
	struct objstore_buf key;
	int have_key;
	uint64_t size;
	int64_t mtime_ms;
	int truncated;
	char *token;
	int root_ok;
};

/* Parses a decimal u64; returns 0 or -1. */
static int s3_xml_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		uint64_t d = (uint64_t)(*s - '0');
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Takes the fields of ListBucketResult and of each Contents. */
static int s3_xml_list_text(void *arg, const char *path, const char *text,
			    size_t len)
{
	struct s3_xml_list_state *st = arg;
	static const char root[] = "ListBucketResult";
	if (strncmp(path, root, sizeof root - 1) ||
	    (path[sizeof root - 1] && path[sizeof root - 1] != '/'))
		return SL_ECORRUPT;
	st->root_ok = 1;
	const char *sub = path + sizeof root - 1;
	if (!strcmp(sub, "/Contents/Key")) {
		st->key.len = 0;
		objstore_buf_add(&st->key, text, len);
		if (st->key.oom)
			return SL_ENOMEM;
		st->have_key = 1;
	} else if (!strcmp(sub, "/Contents/Size")) {
		if (s3_xml_u64(text, &st->size) < 0)
			return SL_ECORRUPT;
	} else if (!strcmp(sub, "/Contents/LastModified")) {
		st->mtime_ms = s3_xml_time_ms(text);
	} else if (!strcmp(sub, "/IsTruncated")) {
		st->truncated = !strcmp(text, "true");
	} else if (!strcmp(sub, "/NextContinuationToken")) {
		free(st->token);
		st->token = strndup(text, len);
		if (!st->token)
			return SL_ENOMEM;
	}
	return 0;
}

/* At the end of each Contents: one entry. */
static int s3_xml_list_end(void *arg, const char *path)
{
	struct s3_xml_list_state *st = arg;
	if (strcmp(path, "ListBucketResult/Contents"))
		return 0;
	if (!st->have_key)
		return SL_ECORRUPT;
	int rc =
		st->cb(st->arg, st->key.p, st->key.len, st->size, st->mtime_ms);
	st->have_key = 0;
	st->size = 0;
	st->mtime_ms = 0;
	return rc;
}

int s3_xml_list(const char *xml, size_t len, s3_xml_entry_cb cb, void *arg,
		int *truncated, char **next_token)
{
	struct s3_xml_list_state st;
	memset(&st, 0, sizeof st);
	st.cb = cb;
	st.arg = arg;
	struct s3_xml_visitor v = { s3_xml_list_text, s3_xml_list_end };
	int rc = s3_xml_walk(xml, len, &v, &st);
	objstore_buf_free(&st.key);
	if (!rc && !st.root_ok)
		rc = SL_ECORRUPT;
	if (rc) {
		free(st.token);
		return rc;
	}
	*truncated = st.truncated;
	*next_token = st.token;
	return 0;
}

/* State of a DeleteResult. */
struct s3_xml_delete_state {
	s3_xml_delete_cb cb;
	void *arg;
	char key[1100], code[64], msg[256];
	int root_ok;
};

/* Takes the fields of each DeleteResult/Error. */
static int s3_xml_delete_text(void *arg, const char *path, const char *text,
			      size_t len)
{
	struct s3_xml_delete_state *st = arg;
	static const char root[] = "DeleteResult";
	if (strncmp(path, root, sizeof root - 1) ||
	    (path[sizeof root - 1] && path[sizeof root - 1] != '/'))
		return SL_ECORRUPT;
	st->root_ok = 1;
	if (!strcmp(path, "DeleteResult/Error/Key"))
		s3_xml_copy(st->key, sizeof st->key, text, len);
	else if (!strcmp(path, "DeleteResult/Error/Code"))
		s3_xml_copy(st->code, sizeof st->code, text, len);
	else if (!strcmp(path, "DeleteResult/Error/Message"))
		s3_xml_copy(st->msg, sizeof st->msg, text, len);
	return 0;
}

/* At the end of each Error: report it. */
static int s3_xml_delete_end(void *arg, const char *path)
{
	struct s3_xml_delete_state *st = arg;
	if (!strcmp(path, "DeleteResult"))
		st->root_ok = 1;
	if (strcmp(path, "DeleteResult/Error"))
		return 0;
	st->cb(st->arg, st->key, st->code, st->msg);
	st->key[0] = st->code[0] = st->msg[0] = '\0';
	return 0;
}

int s3_xml_delete_result(const char *xml, size_t len, s3_xml_delete_cb cb,
			 void *arg)
{
	struct s3_xml_delete_state st;
	memset(&st, 0, sizeof st);
	st.cb = cb;
	st.arg = arg;
	struct s3_xml_visitor v = { s3_xml_delete_text, s3_xml_delete_end };
	int rc = s3_xml_walk(xml, len, &v, &st);
	if (!rc && !st.root_ok)
		rc = SL_ECORRUPT;
	return rc;
}

int64_t s3_xml_time_ms(const char *iso)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *p = strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	int64_t ms = 0;
	if (*p == '.') {
		int digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*p - '0');
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (strcmp(p, "Z") && strcmp(p, "+00:00"))
		return -1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

void s3_xml_escape(struct objstore_buf *out, const char *s)
{
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '&': objstore_buf_cat(out, "&amp;"); break;
		case '<': objstore_buf_cat(out, "&lt;"); break;
		case '>': objstore_buf_cat(out, "&gt;"); break;
		case '"': objstore_buf_cat(out, "&quot;"); break;
		case '\'': objstore_buf_cat(out, "&apos;"); break;
		default: objstore_buf_add(out, p, 1);
		}
	}
}
