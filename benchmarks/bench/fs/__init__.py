"""The filesystems the runner mounts for its rounds, one module each: `tmpfs`, `ext4` (a journaled
image on a loop device), `slow` (a FUSE passthrough adding latency); `mount` is what they share.
The local disk (the work directory's) needs no module."""
