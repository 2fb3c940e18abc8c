/* The lab-host interface (lab/host.h): lab names, namespace names, hosts.
 * Entering a host needs root and a lab: tests/lab/test_lab.sh does that. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "lab/host.h"
#include "lab/netns.h"
#include "lab/topology.h"

static void test_lab_names(void)
{
	CHECK(lab_name_valid("dw"));
	CHECK(lab_name_valid("t12345ab"));
	CHECK(!lab_name_valid(""));
	CHECK(!lab_name_valid("t123456789"));
	CHECK(!lab_name_valid("Lab"));
	CHECK(!lab_name_valid("a-b"));
	CHECK(!lab_name_valid("a/b"));
	char buf[64];
	lab_host_ns("t12345ab", LAB_TRANSIT, buf, sizeof buf);
	CHECK_STR(buf, "dw-t12345ab-transit");
	lab_ifname("t12345ab", "t0", buf, sizeof buf);
	CHECK(strlen(buf) < 16); /* IFNAMSIZ */
	CHECK_EQ(lab_host_find("border"), LAB_BORDER);
	CHECK_EQ(lab_host_find("nope"), -1);
}

static void test_enter_refuses_bad_names(void)
{
	struct dw_error err;
	CHECK_EQ(lab_host_enter("Bad", "client", &err), -1);
	CHECK(strstr(err.text, "bad lab or host name") != NULL);
	CHECK_EQ(err.status, DW_E_INVALID);
	CHECK_EQ(lab_host_enter("dw", "nohost", &err), -1);
	CHECK(strstr(err.text, "bad lab or host name") != NULL);
	/* a valid name of a lab that is not up */
	CHECK_EQ(lab_host_enter("zz9notup", "client", &err), -1);
	CHECK(strstr(err.text, "is the lab up?") != NULL);
	CHECK_STR(err.text, "lab 'zz9notup' has no host 'client' (/run/netns/dw-zz9notup-client: "
			    "No such file or directory); is the lab up?");
	CHECK_EQ(err.status, DW_E_NOT_FOUND);
}

/* A namespace that is there but cannot be opened is not "not found": its
 * own errno and status (a symlink loop, reached from /run/netns by "..",
 * so nothing is made under /run/netns); one that is missing is. */
static void test_enter_open_failures(void)
{
	struct stat sb;
	if (stat(LAB_NETNS_DIR, &sb) != 0)
		SKIP("no %s here", LAB_NETNS_DIR);
	char dir[] = "/tmp/dw-host-XXXXXX", loop[64], name[128];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(loop, sizeof loop, "%s/loop", dir);
	CHECK_EQ(symlink(loop, loop), 0);
	snprintf(name, sizeof name, "../..%s/loop", dir);
	struct dw_error err;
	CHECK_EQ(lab_netns_enter(name, &err), -1);
	CHECK_EQ(err.status, DW_E_SYSTEM);
	CHECK(strstr(err.text, strerror(ELOOP)) != NULL);
	CHECK(strstr(err.text, name) != NULL);
	printf("# %s\n", err.text);
	snprintf(name, sizeof name, "../..%s/none", dir);
	CHECK_EQ(lab_netns_enter(name, &err), -1);
	CHECK_EQ(err.status, DW_E_NOT_FOUND);
	CHECK(strstr(err.text, strerror(ENOENT)) != NULL);
	unlink(loop);
	rmdir(dir);
}

int main(void)
{
	RUN(test_lab_names);
	RUN(test_enter_refuses_bad_names);
	RUN(test_enter_open_failures);
	return harness_done();
}
