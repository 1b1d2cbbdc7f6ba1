/* SPDX-License-Identifier: MIT */
/*
 * Loading, attaching and detaching the XDP steering program (xdp_steer.h).
 *
 * Two ways to attach, tried in this order:
 *   1. through libxdp's multi-program dispatcher, so other XDP programs on
 *      the interface keep running: needs bpffs at /sys/fs/bpf (libxdp pins
 *      the dispatcher there);
 *   2. alone, with libbpf's bpf_xdp_attach(XDP_FLAGS_UPDATE_IF_NOEXIST):
 *      never replaces a program someone else attached.
 * Detaching an alone program needs only CAP_NET_ADMIN (we hold its fd);
 * detaching from the dispatcher goes through libxdp.
 */
#include "dataplane/xdp_steer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <xdp/libxdp.h>

extern const unsigned char drift_xdp_obj[];
extern const size_t drift_xdp_obj_len;

#define PROG_NAME "drift_xdp_steer"

struct xdp_steer {
	uint32_t ifindex;
	enum xdp_steer_mode mode;
	bool is_dispatched;	   /* attached through libxdp's dispatcher */
	struct xdp_program *xprog; /* dispatcher case */
	struct bpf_object *obj;	   /* alone case (and the dispatcher's object) */
	int prog_fd, xsks_fd, cids_fd, cfg_fd, stats_fd;
	char describe[96];
};

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int quiet_xdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static void silence(void)
{
	libbpf_set_print(quiet_print);
	libxdp_set_print(quiet_xdp_print);
}

static bool has_bpffs(void)
{
	struct statfs st;

	return statfs("/sys/fs/bpf", &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

static uint32_t mode_flag(enum xdp_steer_mode mode)
{
	return mode == XDP_STEER_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
}

/* The layout version compiled into the object's .rodata, before anything is loaded. */
static int check_layout(struct bpf_object *obj, char *err, size_t err_len)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj)
	{
		size_t size = 0;
		const char *name = bpf_map__name(m);
		const void *v;

		if (!bpf_map__is_internal(m) || !strstr(name, ".rodata"))
			continue;
		v = bpf_map__initial_value(m, &size);
		if (v && size >= 4) {
			uint32_t version;

			memcpy(&version, v, 4);
			if (version == DRIFT_XDP_LAYOUT_VERSION)
				return 0;
			snprintf(err, err_len,
				 "the embedded XDP program has layout version %u, drift-dp expects "
				 "%u: rebuild drift-dp",
				 version, DRIFT_XDP_LAYOUT_VERSION);
			return -EPROTO;
		}
	}
	snprintf(err, err_len,
		 "the embedded XDP program carries no layout version: rebuild drift-dp");
	return -EPROTO;
}

static struct bpf_object *open_object(char *err, size_t err_len)
{
	LIBBPF_OPTS(bpf_object_open_opts, o, .object_name = "drift_xdp");
	struct bpf_object *obj = bpf_object__open_mem(drift_xdp_obj, drift_xdp_obj_len, &o);

