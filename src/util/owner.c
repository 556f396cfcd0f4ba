/*
 * Handing a directory tree to another owner (the daemon's state
 * directory, to the user it drops privileges to): as root, so never
 * through a symbolic link, and never a file with other links.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "otzyv/util.h"

/* Gives what fd (O_PATH) is to uid:gid when it is a regular file with
 * one link: a hard link to a file elsewhere must not be given away, nor
 * anything but the store's own files. 0 with errno on failure. */
static int
give_file(int fd, uid_t uid, gid_t gid)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return 0;
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (st.st_uid == uid && st.st_gid == gid))
		return 1;
	return fchownat(fd, "", uid, gid, AT_EMPTY_PATH) == 0;
}

int
dir_give(int dfd, int depth, uid_t uid, gid_t gid, char *where, size_t wlen)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int fd, ok = 1;

	if (fstat(dfd, &st) != 0 || ((st.st_uid != uid || st.st_gid != gid) &&
				     fchown(dfd, uid, gid) != 0))
		return 0;
	if (depth == 0)
		return 1;
	if ((fd = dup(dfd)) < 0)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while (ok && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		fd = openat(dirfd(d), e->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			ok = dir_give(fd, depth - 1, uid, gid, where, wlen);
		} else if (errno == ENOTDIR || errno == ELOOP) {
			/* O_PATH opens a symbolic link itself: not followed,
			 * and give_file() leaves it. */
			fd = openat(dirfd(d), e->d_name,
				    O_PATH | O_NOFOLLOW | O_CLOEXEC);
			ok =
			    fd >= 0 ? give_file(fd, uid, gid) : errno == ENOENT;
		} else {
			ok = errno == ENOENT; /* gone meanwhile */
		}
		if (!ok && where[0] == '\0')
			snprintf(where, wlen, "%s", e->d_name);
		if (fd >= 0)
			close(fd);
	}
	closedir(d);
	return ok;
}
