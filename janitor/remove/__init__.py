"""The deletion engine: parallel, bounded, crash-safe and hard-link-aware.

`execute` carries out a plan (`engine`): items are renamed into the cache's trash (`trash`), and
the trees there cleared in batches (`deleter`, its filesystem calls and retries in `fsops`), in
threads or in worker processes (`procs` starts them, `worker` is what they run), as many at once
as `tuner` finds pays; `result` is what a batch reports, `books` keeps the accounts, `ledger`
decides which hard-linked files were freed; `outcome` holds the values a removal reports.
May import janitor.errors, janitor.inventory and janitor.plan.
"""