	if (!obj || libbpf_get_error(obj)) {
		snprintf(err, err_len,
			 "cannot open the embedded XDP program (libbpf): rebuild drift-dp");
		return NULL;
	}
	if (check_layout(obj, err, err_len) != 0) {
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

static int map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	return m ? bpf_map__fd(m) : -ENOENT;
}

/* After load: map fds and the port in the config map. */
static int finish_load(struct xdp_steer *s, struct bpf_object *obj, uint16_t udp_port)
{
	struct drift_xdp_config cfg = {DRIFT_XDP_LAYOUT_VERSION, udp_port, 0};
	uint32_t zero = 0;

	s->xsks_fd = map_fd(obj, "drift_xsks");
	s->cids_fd = map_fd(obj, "drift_cids");
	s->cfg_fd = map_fd(obj, "drift_cfg");
	s->stats_fd = map_fd(obj, "drift_stats");
	if (s->xsks_fd < 0 || s->cids_fd < 0 || s->cfg_fd < 0 || s->stats_fd < 0)
		return -ENOENT;
	return bpf_map_update_elem(s->cfg_fd, &zero, &cfg, BPF_ANY) ? -errno : 0;
}

static void explain(int rc, uint32_t ifindex, enum xdp_steer_mode mode, char *err, size_t err_len)
{
	char name[IF_NAMESIZE] = "?";

	if_indextoname(ifindex, name);
	if (rc == -EPERM || rc == -EACCES)
		snprintf(err, err_len,
			 "no permission to load XDP programs on %s: run drift-dp as root (it needs "
			 "CAP_NET_ADMIN, CAP_BPF, CAP_SYS_ADMIN at start)",
			 name);
	else if (rc == -EBUSY || rc == -EEXIST)
		snprintf(err, err_len,
			 "%s already has an XDP program that is not drift-dp's: detach it (ip link "
			 "set "
			 "dev %s xdp off) or use --port udp",
			 name, name);
	else if (rc == -EOPNOTSUPP && mode == XDP_STEER_NATIVE)
		snprintf(err, err_len, "the driver of %s has no native XDP: use --port xsk-generic",
			 name);
	else
		snprintf(err, err_len, "cannot attach the XDP program to %s (%s mode): %s", name,
			 mode == XDP_STEER_NATIVE ? "native" : "generic", strerror(-rc));
}

/* 1. Through libxdp's dispatcher. */
static int attach_dispatched(struct xdp_steer *s, uint16_t udp_port)
{
	struct bpf_object *obj;
	char err[8];
	int rc;

	obj = open_object(err, sizeof(err));
	if (!obj)
		return -EPROTO;
	s->xprog = xdp_program__from_bpf_obj(obj, "xdp");
	if (!s->xprog || libxdp_get_error(s->xprog)) {
		s->xprog = NULL;
		bpf_object__close(obj);
		return -EINVAL;
	}
	rc = xdp_program__attach(s->xprog, (int)s->ifindex,
				 s->mode == XDP_STEER_NATIVE ? XDP_MODE_NATIVE : XDP_MODE_SKB, 0);
	if (!rc)
		rc = finish_load(s, xdp_program__bpf_obj(s->xprog), udp_port);
	if (rc) {
		if (xdp_program__is_attached(s->xprog, (int)s->ifindex))
			xdp_program__detach(
				s->xprog, (int)s->ifindex,
				s->mode == XDP_STEER_NATIVE ? XDP_MODE_NATIVE : XDP_MODE_SKB, 0);
		xdp_program__close(s->xprog);
		s->xprog = NULL;
		return rc;
	}
	s->prog_fd = xdp_program__fd(s->xprog);
	s->is_dispatched = true;
	return 0;
}

/* 2. Alone, never replacing another program. */
static int attach_alone(struct xdp_steer *s, uint16_t udp_port, char *err, size_t err_len)
{
	struct bpf_program *p;
	int rc;

	s->obj = open_object(err, err_len);
	if (!s->obj)
		return -EPROTO;
	rc = bpf_object__load(s->obj);
	if (rc) {
		explain(rc, s->ifindex, s->mode, err, err_len);
		return rc;
	}
	p = bpf_object__find_program_by_name(s->obj, PROG_NAME);
	s->prog_fd = p ? bpf_program__fd(p) : -ENOENT;
	if (s->prog_fd < 0 || (rc = finish_load(s, s->obj, udp_port)) != 0) {
		snprintf(err, err_len, "the embedded XDP program lacks %s or its maps: rebuild",
			 PROG_NAME);
		return -ENOENT;
	}
	rc = bpf_xdp_attach((int)s->ifindex, s->prog_fd,
			    mode_flag(s->mode) | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (rc) {
		explain(rc, s->ifindex, s->mode, err, err_len);
		return rc;
	}
	return 0;
}

int xdp_steer_attach(uint32_t ifindex, enum xdp_steer_mode mode, uint16_t udp_port,
		     struct xdp_steer **out, char *err, size_t err_len)
{
	struct xdp_steer *s;
	bool bpffs = has_bpffs();
	int rc = -EOPNOTSUPP;

	*out = NULL;
	silence();
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ifindex = ifindex;
	s->mode = mode;
	s->prog_fd = s->xsks_fd = s->cids_fd = s->cfg_fd = s->stats_fd = -1;
	if (bpffs)
		rc = attach_dispatched(s, udp_port);
	if (rc) {
		rc = attach_alone(s, udp_port, err, err_len);
		if (rc) {
			xdp_steer_detach(s);
			return rc;
		}
	}
	snprintf(s->describe, sizeof(s->describe), "%s",
		 s->is_dispatched ? "libxdp dispatcher"
		 : bpffs	  ? "alone (the libxdp dispatcher failed)"
				  : "alone: no bpffs at /sys/fs/bpf for libxdp's dispatcher");
	*out = s;
	err[0] = 0;
	return 0;
}

int xdp_steer_set_xsk(struct xdp_steer *s, uint32_t queue, int xsk_fd)
{
	if (queue >= DRIFT_XDP_MAX_QUEUES)
		return -EINVAL;
	return bpf_map_update_elem(s->xsks_fd, &queue, &xsk_fd, BPF_ANY) ? -errno : 0;
}

int xdp_steer_set_cid(struct xdp_steer *s, uint16_t cid, bool is_steered)
{
	uint32_t key = cid, v = is_steered;

	return bpf_map_update_elem(s->cids_fd, &key, &v, BPF_ANY) ? -errno : 0;
}

int xdp_steer_read_stats(struct xdp_steer *s, uint64_t out[DRIFT_XDP_V_COUNT])
{
	int cpus = libbpf_num_possible_cpus();
	uint64_t *per;

	if (cpus <= 0)
		return -EINVAL;
	per = calloc((size_t)cpus, sizeof(*per));
	if (!per)
		return -ENOMEM;
	for (uint32_t v = 0; v < DRIFT_XDP_V_COUNT; v++) {
		out[v] = 0;
		if (bpf_map_lookup_elem(s->stats_fd, &v, per) != 0)
			continue;
		for (int c = 0; c < cpus; c++)
			out[v] += per[c];
	}
	free(per);
	return 0;
}

const char *xdp_steer_describe(const struct xdp_steer *s)
{
	return s->describe;
}

void xdp_steer_detach(struct xdp_steer *s)
{
	if (!s)
		return;
	if (s->is_dispatched && s->xprog) {
		xdp_program__detach(s->xprog, (int)s->ifindex,
				    s->mode == XDP_STEER_NATIVE ? XDP_MODE_NATIVE : XDP_MODE_SKB,
				    0);
		xdp_program__close(s->xprog);
	} else if (s->prog_fd >= 0) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = s->prog_fd);

		/* Only if it is still ours: old_prog_fd makes the kernel check. */
		bpf_xdp_detach((int)s->ifindex, mode_flag(s->mode) | XDP_FLAGS_REPLACE, &o);
	}
	if (s->obj)
		bpf_object__close(s->obj);
	free(s);
}

