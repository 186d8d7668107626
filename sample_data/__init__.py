"""Sample data for Journey Ledger: the Ledgerly event export and its generator."""
