/* Turning a libuv loop by hand until a condition holds, for tests and
 * benchmarks that drive instances on their own thread. */
#ifndef DF_TEST_LOOP_H
#define DF_TEST_LOOP_H

#include <stdint.h>
#include <unistd.h>
#include <uv.h>

/* Turns `loop` until `cond` holds or `ns` passed; returns cond. Never
 * blocks in the loop for long: other threads (a server, readers) may be
 * what makes `cond` true. */
#define TEST_RUN_UNTIL_NS(loop, cond, ns)                                                          \
    ({                                                                                             \
        uint64_t end_ = uv_hrtime() + (ns);                                                        \
        while (!(cond) && uv_hrtime() < end_) {                                                    \
            uv_run((loop), UV_RUN_NOWAIT);                                                         \
            if (!(cond))                                                                           \
                usleep(200);                                                                       \
        }                                                                                          \
        (cond);                                                                                    \
    })

#endif
