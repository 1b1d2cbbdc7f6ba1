/* SPDX-License-Identifier: MIT */
/*
 * drift-vpn's config file on disk (vpn_config.h): reading it with its
 * permission check, resolving peer endpoints, wiping the key.
 */
#include "tools/vpn_config.h"

#include "crypto/secret.h"
#include "tools/keystore.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void config_reset(struct vpn_config *cfg)
{
	vpn_config_wipe(cfg);
	memset(cfg, 0, sizeof(*cfg));
}

/* Reads until end of file or until cap bytes are in; returns 0 or -errno. */
static int file_error(char err[VPN_ERR_BYTES], const char *path, const char *what, int rc)
{
	snprintf(err, VPN_ERR_BYTES, "%s: %s: %s", path, what,
		 rc == -EFBIG	 ? "larger than 1 MiB, too large for a config"
		 : rc == -EINVAL ? "not a regular file; give the path of a config file"
				 : strerror(-rc));
	return rc;
}

int vpn_config_load(struct vpn_config *cfg, const char *path, char err[VPN_ERR_BYTES])
{
	size_t cap = VPN_MAX_FILE_BYTES + 1, got = 0; /* one more byte shows a file that grew */
	ssize_t n;
	struct stat st;
	char *buf;
	int fd, rc;

	config_reset(cfg);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return file_error(err, path, "cannot open", -errno);
	if (fstat(fd, &st) != 0) {
		rc = file_error(err, path, "cannot stat", -errno);
		goto err_close;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > VPN_MAX_FILE_BYTES) {
		rc = file_error(err, path, "refused", S_ISREG(st.st_mode) ? -EFBIG : -EINVAL);
		goto err_close;
	}
	buf = malloc(cap);
	if (!buf) {
		rc = file_error(err, path, "cannot read", -ENOMEM);
		goto err_close;
	}
	n = keystore_read_full(fd, (uint8_t *)buf, cap);
	got = n > 0 ? (size_t)n : 0; /* what err_free wipes */
	if (n < 0 || got > VPN_MAX_FILE_BYTES) {
		rc = file_error(err, path, "cannot read", n < 0 ? (int)n : -EFBIG);
		goto err_free;
	}
	rc = vpn_config_parse(cfg, path, buf, got, err) == 0 ? 0 : -EINVAL;
	if (!rc && cfg->has_private_key && (st.st_mode & (S_IRGRP | S_IROTH))) {
		config_reset(cfg);
		snprintf(err, VPN_ERR_BYTES,
			 "%s: holds a PrivateKey but group or others may read it (mode %04o); "
			 "run: chmod 600 %s",
			 path, (unsigned)(st.st_mode & 07777), path);
		rc = -EPERM;
	}
err_free:
	secret_wipe(buf, got);
	free(buf);
err_close:
	close(fd);
	return rc;
}

/* Numeric addresses directly, names through getaddrinfo(); the first v4 or v6 answer wins. */
static int resolve_host(struct net_addr *out, const char *host, uint16_t port, const char **why)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM, .ai_flags = AI_ADDRCONFIG};
	struct addrinfo *res, *ai;
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	int rc;

	memset(out, 0, sizeof(*out));
	out->port = port;
	if (inet_pton(AF_INET, host, out->ip) == 1) {
		out->family = ADDR_IPV4;
		return 0;
	}
	if (inet_pton(AF_INET6, host, out->ip) == 1) {
		out->family = ADDR_IPV6;
		return 0;
	}
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc) {
		*why = rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc);
		return rc == EAI_AGAIN ? -EAGAIN : -ENOENT;
	}
	for (ai = res; ai && !out->family; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof(sin)) {
			memcpy(&sin, ai->ai_addr, sizeof(sin));
			memcpy(out->ip, &sin.sin_addr, 4);
			out->family = ADDR_IPV4;
		} else if (ai->ai_family == AF_INET6 && ai->ai_addrlen >= sizeof(sin6)) {
			memcpy(&sin6, ai->ai_addr, sizeof(sin6));
			memcpy(out->ip, &sin6.sin6_addr, 16);
			out->family = ADDR_IPV6;
		}
	}
	freeaddrinfo(res);
	*why = "no IPv4 or IPv6 address";
	return out->family ? 0 : -ENOENT;
}

int vpn_config_resolve(struct vpn_config *cfg, char err[VPN_ERR_BYTES])
{
	for (uint32_t i = 0; i < cfg->n_peers; i++) {
		struct vpn_peer *p = &cfg->peers[i];
		const char *why = "";
		bool v6 = strchr(p->endpoint_host, ':') != NULL;
		int rc;

		if (!p->has_endpoint)
			continue;
		rc = resolve_host(&p->endpoint, p->endpoint_host, p->endpoint_port, &why);
		if (rc) {
			snprintf(err, VPN_ERR_BYTES,
				 "%s:%u: Endpoint = %s%s%s:%u: cannot resolve %s: %s; check "
				 "the name or write an IP address",
				 cfg->path, p->line, v6 ? "[" : "", p->endpoint_host, v6 ? "]" : "",
				 p->endpoint_port, p->endpoint_host, why);
			return rc;
		}
	}
	return 0;
}

void vpn_config_wipe(struct vpn_config *cfg)
{
	if (!cfg)
		return;
	secret_wipe(cfg->private_key, sizeof(cfg->private_key));
	cfg->has_private_key = false;
}
