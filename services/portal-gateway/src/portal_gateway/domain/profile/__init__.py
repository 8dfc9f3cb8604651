"""Self-service: one's own name, contact points, language and password."""
