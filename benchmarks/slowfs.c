/*
 * slowfs: a libfuse3 passthrough filesystem that adds a fixed latency to every metadata
 * operation, to benchmark cache cleaners on something that behaves like a network share.
 *
 *   cc -O2 -Wall -o slowfs slowfs.c $(pkg-config --cflags --libs fuse3)
 *   slowfs [--latency-us=N] [--threads=N] [--data-latency] [--debug] BACKING MOUNTPOINT [-o opt,...]
 *
 * Every request that is a round trip on a network filesystem sleeps N microseconds (default
 * 1000) before it is served: lookup (getattr), readlink, mkdir, mknod, create, open, opendir,
 * each readdir page, unlink, rmdir, symlink, link, rename, chmod, chown, truncate, utimens,
 * statfs, access, flush, fsync. Reads and writes sleep only with --data-latency. Requests are
 * served by up to --threads worker threads (default 64), so concurrent clients overlap their
 * waits as they would against a server. Kernel caching keeps libfuse's defaults (entry and
 * attribute timeouts of 1 s, no negative caching). READDIRPLUS is turned off, so a listing
 * returns names, inode numbers and types, and every name a client then uses costs a lookup.
 *
 * Paths are served relative to a descriptor of BACKING opened before the mount, so BACKING may
 * also be the mount point itself.
 */
#define FUSE_USE_VERSION 314
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

static int base_fd = -1;
static struct timespec latency = {0, 1000000};
static int data_latency = 0;

static void lag(void)
{
	struct timespec left = latency;
	if (left.tv_sec == 0 && left.tv_nsec == 0)
		return;
	while (nanosleep(&left, &left) == -1 && errno == EINTR)
		;
}

/* "/a/b" -> "a/b"; "/" -> "." */
static const char *rel(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

static int sfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	lag();
	int res = fi ? fstat((int)fi->fh, st) : fstatat(base_fd, rel(path), st, AT_SYMLINK_NOFOLLOW);
	return res == -1 ? -errno : 0;
}

static int sfs_access(const char *path, int mask)
{
	lag();
	return faccessat(base_fd, rel(path), mask, AT_SYMLINK_NOFOLLOW) == -1 ? -errno : 0;
}

static int sfs_readlink(const char *path, char *buf, size_t size)
{
	lag();
	ssize_t n = readlinkat(base_fd, rel(path), buf, size - 1);
	if (n == -1)
		return -errno;
	buf[n] = '\0';
	return 0;
}

struct sfs_dir {
	DIR *dp;
	struct dirent *entry;
	off_t offset;
};

static int sfs_opendir(const char *path, struct fuse_file_info *fi)
{
	lag();
	int fd = openat(base_fd, rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -errno;
	struct sfs_dir *d = calloc(1, sizeof *d);
	if (d == NULL) {
		close(fd);
		return -ENOMEM;
	}
	d->dp = fdopendir(fd);
	if (d->dp == NULL) {
		int err = errno;
		close(fd);
		free(d);
		return -err;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	return 0;
}

/* One call per READDIR request from the kernel: each page of a listing is a round trip. */
static int sfs_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t offset,
		       struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)path;
	(void)flags;
	struct sfs_dir *d = (struct sfs_dir *)(uintptr_t)fi->fh;
	lag();
	if (offset != d->offset) {
		seekdir(d->dp, offset);
		d->entry = NULL;
		d->offset = offset;
	}
	for (;;) {
		if (d->entry == NULL) {
			errno = 0;
			d->entry = readdir(d->dp);
			if (d->entry == NULL) {
				if (errno != 0)
					return -errno;
				break;
			}
		}
		struct stat st;
		memset(&st, 0, sizeof st);
		st.st_ino = d->entry->d_ino;
		st.st_mode = (mode_t)d->entry->d_type << 12;
		off_t next = telldir(d->dp);
		if (filler(buf, d->entry->d_name, &st, next, 0))
			break;
		d->entry = NULL;
		d->offset = next;
	}
	return 0;
}

static int sfs_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	struct sfs_dir *d = (struct sfs_dir *)(uintptr_t)fi->fh;
	closedir(d->dp);
	free(d);
	return 0;
}

