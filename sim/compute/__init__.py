"""Running the model: the chunked Monte Carlo run, its result, worker pools, Dask and the spill store."""
