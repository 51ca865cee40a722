/*
 * bare_fcgi.c - the yardstick of the HTTP rows of `make bench`: a bare
 * libfcgi responder with two threads that reads each request's body and
 * answers as actord answers the request of the same shape, touching no
 * database and parsing no JSON:
 *
 *   POST any path   202 {"accepted":true,"seq":1}
 *   GET  /healthz   200 {"ok":true}
 *   GET  any other  200 a fixed counter, as GET /actors/NAME shows one
 *
 * with actord's headers (Content-Type, Cache-Control).  It listens on the
 * unix socket named by argv[1] until killed.
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int listen_fd;

#define HEAD "Content-Type: application/json\r\nCache-Control: no-store\r\n\r\n"

static const char post_reply[] =
    "Status: 202 Accepted\r\n" HEAD "{\"accepted\":true,\"seq\":1}\n";
static const char health_reply[] = "Status: 200 OK\r\n" HEAD "{\"ok\":true}\n";
/* The length and shape of a counter's GET /actors/c1 in actord. */
static const char actor_reply[] =
    "Status: 200 OK\r\n" HEAD
    "{\"name\":\"c1\",\"behavior\":\"counter\",\"status\":\"waiting\","
    "\"state\":{\"count\":1},\"mailbox\":0,\"waiting_for\":[{\"add\":"
    "\"$integer\"},{\"call\":\"$any\",\"method\":\"$string\",\"address\":"
    "\"$address\"}],\"deadline\":null,\"result\":null,\"error\":null,"
    "\"created\":\"2026-01-01T00:00:00.000Z\","
    "\"updated\":\"2026-01-01T00:00:00.000Z\"}\n";

static void *
serve(void *arg)
{
    (void)arg;
    static pthread_mutex_t accept_mu = PTHREAD_MUTEX_INITIALIZER;
    FCGX_Request req;
    char buf[4096];
    FCGX_InitRequest(&req, listen_fd, 0);
    for (;;) {
        pthread_mutex_lock(&accept_mu);
        int rc = FCGX_Accept_r(&req);
        pthread_mutex_unlock(&accept_mu);
        if (rc < 0)
            break;
        while (FCGX_GetStr(buf, sizeof buf, req.in) > 0)
            ;
        const char *m = FCGX_GetParam("REQUEST_METHOD", req.envp);
        const char *p = FCGX_GetParam("PATH_INFO", req.envp);
        const char *reply = post_reply;
        if (m && strcmp(m, "GET") == 0)
            reply =
                p && strcmp(p, "/healthz") == 0 ? health_reply : actor_reply;
        FCGX_PutS(reply, req.out);
        FCGX_Finish_r(&req);
    }
    return NULL;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bare_fcgi SOCKET_PATH\n");
        return 2;
    }
    FCGX_Init();
    listen_fd = FCGX_OpenSocket(argv[1], 128);
    if (listen_fd < 0) {
        perror("FCGX_OpenSocket");
        return 1;
    }
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, serve, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    return 0;
}
