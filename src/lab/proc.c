/* fork/execvp helpers for the lab (see proc.h). */
#include "lab/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab/netns.h"
#include "util/clock.h"

/* In the child between fork and exec: only async-signal-safe calls. */
static void proc_child_setup(const char *ns, int in_fd, int out_fd, int err_fd)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (ns && lab_netns_enter(ns, NULL) != 0) {
		static const char msg[] = "cannot enter the lab namespace\n";
		if (write(err_fd, msg, sizeof msg - 1) < 0) { /* nothing more to do */ }
		_exit(126);
	}
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(126);
}

int lab_proc_start(struct lab_proc *p, const char *ns, const char *const argv[],
		   int capture_out, struct dw_error *err)
{
	return lab_proc_start_in(p, ns, NULL, argv, capture_out, err);
}

int lab_proc_start_in(struct lab_proc *p, const char *ns, const char *cwd,
		      const char *const argv[], int capture_out, struct dw_error *err)
{
	int ep[2], op[2] = {-1, -1};
	p->pid = -1;
	p->out_fd = p->err_fd = -1;
	p->what = argv[0];
	if (pipe2(ep, O_CLOEXEC) != 0)
		return dw_error_errno(err, "pipe");
	if (capture_out && pipe2(op, O_CLOEXEC) != 0) {
		dw_error_errno(err, "pipe");
		close(ep[0]);
		close(ep[1]);
		return -1;
	}
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid_t pid = fork();
	if (pid < 0) {
		dw_error_errno(err, "fork");
		close(ep[0]);
		close(ep[1]);
		if (op[0] >= 0) {
			close(op[0]);
			close(op[1]);
		}
		if (null_fd >= 0)
			close(null_fd);
		return -1;
	}
	if (pid == 0) {
		proc_child_setup(ns, null_fd, capture_out ? op[1] : null_fd, ep[1]);
		if (cwd && chdir(cwd) != 0)
			_exit(126);
		/* execvp's argv is char *const[]; the strings are not modified. */
		execvp(argv[0], (char *const *)(uintptr_t)argv);
		static const char msg[] = "exec failed\n";
		if (write(2, msg, sizeof msg - 1) < 0) { /* nothing more to do */ }
		_exit(127);
	}
	close(ep[1]);
	if (op[1] >= 0)
		close(op[1]);
	if (null_fd >= 0)
		close(null_fd);
	p->pid = pid;
	p->err_fd = ep[0];
	p->out_fd = op[0];
	return 0;
}

/* GOT bytes of TMP after the LEN in use of BUF (CAP bytes, kept
 * terminated); what does not fit is dropped. */
static void proc_keep(char *buf, size_t cap, size_t *len, const char *tmp, size_t got)
{
	size_t room = cap - 1 - *len;
	size_t k = got < room ? got : room;
	memcpy(buf + *len, tmp, k);
	*len += k;
	buf[*len] = '\0';
}

/* Read P's pipes until both are at their end, so a chatty tool never blocks
 * on a full pipe: stderr into EBUF (ECAP), stdout into OUT (OUTCAP; may be
 * NULL). SIGKILL at TIMEOUT_MS; a second later, pipes a descendant still
 * holds open are let go. Returns 1 if P was killed. */
