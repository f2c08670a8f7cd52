/*
 * sluice-object's commands: dump (footer, index and optionally every
 * batch of an object) and verify (every check object_verify makes).
 */
#ifndef SLUICE_TOOLS_OBJECT_COMMANDS_H
#define SLUICE_TOOLS_OBJECT_COMMANDS_H

struct source;

struct command_opts {
	int json;    /* -j: one JSON document per object */
	int batches; /* -b: dump every batch */
};

/* Prints src (called name) as the options say.  Returns 0, or 1 when the
 * object could not be read or is damaged (the reason is printed). */
int dump_object(struct source *src, const char *name,
		const struct command_opts *o);

/* Verifies src and prints the verdict.  Returns 0 if the object is
 * intact, 1 otherwise (the reason is printed). */
int verify_object(struct source *src, const char *name,
		  const struct command_opts *o);

#endif
