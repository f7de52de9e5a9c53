/*
 * Runs a command under a seccomp allow list, as systemd's SystemCallFilter= does: every
 * system call named in SYSCALLS-FILE (whitespace-separated) is allowed, any other fails
 * with EPERM (SystemCallErrorNumber=EPERM), and no_new_privs is set (NoNewPrivileges=yes).
 *   seccomp-run SYSCALLS-FILE COMMAND [ARG...]
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s SYSCALLS-FILE COMMAND [ARG...]\n", argv[0]);
    return 2;
  }
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  FILE *f = fopen(argv[1], "r");
  if (!ctx || !f) {
    perror("seccomp-run");
    return 2;
  }
  char name[128];
  while (fscanf(f, "%127s", name) == 1) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr != __NR_SCMP_ERROR) seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
  }
  fclose(f);
  if (seccomp_load(ctx) != 0) {
    fprintf(stderr, "seccomp-run: the filter could not be loaded\n");
    return 2;
  }
  execv(argv[2], argv + 2);
  perror("seccomp-run: execv");
  return 127;
}