static int proc_drain(struct lab_proc *p, int timeout_ms, char *ebuf, size_t ecap, char *out,
		      size_t outcap)
{
	size_t elen = 0, olen = 0;
	long long deadline = (long long)util_mono_ms() + timeout_ms;
	int killed = 0;
	for (int rounds = 0; (p->err_fd >= 0 || p->out_fd >= 0) && rounds < 1000000; rounds++) {
		struct pollfd pf[2];
		int n = 0;
		if (p->err_fd >= 0)
			pf[n++] = (struct pollfd){.fd = p->err_fd, .events = POLLIN};
		if (p->out_fd >= 0)
			pf[n++] = (struct pollfd){.fd = p->out_fd, .events = POLLIN};
		long long left = deadline - (long long)util_mono_ms();
		if (left <= 0 && killed) {
			/* Killed a second ago and the pipes are still open: a
			 * descendant holds them. Stop reading; the caller's
			 * waitpid reaps the child itself. */
			if (p->err_fd >= 0)
				close(p->err_fd);
			if (p->out_fd >= 0)
				close(p->out_fd);
			p->err_fd = p->out_fd = -1;
			break;
		}
		if (left <= 0) {
			kill(p->pid, SIGKILL);
			killed = 1;
			left = 1000;
			deadline = (long long)util_mono_ms() + 1000;
		}
		int r = poll(pf, (nfds_t)n, (int)left);
		if (r < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char tmp[4096];
			ssize_t got = read(pf[i].fd, tmp, sizeof tmp);
			if (got <= 0) {
				close(pf[i].fd);
				if (pf[i].fd == p->err_fd)
					p->err_fd = -1;
				else
					p->out_fd = -1;
				continue;
			}
			if (pf[i].fd == p->err_fd)
				proc_keep(ebuf, ecap, &elen, tmp, (size_t)got);
			else if (out && outcap)
				proc_keep(out, outcap, &olen, tmp, (size_t)got);
		}
	}
	return killed;
}

int lab_proc_wait(struct lab_proc *p, int timeout_ms, char *out, size_t outcap,
		  struct dw_error *err)
{
	char ebuf[4096] = "";
	if (out && outcap)
		out[0] = '\0';
	int killed = proc_drain(p, timeout_ms, ebuf, sizeof ebuf, out, outcap);
	int st = 0;
	while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
		;
	p->pid = -1;
	int status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
	if (err) {
		/* The first non-empty line of stderr is the one that explains. */
		const char *s = ebuf;
		while (*s == '\n' || *s == ' ')
			s++;
		int k = (int)strcspn(s, "\n");
		if (killed && k == 0)
			dw_error_set(err, DW_E_TOOL, "timed out after %d ms", timeout_ms);
		else
			dw_error_set(err, status ? DW_E_TOOL : DW_OK, "%.*s", k, s);
	}
	return status;
}

int lab_proc_run(const char *ns, const char *const argv[], char *out, size_t outcap,
		 struct dw_error *err)
{
	struct lab_proc p;
	if (lab_proc_start(&p, ns, argv, out != NULL, err) != 0)
		return -1;
	return lab_proc_wait(&p, 10000, out, outcap, err);
}

pid_t lab_proc_spawn(const char *ns, const char *const argv[], const char *log,
		     struct dw_error *err)
{
	int ep[2];
	if (pipe2(ep, O_CLOEXEC) != 0)
		return dw_error_errno(err, "pipe");
	int log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (log_fd < 0 || null_fd < 0) {
		dw_error_errno(err, "open %s", log);
		close(ep[0]);
		close(ep[1]);
		if (log_fd >= 0)
			close(log_fd);
		if (null_fd >= 0)
			close(null_fd);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		setsid(); /* no terminal signals from the shell that ran `lab up` */
		proc_child_setup(ns, null_fd, log_fd, log_fd);
		execvp(argv[0], (char *const *)(uintptr_t)argv);
		int e = errno;
		if (write(ep[1], &e, sizeof e) < 0) { /* parent sees EOF */ }
		_exit(127);
	}
	int saved = errno;
	close(ep[1]);
	close(log_fd);
	close(null_fd);
	if (pid < 0) {
		close(ep[0]);
		errno = saved;
		return dw_error_errno(err, "fork");
	}
	int e = 0;
	ssize_t got;
	while ((got = read(ep[0], &e, sizeof e)) < 0 && errno == EINTR)
		;
	close(ep[0]);
	if (got == (ssize_t)sizeof e) {
		/* exec failed: the child is gone, reap it here. */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = e;
		return dw_error_errno(err, "cannot run %s", argv[0]);
	}
	return pid;
}

