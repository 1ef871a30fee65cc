"""Training on a rented GPU: is the machine ready (doctor), is its GPU busy (gpu), and the data volume's
datasets, runs and exports kept in a bucket (sync)."""
