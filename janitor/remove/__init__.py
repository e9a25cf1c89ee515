"""The deletion engine: parallel, bounded, crash-safe and hard-link-aware.

`execute` carries out a plan (`engine`); the batches themselves run in `deleter`, in threads or in
worker processes (`procs`), as many at once as `tuner` finds pays; `ledger` decides which
hard-linked files were freed; `outcome` holds the values a removal reports.
May import janitor.errors, janitor.inventory, janitor.plan and janitor.layout.
"""
