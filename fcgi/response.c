/*
 * response.c - how the router answers: HTTP reason phrases, extra
 * headers, and the JSON error bodies of the contract, with enum ad_err
 * turned into HTTP statuses here and nowhere else.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fcgi/route_int.h"

const char *
fcgi_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 413:
        return "Payload Too Large";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 504:
        return "Gateway Timeout";
    case 503:
        return "Service Unavailable";
    case 507:
        return "Insufficient Storage";
    }
    return "Unknown";
}

void
fcgi_response_free(struct fcgi_response *resp)
{
    if (resp == NULL)
        return;
    json_decref(resp->body);
    resp->body = NULL;
    free(resp->text);
    resp->text = NULL;
}

/* Appends a header line to resp. */
void
route__header(struct fcgi_response *resp, const char *fmt, ...)
{
    size_t used = strlen(resp->headers);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(resp->headers + used, sizeof resp->headers - used, fmt, ap);
    va_end(ap);
}

/* Answers with status and the error document {"error": code, "message":
 * text}. */
void
route__error(struct fcgi_response *resp, int status, const char *code,
             const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* msg may quote client bytes, or be cut inside a character; json_pack
     * refuses a string that is not UTF-8 and the error would lose its
     * body. */
    ad_utf8_scrub(msg);
    resp->status = status;
    json_decref(resp->body);
    resp->body = json_pack("{s:s, s:s}", "error", code, "message", msg);
    if (status == 503 || status == 429)
        route__header(resp, "Retry-After: 1\r\n");
}

/* Answers with the error for err, an ad_err from the engine; what names
 * the subject in the message. */
void
route__fail(struct fcgi_response *resp, int err, const char *what)
{
    int status;
    switch (err) {
    case AD_ENOTFOUND:
        status = 404;
        break;
    case AD_EEXISTS:
        status = 409;
        break;
    case AD_EDEAD:
        status = 410;
        break;
    case AD_EBADNAME:
    case AD_EBADJSON:
    case AD_EINVAL:
        status = 400;
        break;
    case AD_ETOOLARGE:
        status = 413;
        break;
    case AD_EBEHAVIOR:
    case AD_EBADARGS:
        status = 422;
        break;
    case AD_EBUSY:
    case AD_ESTOPPED:
        status = 503;
        break;
    case AD_EFULL:
        status = 507;
        break;
    case AD_EMAILBOX:
        status = 429;
        break;
    default:
        status = 500;
        break;
    }
    if (what)
        route__error(resp, status, ad_errcode(err), "%s: %s", ad_strerror(err),
                     what);
    else
        route__error(resp, status, ad_errcode(err), "%s", ad_strerror(err));
}

/* Answers 405 with the Allow header. */
void
route__not_allowed(struct fcgi_response *resp, const char *method,
                   const char *allow)
{
    route__header(resp, "Allow: %s\r\n", allow);
    route__error(resp, 405, "method_not_allowed",
                 "%s is not allowed here; allowed: %s", method, allow);
}
