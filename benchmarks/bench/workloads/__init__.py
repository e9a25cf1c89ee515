"""The workloads, one module each: `prune`, `package`, `maxsize`; `base` is what they share."""
