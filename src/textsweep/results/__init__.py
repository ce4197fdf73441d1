"""What runs and sweeps produced, read back from MLflow: the comparison of variants, the choice of a model to
promote. Above tracking and sweeping (it reads both); rendering draws what it returns."""