static int sfs_mknod(const char *path, mode_t mode, dev_t rdev)
{
	lag();
	int res;
	if (S_ISREG(mode)) {
		res = openat(base_fd, rel(path), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
		if (res >= 0)
			res = close(res);
	} else if (S_ISFIFO(mode)) {
		res = mkfifoat(base_fd, rel(path), mode);
	} else {
		res = mknodat(base_fd, rel(path), mode, rdev);
	}
	return res == -1 ? -errno : 0;
}

static int sfs_mkdir(const char *path, mode_t mode)
{
	lag();
	return mkdirat(base_fd, rel(path), mode) == -1 ? -errno : 0;
}

static int sfs_unlink(const char *path)
{
	lag();
	return unlinkat(base_fd, rel(path), 0) == -1 ? -errno : 0;
}

static int sfs_rmdir(const char *path)
{
	lag();
	return unlinkat(base_fd, rel(path), AT_REMOVEDIR) == -1 ? -errno : 0;
}

static int sfs_symlink(const char *target, const char *path)
{
	lag();
	return symlinkat(target, base_fd, rel(path)) == -1 ? -errno : 0;
}

static int sfs_rename(const char *from, const char *to, unsigned int flags)
{
	lag();
	return renameat2(base_fd, rel(from), base_fd, rel(to), flags) == -1 ? -errno : 0;
}

static int sfs_link(const char *from, const char *to)
{
	lag();
	return linkat(base_fd, rel(from), base_fd, rel(to), 0) == -1 ? -errno : 0;
}

static int sfs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	lag();
	int res = fi ? fchmod((int)fi->fh, mode) : fchmodat(base_fd, rel(path), mode, 0);
	return res == -1 ? -errno : 0;
}

static int sfs_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	lag();
	int res = fi ? fchown((int)fi->fh, uid, gid)
		     : fchownat(base_fd, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW);
	return res == -1 ? -errno : 0;
}

static int sfs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	lag();
	if (fi)
		return ftruncate((int)fi->fh, size) == -1 ? -errno : 0;
	int fd = openat(base_fd, rel(path), O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		return -errno;
	int res = ftruncate(fd, size) == -1 ? -errno : 0;
	close(fd);
	return res;
}

static int sfs_utimens(const char *path, const struct timespec ts[2], struct fuse_file_info *fi)
{
	lag();
	int res = fi ? futimens((int)fi->fh, ts)
		     : utimensat(base_fd, rel(path), ts, AT_SYMLINK_NOFOLLOW);
	return res == -1 ? -errno : 0;
}

static int sfs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	lag();
	int fd = openat(base_fd, rel(path), (fi->flags | O_CLOEXEC) & ~O_NOFOLLOW, mode);
	if (fd == -1)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}

static int sfs_open(const char *path, struct fuse_file_info *fi)
{
	lag();
	int fd = openat(base_fd, rel(path), (fi->flags | O_CLOEXEC) & ~O_NOFOLLOW);
	if (fd == -1)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}

static int sfs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)path;
	if (data_latency)
		lag();
	ssize_t n = pread((int)fi->fh, buf, size, off);
	return n == -1 ? -errno : (int)n;
}

static int sfs_write(const char *path, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)path;
	if (data_latency)
		lag();
	ssize_t n = pwrite((int)fi->fh, buf, size, off);
	return n == -1 ? -errno : (int)n;
}

static int sfs_statfs(const char *path, struct statvfs *st)
{
	(void)path;
	lag();
	return fstatvfs(base_fd, st) == -1 ? -errno : 0;
}

static int sfs_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	lag();
	/* As passthrough.c: close a duplicate so that close-time semantics reach the backing fs. */
	int fd = dup((int)fi->fh);
	if (fd == -1)
		return -errno;
	return close(fd) == -1 ? -errno : 0;
}

static int sfs_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	close((int)fi->fh);
	return 0;
}

static int sfs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	lag();
	int res = datasync ? fdatasync((int)fi->fh) : fsync((int)fi->fh);
	return res == -1 ? -errno : 0;
}

