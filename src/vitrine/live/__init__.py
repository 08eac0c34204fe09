"""Live shopping: sessions streamed by a host, pinned products, flash deals, comments, fan-out."""
