/*  The disk's own flush latency, for make bench: writes 4 KiB at the end of
    a file in DIR and fdatasyncs it, again and again for SECONDS (at most
    one flush every INTERVAL_US microseconds, 0: back to back). Prints:
        fdatasync_p50_us=N fdatasync_p99_us=N fdatasync_p999_us=N rps=N count=N
    (rps: flushes a second)
    Usage: bench_fsync DIR SECONDS [INTERVAL_US] */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t
s_usecs (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
s_compare (const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
    if (argc < 3) {
        fprintf (stderr, "usage: bench_fsync DIR SECONDS [INTERVAL_US]\n");
        return 2;
    }
    char path[4096];
    snprintf (path, sizeof (path), "%s/fsync-probe", argv[1]);
    int fd = open (path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0) {
        perror (path);
        return 1;
    }
    int64_t interval = argc > 3 ? atoll (argv[3]) : 0;
    char block[4096];
    memset (block, 'g', sizeof (block));
    size_t capacity = 1 << 16, count = 0;
    int64_t *times = (int64_t *)malloc (capacity * sizeof (int64_t));
    int64_t end = s_usecs () + (int64_t)(atof (argv[2]) * 1e6);
    off_t offset = 0;
    while (s_usecs () < end) {
        int64_t t = s_usecs ();
        if (pwrite (fd, block, sizeof (block), offset) != (ssize_t)sizeof (block) ||
            fdatasync (fd) != 0) {
            perror (path);
            return 1;
        }
        offset += sizeof (block);
        if (count == capacity) {
            int64_t *more = (int64_t *)realloc (times, 2 * capacity * sizeof (int64_t));
            if (!more)
                break;
            times = more;
            capacity *= 2;
        }
        times[count++] = s_usecs () - t;
        int64_t rest = t + interval - s_usecs ();
        if (interval > 0 && rest > 0)
            usleep ((useconds_t)rest);
    }
    close (fd);
    unlink (path);
    qsort (times, count, sizeof (int64_t), s_compare);
#define AT(p) (count ? times[(size_t)((double)(count - 1) * (p))] : 0)
    printf ("fdatasync_p50_us=%" PRId64 " fdatasync_p99_us=%" PRId64 " fdatasync_p999_us=%" PRId64
            " rps=%.0f count=%zu\n",
            AT (0.5), AT (0.99), AT (0.999), (double)count / atof (argv[2]), count);
    free (times);
    return 0;
}
