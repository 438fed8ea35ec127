"""Side tables beside the Optuna study: metric cells, timings, baseline, provenance."""
