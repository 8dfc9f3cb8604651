"""Equipment and service informing (SPEC §13): assets keeps devices and their terms;
the gateway shows them in the reader's scope and takes imports."""
