"""The evidence ledger (docs/ledger.md): entries written with each record, checkpoints that seal them."""
