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
#include <time.h>
#include <unistd.h>

static char *bodies;
static size_t body_length, body_count;
static unsigned long next_body;
#define MAX_IDS 4
static const char *request_id;            // the placeholder id, or NULL
static size_t (*request_id_at)[MAX_IDS];  // its offsets in each body, 0 after the last
static unsigned long long ids_made;

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
  request_id = getenv("TIMELY_H2LOAD_REQUEST_ID");
  if (request_id == NULL) return;
  if (strlen(request_id) != 36) die("TIMELY_H2LOAD_REQUEST_ID is not a UUID");
  request_id_at = malloc(body_count * sizeof *request_id_at);
  if (request_id_at == NULL) die("out of memory");
  for (size_t i = 0; i < body_count; i++) {
    char *body = bodies + i * body_length, *at = body;
    size_t found = 0;
    memset(request_id_at[i], 0, sizeof request_id_at[i]);
    while ((at = memmem(at, body_length - (size_t)(at - body), request_id, 36)) != NULL) {
      if (found == MAX_IDS) die("a body carries TIMELY_H2LOAD_REQUEST_ID too often");
      request_id_at[i][found++] = (size_t)(at - body);  // never 0: a gRPC frame starts with its 5-byte prefix
      at += 36;
    }
    if (found == 0) die("a body does not carry TIMELY_H2LOAD_REQUEST_ID");
  }
}

// A UUIDv7: the time in milliseconds, then this process's id and a counter where the SDKs put random bits
// (unique within the process, and across the processes of one run).
static void stamp_request_id(char *body, const size_t *at) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  unsigned long long ms = (unsigned long long)now.tv_sec * 1000 + (unsigned long long)now.tv_nsec / 1000000;
  unsigned long long n = ids_made++;
  char id[48];  // 36 used; room for what the compiler cannot prove
  snprintf(id, sizeof id, "%08llx-%04llx-7%03x-%04llx-%012llx", (ms >> 16) & 0xffffffffULL, ms & 0xffff, (unsigned)getpid() & 0xfff,
           0x8000 | ((n >> 48) & 0x3fff), n & 0xffffffffffffULL);
  for (size_t i = 0; i < MAX_IDS && at[i] != 0; i++) memcpy(body + at[i], id, 36);
}

ssize_t pread(int fd, void *buf, size_t count, off_t offset) {
  // h2load is run with one thread (its default): no locking.
  if (bodies == NULL) load(fd);
  if (offset != 0 || count < body_length) die("a body must fit in one read");
  size_t body = next_body++ % body_count;
  memcpy(buf, bodies + body * body_length, body_length);
  if (request_id != NULL) stamp_request_id(buf, request_id_at[body]);
  return (ssize_t)body_length;
}

ssize_t pread64(int fd, void *buf, size_t count, off_t offset) { return pread(fd, buf, count, offset); }
