/* Entering lab hosts (see host.h). Lab hosts are the named network
 * namespaces /run/netns/dw-LAB-HOST (src/lab/topology.h). */
#include "lab/host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/topology.h"

int lab_host_enter(const char *lab, const char *host, char *err, size_t errcap)
{
	if (!lab_name_valid(lab) || lab_host_find(host) < 0) {
		snprintf(err, errcap, "bad lab or host name '%.20s'/'%.20s' (a-z, 0-9)", lab, host);
		return -1;
	}
	char path[96];
	snprintf(path, sizeof path, "/run/netns/dw-%s-%s", lab, host);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errcap, "lab '%s' has no host '%s' (%s: %s); is the lab up?", lab, host,
			 path, strerror(errno));
		return -1;
	}
	int rc = setns(fd, CLONE_NEWNET);
	int e = errno;
	close(fd);
	if (rc) {
		snprintf(err, errcap, "entering %s: %s", path, strerror(e));
		return -1;
	}
	return 0;
}

bool lab_host_current(void)
{
	struct stat self, ns;
	if (stat("/proc/thread-self/ns/net", &self))
		return false;
	DIR *d = opendir("/run/netns");
	struct dirent *de;
	bool found = false;
	while (d && !found && (de = readdir(d))) {
		char path[300];
		if (strncmp(de->d_name, "dw-", 3) != 0)
			continue;
		snprintf(path, sizeof path, "/run/netns/%s", de->d_name);
		found = stat(path, &ns) == 0 && ns.st_ino == self.st_ino && ns.st_dev == self.st_dev;
	}
	if (d)
		closedir(d);
	return found;
}

int lab_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > LAB_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9')))
			return 0;
	return 1;
}
