"""Drivers: the programs that run the chain (parse, ship, exec-filter)."""
