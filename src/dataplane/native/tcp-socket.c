// TCP socket options Node cannot set, for BGP session security: TCP-MD5 signatures (RFC 2385), the
// TTL / hop limit of our packets (eBGP multihop, RFC 5082 GTSM sends 255) and the lowest TTL / hop
// limit accepted (GTSM). A TCP-MD5 key must be on the socket before its SYN leaves, and Node creates
// and connects its sockets in one step, so this addon also makes the unconnected socket: the caller
// sets the options, hands the descriptor to net.Socket({ fd }) and lets Node connect it.
// Only these few calls exist here; everything else (connect, read, write, close) stays with libuv.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IP_MINTTL
#define IP_MINTTL 21
#endif
#ifndef IPV6_MINHOPCOUNT
#define IPV6_MINHOPCOUNT 73 // linux/in6.h; glibc's netinet/in.h does not carry it
#endif

static napi_value throw_errno(napi_env env, int e, const char *what) {
  char msg[200];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_value code, text, error, errnum;
  napi_create_string_utf8(env, e == EINVAL ? "EINVAL" : e == ENOENT ? "ENOENT" : e == EPERM ? "EPERM" : "ERR",
                          NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &error);
  napi_create_int32(env, e, &errnum);
  napi_set_named_property(env, error, "errno", errnum);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

// Reads up to `max` JS arguments; false (with a TypeError thrown) when fewer than `min` came.
static int args(napi_env env, napi_callback_info info, size_t min, size_t max, napi_value *argv) {
  size_t argc = max;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < min) return 0;
  return 1;
}

static int int_arg(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

// An address as text into a sockaddr for a socket of `domain`: an IPv4 peer on an IPv6 socket (a
// dual-stack listener) becomes ::ffff:a.b.c.d, which is how the kernel files its key.
static int address_arg(napi_env env, napi_value v, int domain, struct sockaddr_storage *ss, int *peer_v6) {
  char text[64];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, text, sizeof text, &len) != napi_ok || len == 0 || len >= sizeof text - 1)
    return 0;
  struct in_addr a4;
  struct in6_addr a6;
  memset(ss, 0, sizeof *ss);
  if (inet_pton(AF_INET, text, &a4) == 1) {
    *peer_v6 = 0;
    if (domain == AF_INET6) {
      struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
      s6->sin6_family = AF_INET6;
      s6->sin6_addr.s6_addr[10] = 0xff;
      s6->sin6_addr.s6_addr[11] = 0xff;
      memcpy(&s6->sin6_addr.s6_addr[12], &a4, 4);
    } else {
      struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
      s4->sin_family = AF_INET;
      s4->sin_addr = a4;
    }
    return 1;
  }
  if (inet_pton(AF_INET6, text, &a6) == 1) {
    *peer_v6 = !IN6_IS_ADDR_V4MAPPED(&a6);
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_addr = a6;
    return domain == AF_INET6;
  }
  return 0;
}

static int socket_domain(int fd) {
  int domain = 0;
  socklen_t len = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) return -1;
  return domain;
}

// socket(family: 4 | 6): a new, unconnected TCP socket (close-on-exec); libuv makes it non-blocking.
static napi_value open_socket(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t family = 0;
  if (!args(env, info, 1, 1, argv) || !int_arg(env, argv[0], &family) || (family != 4 && family != 6))
    return throw_type(env, "socket(family): family must be 4 or 6");
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return throw_errno(env, errno, "socket()");
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

// close(fd): for a socket that never reached net.Socket (an option failed).
static napi_value close_socket(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd = -1;
  if (!args(env, info, 1, 1, argv) || !int_arg(env, argv[0], &fd)) return throw_type(env, "close(fd): fd must be an integer");
  close(fd);
  return NULL;
}

// setMd5(fd, peerAddress, key: Buffer | null): RFC 2385 key for segments to and from peerAddress
// (TCP_MD5SIG). An empty or null key removes it. On a listening socket, connections accepted from
// that address inherit the key.
static napi_value set_md5(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd = -1;
  if (!args(env, info, 3, 3, argv) || !int_arg(env, argv[0], &fd))
    return throw_type(env, "setMd5(fd, address, key): fd must be an integer");
  int domain = socket_domain(fd);
  if (domain < 0) return throw_errno(env, errno, "getsockopt(SO_DOMAIN)");
  struct tcp_md5sig sig;
  memset(&sig, 0, sizeof sig);
  int peer_v6 = 0;
  if (!address_arg(env, argv[1], domain, &sig.tcpm_addr, &peer_v6))
    return throw_type(env, "setMd5(fd, address, key): address must be an IP address of the socket's family");
  napi_valuetype kind;
  napi_typeof(env, argv[2], &kind);
  if (kind != napi_null && kind != napi_undefined) {
    void *data = NULL;
    size_t len = 0;
    if (napi_get_buffer_info(env, argv[2], &data, &len) != napi_ok)
      return throw_type(env, "setMd5(fd, address, key): key must be a Buffer or null");
    if (len > TCP_MD5SIG_MAXKEYLEN) return throw_type(env, "setMd5: a TCP-MD5 key has at most 80 bytes");
    sig.tcpm_keylen = (uint16_t)len;
    memcpy(sig.tcpm_key, data, len);
  }
  if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof sig) != 0) {
    int e = errno;
    int removing = sig.tcpm_keylen == 0;
    memset(&sig, 0, sizeof sig); // no copy of the key stays on the stack
    // Removing a key that is not there is what we wanted anyway.
    if (e == ENOENT && removing) return NULL;
    return throw_errno(env, e, "setsockopt(TCP_MD5SIG)");
  }
  memset(&sig, 0, sizeof sig);
  return NULL;
}

