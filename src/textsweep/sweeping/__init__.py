"""Everything about sweeps: the sweeper's one ask/launch/tell loop (sweeper), what differs between textsweep's
app and any other (policy), its settings (settings), the Optuna study, the search-space grammar, objectives,
pruning, the steps around a sweep's trials (baseline, confirmation), the MLflow parent run (tracker), progress
and the end report. The Hydra plugin package (hydra_plugins.textsweep_optuna_sweeper) is a thin shell over this one.
"""
