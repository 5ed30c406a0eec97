// A UDP listener that reports each datagram's received TTL (IPv4) or hop limit (IPv6), for BFD's
// single-hop check (RFC 5881 §5: without authentication, only TTL 255 is accepted). Node's dgram
// cannot read ancillary data, and Linux's IP_MINTTL / IPV6_MINHOPCOUNT do not filter UDP, so this
// addon owns the listening socket: a thread blocks in recvmsg with IP_RECVTTL / IPV6_RECVHOPLIMIT
// and hands (data, source address, source port, ttl) to JavaScript through a thread-safe function.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
  int fd;
  atomic_int stop;
  int joined;
  pthread_t thread;
  napi_threadsafe_function tsfn;
  napi_env env;
} receiver_t;

typedef struct {
  size_t len;
  int ttl;
  int port;
  char address[INET6_ADDRSTRLEN];
  unsigned char data[];
} packet_t;

static napi_value throw_errno(napi_env env, int e, const char *what) {
  char msg[200];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_throw_error(env, e == EADDRINUSE ? "EADDRINUSE" : e == EADDRNOTAVAIL ? "EADDRNOTAVAIL" : "ERR", msg);
  return NULL;
}

// Runs on the JS thread: one packet to the callback, then freed.
static void call_js(napi_env env, napi_value cb, void *context, void *data) {
  (void)context;
  packet_t *p = data;
  if (env != NULL && cb != NULL) {
    napi_value argv[4], undefined;
    void *copy = NULL;
    napi_create_buffer_copy(env, p->len, p->data, &copy, &argv[0]);
    napi_create_string_utf8(env, p->address, NAPI_AUTO_LENGTH, &argv[1]);
    napi_create_int32(env, p->port, &argv[2]);
    napi_create_int32(env, p->ttl, &argv[3]);
    napi_get_undefined(env, &undefined);
    napi_call_function(env, undefined, cb, 4, argv, NULL);
  }
  free(p);
}

// The receive thread: poll with a short timeout so a stop request is seen within 100 ms.
static void *receive_loop(void *arg) {
  receiver_t *r = arg;
  unsigned char buf[1500];
  union {
    char raw[CMSG_SPACE(sizeof(int)) * 2];
    struct cmsghdr align;
  } control;
  while (!atomic_load(&r->stop)) {
    struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
    int n = poll(&pfd, 1, 100);
    if (n <= 0) continue;
    struct sockaddr_storage from;
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct msghdr msg = {.msg_name = &from,
                         .msg_namelen = sizeof from,
                         .msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.raw,
                         .msg_controllen = sizeof control.raw};
    ssize_t len = recvmsg(r->fd, &msg, MSG_DONTWAIT);
    if (len < 0) continue;
    packet_t *p = malloc(sizeof *p + (size_t)len);
    if (!p) continue;
    p->len = (size_t)len;
    p->ttl = -1; // not reported: the caller drops it (it cannot prove 255)
    memcpy(p->data, buf, (size_t)len);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
          (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT))
        memcpy(&p->ttl, CMSG_DATA(c), sizeof(int));
    }
    if (from.ss_family == AF_INET) {
      struct sockaddr_in *s4 = (struct sockaddr_in *)&from;
      inet_ntop(AF_INET, &s4->sin_addr, p->address, sizeof p->address);
      p->port = ntohs(s4->sin_port);
    } else {
      struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&from;
      inet_ntop(AF_INET6, &s6->sin6_addr, p->address, sizeof p->address);
      p->port = ntohs(s6->sin6_port);
    }
    if (napi_call_threadsafe_function(r->tsfn, p, napi_tsfn_nonblocking) != napi_ok) free(p);
  }
  return NULL;
}

static void stop_receiver(receiver_t *r) {
  if (r->joined) return;
  atomic_store(&r->stop, 1);
  pthread_join(r->thread, NULL);
  r->joined = 1;
  close(r->fd);
  napi_release_threadsafe_function(r->tsfn, napi_tsfn_abort);
}

// The worker thread's environment going away (terminate()) must not leave the thread running.
static void cleanup_hook(void *arg) {
  stop_receiver(arg);
}

static napi_value close_receiver(napi_env env, napi_callback_info info) {
  void *data = NULL;
  napi_get_cb_info(env, info, NULL, NULL, NULL, &data);
  receiver_t *r = data;
  if (!r->joined) {
    stop_receiver(r);
    napi_remove_env_cleanup_hook(env, cleanup_hook, r);
  }
  return NULL;
}

// listen(address, port, onPacket(buf, address, port, ttl)) → { port, close() }
static napi_value listen_udp(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) {
    napi_throw_type_error(env, NULL, "listen(address, port, onPacket)");
    return NULL;
  }
  char text[64];
  size_t tlen = 0;
  int32_t port = 0;
  if (napi_get_value_string_utf8(env, argv[0], text, sizeof text, &tlen) != napi_ok ||
      napi_get_value_int32(env, argv[1], &port) != napi_ok || port < 0 || port > 65535) {
    napi_throw_type_error(env, NULL, "listen(address: string, port: 0..65535, onPacket)");
    return NULL;
  }
  struct sockaddr_storage ss;
  socklen_t sslen;
  memset(&ss, 0, sizeof ss);
  int family;
  struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
    family = AF_INET;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    sslen = sizeof *s4;
  } else if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) {
    family = AF_INET6;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    sslen = sizeof *s6;
  } else {
    napi_throw_type_error(env, NULL, "listen: address is not an IP address");
    return NULL;
  }
  int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int ok = family == AF_INET ? setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof one)
                             : (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) |
                                setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one));
  if (ok != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "setsockopt(IP_RECVTTL / IPV6_RECVHOPLIMIT)");
  }
  if (bind(fd, (struct sockaddr *)&ss, sslen) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "bind");
  }
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  getsockname(fd, (struct sockaddr *)&bound, &blen);
  int bound_port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                           : ((struct sockaddr_in6 *)&bound)->sin6_port);

  receiver_t *r = calloc(1, sizeof *r);
  r->fd = fd;
  r->env = env;
  napi_value name;
  napi_create_string_utf8(env, "bfd-udp-receiver", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[2], NULL, name, 0, 1, NULL, NULL, NULL, call_js, &r->tsfn) !=
      napi_ok) {
    close(fd);
    free(r);
    napi_throw_error(env, NULL, "napi_create_threadsafe_function failed");
    return NULL;
  }
  if (pthread_create(&r->thread, NULL, receive_loop, r) != 0) {
    int e = errno;
    close(fd);
    napi_release_threadsafe_function(r->tsfn, napi_tsfn_abort);
    free(r);
    return throw_errno(env, e, "pthread_create");
  }
  napi_add_env_cleanup_hook(env, cleanup_hook, r);
  napi_value out, p, close_fn;
  napi_create_object(env, &out);
  napi_create_int32(env, bound_port, &p);
  napi_set_named_property(env, out, "port", p);
  napi_create_function(env, "close", NAPI_AUTO_LENGTH, close_receiver, r, &close_fn);
  napi_set_named_property(env, out, "close", close_fn);
  return out;
}

NAPI_MODULE_INIT() {
  napi_value f;
  napi_create_function(env, "listen", NAPI_AUTO_LENGTH, listen_udp, NULL, &f);
  napi_set_named_property(env, exports, "listen", f);
  return exports;
}
