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
 * stderr is captured, stdout too when CAPTURE_OUT. Returns 0, or -1 with a
 * line in ERR.
 */
int lab_proc_start(struct lab_proc *p, const char *ns, const char *const argv[],
		   int capture_out, char *err, size_t errcap);

/* The same, run in directory CWD (NULL: ours). */
int lab_proc_start_in(struct lab_proc *p, const char *ns, const char *cwd,
		      const char *const argv[], int capture_out, char *err, size_t errcap);

/*
 * Wait for P (at most TIMEOUT_MS, then SIGKILL). Returns its exit status
 * (0..255), 128+N if killed by signal N. OUT gets stdout (NUL-terminated,
 * truncated to OUTCAP) when captured; ERR gets the first non-empty line of
 * its stderr. Either may be NULL.
 */
int lab_proc_wait(struct lab_proc *p, int timeout_ms, char *out, size_t outcap,
		  char *err, size_t errcap);

/* lab_proc_start + lab_proc_wait (10 s). Returns the exit status or -1. */
int lab_proc_run(const char *ns, const char *const argv[], char *out, size_t outcap,
		 char *err, size_t errcap);

/*
 * Start a daemon: ARGV in namespace NS, in its own session, stdin from
 * /dev/null, stdout and stderr appended to LOG. The daemon stays our child
 * (the caller can waitpid(WNOHANG) to notice an early death) and is
 * inherited by init when the caller exits. Returns the pid, or -1 with a line
 * in ERR (exec failures are reported here, through a close-on-exec pipe).
 */
pid_t lab_proc_spawn(const char *ns, const char *const argv[], const char *log,
		     char *err, size_t errcap);

/* Is ARGV0 an executable found in PATH? */
int lab_proc_in_path(const char *argv0);

/* The last non-empty line of file PATH into LINE ("" if none). */
void lab_proc_last_line(const char *path, char *line, size_t cap);

/* The line of log PATH that explains a failure: the first one with
 * "error:" or "fatal" (nsd and unbound write the cause before the
 * summary), else the last line. */
void lab_proc_log_reason(const char *path, char *line, size_t cap);

/* Path of the running executable (for re-executing ourselves as a helper). */
int lab_proc_self_exe(char *path, size_t cap);

#endif
