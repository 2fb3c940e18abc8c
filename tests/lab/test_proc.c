/* The lab's processes (lab/proc.h): the pids its state file records, the
 * one rule for "alive" (no pid 1 or below, no zombie), and the one way its
 * commands catch signals. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "lab/proc.h"

static void test_state_pid(void)
{
	char dir[] = "/tmp/dw-proc-XXXXXX", path[64];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/state", dir);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs("name=t\npid.delay=1234\npid.com=abc\npid.net=12junk\npid.org=-7\nup=1\n", f);
	fclose(f);
	CHECK_EQ(lab_proc_state_pid(dir, "pid.delay"), 1234);
	CHECK_EQ(lab_proc_state_pid(dir, "pid.com"), 0);  /* not a number */
	CHECK_EQ(lab_proc_state_pid(dir, "pid.net"), 0);
	CHECK_EQ(lab_proc_state_pid(dir, "pid.org"), 0);
	CHECK_EQ(lab_proc_state_pid(dir, "pid.root"), 0); /* no such key */
	CHECK_EQ(lab_proc_state_pid(dir, "pid"), 0);      /* a prefix is no key */
	char v[16] = "?";
	CHECK_EQ(lab_state_get(dir, "state", "seed", v, sizeof v), -1);
	CHECK_STR(v, "?"); /* left as it was */
	CHECK_EQ(lab_state_get(dir, "state", "up", v, sizeof v), 0);
	CHECK_STR(v, "1");
	unlink(path);
	CHECK_EQ(lab_proc_state_pid(dir, "pid.delay"), 0); /* no file */
	rmdir(dir);
}

/* One rule: pid 1 and below never, a zombie never, a process that is gone
 * never; NEEDLE must be in the command line. */
static void test_alive(void)
{
	CHECK(!lab_proc_alive(0, NULL));
	CHECK(!lab_proc_alive(-1, NULL));
	CHECK(!lab_proc_alive(1, NULL)); /* init runs, but is no lab process */
	long self = (long)getpid();
	CHECK(lab_proc_alive(self, NULL));
	CHECK(lab_proc_alive(self, "test_proc"));
	CHECK(!lab_proc_alive(self, "no such needle"));
	fflush(stdout);
	pid_t child = fork();
	CHECK(child >= 0);
	if (child < 0)
		return;
	if (child == 0)
		_exit(0);
	/* Not reaped yet: a zombie, which runs no more. */
	siginfo_t si;
	CHECK_EQ(waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT), 0);
	CHECK(!lab_proc_alive(child, NULL));
	CHECK_EQ(waitpid(child, NULL, 0), child);
	CHECK(!lab_proc_alive(child, NULL)); /* gone */
}

static volatile sig_atomic_t caught;

static void on_usr(int sig)
{
	caught = sig;
}

static void test_catch(void)
{
	lab_proc_catch(on_usr, (const int[]){SIGUSR1, SIGUSR2, 0});
	struct sigaction sa;
	CHECK_EQ(sigaction(SIGUSR2, NULL, &sa), 0);
	CHECK(sa.sa_handler == on_usr);
	CHECK_EQ(sa.sa_flags & SA_RESTART, 0); /* blocking calls return EINTR */
	raise(SIGUSR1);
	CHECK_EQ(caught, SIGUSR1);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
}

int main(void)
{
	RUN(test_state_pid);
	RUN(test_alive);
	RUN(test_catch);
	return harness_done();
}
