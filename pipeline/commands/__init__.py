"""The CLI's commands, one module each; pipeline.cli only wires them."""
