/* Entering lab hosts (see host.h). Lab hosts are the named network
 * namespaces /run/netns/dw-LAB-HOST (src/lab/topology.h). */
#include "lab/host.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/netns.h"
#include "lab/topology.h"

int lab_host_enter(const char *lab, const char *host, struct dw_error *err)
{
	int h = lab_name_valid(lab) ? lab_host_find(host) : -1;
	if (h < 0)
		return dw_error_set(err, DW_E_INVALID, "bad lab or host name '%.20s'/'%.20s' (a-z, 0-9)",
				    lab, host);
	char ns[64];
	lab_host_ns(lab, h, ns, sizeof ns);
	if (lab_netns_enter(ns, err) == 0)
		return 0;
	if (!err)
		return -1;
	if (err->status != DW_E_NOT_FOUND) /* there, but not ours to enter */
		return dw_error_prefix(err, "lab '%s', host '%s'", lab, host);
	char why[DW_ERROR_TEXT];
	snprintf(why, sizeof why, "%s", err->text); /* "PATH: reason" */
	return dw_error_set(err, DW_E_NOT_FOUND, "lab '%s' has no host '%s' (%s); is the lab up?", lab,
			    host, why);
}

bool lab_host_current(void)
{
	struct stat self, ns;
	if (stat("/proc/thread-self/ns/net", &self))
		return false;
	DIR *d = opendir(LAB_NETNS_DIR);
	struct dirent *de;
	bool found = false;
	while (d && !found && (de = readdir(d))) {
		char path[300];
		if (strncmp(de->d_name, "dw-", 3) != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", LAB_NETNS_DIR, de->d_name);
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
