/* SPDX-License-Identifier: MIT */
/*
 * Opening drift-vpn's TUN device (tun_dev.h).
 *
 * IFF_MULTI_QUEUE: each worker reads and writes its own queue, so no two
 * workers ever share a fd. The kernel picks the queue a packet leaves on
 * by flow hash, which keeps one TCP flow on one worker and in order.
 */
#include "dataplane/tun_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

static int open_queue(const char *name, char *err, size_t err_cap)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	int hdr = (int)sizeof(struct virtio_net_hdr);

	if (fd < 0) {
		int e = errno;

		snprintf(err, err_cap,
			 "cannot open /dev/net/tun: %s (load the tun module with `modprobe tun`, "
			 "or in a container pass the device: --device /dev/net/tun)",
			 strerror(e));
		return -e;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
		int e = errno;

		snprintf(err, err_cap, "cannot create TUN device %s: %s%s", name, strerror(e),
			 e == EPERM ? " (needs CAP_NET_ADMIN: run as root or `drift-vpn doctor`)"
			 : e == EBUSY
				 ? " (a device of that name exists and is not a multi-queue TUN: "
				   "`ip link del` it)"
				 : "");
		close(fd);
		return -e;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) != 0) {
		int e = errno;

		snprintf(err, err_cap, "TUN %s: cannot set the vnet header size: %s", name,
			 strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

/* USO first (6.2+), else TCP only; the kernel refuses flags it does not know. */
static void set_offloads(struct tun_dev *t)
{
	unsigned base = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
	unsigned with_uso = base | TUN_F_USO4 | TUN_F_USO6;

	t->has_uso = true;
	for (uint32_t i = 0; i < t->queues; i++)
		if (ioctl(t->fds[i], TUNSETOFFLOAD, with_uso) != 0)
			t->has_uso = false;
	if (!t->has_uso)
		for (uint32_t i = 0; i < t->queues; i++)
			if (ioctl(t->fds[i], TUNSETOFFLOAD, base) != 0) {
				snprintf(t->why, sizeof(t->why), "tun %s: no offloads (%s)",
					 t->name, strerror(errno));
				return;
			}
	snprintf(t->why, sizeof(t->why), "tun %s: %u queue%s, vnet hdr, csum+tso4+tso6%s", t->name,
		 t->queues, t->queues == 1 ? "" : "s", t->has_uso ? "+uso4+uso6" : "");
}

int tun_dev_open(struct tun_dev *t, const char *name, uint32_t queues, char *err, size_t err_cap)
{
	memset(t, 0, sizeof(*t));
	for (uint32_t i = 0; i < SHM_MAX_WORKERS; i++)
		t->fds[i] = -1;
	if (!name || !*name || strlen(name) >= IF_NAMESIZE || strchr(name, '/') ||
	    strchr(name, ' ')) {
		snprintf(err, err_cap,
			 "TUN name \"%s\" is not an interface name (1-%d characters, no '/' or "
			 "space)",
			 name ? name : "", IF_NAMESIZE - 1);
		return -EINVAL;
	}
	if (queues == 0 || queues > SHM_MAX_WORKERS)
		return -EINVAL;
	snprintf(t->name, sizeof(t->name), "%s", name);
	for (uint32_t i = 0; i < queues; i++) {
		int fd = open_queue(name, err, err_cap);

		if (fd < 0) {
			tun_dev_close(t);
			return fd;
		}
		t->fds[i] = fd;
		t->queues = i + 1;
	}
	set_offloads(t);
	return 0;
}

void tun_dev_close(struct tun_dev *t)
{
	for (uint32_t i = 0; i < t->queues; i++)
		if (t->fds[i] >= 0)
			close(t->fds[i]);
	t->queues = 0;
}
