/*
 * bare_fcgi.c - the yardstick of the HTTP row of `make bench`: a bare
 * libfcgi responder with two threads that reads each request's body and
 * answers 202 with a small JSON body, touching no database.  It listens
 * on the unix socket named by argv[1] until killed.
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static int listen_fd;

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
        FCGX_PutS("Status: 202 Accepted\r\nContent-Type: application/json"
                  "\r\n\r\n{\"accepted\":true,\"seq\":1}\n",
                  req.out);
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
