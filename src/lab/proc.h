/*
 * Running external tools (ip, iptables, tc, nsd, unbound, unbound-control)
 * and the lab's own daemons, always with fork/execvp and an argv array,
 * never through a shell: names and paths built from input cannot become
 * shell syntax. A command can run inside a lab network namespace (setns in
 * the child before exec).
 */
#ifndef DW_LAB_PROC_H
#define DW_LAB_PROC_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

#define LAB_PROC_OUT_MAX 65536

/* A tool started by lab_proc_start and not yet waited for. */
struct lab_proc {
	pid_t pid;
	int out_fd;   /* its stdout, or -1 when not captured */
	int err_fd;   /* its stderr */
	const char *what; /* argv[0], for messages */
};

/*
 * Start ARGV (argv[0] looked up in PATH) inside network namespace NS
 * (a name under /run/netns, or NULL for the caller's). Stdin is /dev/null;
 * stderr is captured, stdout too when CAPTURE_OUT. Returns 0, or -1 with
 * "pipe: reason" or "fork: reason" in ERR. A child that cannot enter NS
 * says so on its stderr and exits with 126.
 */
DW_MUST_CHECK int lab_proc_start(struct lab_proc *p, const char *ns, const char *const argv[],
				 int capture_out, struct dw_error *err);

/* The same, run in directory CWD (NULL: ours). */
DW_MUST_CHECK int lab_proc_start_in(struct lab_proc *p, const char *ns, const char *cwd,
				    const char *const argv[], int capture_out,
				    struct dw_error *err);

/*
 * Wait for P (at most TIMEOUT_MS, then SIGKILL). Returns its exit status
 * (0..255), 128+N if killed by signal N. OUT gets stdout (NUL-terminated,
 * truncated to OUTCAP) when captured. ERR's text gets the first non-empty
 * line of its stderr ("timed out after N ms" if killed without a word), its
 * status DW_OK for exit status 0, else DW_E_TOOL. OUT and ERR may be NULL.
 */
DW_MUST_CHECK int lab_proc_wait(struct lab_proc *p, int timeout_ms, char *out, size_t outcap,
				struct dw_error *err);

/* lab_proc_start + lab_proc_wait (10 s). Returns the exit status, or -1
 * when the tool could not be started (ERR as for lab_proc_start). */
DW_MUST_CHECK int lab_proc_run(const char *ns, const char *const argv[], char *out, size_t outcap,
			       struct dw_error *err);

/*
 * Start a daemon: ARGV in namespace NS, in its own session, stdin from
 * /dev/null, stdout and stderr appended to LOG. The daemon stays our child
 * (the caller can waitpid(WNOHANG) to notice an early death) and is
 * inherited by init when the caller exits. Returns the pid, or -1 with ERR
 * (exec failures are reported here, through a close-on-exec pipe, as
 * "cannot run ARGV0: reason").
 */
DW_MUST_CHECK pid_t lab_proc_spawn(const char *ns, const char *const argv[], const char *log,
				   struct dw_error *err);

/* Is ARGV0 an executable found in PATH? */
int lab_proc_in_path(const char *argv0);

/* The last non-empty line of file PATH into LINE ("" if none). */
void lab_proc_last_line(const char *path, char *line, size_t cap);

/* The line of log PATH that explains a failure: the first one with
 * "error:" or "fatal" (nsd and unbound write the cause before the
 * summary), else the last line. */
void lab_proc_log_reason(const char *path, char *line, size_t cap);

/* Path of the running executable (for re-executing ourselves as a helper);
 * 0 or -1. */
DW_MUST_CHECK int lab_proc_self_exe(char *path, size_t cap);

#endif
