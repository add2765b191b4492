"""The web pages that need only the pure engines: home, treaty lookup, programmes, sign-in."""
