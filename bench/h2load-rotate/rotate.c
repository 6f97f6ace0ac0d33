// Makes h2load send a different request body on each request, in turn: h2load sends one body (-d FILE)
// and reads it with pread(2) at offset 0 for every request; loaded with LD_PRELOAD, this library answers
// those reads from TIMELY_H2LOAD_BODIES instead, a file of bodies of FILE's length each, one after the
// other, the next body for each request. The throughput benchmark's rows on many conversations use it to spread
// calls over 64 or 2,048 conversations from one h2load process (the same connections and streams as every other row).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *bodies;
static size_t body_length, body_count;
static unsigned long next_body;

static void die(const char *what) {
  fprintf(stderr, "h2load-rotate: %s\n", what);
  exit(2);
}

static void load(int fd) {
  const char *path = getenv("TIMELY_H2LOAD_BODIES");
  struct stat data, all;
  if (path == NULL) die("TIMELY_H2LOAD_BODIES is not set");
  int bodies_fd = open(path, O_RDONLY);
  if (bodies_fd < 0 || fstat(fd, &data) != 0 || fstat(bodies_fd, &all) != 0) die("cannot read the bodies");
  body_length = (size_t)data.st_size;
  if (body_length == 0 || all.st_size == 0 || (size_t)all.st_size % body_length != 0)
    die("TIMELY_H2LOAD_BODIES is not whole bodies of the -d file's length");
  body_count = (size_t)all.st_size / body_length;
  bodies = malloc((size_t)all.st_size);
  if (bodies == NULL || read(bodies_fd, bodies, (size_t)all.st_size) != all.st_size) die("cannot read the bodies");
  close(bodies_fd);
}

ssize_t pread(int fd, void *buf, size_t count, off_t offset) {
  // h2load is run with one thread (its default): no locking.
  if (bodies == NULL) load(fd);
  if (offset != 0 || count < body_length) die("a body must fit in one read");
  memcpy(buf, bodies + (next_body++ % body_count) * body_length, body_length);
  return (ssize_t)body_length;
}

ssize_t pread64(int fd, void *buf, size_t count, off_t offset) { return pread(fd, buf, count, offset); }
