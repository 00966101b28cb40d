"""The enhanced sync engine: `engine.run_sync`, one module per sync module."""
