/* The lab-host interface (lab/host.h): lab names, namespace names, hosts.
 * Entering a host needs root and a lab: tests/lab/test_lab.sh does that. */
#include "harness.h"
#include "lab/host.h"
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

int main(void)
{
	RUN(test_lab_names);
	RUN(test_enter_refuses_bad_names);
	return harness_done();
}
