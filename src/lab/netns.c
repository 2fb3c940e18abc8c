/* Named network namespaces without iproute2's shared /run/netns mount (see netns.h). */
#include "lab/netns.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* The namespace the process started in, opened once (close-on-exec). */
static int netns_home = -1;

static int netns_home_fd(void)
{
	if (netns_home < 0)
		netns_home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	return netns_home;
}

static void netns_path(const char *name, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s", LAB_NETNS_DIR, name);
}

int lab_netns_exists(const char *name)
{
	char p[256];
	netns_path(name, p, sizeof p);
	return access(p, F_OK) == 0;
}

int lab_netns_enter(const char *name, struct dw_error *err)
{
	char p[256];
	netns_path(name, p, sizeof p);
	if (netns_home_fd() < 0)
		return dw_error_errno(err, "open /proc/self/ns/net");
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dw_error_errno(err, "%s", p); /* ENOENT: DW_E_NOT_FOUND */
	int r = setns(fd, CLONE_NEWNET);
	int e = errno;
	close(fd);
	errno = e;
	if (r != 0)
		return dw_error_errno(err, "entering %s", p);
	return 0;
}

int lab_netns_leave(void)
{
	if (netns_home_fd() < 0)
		return -1;
	return setns(netns_home, CLONE_NEWNET);
}

/*
 * Make /run/netns a shared mount point of its own, as `ip netns add` does
 * (iproute2 ip/ipnetns.c). Doing it first matters: if it is a plain
 * directory when some other program runs `ip netns add`, iproute2 bind-mounts
 * /run/netns onto itself recursively, copying our namespace mounts and
 * shadowing the originals, which then can no longer be removed by name.
 */
static int netns_dir_mount(int *made_mount, struct dw_error *err)
{
	if (mount("", LAB_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0; /* already a mount point */
	if (errno != EINVAL)
		return dw_error_errno(err, "make %s shared", LAB_NETNS_DIR);
	if (mount(LAB_NETNS_DIR, LAB_NETNS_DIR, "none", MS_BIND | MS_REC, NULL) != 0 ||
	    mount("", LAB_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) != 0)
		return dw_error_errno(err, "bind mount %s", LAB_NETNS_DIR);
	*made_mount = 1;
	return 0;
}

int lab_netns_create(const char *name, int *made_dir, int *made_mount, struct dw_error *err)
{
	char p[256];
	netns_path(name, p, sizeof p);
	if (netns_home_fd() < 0)
		return dw_error_errno(err, "open /proc/self/ns/net");
	if (mkdir(LAB_NETNS_DIR, 0755) == 0)
		*made_dir = 1;
	else if (errno != EEXIST)
		return dw_error_errno(err, "mkdir %s", LAB_NETNS_DIR);
	if (netns_dir_mount(made_mount, err) != 0)
		return -1;
	int fd = open(p, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return dw_error_errno(err, "create %s", p);
	close(fd);
	/* unshare moves only this thread into a fresh namespace; the bind mount
	 * keeps it alive after we return to the original one. */
	if (unshare(CLONE_NEWNET) != 0) {
		dw_error_errno(err, "unshare(CLONE_NEWNET)");
		unlink(p);
		return -1;
	}
	int r = mount("/proc/thread-self/ns/net", p, "none", MS_BIND, NULL);
	int e = errno;
	if (lab_netns_leave() != 0)
		return dw_error_errno(err, "setns back to the host namespace");
	if (r != 0) {
		errno = e;
		dw_error_errno(err, "bind mount %s", p);
		unlink(p);
		return -1;
	}
	return 0;
}

int lab_netns_dir_missing(void)
{
	struct statx st;
	if (statx(AT_FDCWD, LAB_NETNS_DIR, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &st) != 0)
		return 3; /* neither the directory nor the mount point */
	if ((st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	    !(st.stx_attributes & STATX_ATTR_MOUNT_ROOT))
		return 2; /* a plain directory, not yet a mount point */
	return 0;
}

int lab_netns_release_dir(int made_dir, int made_mount)
{
	DIR *d = opendir(LAB_NETNS_DIR);
	if (!d)
		return 0;
	int entries = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		entries += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	if (entries)
		return -1; /* someone's namespaces are still there */
	if (made_mount)
		umount2(LAB_NETNS_DIR, MNT_DETACH);
	if (made_dir)
		rmdir(LAB_NETNS_DIR);
	return 0;
}

int lab_netns_delete(const char *name, struct dw_error *err)
{
	char p[256];
	netns_path(name, p, sizeof p);
	if (access(p, F_OK) != 0)
		return 0;
	/* MNT_DETACH as iproute2 does: a process still inside keeps the
	 * namespace itself alive, but the name goes away. Repeat: the same
	 * file may carry stacked mounts. */
	for (int i = 0; i < 16; i++)
		if (umount2(p, MNT_DETACH) != 0) {
			if (errno == EINVAL || errno == ENOENT)
				break;
			return dw_error_errno(err, "umount %s", p);
		}
	if (unlink(p) != 0 && errno != ENOENT) {
		int e = errno;
		return dw_error_set(err, DW_E_SYSTEM, "unlink %s: %s%s", p, strerror(e),
				    e == EBUSY ? " (another mount of " LAB_NETNS_DIR " hides it; "
						 "`umount -l " LAB_NETNS_DIR "` once no namespace is in use)"
					       : "");
	}
	return 0;
}

int lab_netns_socket(const char *name, int domain, int type)
{
	if (lab_netns_enter(name, NULL) != 0)
		return -1;
	int s = socket(domain, type | SOCK_CLOEXEC, 0);
	int e = errno;
	if (lab_netns_leave() != 0) {
		if (s >= 0)
			close(s);
		return -1;
	}
	errno = e;
	return s;
}

unsigned long lab_netns_inode(const char *name)
{
	char p[256];
	struct stat st;
	netns_path(name, p, sizeof p);
	if (stat(p, &st) != 0)
		return 0;
	/* An unmounted placeholder file is not a namespace: a namespace file
	 * lives on nsfs, like our own /proc/self/ns/net. */
	struct stat home;
	if (stat("/proc/self/ns/net", &home) != 0 || st.st_dev != home.st_dev)
		return 0;
	return (unsigned long)st.st_ino;
}

int lab_netns_sysctl(const char *name, const char *path, const char *value)
{
	char p[256];
	snprintf(p, sizeof p, "/proc/sys/%s", path);
	if (lab_netns_enter(name, NULL) != 0)
		return -1;
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	int r = -1;
	if (fd >= 0) {
		size_t k = strlen(value);
		r = write(fd, value, k) == (ssize_t)k ? 0 : -1;
		close(fd);
	}
	int e = errno;
	if (lab_netns_leave() != 0)
		return -1;
	errno = e;
	return r;
}
