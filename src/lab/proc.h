/*
 * Running external tools (ip, iptables, tc, nsd, unbound, unbound-control)
 * and the lab's own daemons, always with fork/execvp and an argv array,
 * never through a shell: names and paths built from input cannot become
 * shell syntax. A command can run inside a lab network namespace (setns in
 * the child before exec).
 */
#ifndef DW_LAB_PROC_H
#define DW_LAB_PROC_H

#include <stdbool.h>
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

/* ---- the lab's processes: recorded pids, liveness, signals ---------------- */

/* KEY=VALUE from the lab's state file DIR/FILE ("state", "delay.stats")
 * into VAL; 0, or -1 if there is no such file or key, VAL then left as it
 * was (so a caller that shows "?" for a missing value presets it). */
int lab_state_get(const char *dir, const char *file, const char *key, char *val, size_t cap);

/* The pid the lab's state file DIR/state records under KEY ("pid.delay",
 * "pid.com"); 0 if none, or not a number. */
long lab_proc_state_pid(const char *dir, const char *key);

/*
 * Is PID a live process of ours to act on, its command line containing
 * NEEDLE (NULL: any)? One rule for the lab: pid 1 and below never are (no
 * pid recorded, or init), nor is a zombie or a dead process (it runs no
 * more, whatever its entry in /proc says); a pid reused by another program
 * is told apart by NEEDLE (the config file or state directory it was
 * started with).
 */
bool lab_proc_alive(long pid, const char *needle);

/* Catch each signal in SIGS (a list ended by 0) with HANDLER, with no
 * SA_RESTART, so that a blocking call returns EINTR and the loop around
 * it sees the flag HANDLER sets. For the lab's commands and daemons only:
 * a library installs no handler. */
void lab_proc_catch(void (*handler)(int), const int *sigs);

#endif