static void *sfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	cfg->use_ino = 1;
	cfg->hard_remove = 1;
	cfg->nullpath_ok = 1;
	conn->want &= ~(unsigned)(FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO);
	return NULL;
}

static const struct fuse_operations sfs_ops = {
	.init = sfs_init,
	.getattr = sfs_getattr,
	.access = sfs_access,
	.readlink = sfs_readlink,
	.opendir = sfs_opendir,
	.readdir = sfs_readdir,
	.releasedir = sfs_releasedir,
	.mknod = sfs_mknod,
	.mkdir = sfs_mkdir,
	.symlink = sfs_symlink,
	.unlink = sfs_unlink,
	.rmdir = sfs_rmdir,
	.rename = sfs_rename,
	.link = sfs_link,
	.chmod = sfs_chmod,
	.chown = sfs_chown,
	.truncate = sfs_truncate,
	.utimens = sfs_utimens,
	.create = sfs_create,
	.open = sfs_open,
	.read = sfs_read,
	.write = sfs_write,
	.statfs = sfs_statfs,
	.flush = sfs_flush,
	.release = sfs_release,
	.fsync = sfs_fsync,
};

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--latency-us=N] [--threads=N] [--data-latency] [--debug] "
		"BACKING MOUNTPOINT [-o opt,...]\n",
		prog);
}

int main(int argc, char *argv[])
{
	long latency_us = 1000;
	unsigned int threads = 64;
	int debug = 0;
	const char *backing = NULL;
	const char *mountpoint = NULL;
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);

	fuse_opt_add_arg(&args, argv[0]);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--latency-us=", 13) == 0) {
			latency_us = strtol(a + 13, NULL, 10);
		} else if (strncmp(a, "--threads=", 10) == 0) {
			threads = (unsigned int)strtoul(a + 10, NULL, 10);
		} else if (strcmp(a, "--data-latency") == 0) {
			data_latency = 1;
		} else if (strcmp(a, "--debug") == 0) {
			debug = 1;
		} else if (strcmp(a, "-o") == 0 && i + 1 < argc) {
			fuse_opt_add_arg(&args, "-o");
			fuse_opt_add_arg(&args, argv[++i]);
		} else if (a[0] == '-') {
			usage(argv[0]);
			return 2;
		} else if (backing == NULL) {
			backing = a;
		} else if (mountpoint == NULL) {
			mountpoint = a;
		} else {
			usage(argv[0]);
			return 2;
		}
	}
	if (backing == NULL || mountpoint == NULL || latency_us < 0 || threads < 1) {
		usage(argv[0]);
		return 2;
	}
	latency.tv_sec = latency_us / 1000000;
	latency.tv_nsec = (latency_us % 1000000) * 1000;
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if (debug)
		fuse_opt_add_arg(&args, "-d");
	fuse_opt_add_arg(&args, "-o");
	fuse_opt_add_arg(&args, "fsname=slowfs,subtype=slowfs");

	base_fd = open(backing, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base_fd == -1) {
		perror(backing);
		return 1;
	}
	struct fuse *fuse = fuse_new(&args, &sfs_ops, sizeof sfs_ops, NULL);
	if (fuse == NULL)
		return 1;
	if (fuse_mount(fuse, mountpoint) != 0) {
		fuse_destroy(fuse);
		return 1;
	}
	struct fuse_session *se = fuse_get_session(fuse);
	if (fuse_set_signal_handlers(se) != 0) {
		fuse_unmount(fuse);
		fuse_destroy(fuse);
		return 1;
	}
	struct fuse_loop_config *loop = fuse_loop_cfg_create();
	fuse_loop_cfg_set_max_threads(loop, threads);
	fuse_loop_cfg_set_idle_threads(loop, threads);
	fuse_loop_cfg_set_clone_fd(loop, 0);
	int res = fuse_loop_mt(fuse, loop);
	fuse_loop_cfg_destroy(loop);
	fuse_remove_signal_handlers(se);
	fuse_unmount(fuse);
	fuse_destroy(fuse);
	fuse_opt_free_args(&args);
	close(base_fd);
	return res ? 1 : 0;
}
