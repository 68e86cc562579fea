"""Operations: one keyword-only function per multi-step action, the only place that sequences storage,
domain rules and the outbox. Handlers call these with plain arguments and `now`; see docs/architecture.md.
"""
