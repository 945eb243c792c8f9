"""ZeroMQ adapter of live sessions: frame publisher with a snapshot socket for late joiners,
control-input receiver, late-joining subscriber, optional CURVE encryption."""
