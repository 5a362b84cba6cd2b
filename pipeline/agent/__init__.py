"""`ktcp agent`: follow the node's kernel log for ever, resume after restarts, report health."""
