// libcurl's curl_easy_setopt and curl_easy_getinfo are C variadic functions,
// which Swift cannot call; these typed wrappers make each form callable.
#include <curl/curl.h>

static inline CURLcode kiln_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode kiln_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode kiln_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode kiln_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode kiln_curl_setopt_off_t(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
typedef size_t (*kiln_curl_data_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);
static inline CURLcode kiln_curl_setopt_data_cb(CURL *h, CURLoption o, kiln_curl_data_cb v) { return curl_easy_setopt(h, o, v); }
typedef int (*kiln_curl_xferinfo_cb)(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);
static inline CURLcode kiln_curl_setopt_xferinfo_cb(CURL *h, CURLoption o, kiln_curl_xferinfo_cb v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode kiln_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