int lab_proc_in_path(const char *argv0)
{
	if (strchr(argv0, '/'))
		return access(argv0, X_OK) == 0;
	const char *path = getenv("PATH");
	if (!path)
		return 0;
	for (const char *s = path; *s;) {
		size_t k = strcspn(s, ":");
		char buf[4096];
		if (k > 0 && k + strlen(argv0) + 2 < sizeof buf) {
			memcpy(buf, s, k);
			buf[k] = '/';
			strcpy(buf + k + 1, argv0);
			struct stat st;
			if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
				return 1;
		}
		s += k;
		if (*s == ':')
			s++;
	}
	return 0;
}

void lab_proc_last_line(const char *path, char *line, size_t cap)
{
	line[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	char buf[8192];
	off_t size = lseek(fd, 0, SEEK_END);
	off_t from = size > (off_t)sizeof buf - 1 ? size - (off_t)sizeof buf + 1 : 0;
	ssize_t n = pread(fd, buf, sizeof buf - 1, from);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	char *s = strrchr(buf, '\n');
	s = s ? s + 1 : buf;
	snprintf(line, cap, "%s", s);
}

void lab_proc_log_reason(const char *path, char *line, size_t cap)
{
	line[0] = '\0';
	FILE *f = fopen(path, "re");
	if (f) {
		char buf[1024];
		for (int i = 0; i < 100000 && fgets(buf, sizeof buf, f); i++)
			if (strstr(buf, "error:") || strstr(buf, "fatal")) {
				buf[strcspn(buf, "\n")] = '\0';
				snprintf(line, cap, "%s", buf);
				break;
			}
		fclose(f);
	}
	if (!line[0])
		lab_proc_last_line(path, line, cap);
}

int lab_proc_self_exe(char *path, size_t cap)
{
	ssize_t n = readlink("/proc/self/exe", path, cap - 1);
	if (n <= 0)
		return -1;
	path[n] = '\0';
	return 0;
}

/* ---- the lab's processes ------------------------------------------------ */

int lab_state_get(const char *dir, const char *file, const char *key, char *val, size_t cap)
{
	char path[512], line[512];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t kl = strlen(key);
	int found = -1;
	for (int i = 0; i < 10000 && fgets(line, sizeof line, f); i++) {
		if (strncmp(line, key, kl) == 0 && line[kl] == '=') {
			line[strcspn(line, "\n")] = '\0';
			snprintf(val, cap, "%s", line + kl + 1);
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

long lab_proc_state_pid(const char *dir, const char *key)
{
	char v[32], *end;
	if (lab_state_get(dir, "state", key, v, sizeof v) != 0)
		return 0;
	errno = 0;
	long pid = strtol(v, &end, 10);
	return errno || end == v || *end || pid < 0 ? 0 : pid;
}

/* The first CAP - 1 bytes of /proc/PID/NAME, NUL-terminated; their count,
 * or -1. */
static ssize_t proc_read(long pid, const char *name, char *buf, size_t cap)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%ld/%s", pid, name);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (ssize_t)n;
}

bool lab_proc_alive(long pid, const char *needle)
{
	char buf[4096];
	if (pid <= 1 || proc_read(pid, "stat", buf, sizeof buf) < 0)
		return false;
	/* "PID (COMM) STATE ...": COMM may hold anything, ')' included. */
	const char *rp = strrchr(buf, ')');
	if (!rp || rp[1] != ' ' || rp[2] == 'Z' || rp[2] == 'X')
		return false;
	if (!needle)
		return true;
	ssize_t n = proc_read(pid, "cmdline", buf, sizeof buf);
	if (n < 0)
		return false;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	return strstr(buf, needle) != NULL;
}

void lab_proc_catch(void (*handler)(int), const int *sigs)
{
	struct sigaction sa = {.sa_handler = handler};
	sigemptyset(&sa.sa_mask);
	for (; *sigs; sigs++)
		sigaction(*sigs, &sa, NULL);
}
