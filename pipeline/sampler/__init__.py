"""The kernel-state sampler: the window-shrink condition read from the socket table and TcpExt
counters, for kernels that print the log line only with dynamic debug on."""
