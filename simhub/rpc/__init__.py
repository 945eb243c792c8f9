"""The gRPC edge: servicers that map and delegate, the auth interceptor, health, reflection."""
