"""Migration of a legacy integration's state to the enhanced one (SPEC M1-M6).

    plan      pure: what would be created, changed, left out, and the calls it needs
    run       batches, each one transaction with its journal entry; resumable; one at a time
    verify    an independent derivation of the expected state, diffed with deepdiff in keyed,
              hashed batches; the M4 invariants; the services' visible data unchanged
    rollback  back to the legacy state, nothing lost
"""