/* Whether program `id` is ours, by name. */
static bool is_ours(uint32_t id)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);
	bool yes;

	if (fd < 0)
		return false;
	memset(&info, 0, sizeof(info));
	yes = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && !strcmp(info.name, PROG_NAME);
	close(fd);
	return yes;
}

int xdp_steer_cleanup(uint32_t ifindex, char *err, size_t err_len)
{
	static const uint32_t modes[2] = {XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE};
	struct xdp_multiprog *mp;
	int removed = 0;

	silence();
	if (err_len)
		err[0] = 0;
	/* Programs attached alone, in either mode. */
	for (int i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);

		if (bpf_xdp_query((int)ifindex, (int)modes[i], &q) != 0)
			continue;
		if (modes[i] == XDP_FLAGS_DRV_MODE && q.drv_prog_id && is_ours(q.drv_prog_id) &&
		    bpf_xdp_detach((int)ifindex, modes[i], NULL) == 0)
			removed++;
		if (modes[i] == XDP_FLAGS_SKB_MODE && q.skb_prog_id && is_ours(q.skb_prog_id) &&
		    bpf_xdp_detach((int)ifindex, modes[i], NULL) == 0)
			removed++;
	}
	/* Ours inside libxdp's dispatcher. */
	mp = xdp_multiprog__get_from_ifindex((int)ifindex);
	if (mp && !libxdp_get_error(mp)) {
		for (struct xdp_program *p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp))
			if (!strcmp(xdp_program__name(p), PROG_NAME) &&
			    xdp_program__detach(p, (int)ifindex, xdp_multiprog__attach_mode(mp),
						0) == 0)
				removed++;
		xdp_multiprog__close(mp);
	}
	return removed;
}
