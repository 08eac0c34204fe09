"""Rate limits shared by every worker process: moving-window counters in Redis or in memory."""
