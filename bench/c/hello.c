/*
 * hello.c: a one-threaded epoll HTTP/1.1 hello server, the "physical
 * limit" reference for miniasync bench (use it with --external).
 *
 * It answers every request with the same bytes as miniasync's hello
 * handler (200, Date, Content-Type: text/plain, Content-Length: 5,
 * "Hello"), keeps connections alive, answers all the pipelined requests
 * of one read with one write, and keeps what a socket would not take for
 * when it becomes writable. Requests are framed by their blank line plus
 * a Content-Length body; nothing else is parsed. It listens on $ADDR
 * (IPv4 host:port, default 127.0.0.1:8080).
 *
 * Build: cc -O2 -Wall -o hello bench/c/hello.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN_CAP (64 * 1024)    /* largest request header block + body kept */
#define MAX_EVENTS 256

struct conn {
	int fd;
	size_t in_len;
	char in[IN_CAP];
	char *out;            /* bytes a write did not take */
	size_t out_len, out_cap;
	int want_write;
};

static char response[256];
static size_t response_len;
static time_t response_time;

/* refresh_response rebuilds the response when the second changes. */
static void refresh_response(void)
{
	time_t now = time(NULL);
	if (now == response_time)
		return;
	response_time = now;
	struct tm tm;
	gmtime_r(&now, &tm);
	char date[64];
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	response_len = (size_t)snprintf(response, sizeof response,
		"HTTP/1.1 200 OK\r\nDate: %s\r\nContent-Type: text/plain\r\n"
		"Content-Length: 5\r\n\r\nHello", date);
}

/* content_length returns the Content-Length in a header block, 0 if none,
 * or -1 if it is malformed. */
static long content_length(const char *head, size_t len)
{
	static const char name[] = "content-length:";
	const size_t nlen = sizeof name - 1;
	const char *p = head, *end = head + len;
	while (p < end) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > nlen && strncasecmp(p, name, nlen) == 0) {
			long v = 0;
			int digits = 0;
			for (const char *q = p + nlen; q < eol; q++) {
				if (*q == ' ' || *q == '\t')
					continue;
				if (*q < '0' || *q > '9' || ++digits > 9)
					return -1;
				v = v * 10 + (*q - '0');
			}
			return digits ? v : -1;
		}
		p = eol + 2;
	}
	return 0;
}

/* frame counts the complete requests at the start of c->in, removes them,
 * and returns the count, or -1 for input to refuse. */
static int frame(struct conn *c)
{
	size_t off = 0;
	int n = 0;
	for (;;) {
		char *rest = c->in + off;
		size_t left = c->in_len - off;
		char *blank = memmem(rest, left, "\r\n\r\n", 4);
		if (!blank) {
			if (left == IN_CAP)
				return -1; /* header block larger than the buffer */
			break;
		}
		long body = content_length(rest, (size_t)(blank - rest));
		if (body < 0 || body > IN_CAP)
			return -1;
		size_t total = (size_t)(blank - rest) + 4 + (size_t)body;
		if (total > left) {
			if (total > IN_CAP)
				return -1;
			break;
		}
		off += total;
		n++;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	return n;
}

/* keep appends bytes a write did not take to c's output buffer. */
static int keep(struct conn *c, const char *p, size_t len)
{
	if (c->out_len + len > c->out_cap) {
		size_t cap = (c->out_len + len) * 2;
		char *out = realloc(c->out, cap);
		if (!out)
			return -1;
		c->out = out;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, p, len);
	c->out_len += len;
	return 0;
}

/* flush writes c's pending output; 1 if some is left, 0 if done, -1 on error. */
static int flush(struct conn *c)
{
	size_t done = 0;
	while (done < c->out_len) {
		ssize_t w = write(c->fd, c->out + done, c->out_len - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -1;
		}
		done += (size_t)w;
	}
	memmove(c->out, c->out + done, c->out_len - done);
	c->out_len -= done;
	return c->out_len > 0;
}

static void close_conn(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	free(c);
}

/* set_interest asks for writable events only while output is pending;
 * reading stops meanwhile, so a client that does not read is bounded. */
static int set_interest(int ep, struct conn *c, int want_write)
{
	if (c->want_write == want_write)
		return 0;
	c->want_write = want_write;
	struct epoll_event ev = {.events = want_write ? EPOLLOUT : EPOLLIN, .data.ptr = c};
	return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* on_readable reads, answers complete requests and writes; -1 closes. */
static int on_readable(int ep, struct conn *c)
{
	static char batch[64 * 1024];
	for (;;) {
		ssize_t r = read(c->fd, c->in + c->in_len, IN_CAP - c->in_len);
		if (r == 0)
			return -1;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -1;
		}
		c->in_len += (size_t)r;
		int n = frame(c);
		if (n < 0)
			return -1;
		if (n == 0)
			continue;
		refresh_response();
		size_t len = 0;
		for (int i = 0; i < n; i++) {
			if (len + response_len > sizeof batch) {
				if (keep(c, batch, len) < 0)
					return -1;
				len = 0;
			}
			memcpy(batch + len, response, response_len);
			len += response_len;
		}
		if (keep(c, batch, len) < 0)
			return -1;
		int left = flush(c);
		if (left < 0)
			return -1;
		if (left)
			return set_interest(ep, c, 1);
		if ((size_t)r < IN_CAP / 2)
			return 0; /* a short read: the socket is very likely empty */
	}
}

static int listen_on(const char *addr)
{
	char host[64];
	const char *colon = strrchr(addr, ':');
	if (!colon || (size_t)(colon - addr) >= sizeof host) {
		fprintf(stderr, "hello: ADDR %s: want IPv4 host:port\n", addr);
		return -1;
	}
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = 0;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(colon + 1))};
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "hello: ADDR %s: want an IPv4 address\n", addr);
		return -1;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4096) < 0) {
		fprintf(stderr, "hello: listen %s: %s\n", addr, strerror(errno));
		return -1;
	}
	return fd;
}

int main(void)
{
	const char *addr = getenv("ADDR");
	if (!addr || !*addr)
		addr = "127.0.0.1:8080";
	int lfd = listen_on(addr);
	if (lfd < 0)
		return 1;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	refresh_response();
	struct epoll_event events[MAX_EVENTS];
	for (;;) {
		int n = epoll_wait(ep, events, MAX_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("hello: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = events[i].data.ptr;
			if (!c) {
				int fd;
				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					int one = 1;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					struct conn *nc = calloc(1, sizeof *nc);
					if (!nc) {
						close(fd);
						continue;
					}
					nc->fd = fd;
					struct epoll_event cev = {.events = EPOLLIN, .data.ptr = nc};
					if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev) < 0) {
						close(fd);
						free(nc);
					}
				}
				continue;
			}
			int rc = 0;
			if (events[i].events & (EPOLLERR | EPOLLHUP)) {
				rc = -1;
			} else if (events[i].events & EPOLLOUT) {
				int left = flush(c);
				rc = left < 0 ? -1 : left ? 0 : set_interest(ep, c, 0);
				/* Requests that arrived meanwhile are read on EPOLLIN. */
			} else if (events[i].events & EPOLLIN) {
				rc = on_readable(ep, c);
			}
			if (rc < 0)
				close_conn(ep, c);
		}
	}
}
