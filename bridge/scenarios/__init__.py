"""Scenarios: the JSON fixtures both modes are driven by (F1, F2).

- `fixtures`: load and validate a scenario (schema, then `refs` for cross-references and
  `limits` for what a schema cannot say, such as sizes and nesting);
- `replay`: seed a sandbox world with a scenario's data and replay its operations;
- `driver`: the operations, run through the shared `Integration` interface (S1);
- `synthetic`: large generated legacy states for benchmarks and the kill harness.
"""