// setHops(fd, peerAddress, ttl, minTtl): the TTL (IPv4) or unicast hop limit (IPv6) of our packets
// to peerAddress's family, and the lowest one accepted from it (RFC 5082 §3: 255 - hops + 1), 0 =
// no check. ttl -1 = the kernel's default. An IPv4 peer on a dual-stack socket uses the IPv4 options.
static napi_value set_hops(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd = -1, ttl = -1, min_ttl = 0;
  if (!args(env, info, 4, 4, argv) || !int_arg(env, argv[0], &fd) || !int_arg(env, argv[2], &ttl) ||
      !int_arg(env, argv[3], &min_ttl))
    return throw_type(env, "setHops(fd, address, ttl, minTtl): integers expected");
  if (ttl < -1 || ttl == 0 || ttl > 255 || min_ttl < 0 || min_ttl > 255)
    return throw_type(env, "setHops: ttl is 1..255 or -1, minTtl 0..255");
  int domain = socket_domain(fd);
  if (domain < 0) return throw_errno(env, errno, "getsockopt(SO_DOMAIN)");
  struct sockaddr_storage ss;
  int peer_v6 = 0;
  if (!address_arg(env, argv[1], domain, &ss, &peer_v6))
    return throw_type(env, "setHops(fd, address, ...): address must be an IP address of the socket's family");
  if (peer_v6) {
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl) != 0)
      return throw_errno(env, errno, "setsockopt(IPV6_UNICAST_HOPS)");
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &min_ttl, sizeof min_ttl) != 0)
      return throw_errno(env, errno, "setsockopt(IPV6_MINHOPCOUNT)");
  } else {
    // IP_TTL has no "default" value to pass: -1 is the kernel's own way to say it (ip_setsockopt).
    if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) != 0) return throw_errno(env, errno, "setsockopt(IP_TTL)");
    if (setsockopt(fd, IPPROTO_IP, IP_MINTTL, &min_ttl, sizeof min_ttl) != 0)
      return throw_errno(env, errno, "setsockopt(IP_MINTTL)");
  }
  return NULL;
}

// getHops(fd, peerAddress): [ttl, minTtl] as the kernel holds them (for tests and status).
static napi_value get_hops(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd = -1;
  if (!args(env, info, 2, 2, argv) || !int_arg(env, argv[0], &fd)) return throw_type(env, "getHops(fd, address)");
  int domain = socket_domain(fd);
  if (domain < 0) return throw_errno(env, errno, "getsockopt(SO_DOMAIN)");
  struct sockaddr_storage ss;
  int peer_v6 = 0;
  if (!address_arg(env, argv[1], domain, &ss, &peer_v6)) return throw_type(env, "getHops: bad address");
  int ttl = 0, min_ttl = 0;
  socklen_t len = sizeof ttl;
  int level = peer_v6 ? IPPROTO_IPV6 : IPPROTO_IP;
  if (getsockopt(fd, level, peer_v6 ? IPV6_UNICAST_HOPS : IP_TTL, &ttl, &len) != 0)
    return throw_errno(env, errno, "getsockopt(TTL)");
  len = sizeof min_ttl;
  if (getsockopt(fd, level, peer_v6 ? IPV6_MINHOPCOUNT : IP_MINTTL, &min_ttl, &len) != 0)
    return throw_errno(env, errno, "getsockopt(MINTTL)");
  napi_value out, a, b;
  napi_create_array_with_length(env, 2, &out);
  napi_create_int32(env, ttl, &a);
  napi_create_int32(env, min_ttl, &b);
  napi_set_element(env, out, 0, a);
  napi_set_element(env, out, 1, b);
  return out;
}

NAPI_MODULE_INIT() {
  const struct {
    const char *name;
    napi_callback fn;
  } fns[] = {{"socket", open_socket}, {"close", close_socket}, {"setMd5", set_md5}, {"setHops", set_hops},
             {"getHops", get_hops}};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  return exports;
}
