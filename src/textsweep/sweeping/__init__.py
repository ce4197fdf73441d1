"""Everything about sweeps: the Optuna study, the search-space grammar, objectives, pruning, the steps around
a sweep's trials (baseline, confirmation), progress and the end report. The Hydra plugin package
(hydra_plugins.textsweep_optuna_sweeper) is a thin shell over this one.
"""
