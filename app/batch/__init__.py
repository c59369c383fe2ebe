"""Batch runs: a file of generation requests, run on this machine or on a Ray cluster.

Modules (each one job):

:mod:`.jobs`
    Reading and checking a jobs file (CSV, JSON Lines, TOML) into :class:`.jobs.Job` s, every
    row checked, with its line number, before any work starts.
:mod:`.execute`
    One job: generate, upscale, repair the poles, save the project and write the exports
    into a staging folder, then move the whole job folder into place with one rename.
:mod:`.ledger`
    ``batch.jsonl``: one line per job outcome, appended and synced.
:mod:`.runner`
    The driver: which jobs are already done (their ``job.json`` hash matches), the inline and
    process-pool executors, whole-batch progress, Ctrl+C.
:mod:`.ray_runner`
    The same jobs as Ray actor tasks (imported only when ``--ray`` is given).

Nothing here imports Qt; Ray is imported only inside :mod:`.ray_runner`'s functions.
"""
