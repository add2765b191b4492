"""Who may do what: roles, scopes, the firewall, passwords, tokens and sessions."""
